using Trellis.Core.Validation;
using Trellis.Policy.Calico;
using Trellis.Policy.Connectivity;
using Trellis.Policy.Evaluation;

namespace Trellis.Policy.Lint;

/// <summary>
/// Replays every loaded workload's chains against every other workload and outside range, one probe per piece of the
/// port space, and records for each rule whether it ever matched and whether it was ever reached when it did. A rule
/// that matched but was never reached is shadowed by what decided first; one that never matched matches nothing here.
/// </summary>
internal static class ShadowAnalysis
{
    private sealed class RuleState
    {
        public bool Matched;
        public bool Effective;
        public string? ShadowedBy;
    }

    public static void Run(PolicyEngine engine, List<Finding> findings)
    {
        var outside = ConnectivityAnalyzer.OutsideRanges([engine.Set], engine.Options).Select(r => engine.PeerFor(r.Representative)).ToList();
        var endpoints = engine.Compiled;
        var peers = Enumerable.Range(0, endpoints.Count).Select(engine.WorkloadPeer).Concat(outside).ToList();
        long budget = 0;
        foreach (var e in endpoints)
        {
            foreach (var d in new[] { Direction.Ingress, Direction.Egress })
            {
                budget += e.Plan(d).Sum(t => t.Policies.Sum(p => p.Rules(d).Length)) * (long)peers.Count * 8;
            }
        }

        if (budget > PolicyLinter.ShadowAnalysisBudget)
        {
            findings.Add(new Finding("ShadowAnalysisSkipped", "policies", $"Shadowed-rule analysis skipped: about {budget} rule evaluations exceed the budget of {PolicyLinter.ShadowAnalysisBudget}.",
                "Lint a smaller set of manifests (one namespace or application at a time).", Severity.Info));
            return;
        }

        var states = new Dictionary<CompiledRule, RuleState>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < endpoints.Count; i++)
        {
            var self = endpoints[i];
            if (!self.Policed)
            {
                continue;
            }

            foreach (var d in new[] { Direction.Ingress, Direction.Egress })
            {
                var plan = self.Plan(d);
                if (plan.Length == 0)
                {
                    continue;
                }

                var own = engine.WorkloadPeer(i);
                foreach (var other in peers)
                {
                    if (engine.Options.AllowSelfTraffic && other.WorkloadIndex == i)
                    {
                        continue;
                    }

                    var (src, dst) = d == Direction.Egress ? (own, other) : (other, own);
                    var rules = plan.SelectMany(t => t.Policies.SelectMany(p => p.Rules(d))).ToList();
                    foreach (var probe in ConnectionProbe.Probes(rules, src, dst))
                    {
                        Replay(plan, d, src, dst, probe.Packet, states);
                    }
                }
            }
        }

        Report(engine, states, findings);
    }

    private static void Replay(TierPlan[] plan, Direction d, Peer src, Peer dst, in Packet packet, Dictionary<CompiledRule, RuleState> states)
    {
        string? decidedBy = null;
        foreach (var tier in plan)
        {
            string? passedBy = null;
            foreach (var policy in tier.Policies)
            {
                foreach (var rule in policy.Rules(d))
                {
                    if (!rule.Matches(src, dst, packet))
                    {
                        continue;
                    }

                    if (!states.TryGetValue(rule, out var state))
                    {
                        states[rule] = state = new RuleState();
                    }

                    state.Matched = true;
                    var blocker = decidedBy ?? passedBy;
                    if (blocker is not null)
                    {
                        state.ShadowedBy ??= blocker;
                        continue;
                    }

                    state.Effective = true;
                    if (rule.Action is RuleAction.Allow or RuleAction.Deny)
                    {
                        decidedBy = $"{rule.Ref.Policy} {rule.Ref.Path} ({rule.Action})";
                    }
                    else if (rule.Action == RuleAction.Pass)
                    {
                        passedBy = $"{rule.Ref.Policy} {rule.Ref.Path} (Pass)";
                    }
                }
            }

            if (decidedBy is null && passedBy is null && tier.Tier.DefaultAction == TierDefaultAction.Deny)
            {
                decidedBy = $"the end of tier {tier.Tier.Name} (deny)";
            }
        }
    }

    private static void Report(PolicyEngine engine, Dictionary<CompiledRule, RuleState> states, List<Finding> findings)
    {
        var selecting = engine.Policies.Where(p => engine.Selected(p).Count > 0).ToList();
        foreach (var p in selecting)
        {
            foreach (var d in new[] { Direction.Ingress, Direction.Egress })
            {
                if (!p.Governs(d))
                {
                    continue;
                }

                // A Kubernetes rule became several compiled rules (protocol x peer); judge the rule as written.
                foreach (var group in p.Rules(d).GroupBy(r => r.Ref.Index).OrderBy(g => g.Key))
                {
                    var rs = group.Select(r => states.GetValueOrDefault(r)).ToList();
                    var path = $"spec.{d.FieldName()}[{group.Key}]";
                    if (rs.Any(s => s is { Effective: true }))
                    {
                        continue;
                    }

                    if (rs.FirstOrDefault(s => s is { Matched: true }) is { } shadowed)
                    {
                        findings.Add(Finding.Warning("RuleShadowed", p.Ref.Source.Path(path),
                            $"{p.Ref} {path} never decides anything: every packet it matches is decided first by {shadowed.ShadowedBy}.",
                            "Remove the rule, or order it (or its policy or tier) before the one that shadows it."));
                    }
                    else
                    {
                        findings.Add(new Finding("RuleMatchesNothing", p.Ref.Source.Path(path),
                            $"{p.Ref} {path} matches no traffic between the loaded workloads and the outside ranges that policies mention.",
                            "Check its selectors, namespaces, addresses and ports; it may be meant for workloads not loaded here.", Severity.Info));
                    }
                }
            }
        }
    }
}
