using System.Globalization;
using Trellis.Core.Model;
using Trellis.Core.Validation;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Trellis.Core.Governance;

/// <summary>Definitions and assignments read from a file, or the findings that say why they cannot be.</summary>
public sealed record GovernanceReadResult(GovernanceSet? Set, IReadOnlyList<Finding> Findings);

/// <summary>
/// Reads governance documents from YAML: any number of <c>kind: PolicyDefinition</c> and <c>kind: PolicyAssignment</c>
/// documents (<c>apiVersion: trellis/v1</c>), separated by <c>---</c>. Every problem is a finding with its path, the
/// document's index first (<c>[1].spec.effect</c>); the reader never throws for bad input.
/// </summary>
public static class GovernanceReader
{
    public const int MaxBytes = 1024 * 1024;

    public static GovernanceReadResult Read(string yaml)
    {
        var (stream, problem) = YamlPrescan.Load(yaml, MaxBytes, "file", "Split the policies into several files.");
        if (stream is null)
        {
            return Fail(problem!);
        }

        var documents = stream.Documents.Where(d => !YamlBinder.IsNull(d.RootNode)).ToList();
        if (documents.Count == 0)
        {
            return Fail(Finding.Error("SpecEmpty", "", "The file holds no document.", "Write a 'kind: PolicyAssignment' (or PolicyDefinition) document; docs/governance.md has examples."));
        }

        var b = new YamlBinder();
        var definitions = new List<PolicyDefinition>();
        var assignments = new List<PolicyAssignment>();
        for (var i = 0; i < documents.Count; i++)
        {
            var path = documents.Count == 1 ? "" : $"[{i}]";
            switch (ReadDocument(b, documents[i].RootNode, path))
            {
                case PolicyDefinition d:
                    definitions.Add(d);
                    break;
                case PolicyAssignment a:
                    assignments.Add(a);
                    break;
            }
        }

        Duplicates(b, definitions.Select(d => d.Name), "PolicyDefinition");
        Duplicates(b, assignments.Select(a => a.Name), "PolicyAssignment");
        return new GovernanceReadResult(b.Findings.HasErrors() ? null : new GovernanceSet(definitions, assignments), b.Findings);
    }

    private static GovernanceReadResult Fail(Finding finding) => new(null, [finding]);

    private static void Duplicates(YamlBinder b, IEnumerable<string> names, string kind)
    {
        foreach (var name in names.GroupBy(n => n, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key))
        {
            b.Add(Finding.Error("DuplicateName", "metadata.name", $"Two {kind} documents are named '{name}'.", "Give each its own name."));
        }
    }

    private static object? ReadDocument(YamlBinder b, YamlNode root, string path)
    {
        var top = b.Mapping(root, path, "apiVersion", "kind", "metadata", "spec");
        if (top is null)
        {
            return null;
        }

        var apiVersion = top.RequiredString("apiVersion", $"Write 'apiVersion: {SiteSpecDefaults.ApiVersion}'.");
        if (apiVersion.Length > 0 && apiVersion != SiteSpecDefaults.ApiVersion)
        {
            b.Add(Finding.Error("UnsupportedApiVersion", top.FieldPath("apiVersion"), $"apiVersion '{apiVersion}' is not supported.", $"Write 'apiVersion: {SiteSpecDefaults.ApiVersion}'."));
        }

        var kind = top.RequiredString("kind", "Write 'kind: PolicyAssignment' or 'kind: PolicyDefinition'.");
        var metadata = b.Mapping(top.Node("metadata"), top.FieldPath("metadata"), "name", "labels", "annotations");
        var name = metadata?.String("name", 63);
        if (metadata?.Node("name") is null)
        {
            b.Add(Finding.Error("RequiredFieldMissing", YamlBinder.Join(path, "metadata.name"), $"The {(kind.Length > 0 ? kind : "document")} needs a name.", "Write 'metadata: { name: calico-only }'."));
        }
        else if (name is not null)
        {
            if (!Names.Dns1123Label.IsMatch(name))
            {
                b.Add(Finding.Error("InvalidName", YamlBinder.Join(path, "metadata.name"), $"Name '{Names.Printable(name)}' is not valid.",
                    $"{Names.Dns1123Label.Words}, e.g. 'calico-only'."));
            }
        }

        return kind switch
        {
            "PolicyAssignment" => ReadAssignment(b, top, name ?? ""),
            "PolicyDefinition" => ReadDefinition(b, top, name ?? ""),
            "" => null,
            _ => Unsupported(b, top.FieldPath("kind"), kind),
        };
    }

    private static object? Unsupported(YamlBinder b, string path, string kind)
    {
        b.Add(Finding.Error("UnsupportedKind", path, $"kind '{kind}' is not a governance document.", "Write 'kind: PolicyAssignment' or 'kind: PolicyDefinition'."));
        return null;
    }

