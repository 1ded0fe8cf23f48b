using System.Globalization;
using Trellis.Core.Validation;
using YamlDotNet.RepresentationModel;

namespace Trellis.Policy.Manifests;

/// <summary>
/// Reads the fields of one YAML document and collects every problem as a <see cref="Finding"/> whose path names the
/// document and the field (<c>file.yaml#2 spec.ingress[0].ports[1].port</c>). An object with an error is rejected, as
/// the API server would reject it; the other documents are still read.
/// </summary>
internal sealed class DocumentReader(SourceRef source, List<Finding> findings, string prefix = "")
{
    public SourceRef Source { get; } = source;
    public int Errors { get; private set; }

    public void Error(string field, string code, string message, string hint)
    {
        Errors++;
        findings.Add(Finding.Error(code, Source.Path(prefix + field), message, hint));
    }

    public void Warning(string field, string code, string message, string hint) =>
        findings.Add(Finding.Warning(code, Source.Path(prefix + field), message, hint));

    public static YamlNode? Get(YamlNode? node, string key)
    {
        if (node is not YamlMappingNode map)
        {
            return null;
        }

        foreach (var (k, v) in map.Children)
        {
            if (k is YamlScalarNode s && s.Value == key)
            {
                return IsNull(v) ? null : v;
            }
        }

        return null;
    }

    public static bool Has(YamlNode? node, string key) => Get(node, key) is not null;

    public static bool IsNull(YamlNode? node) =>
        node is null || node is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    public YamlMappingNode? Map(YamlNode? parent, string key, string path)
    {
        var node = Get(parent, key);
        if (node is null)
        {
            return null;
        }

        if (node is YamlMappingNode map)
        {
            return map;
        }

        Error(path, "ManifestInvalidField", $"{path} must be a mapping.", "Write it as key: value pairs.");
        return null;
    }

    public IReadOnlyList<YamlNode> Sequence(YamlNode? parent, string key, string path)
    {
        var node = Get(parent, key);
        if (node is null)
        {
            return [];
        }

        if (node is YamlSequenceNode seq)
        {
            return seq.Children.ToList();
        }

        Error(path, "ManifestInvalidField", $"{path} must be a list.", "Write it as a YAML list ('- item').");
        return [];
    }

    /// <summary>
    /// Names every key of a mapping that is not one of <paramref name="known"/> (ManifestUnknownField, with the known field
    /// it most likely meant), as kubectl's strict field validation does; returns whether there was one. An error counts
    /// against the object; a warning only names the field.
    /// </summary>
    public bool UnknownFields(YamlNode? node, string path, string what, IReadOnlyCollection<string> known, bool warn = false)
    {
        if (node is not YamlMappingNode map)
        {
            return false;
        }

        var any = false;
        foreach (var key in map.Children.Keys)
        {
            if (key is not YamlScalarNode { Value: { } name } || known.Contains(name))
            {
                continue;
            }

            any = true;
            var field = path.Length == 0 ? name : $"{path}.{name}";
            var message = $"Field '{name}' is not part of {what}.";
            var hint = Spelling.Closest(name, known) is { } best
                ? $"Did you mean '{best}'? Field names are case-sensitive."
                : $"Remove it; the fields of {what} are: {string.Join(", ", known)}.";
            if (warn)
            {
                Warning(field, "ManifestUnknownField", message, hint);
            }
            else
            {
                Error(field, "ManifestUnknownField", message, hint);
            }
        }

        return any;
    }

    private static string Shape(YamlNode node) => node switch
    {
        YamlSequenceNode => "a list",
        YamlMappingNode => "a mapping",
        _ => "a value",
    };

    /// <summary>Whether the key is written at all, even as an empty list or null.</summary>
    public static bool Present(YamlNode? node, string key) =>
        node is YamlMappingNode map && map.Children.Keys.Any(k => k is YamlScalarNode s && s.Value == key);

    public string? String(YamlNode? parent, string key, string path)
    {
        var node = Get(parent, key);
        if (node is null)
        {
            return null;
        }

        if (node is YamlScalarNode s)
        {
            return s.Value;
        }

        Error(path, "ManifestInvalidField", $"{path} must be a single value, not {Shape(node)}.", "Write a single value.");
        return null;
    }

    public int? Int(YamlNode? parent, string key, string path, int min, int max)
    {
        var node = Get(parent, key);
        if (node is not null and not YamlScalarNode)
        {
            Error(path, "ManifestInvalidField", $"{path} must be a whole number from {min} to {max}, not {Shape(node)}.", $"Write a number from {min} to {max}.");
            return null;
        }

        var text = String(parent, key, path);
        if (text is null)
        {
            return null;
        }

        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            Error(path, "ManifestInvalidValue", $"{path} is '{text}', not a whole number from {min} to {max}.", $"Use a number from {min} to {max}.");
            return null;
        }

        return value;
    }

    public double? Double(YamlNode? parent, string key, string path)
    {
        var text = String(parent, key, path);
        if (text is null)
        {
            return null;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || double.IsNaN(value))
        {
            Error(path, "ManifestInvalidValue", $"{path} is '{text}', not a number.", "Write a number such as 100 or 50.5.");
            return null;
        }

        return value;
    }

    public bool Bool(YamlNode? parent, string key, string path)
    {
        var text = String(parent, key, path);
        if (text is null)
        {
            return false;
        }

        if (bool.TryParse(text, out var value))
        {
            return value;
        }

        Error(path, "ManifestInvalidValue", $"{path} is '{text}', not true or false.", "Write true or false.");
        return false;
    }

    /// <summary>A policyTypes / types list: Ingress and Egress, each other entry a PolicyTypeInvalid error. None when absent.</summary>
    public PolicyTypes PolicyTypes(YamlNode? parent, string key, string path)
    {
        var declared = Strings(parent, key, path);
        var types = Policy.PolicyTypes.None;
        for (var i = 0; i < declared.Count; i++)
        {
            switch (declared[i])
            {
                case "Ingress": types |= Policy.PolicyTypes.Ingress; break;
                case "Egress": types |= Policy.PolicyTypes.Egress; break;
                default:
                    Error($"{path}[{i}]", "PolicyTypeInvalid", $"{key}[{i}] is '{declared[i]}'.", "Use Ingress or Egress.");
                    break;
            }
        }

        return types;
    }

    public IReadOnlyList<string> Strings(YamlNode? parent, string key, string path)
    {
        var result = new List<string>();
        var items = Sequence(parent, key, path);
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is YamlScalarNode { Value: { } v })
            {
                result.Add(v);
            }
            else
            {
                Error($"{path}[{i}]", "ManifestInvalidField", $"{path}[{i}] must be a string.", "Write a single value.");
            }
        }

        return result;
    }

    /// <summary>A labels map (metadata.labels, matchLabels): keys and values as text.</summary>
    public IReadOnlyDictionary<string, string> Labels(YamlNode? parent, string key, string path)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var map = Map(parent, key, path);
        if (map is null)
        {
            return result;
        }

        foreach (var (k, v) in map.Children)
        {
            var name = (k as YamlScalarNode)?.Value;
            if (string.IsNullOrEmpty(name) || v is not YamlScalarNode value)
            {
                Error($"{path}.{name}", "ManifestInvalidLabel", $"Label {path}.{name} must be a key with a text value.", "Quote values such as 'true' or '1'.");
                continue;
            }

            result[name] = IsNull(value) ? "" : value.Value ?? "";
        }

        return result;
    }
}
