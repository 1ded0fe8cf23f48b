using Trellis.Core.Governance;

namespace Trellis.Engine;

/// <summary>How one item stands with one assignment: Compliant, NonCompliant (with the reason) or Exempt (with the exemption's reason and end).</summary>
public sealed record ComplianceItem(string Item, string Path, string State, string? Reason, string? Exemption, DateTimeOffset? ExemptUntil);

/// <summary>One assignment's items and their totals.</summary>
public sealed record AssignmentCompliance(string Assignment, string Definition, string Effect, string Scope, int Compliant, int NonCompliant, int Exempt,
    IReadOnlyList<ComplianceItem> Items);

/// <summary><c>trellis policy compliance</c>: every enabled assignment with its items, and the totals over all of them.</summary>
/// <param name="Findings">What reading the manifests given found (policy compliance -f): broken documents, references to nothing.</param>
public sealed record ComplianceReport(string? Site, int Compliant, int NonCompliant, int Exempt, IReadOnlyList<AssignmentCompliance> Assignments)
{
    public IReadOnlyList<Contracts.Finding> Findings { get; init; } = [];

    /// <summary>Whether a Deny assignment has a non-compliant item: what a pipeline gate stops on (the CLI exits 1).</summary>
    public bool Denied => Assignments.Any(a => a.Effect == nameof(PolicyEffect.Deny) && a.NonCompliant > 0);
}

/// <summary>An item an assignment does not judge, and why, until when (none: for good).</summary>
public sealed record ExemptionRow(string Item, string Reason, DateTimeOffset? ExpiresAt);

/// <summary>A stored assignment: its definition, effect, scope (null: the whole site), parameter values as written, and exemptions.</summary>
public sealed record AssignmentRow(string Name, string Definition, string Effect, string? Cluster, string? Namespace,
    IReadOnlyDictionary<string, string> Parameters, IReadOnlyList<ExemptionRow> Exemptions, string? Description);

/// <summary><c>trellis policy get</c>: the site's stored assignments and its own definitions.</summary>
public sealed record GovernanceView(IReadOnlyList<AssignmentRow> Assignments, IReadOnlyList<DefinitionRow> Definitions);

/// <summary>A definition as <c>trellis policy definitions</c> lists it.</summary>
public sealed record DefinitionRow(string Name, string Target, string Description, IReadOnlyList<string> Parameters, bool BuiltIn);

public static partial class SiteViews
{
    /// <summary>
    /// The site's stored assignments and definitions, its own and those of its fleet (named <c>fleet/…</c>; built-ins are not
    /// stored: <see cref="Definitions"/> lists them).
    /// </summary>
    public static GovernanceView Governance(SiteState state) =>
        new([.. state.EffectiveGovernance.Assignments.Select(a => new AssignmentRow(a.Name, a.Definition, a.Effect.ToString(), a.Scope.Cluster, a.Scope.Namespace,
                a.Parameters.ToDictionary(kv => kv.Key, kv => kv.Value.ToString(), StringComparer.Ordinal),
                [.. a.Exemptions.Select(e => new ExemptionRow(e.Item, e.Reason, e.ExpiresAt))], a.Description))],
            [.. state.EffectiveGovernance.Definitions.Select(d => Row(d, false))]);

    /// <summary>Every definition the site's assignments may name: the built-ins, then the stored ones.</summary>
    public static IReadOnlyList<DefinitionRow> Definitions(SiteState state) =>
        [.. BuiltInDefinitions.All.Select(b => Row(b.Definition, true)), .. state.EffectiveGovernance.Definitions.Select(d => Row(d, false))];

    private static DefinitionRow Row(PolicyDefinition d, bool builtIn) =>
        new(d.Name, d.Target.ToString(), d.Description, [.. d.Parameters.Select(p => p.Default is { } v ? $"{p.Name} ({p.Type}, default {v})" : $"{p.Name} ({p.Type})")], builtIn);

    /// <summary>
    /// The stored site judged by each enabled assignment at <paramref name="now"/> (exemptions expire): deterministic, in
    /// assignment name order and spec order. A site without assignments is compliant with nothing to judge.
    /// </summary>
    public static ComplianceReport Compliance(SiteState state, DateTimeOffset now) => Compliance(state, now, null);

    /// <summary>
    /// As <see cref="Compliance(SiteState, DateTimeOffset)"/>, with the Kubernetes manifests <paramref name="manifests"/> for
    /// the rules that read them (NetworkPolicies per namespace, the pods of LoadBalancer services).
    /// </summary>
    public static ComplianceReport Compliance(SiteState state, DateTimeOffset now, ManifestSet? manifests)
    {
        var stored = TrellisEngine.StoredSubject(state);
        var subject = manifests is null ? stored : stored is null ? null : stored with { Manifests = GovernanceManifests.Facts(manifests) };
        var governance = state.EffectiveGovernance;
        var evaluations = subject is not null ? GovernanceEvaluator.Evaluate(governance, subject, now) : [];
        var assignments = governance.Assignments.Where(a => a.Effect != PolicyEffect.Disabled).OrderBy(a => a.Name, StringComparer.Ordinal)
            .Select(a =>
            {
                var items = evaluations.Where(e => e.Assignment.Name == a.Name).Select(Item).ToList();
                return new AssignmentCompliance(a.Name, a.Definition, a.Effect.ToString(), a.Scope.ToString(),
                    items.Count(i => i.State == "Compliant"), items.Count(i => i.State == "NonCompliant"), items.Count(i => i.State == "Exempt"), items);
            }).ToList();
        return new ComplianceReport(state.SiteName, assignments.Sum(a => a.Compliant), assignments.Sum(a => a.NonCompliant), assignments.Sum(a => a.Exempt), assignments)
        {
            Findings = manifests?.Findings ?? [],
        };
    }

    private static ComplianceItem Item(PolicyEvaluation e) =>
        e.Compliant ? new ComplianceItem(e.Item.Id, e.Item.Path, "Compliant", null, null, null)
        : e.Exemption is { } x ? new ComplianceItem(e.Item.Id, e.Item.Path, "Exempt", e.Reason, x.Reason, x.ExpiresAt)
        : new ComplianceItem(e.Item.Id, e.Item.Path, "NonCompliant", e.Reason, null, null);
}
