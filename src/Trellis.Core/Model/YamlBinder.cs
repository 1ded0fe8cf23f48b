using System.Globalization;
using Trellis.Core.Validation;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Trellis.Core.Model;

/// <summary>
/// Reads typed values out of a YAML tree while recording every problem as a finding with its field path,
/// so that a spec with several mistakes reports all of them instead of stopping at the first.
/// </summary>
internal sealed class YamlBinder
{
    private readonly List<Finding> _findings = [];

    public IReadOnlyList<Finding> Findings => _findings;

    public void Add(Finding finding) => _findings.Add(finding);

    /// <summary>Treats <paramref name="node"/> as a mapping with exactly the <paramref name="known"/> keys (case-sensitive camelCase).</summary>
    public Fields? Mapping(YamlNode? node, string path, params string[] known)
    {
        if (node is null || IsNull(node))
        {
            return null;
        }

        if (node is not YamlMappingNode mapping)
        {
            WrongType(path, node, "a mapping of fields");
            return null;
        }

        var values = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? "";
            var keyPath = Join(path, key);
            var match = Array.Find(known, k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase));
            if (match is null)
            {
                Add(Finding.Error(
                    "UnknownField", keyPath, $"Field '{key}' is not part of this object.",
                    Suggest(key, known)));
            }
            else if (!values.TryAdd(match, valueNode))
            {
                Add(Finding.Error("DuplicateField", keyPath, $"Field '{key}' appears more than once.", "Keep one of them."));
            }
        }

        return new Fields(this, path, values);
    }

    public static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    public static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    public void WrongType(string path, YamlNode node, string expected)
    {
        var actual = node switch
        {
            YamlMappingNode => "a mapping",
            YamlSequenceNode => "a list",
            YamlScalarNode s => $"'{Truncate(s.Value)}'",
            _ => "something else",
        };
        Add(Finding.Error("WrongType", path, $"Expected {expected}, found {actual}{(node.Start.Line > 0 ? $" (line {node.Start.Line})" : "")}.",
            $"Write {expected} here."));
    }

    private static bool IsWholeNumber(string text)
    {
        var digits = text.AsSpan(text.StartsWith('-') || text.StartsWith('+') ? 1 : 0);
        return digits.Length > 0 && !digits.ContainsAnyExceptInRange('0', '9');
    }

    private static string Truncate(string? value) =>
        value is null ? "" : value.Length <= 40 ? value : string.Concat(value.AsSpan(0, 40), "…");

    internal static string Suggest(string key, string[] known) =>
        Spelling.Closest(key, known) is { } best
            ? $"Did you mean '{best}'? Field names are the AksHci parameter names in camelCase."
            : $"Remove it; known fields here are: {string.Join(", ", known)}.";

    /// <summary>The fields of one mapping, each read at most once with its path.</summary>
    internal sealed class Fields(YamlBinder binder, string path, Dictionary<string, YamlNode> values)
    {
        public string Path => path;

        public YamlNode? Node(string key) => values.TryGetValue(key, out var node) && !IsNull(node) ? node : null;

        public string FieldPath(string key) => Join(path, key);

        public string? String(string key, int maxLength = 253)
        {
            var node = Node(key);
            if (node is null)
            {
                return null;
            }

            if (node is not YamlScalarNode scalar)
            {
                binder.WrongType(FieldPath(key), node, "a text value");
                return null;
            }

            var text = scalar.Value ?? "";
            if (text.Length > maxLength)
            {
                binder.Add(Finding.Error("ValueTooLong", FieldPath(key),
                    $"The value is {text.Length} characters long; at most {maxLength} are allowed.", "Shorten it."));
                return null;
            }

            return text;
        }

        public string RequiredString(string key, string hint)
        {
            var value = String(key);
            if (string.IsNullOrEmpty(value) && Node(key) is null)
            {
                binder.Add(Finding.Error("RequiredFieldMissing", FieldPath(key), $"Field '{key}' is required.", hint));
            }

            return value ?? "";
        }

        public int? Int(string key, int min, int max) => (int?)Long(key, min, max);

        public long? Long(string key, long min, long max)
        {
            var node = Node(key);
            if (node is null)
            {
                return null;
            }

            if (node is not YamlScalarNode { Value: { } text } || !IsWholeNumber(text))
            {
                binder.WrongType(FieldPath(key), node, "a whole number");
                return null;
            }

            // A whole number too long for a long is out of range, not of the wrong type.
            if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            {
                binder.Add(Finding.Error("ValueOutOfRange", FieldPath(key),
                    $"{Truncate(text)} is outside the allowed range {min}–{max}.", $"Use a number from {min} to {max}."));
                return null;
            }

            return value;
        }

        public bool? Bool(string key)
        {
            var node = Node(key);
            if (node is null)
            {
                return null;
            }

            if (node is YamlScalarNode { Value: { } text } && bool.TryParse(text, out var value))
            {
                return value;
            }

            binder.WrongType(FieldPath(key), node, "true or false");
            return null;
        }

        public TEnum? Enum<TEnum>(string key, params (string Text, TEnum Value)[] choices)
            where TEnum : struct
        {
            var text = String(key);
            if (text is null)
            {
                return null;
            }

            foreach (var (choice, value) in choices)
            {
                if (string.Equals(choice, text, StringComparison.OrdinalIgnoreCase))
                {
                    return value;
                }
            }

            var allowed = string.Join(" | ", choices.Select(c => c.Text));
            binder.Add(Finding.Error("InvalidValue", FieldPath(key), $"'{text}' is not one of {allowed}.", $"Use one of: {allowed}."));
            return null;
        }

        public IReadOnlyList<T> List<T>(string key, Func<YamlNode, string, T?> item, int maxItems = 10_000)
            where T : class
        {
            var node = Node(key);
            if (node is null)
            {
                return [];
            }

            if (node is not YamlSequenceNode sequence)
            {
                binder.WrongType(FieldPath(key), node, "a list");
                return [];
            }

            if (sequence.Children.Count > maxItems)
            {
                binder.Add(Finding.Error("TooManyItems", FieldPath(key),
                    $"The list has {sequence.Children.Count} items; at most {maxItems} are allowed.", "Split the site or remove items."));
                return [];
            }

            var result = new List<T>(sequence.Children.Count);
            for (var i = 0; i < sequence.Children.Count; i++)
            {
                if (item(sequence.Children[i], $"{FieldPath(key)}[{i}]") is { } value)
                {
                    result.Add(value);
                }
            }

            return result;
        }

        public IReadOnlyList<string> StringList(string key, int maxItems = 64) =>
            List(key, (node, itemPath) =>
            {
                if (node is YamlScalarNode { Value: { } text } && !IsNull(node))
                {
                    return text;
                }

                binder.WrongType(itemPath, node, "a text value");
                return null;
            }, maxItems);

        public IReadOnlyList<int> IntList(string key, int min, int max, int maxItems = 1024)
        {
            var result = new List<int>();
            List(key, (node, itemPath) =>
            {
                if (node is YamlScalarNode { Value: { } text } && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                {
                    if (value < min || value > max)
                    {
                        binder.Add(Finding.Error("ValueOutOfRange", itemPath, $"{value} is outside the allowed range {min}–{max}.",
                            $"Use a number from {min} to {max}."));
                    }
                    else
                    {
                        result.Add(value);
                    }
                }
                else
                {
                    binder.WrongType(itemPath, node, "a whole number");
                }

                return (object?)null;
            }, maxItems);
            return result;
        }
    }
}
