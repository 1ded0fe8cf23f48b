using Trellis.Core.Ipam;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Core.Validation;

namespace Trellis.Engine;

/// <summary>One what-if change: a verb (<see cref="WhatIfQuestions.Verbs"/>) and its fields, named as in the spec.</summary>
public sealed record WhatIfChange(string Verb, IReadOnlyList<KeyValuePair<string, string>> Fields);

/// <summary>
/// What-if questions as edits of the spec: each change is read by the spec's own readers, applied, and the changed spec is
/// validated by the site validator, so a what-if value meets the same rules and finding codes as the same value in a spec.
/// </summary>
public static class WhatIfQuestions
{
    public static readonly string[] Verbs = ["add-nodepool", "scale-nodepool", "add-service", "add-cluster"];

    /// <summary>
    /// The answer, or null with the findings that make the question unanswerable: a bad value, an unknown cluster, or a
    /// change the spec rules refuse for another reason than room (the answer to those is not "it does not fit").
    /// </summary>
    internal static (WhatIfResult? Result, IReadOnlyList<Finding> Findings) Ask(string question, SiteSpec spec, IReadOnlyList<Allocation> allocations, IReadOnlyList<WhatIfChange> changes)
    {
        var changed = spec;
        var findings = new List<Finding>();
        for (var i = 0; i < changes.Count; i++)
        {
            var (next, problems) = Apply(changed, changes[i], $"whatIf[{i}]");
            findings.AddRange(problems);
            changed = next ?? changed;
        }

        if (findings.HasErrors())
        {
            return (null, findings);
        }

        var result = CapacityPlanner.WhatIf(question, spec, changed, allocations);
        var already = SiteValidator.Validate(spec).Findings.Where(f => f.Severity == Severity.Error).Select(f => (f.Code, f.Path)).ToHashSet();
        var refused = result.Findings.Where(f => f.Severity == Severity.Error && !CapacityPlanner.RoomCodes.Contains(f.Code) && !already.Contains((f.Code, f.Path))).ToList();
        return refused.Count > 0 ? (null, refused) : (result, []);
    }

    /// <summary><see cref="Ask"/> in the contract types front ends see.</summary>
    internal static (Contracts.WhatIfAnswer? Answer, IReadOnlyList<Contracts.Finding> Findings) Answer(string question, SiteSpec spec, IReadOnlyList<Allocation> allocations,
        IReadOnlyList<WhatIfChange> changes)
    {
        var (result, refused) = Ask(question, spec, allocations, changes);
        return (result is null ? null : Contracts.ContractMapping.ToContract(result), Contracts.ContractMapping.ToContract(refused));
    }

    private static (SiteSpec? Spec, IReadOnlyList<Finding> Findings) Apply(SiteSpec spec, WhatIfChange change, string path)
    {
        var fields = change.Fields.ToList();
        switch (change.Verb)
        {
            case "add-nodepool":
            {
                var cluster = Take(fields, "cluster", path, out var missing);
                var (pool, findings) = SpecFragments.NodePool(WithDefault(fields, "name", "whatif"), path);
                return Then(missing, findings, () => SpecMutations.AddNodePool(spec, cluster!, SpecFragments.WithDefaultMaxPodCount(pool!, spec, cluster!)));
            }

            case "scale-nodepool":
            {
                var cluster = Take(fields, "cluster", path, out var missing);
                var (pool, findings) = SpecFragments.NodePool(fields, path, ["name", "count"]);
                var noCount = fields.Any(f => f.Key.Equals("count", StringComparison.OrdinalIgnoreCase)) ? null : Required(path, "count", "Write count=N, the node pool's new count.");
                return Then([.. missing, .. noCount is null ? [] : new[] { noCount }], findings, () => SpecMutations.ScaleNodePool(spec, cluster!, pool!.Name, pool.Count));
            }

            case "add-service":
            {
                var cluster = Take(fields, "cluster", path, out var missing);
                var renamed = fields.Select(f => f.Key.Equals("port", StringComparison.OrdinalIgnoreCase) ? new KeyValuePair<string, string>("ports", f.Value) : f).ToList();
                var (service, findings) = SpecFragments.Service(WithDefault(WithDefault(renamed, "name", "whatif"), "ports", "443"), path);
                return Then(missing, findings, () => SpecMutations.AddService(spec, cluster!, service!));
            }

            case "add-cluster":
            {
                var workers = fields.FirstOrDefault(f => f.Key.Equals("workers", StringComparison.OrdinalIgnoreCase)).Value ?? "1";
                fields.RemoveAll(f => f.Key.Equals("workers", StringComparison.OrdinalIgnoreCase));
                var (cluster, findings) = SpecFragments.Cluster(WithDefault(fields, "name", "whatif"), path);
                var (pool, poolFindings) = SpecFragments.NodePool([new("name", "linuxpool"), new("count", workers)], path);
                IReadOnlyList<Finding> all = [.. findings, .. poolFindings.Select(f => f with { Path = f.Path.Replace($"{path}.count", $"{path}.workers", StringComparison.Ordinal) })];
                return Then([], all, () => SpecMutations.AddCluster(spec, cluster! with { NodePools = [pool!] }));
            }

            default:
                return (null, [Finding.Error("InvalidWhatIf", path, $"'{change.Verb}' is not a what-if change.", $"Ask one of: {string.Join(", ", Verbs)}.")]);
        }
    }

    private static (SiteSpec?, IReadOnlyList<Finding>) Then(IReadOnlyList<Finding> missing, IReadOnlyList<Finding> findings, Func<(SiteSpec?, IReadOnlyList<Finding>)> apply)
    {
        IReadOnlyList<Finding> all = [.. missing, .. findings];
        return all.HasErrors() ? (null, all) : apply();
    }

    /// <summary>Removes <paramref name="key"/> from the fields and returns its value; a finding when it is missing or empty.</summary>
    private static string? Take(List<KeyValuePair<string, string>> fields, string key, string path, out IReadOnlyList<Finding> missing)
    {
        var found = fields.Where(f => f.Key.Equals(key, StringComparison.OrdinalIgnoreCase)).ToList();
        fields.RemoveAll(f => f.Key.Equals(key, StringComparison.OrdinalIgnoreCase));
        missing = found.Count switch
        {
            0 => [Required(path, key, $"Write {key}=NAME.")],
            > 1 => [Finding.Error("DuplicateField", $"{path}.{key}", $"Field '{key}' appears more than once.", "Keep one of them.")],
            _ when found[0].Value.Length == 0 => [Required(path, key, $"Write {key}=NAME.")],
            _ => [],
        };
        return found.Count == 1 ? found[0].Value : null;
    }

    private static Finding Required(string path, string key, string hint) =>
        Finding.Error("RequiredFieldMissing", $"{path}.{key}", $"Field '{key}' is required.", hint);

    private static List<KeyValuePair<string, string>> WithDefault(List<KeyValuePair<string, string>> fields, string key, string value) =>
        fields.Any(f => f.Key.Equals(key, StringComparison.OrdinalIgnoreCase)) ? fields : [.. fields, new(key, value)];
}
