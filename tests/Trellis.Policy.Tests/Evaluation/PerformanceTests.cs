using Trellis.Benchmarks;
using Trellis.Policy.Evaluation;
using Trellis.Policy.Lint;
using Trellis.Policy.Manifests;

namespace Trellis.Policy.Tests.Evaluation;

/// <summary>
/// Functional checks on the cluster that the policy benchmarks measure: <see cref="PolicyClusters"/>, linked from
/// benchmarks/Trellis.Benchmarks/PolicyClusters.cs. It has 10,000 pods in 500 namespaces and 2,000 policies. These
/// tests assert no times: speed is measured by PolicyBenchmarks (docs/benchmarks.md), never in unit tests.
/// </summary>
public sealed class LargeClusterTests
{
    private static readonly Lazy<PolicySet> Large = new(PolicyClusters.Large);
    private static readonly Lazy<PolicyEngine> Engine = new(() => PolicyEngine.Compile(Large.Value));

    [Fact]
    public void LargeCluster_Has10000WorkloadsIn500NamespacesAnd2000Policies()
    {
        var set = Large.Value;
        Assert.Equal(10_000, set.Workloads.Count);
        Assert.Equal(500, set.Namespaces.Count);
        Assert.Equal(2_000, set.PolicyCount);
        Assert.Equal(1_500, set.KubernetesPolicies.Count);
        Assert.Equal(500, set.CalicoPolicies.Count);
        Assert.Equal(10_000, set.Workloads.Select(w => w.Id).Distinct().Count());
        Assert.Equal(10_000, set.Workloads.Select(w => w.Address).Distinct().Count());
        Assert.Equal(["default", "platform", "security"], set.CalicoPolicies.Select(c => c.Tier).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Compile_OfTheLargeCluster_KeepsEveryWorkloadAndPolicy()
    {
        var engine = Engine.Value;
        Assert.Equal(10_000, engine.Endpoints.Count);
        Assert.Equal(2_000, engine.OrderedPolicies.Count);
        Assert.NotNull(engine.FindEndpoint("ns499/batch-19[Pod]"));
    }

    [Fact]
    public void Checks_OnTheLargeCluster_GiveAMixOfAllowedAndDenied()
    {
        var engine = Engine.Value;
        var flows = PolicyClusters.EngineFlows(engine, PolicyClusters.SampleFlows(Large.Value, 2_000, seed: 7));
        var allowed = flows.Count(f => engine.Check(f).Allowed);
        Assert.InRange(allowed, 100, flows.Length - 100);
    }

    [Theory]
    // Same namespace: allow-same-namespace.
    [InlineData("ns001/api-4[Pod]", "ns001/db-14[Pod]", 5432, true)]
    // Another namespace: default-deny-all on both sides.
    [InlineData("ns001/api-4[Pod]", "ns002/db-14[Pod]", 5432, false)]
    // api-from-frontends in ns000 admits the frontends of team0 (ns025 is team0) on the named port http (8000 on api
    // pods), and allow-same-namespace in ns025 lets them out to team0; ns001 is team1.
    [InlineData("ns025/frontend-0[Pod]", "ns000/api-4[Pod]", 8000, true)]
    [InlineData("ns025/frontend-0[Pod]", "ns000/api-4[Pod]", 8443, false)]
    [InlineData("ns001/frontend-0[Pod]", "ns000/api-4[Pod]", 8000, false)]
    // worker-egress in ns002 lets workers reach api pods of prod namespaces, and api-from-frontends in ns004 admits them.
    [InlineData("ns002/worker-10[Pod]", "ns004/api-4[Pod]", 8000, true)]
    // ...but not the api pods of ns000, a dev namespace.
    [InlineData("ns002/worker-10[Pod]", "ns000/api-4[Pod]", 8000, false)]
    // batch-rules (Calico, default tier, order 500) denies frontend to batch before the same-namespace allow at 1000.
    [InlineData("ns061/frontend-0[Pod]", "ns061/batch-18[Pod]", 80, false)]
    [InlineData("ns061/api-4[Pod]", "ns061/batch-18[Pod]", 80, true)]
    // The security tier denies the block-listed 198.18.3.0/24 before any other tier.
    [InlineData("198.18.3.9", "ns003/frontend-0[Pod]", 443, false)]
    [InlineData("198.18.19.9", "ns003/frontend-0[Pod]", 443, false)]
    // ...and the blocklist GlobalNetworkSet (198.51.100.0/24).
    [InlineData("198.51.100.20", "ns003/frontend-0[Pod]", 443, false)]
    // frontend-from-internet admits the internet on 443.
    [InlineData("198.18.30.9", "ns003/frontend-0[Pod]", 443, true)]
    public void Check_OnTheLargeCluster_FollowsThePolicies(string from, string to, int port, bool allowed)
    {
        var engine = Engine.Value;
        var verdict = engine.Check(PolicyClusters.EngineFlows(engine, [new PolicyFlowSpec(from, to, Protocol.Tcp, port)])[0]);
        Assert.True(allowed == verdict.Allowed, verdict.ToString());
    }

    [Fact]
    public void Lint_OfTheLargeCluster_RunsTheShadowAnalysis()
    {
        var findings = PolicyLinter.Lint(Engine.Value);
        Assert.DoesNotContain(findings, f => f.Code == "ShadowAnalysisSkipped");

        // Platform policies repeat per app: a later copy's rule never decides anything the first copy has not.
        Assert.Contains(findings, f => f.Code == "RuleShadowed" && f.Message.StartsWith("GlobalNetworkPolicy platform-worker-26 spec.egress[0] never decides", StringComparison.Ordinal));
        Assert.DoesNotContain(findings, f => f.Code == "RuleShadowed" && f.Message.StartsWith("GlobalNetworkPolicy platform-worker-20 spec.egress[0] ", StringComparison.Ordinal));

        // Batch pods declare no ports, so a scrape of their named metrics port matches nothing.
        Assert.Contains(findings, f => f.Code == "RuleMatchesNothing" && f.Message.StartsWith("GlobalNetworkPolicy platform-batch-23 spec.ingress[0]", StringComparison.Ordinal));
    }

    /// <summary>
    /// The whole 10,000-pod matrix (the one FullMatrixBenchmarks measures) against single checks: for sampled flows
    /// between workloads and between workloads and outside addresses, the matrix cell holds the flow's port exactly
    /// when the engine allows the flow; and every line is its pair's cell.
    /// </summary>
    [Fact]
    public void Matrix_OfTheLargeCluster_AgreesWithChecks()
    {
        var engine = Engine.Value;
        var report = Trellis.Policy.Connectivity.ConnectivityAnalyzer.Matrix(engine);
        Assert.Equal(10_000 + report.Nodes.Count(n => n.IsExternal), report.Nodes.Count);
        string NodeOf(string endpoint) => engine.FindEndpoint(endpoint) is not null
            ? endpoint
            : report.Nodes.Single(n => n.IsExternal && n.Ranges.Any(r => r.Contains(System.Net.IPAddress.Parse(endpoint)))).Name;

        var specs = PolicyClusters.SampleFlows(Large.Value, 3_000, seed: 5);
        var flows = PolicyClusters.EngineFlows(engine, specs);
        var allowed = 0;
        for (var i = 0; i < specs.Length; i++)
        {
            if (specs[i].From == specs[i].To)
            {
                continue;
            }

            var verdict = engine.Check(flows[i]);
            var cell = report.Cell(NodeOf(specs[i].From), NodeOf(specs[i].To));
            Assert.NotNull(cell);
            Assert.True(verdict.Allowed == cell.For(specs[i].Protocol).Contains(specs[i].Port), $"matrix says {cell}: {verdict}");
            allowed += verdict.Allowed ? 1 : 0;
        }

        Assert.InRange(allowed, 300, specs.Length - 300);
        var betweenWorkloads = report.Lines.Where(l => engine.FindEndpoint(l.Source) is not null && engine.FindEndpoint(l.Destination) is not null).ToList();
        Assert.InRange(betweenWorkloads.Count, 100_000, report.Lines.Count - 1);
        foreach (var line in betweenWorkloads.Where((_, k) => k % 499 == 0))
        {
            Assert.Equal(line.Connections, report.Cell(line.Source, line.Destination));
        }
    }

    /// <summary>PolicyDiffBenchmarks' change: dropping one team's allow-same-namespace only closes that team's traffic.</summary>
    [Fact]
    public void Diff_OfTheLargeCluster_ClosesOnlyTheChangedNamespacesTraffic()
    {
        var before = Large.Value;
        var team = before.Namespaces.Where(n => n.Labels["team"] == "team3").Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        var after = before with { KubernetesPolicies = before.KubernetesPolicies.Where(p => !(p.Name == "allow-same-namespace" && team.Contains(p.Namespace))).ToList() };
        var diff = Trellis.Policy.Connectivity.ConnectivityAnalyzer.Diff(before, after);
        Assert.Equal(20, team.Count);
        Assert.InRange(diff.Lines.Count, 20 * 300, 100_000);
        Assert.All(diff.Lines, l => Assert.True(l.Opened.IsEmpty, l.ToString()));
        Assert.All(diff.Lines, l => Assert.True(team.Contains(l.Source.Split('/')[0]) || team.Contains(l.Destination.Split('/')[0]), l.ToString()));
        Assert.Contains(diff.Lines, l => l.Source == "ns003/api-4[Pod]" && l.Destination == "ns003/db-14[Pod]" && l.After.IsEmpty);
    }

    /// <summary>The benchmark that compares the two evaluators assumes they agree on its cluster; so does this test.</summary>
    [Fact]
    public void NaiveEvaluator_AgreesWithTheEngine_OnTheSmallBenchmarkCluster()
    {
        var set = PolicyClusters.Small();
        Assert.Equal(1_000, set.Workloads.Count);
        Assert.Equal(200, set.PolicyCount);
        var engine = PolicyEngine.Compile(set);
        var naive = new NaiveEvaluator(set, engine.Options);
        var specs = PolicyClusters.SampleFlows(set, 256, seed: 11);
        var flows = PolicyClusters.EngineFlows(engine, specs);
        for (var i = 0; i < specs.Length; i++)
        {
            var verdict = engine.Check(flows[i]);
            Assert.True(naive.Allowed(specs[i].From, specs[i].To, specs[i].Protocol, specs[i].Port) == verdict.Allowed, $"naive disagrees: {verdict}");
        }
    }
}
