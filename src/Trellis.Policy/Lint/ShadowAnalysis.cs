using Trellis.Core.Validation;
using Trellis.Policy.Calico;
using Trellis.Policy.Connectivity;
using Trellis.Policy.Evaluation;

namespace Trellis.Policy.Lint;

/// <summary>
/// Replays every loaded workload's chains against every other workload and outside range, for every piece of the port
/// space, and records for each rule whether it ever matched and whether it was ever reached when it did. A rule that
/// matched but was never reached is shadowed by what decided first; one that never matched matches nothing here.
/// The replay runs on bitsets (<see cref="FastMatrix.ReplayRules"/>): one walk per group of alike workloads and probe
/// packet covers every peer. Workloads whose rules test the IP version or a Service are replayed pair by pair.
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
        var peers = Peers(engine);
        var matrix = new FastMatrix(engine, peers.ToArray(), decide: false);
        var states = new Dictionary<CompiledRule, RuleState>(ReferenceEqualityComparer.Instance);
        var probed = new Dictionary<Direction, HashSet<int>>();
        foreach (var d in new[] { Direction.Ingress, Direction.Egress })
        {
            matrix.ReplayRules(d, (rule, effective, blocker) =>
            {
                var state = StateOf(states, rule);
                state.Matched = true;
                state.Effective |= effective;
                if (!effective && state.ShadowedBy is null)
                {
                    state.ShadowedBy = blocker();
                }
            });
            probed[d] = matrix.ProbedPeers(d).ToHashSet();
        }

        if (Replay(engine, peers, (i, d) => probed[d].Contains(i), states, findings, partial: true))
        {
            Report(engine, states, findings, new HashSet<CompiledRule>());
            return;
        }

        // Too many pairs to probe: judge every rule but those in the plans of the workloads that were not replayed.
        var unjudged = new HashSet<CompiledRule>(ReferenceEqualityComparer.Instance);
        foreach (var (d, workloads) in probed)
        {
            foreach (var i in workloads)
            {
                unjudged.UnionWith(engine.Compiled[i].Plan(d).SelectMany(t => t.Policies).SelectMany(p => p.Rules(d)));
            }
        }

        Report(engine, states, findings, unjudged);
    }

    /// <summary>The reference for <see cref="Run"/>: every workload's chains replayed pair by pair with the engine.</summary>
    public static void RunByProbing(PolicyEngine engine, List<Finding> findings)
    {
        var states = new Dictionary<CompiledRule, RuleState>(ReferenceEqualityComparer.Instance);
        if (Replay(engine, Peers(engine), (_, _) => true, states, findings, partial: false))
        {
            Report(engine, states, findings, new HashSet<CompiledRule>());
        }
    }

    /// <summary>Every workload, then the outside ranges, as the matrix sees them.</summary>
    private static List<Peer> Peers(PolicyEngine engine)
    {
        var outside = ConnectivityAnalyzer.OutsideRanges([engine.Set], engine.Options).Select(r => engine.PeerFor(r.Representative));
        return Enumerable.Range(0, engine.Compiled.Count).Select(engine.WorkloadPeer).Concat(outside).ToList();
    }

    private static RuleState StateOf(Dictionary<CompiledRule, RuleState> states, CompiledRule rule)
    {
        if (!states.TryGetValue(rule, out var state))
        {
            states[rule] = state = new RuleState();
        }

        return state;
    }

    /// <summary>
    /// Replays the chains of the workloads and directions <paramref name="which"/> picks, pair by pair; false (with an
    /// Info finding) when that would exceed <see cref="PolicyLinter.ShadowAnalysisBudget"/>.
    /// </summary>
    /// <param name="partial">Whether <paramref name="which"/> picks only some workloads (the rest were replayed on bitsets).</param>
    private static bool Replay(PolicyEngine engine, List<Peer> peers, Func<int, Direction, bool> which, Dictionary<CompiledRule, RuleState> states, List<Finding> findings, bool partial)
    {
        var endpoints = engine.Compiled;
        long budget = 0;
        for (var i = 0; i < endpoints.Count; i++)
        {
            foreach (var d in new[] { Direction.Ingress, Direction.Egress })
            {
                if (endpoints[i].Policed && which(i, d))
                {
                    budget += endpoints[i].Plan(d).Sum(t => t.Policies.Sum(p => p.Rules(d).Length)) * (long)peers.Count * 8;
                }
            }
        }

        if (budget > PolicyLinter.ShadowAnalysisBudget)
        {
            var count = Enumerable.Range(0, endpoints.Count).Count(i => endpoints[i].Policed
                && new[] { Direction.Ingress, Direction.Egress }.Any(d => which(i, d) && endpoints[i].Plan(d).Length > 0));
            findings.Add(new Finding("ShadowAnalysisSkipped", "policies", partial
                    ? $"Shadowed-rule analysis skipped for the rules of {count} workload(s) whose rules test the IP version or a destination Service (they are replayed pair by pair): about {budget} rule evaluations exceed the budget of {PolicyLinter.ShadowAnalysisBudget}. The other rules were judged."
                    : $"Shadowed-rule analysis skipped: the rules cut the port space too finely for bitsets, and replaying {count} workload(s) pair by pair would take about {budget} rule evaluations, over the budget of {PolicyLinter.ShadowAnalysisBudget}.",
                partial ? "Lint a smaller set of manifests (one namespace or application at a time) to judge those rules too."
                    : "Lint a smaller set of manifests (one namespace or application at a time).", Severity.Info));
            return false;
        }

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
                if (plan.Length == 0 || !which(i, d))
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

        return true;
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

                    var state = StateOf(states, rule);
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
                        decidedBy = rule.Ref.ToString();
                    }
                    else if (rule.Action == RuleAction.Pass)
                    {
                        passedBy = rule.Ref.ToString();
                    }
                }
            }

            if (decidedBy is null && passedBy is null && tier.Tier.DefaultAction == TierDefaultAction.Deny)
            {
                decidedBy = $"the end of tier {tier.Tier.Name} (deny)";
            }
        }
    }

    /// <remarks>A rule written as several compiled rules is judged only when none of them is in <paramref name="unjudged"/>.</remarks>
    private static void Report(PolicyEngine engine, Dictionary<CompiledRule, RuleState> states, List<Finding> findings, IReadOnlySet<CompiledRule> unjudged)
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
                    if (group.Any(unjudged.Contains))
                    {
                        continue;
                    }

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