    private static PolicyAssignment? ReadAssignment(YamlBinder b, YamlBinder.Fields top, string name)
    {
        var spec = b.Mapping(top.Node("spec"), top.FieldPath("spec"), "definition", "description", "scope", "effect", "parameters", "exemptions");
        if (spec is null)
        {
            b.Add(Finding.Error("RequiredFieldMissing", top.FieldPath("spec"), "The assignment has no spec.", "Add a 'spec:' with a definition and an effect."));
            return null;
        }

        var scope = b.Mapping(spec.Node("scope"), spec.FieldPath("scope"), "cluster", "namespace");
        var parameters = new Dictionary<string, PolicyValue>(StringComparer.Ordinal);
        if (spec.Node("parameters") is { } parametersNode and not YamlMappingNode)
        {
            b.WrongType(spec.FieldPath("parameters"), parametersNode, "a mapping of parameter names to values");
        }
        else if (spec.Node("parameters") is YamlMappingNode given)
        {
            foreach (var (key, value) in given.Children)
            {
                var parameter = (key as YamlScalarNode)?.Value ?? "";
                if (Value(b, value, YamlBinder.Join(spec.FieldPath("parameters"), parameter)) is { } read)
                {
                    parameters[parameter] = read;
                }
            }
        }

        return new PolicyAssignment(
            name,
            spec.RequiredString("definition", "Name a built-in definition (trellis policy definitions lists them) or one of the file's."),
            new PolicyScope(scope?.String("cluster", 63), scope?.String("namespace", 63)),
            spec.Enum("effect", ("Deny", PolicyEffect.Deny), ("Audit", PolicyEffect.Audit), ("Disabled", PolicyEffect.Disabled)) ?? PolicyEffect.Audit,
            parameters,
            spec.List("exemptions", (n, p) => ReadExemption(b, n, p), 1024),
            spec.String("description", 1024));
    }

    private static PolicyExemption? ReadExemption(YamlBinder b, YamlNode node, string path)
    {
        var f = b.Mapping(node, path, "item", "reason", "expiresAt");
        if (f is null)
        {
            return null;
        }

        var item = f.RequiredString("item", "Name the item as the compliance report does, e.g. 'cluster/legacy'.");
        var reason = f.RequiredString("reason", "Say why the item is exempt: the report shows it.");
        DateTimeOffset? expires = null;
        if (f.String("expiresAt") is { } text)
        {
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
            {
                expires = at;
            }
            else
            {
                b.Add(Finding.Error("InvalidValue", f.FieldPath("expiresAt"), $"'{text}' is not a date and time.", "Write an ISO 8601 time, e.g. 2027-01-31T00:00:00Z."));
            }
        }

        return new PolicyExemption(item, reason, expires);
    }

    private static PolicyDefinition? ReadDefinition(YamlBinder b, YamlBinder.Fields top, string name)
    {
        var spec = b.Mapping(top.Node("spec"), top.FieldPath("spec"), "description", "target", "parameters", "rule");
        if (spec is null)
        {
            b.Add(Finding.Error("RequiredFieldMissing", top.FieldPath("spec"), "The definition has no spec.", "Add a 'spec:' with a target and a rule."));
            return null;
        }

        var rule = b.Mapping(spec.Node("rule"), spec.FieldPath("rule"), "builtin", "expression");
        if (rule is null)
        {
            b.Add(Finding.Error("RequiredFieldMissing", spec.FieldPath("rule"), "The definition has no rule.",
                "Write 'rule: { expression: \"item.networkPlugin in params.allowed\" }' or 'rule: { builtin: allowed-network-plugins }'."));
        }

        var builtin = rule?.String("builtin", 63);
        var expression = rule?.String("expression", 4096);
        if (rule is not null && (rule.Node("builtin") is null) == (rule.Node("expression") is null))
        {
            b.Add(Finding.Error("RequiredFieldMissing", spec.FieldPath("rule"), "A rule is either an expression or a built-in, and this one is "
                + (rule.Node("builtin") is null ? "neither." : "both."), "Keep one of 'expression' and 'builtin'."));
        }
        if (builtin is not null && BuiltInDefinitions.Find(builtin) is null)
        {
            b.Add(Finding.Error("UnknownDefinition", rule!.FieldPath("builtin"), $"There is no built-in definition '{builtin}'.",
                YamlBinder.Suggest(builtin, [.. BuiltInDefinitions.All.Select(d => d.Name)])));
        }

        return new PolicyDefinition(
            name,
            spec.String("description", 1024) ?? "",
            spec.Enum("target", ("Cluster", PolicyTarget.Cluster), ("NodePool", PolicyTarget.NodePool), ("Service", PolicyTarget.Service), ("Pool", PolicyTarget.Pool), ("Namespace", PolicyTarget.Namespace)) ?? PolicyTarget.Cluster,
            spec.List("parameters", (n, p) => ReadParameter(b, n, p), 64),
            builtin,
            expression);
    }

    private static PolicyParameter? ReadParameter(YamlBinder b, YamlNode node, string path)
    {
        var f = b.Mapping(node, path, "name", "type", "default", "description");
        if (f is null)
        {
            return null;
        }

        var type = f.Enum("type", ("string", PolicyParameterType.String), ("number", PolicyParameterType.Number), ("boolean", PolicyParameterType.Boolean),
            ("stringList", PolicyParameterType.StringList)) ?? PolicyParameterType.String;
        return new PolicyParameter(f.RequiredString("name", "Name the parameter, e.g. 'allowed'."), type,
            f.Node("default") is { } d ? Value(b, d, f.FieldPath("default")) : null, f.String("description", 1024));
    }

    /// <summary>A parameter value as written: a scalar (number, true/false, or text) or a list of scalars.</summary>
    internal static PolicyValue? Value(YamlBinder b, YamlNode node, string path)
    {
        switch (node)
        {
            case YamlSequenceNode list when list.Children.Count <= 1024:
                var items = new List<string>();
                foreach (var item in list.Children)
                {
                    if (item is YamlScalarNode { Value: { } v })
                    {
                        items.Add(v);
                    }
                    else
                    {
                        b.WrongType(path, item, "a list of values");
                        return null;
                    }
                }

                return new PolicyValue(List: items);
            case YamlScalarNode { Value: { } text } scalar:
                if (scalar.Style == ScalarStyle.Plain && text is "true" or "false")
                {
                    return new PolicyValue(Flag: text == "true");
                }

                return scalar.Style == ScalarStyle.Plain && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
                    ? new PolicyValue(Number: number)
                    : new PolicyValue(Text: text);
            default:
                b.WrongType(path, node, "a value or a list of values");
                return null;
        }
    }
}
