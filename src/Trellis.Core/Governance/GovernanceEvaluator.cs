using Trellis.Core.Model;
using Trellis.Core.Validation;

namespace Trellis.Core.Governance;

/// <summary>
/// One item judged by one assignment: compliant or not (<see cref="Reason"/> says why not), or exempt
/// (<see cref="Exemption"/>, not expired at the time of judging).
/// </summary>
/// <param name="Degree">How far a non-compliant item is from complying, where the rule measures it (a pool's utilization); 0 otherwise.</param>
public sealed record PolicyEvaluation(PolicyAssignment Assignment, PolicyItem Item, bool Compliant, string? Reason, PolicyExemption? Exemption, double Degree = 0)
{
    /// <summary>Non-compliant and not exempt: what an effect acts on.</summary>
    public bool Violates => !Compliant && Exemption is null;
}

/// <summary>
/// Judges a site against the assignments of a <see cref="GovernanceSet"/>: every item of each assignment's definition's target
/// within its scope, deterministic (assignments in name order, items in spec order). Disabled assignments are not evaluated.
/// </summary>
public static class GovernanceEvaluator
{
    public static IReadOnlyList<PolicyEvaluation> Evaluate(GovernanceSet set, SiteSpec site, DateTimeOffset now) => Evaluate(set, new GovernanceSubject(site), now);

    public static IReadOnlyList<PolicyEvaluation> Evaluate(GovernanceSet set, GovernanceSubject subject, DateTimeOffset now)
    {
        var results = new List<PolicyEvaluation>();
        foreach (var assignment in set.Assignments.Where(a => a.Effect != PolicyEffect.Disabled).OrderBy(a => a.Name, StringComparer.Ordinal))
        {
            if (set.Definition(assignment.Definition) is not { } definition || GovernanceRules.Of(definition) is not { } rule
                || Parameters(definition, assignment) is not { } parameters)
            {
                // Refused when the assignment is applied (GovernanceValidator); one stored before its definition was removed judges nothing.
                continue;
            }

            if (subject.Manifests is null && definition.Builtin is { } builtin && BuiltInDefinitions.Rule(builtin) is { NeedsManifests: true })
            {
                // Checked on the manifests given (policy compliance -f); a plan has none.
                continue;
            }

            foreach (var item in PolicyItem.Of(subject, definition.Target).Where(i => InScope(subject.Site, assignment.Scope, i)))
            {
                var reason = rule(subject, item, parameters);
                var exemption = assignment.Exemptions.FirstOrDefault(e => e.Item == item.Id && e.AppliesAt(now));
                results.Add(new PolicyEvaluation(assignment, item, reason is null, reason, reason is null ? null : exemption,
                    reason is null || Degree(definition) is not { } degree ? 0 : degree(subject, item, parameters)));
            }
        }

        return results;
    }

    /// <summary>
    /// What the plan of <paramref name="desired"/> over <paramref name="stored"/> meets. A Deny assignment's violation is an
    /// error (<c>PolicyDenied</c>) when the change brings it: the item is new, complied or was exempt before, or breaks the
    /// rule further than before (a pool fuller than it was). A violation the stored site already had, and that the change
    /// leaves as it was or lessens, is a warning: an assignment made after the site does not block unrelated changes, nor
    /// the change that makes room. An Audit assignment's violation is a warning (<c>PolicyNonCompliant</c>).
    /// </summary>
    public static IReadOnlyList<Finding> Check(GovernanceSet set, SiteSpec? stored, SiteSpec desired, DateTimeOffset now) =>
        Check(set, stored is null ? null : new GovernanceSubject(stored), new GovernanceSubject(desired), now);

    public static IReadOnlyList<Finding> Check(GovernanceSet set, GovernanceSubject? stored, GovernanceSubject desired, DateTimeOffset now)
    {
        if (set.Assignments.Count == 0)
        {
            return [];
        }

        var before = stored is null ? [] : Evaluate(set, stored, now).Where(e => e.Violates).ToDictionary(e => (e.Assignment.Name, e.Item.Id), e => e.Degree);
        var findings = new List<Finding>();
        foreach (var e in Evaluate(set, desired, now).Where(e => e.Violates))
        {
            var what = $"Assignment '{e.Assignment.Name}' ({e.Assignment.Definition}, {e.Assignment.Effect}) on {e.Assignment.Scope}: {e.Reason}.";
            if (e.Assignment.Effect == PolicyEffect.Deny && !(before.TryGetValue((e.Assignment.Name, e.Item.Id), out var was) && e.Degree <= was))
            {
                findings.Add(Finding.Error("PolicyDenied", e.Item.Path, what,
                    $"Change the spec to comply, or exempt '{e.Item.Id}' in the assignment (exemptions: [{{ item: {e.Item.Id}, reason: … }}])."));
            }
            else
            {
                findings.Add(Finding.Warning("PolicyNonCompliant", e.Item.Path, what,
                    e.Assignment.Effect == PolicyEffect.Deny
                        ? "The stored site already broke this before the change; a change that makes it worse is refused."
                        : "Audit only: the change goes through; trellis policy compliance lists the item."));
            }
        }

        return findings;
    }

    private static Func<GovernanceSubject, PolicyItem, PolicyParameters, double>? Degree(PolicyDefinition definition) =>
        definition.Expression is null && definition.Builtin is { } name ? BuiltInDefinitions.Rule(name)?.Degree : null;

    /// <summary>The assignment's values over the definition's defaults; null when a required parameter has no value.</summary>
    internal static PolicyParameters? Parameters(PolicyDefinition definition, PolicyAssignment assignment)
    {
        var values = new Dictionary<string, PolicyValue>(StringComparer.Ordinal);
        foreach (var parameter in definition.Parameters)
        {
            if ((assignment.Parameters.TryGetValue(parameter.Name, out var given) ? given : parameter.Default) is not { } value)
            {
                return null;
            }

            values[parameter.Name] = value;
        }

        return new PolicyParameters(values);
    }

    /// <summary>In scope: of the scope's cluster (a pool: of that cluster's network) and namespace (services only).</summary>
    private static bool InScope(SiteSpec site, PolicyScope scope, PolicyItem item) =>
        (scope.Cluster is null || (item.Cluster is { } c ? c.Name == scope.Cluster : item.Network is { } n && NetworkOf(site, scope.Cluster) == n))
        && (scope.Namespace is null || scope.Namespace == item.Namespace);

    /// <summary>The network a cluster's nodes live on: its vnet, else the host network (or AKS Arc's logical network).</summary>
    private static string? NetworkOf(SiteSpec site, string cluster) =>
        site.Clusters.FirstOrDefault(c => c.Name == cluster) is { } c ? c.Vnet ?? site.HostNetwork?.Name ?? site.LogicalNetwork?.Name : null;
}
