using CsCheck;
using Trellis.Core.Addressing;
using Trellis.Core.Validation;
using Trellis.Policy.Evaluation;
using Trellis.Policy.Lint;
using Trellis.Policy.Manifests;
using Trellis.Policy.Tests.Connectivity;
using static Trellis.Policy.Tests.Evaluation.PolicyGenerators;

namespace Trellis.Policy.Tests.Lint;

/// <summary>
/// The shadowed-rule analysis on bitsets (<see cref="ShadowAnalysis.Run"/>) against replaying every pair with the engine
/// (<see cref="ShadowAnalysis.RunByProbing"/>): the same rules must be found shadowed and matching nothing, and a
/// shadowed rule's message must name a rule (or tier end) that decides some packet it matches first.
/// </summary>
public sealed partial class ShadowAnalysisDifferentialTests
{
    private static readonly Gen<PolicyOptions> Options = Gen.OneOfConst(
        PolicyOptions.Calico,
        PolicyOptions.Calico with { IpBlockMatchesPods = false },
        PolicyOptions.Calico with { AllowSelfTraffic = false },
        PolicyOptions.Calico with { PodCidrs = [Prefix.Parse("10.0.0.0/8")] });

    [Fact]
    public void Bitsets_FindTheSameRules_AsReplayingEveryPair()
    {
        Gen.Select(Clusters, Options).Sample((set, options) => AssertSame(PolicyEngine.Compile(set, options)), iter: 400);
    }

    [Fact]
    public void Bitsets_FindTheSameRules_OnBarePodsWithPortRangesAndNamedPorts()
    {
        Gen.Select(BarePodSets, Options).Sample((set, options) => AssertSame(PolicyEngine.Compile(set, options)), iter: 300);
    }

    [Fact]
    public void Bitsets_FindTheSameRules_OnTheExamples()
    {
        AssertSame(PolicyEngine.Compile(MinimalExample.Load()));
        var shop = Tests.Manifests.ManifestFile.Load(Path.Combine(RepositoryRoot(), "examples", "manifests", "shop.yaml"));
        AssertSame(PolicyEngine.Compile(shop));
    }

    [Fact]
    public void Bitsets_FindTheSameRules_WithShadowsInEveryForm()
    {
        var set = MinimalExample.Load("""
            apiVersion: projectcalico.org/v3
            kind: Tier
            metadata: { name: first }
            spec: { order: 10 }
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: first.web }
            spec:
              tier: first
              selector: app == 'frontend'
              ingress:
                - { action: Log }
                - { action: Pass, protocol: UDP }
                - { action: Allow, protocol: TCP, destination: { ports: [8080] } }
                - { action: Deny, protocol: TCP, destination: { ports: [8080] } }
            ---
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: { name: guard, namespace: default }
            spec:
              order: 10
              selector: app == 'backendservice'
              egress:
                - { action: Deny, destination: { nets: [203.0.113.0/24] } }
                - { action: Allow, destination: { nets: [203.0.113.9/32] } }
                - { action: Allow, protocol: TCP, destination: { ports: ['1:65535'] } }
                - { action: Allow, protocol: TCP, destination: { ports: [443] } }
            """);
        Assert.Empty(set.Findings);
        var findings = AssertSame(PolicyEngine.Compile(set));
        Assert.Contains(findings, f => f.Code == "RuleShadowed" && f.Path.EndsWith("spec.ingress[3]", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.Code == "RuleShadowed" && f.Path.EndsWith("spec.egress[1]", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.Code == "RuleShadowed" && f.Path.EndsWith("spec.egress[3]", StringComparison.Ordinal));
    }

    [Fact]
    public void OverBudget_OnlyTheRulesOfProbedWorkloadsGoUnjudged()
    {
        // Rules that test ipVersion are replayed pair by pair; on 1,000 pods that exceeds the budget for the batch pods
        // this policy selects, and their policies' rules are left unjudged, while every other rule is still judged.
        var cluster = Trellis.Benchmarks.PolicyClusters.Build(50);
        var probe = ManifestLoader.LoadText("""
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: batch-v6 }
            spec:
              order: 1
              selector: app == 'batch'
              ingress: [ { action: Pass, ipVersion: 6 } ]
            """, "v6.yaml");
        var set = cluster with { CalicoPolicies = [.. cluster.CalicoPolicies, .. probe.CalicoPolicies] };
        var engine = PolicyEngine.Compile(set);
        var before = PolicyLinter.Lint(PolicyEngine.Compile(cluster));

        var findings = new List<Finding>();
        ShadowAnalysis.Run(engine, findings);

        var skipped = Assert.Single(findings, f => f.Code == "ShadowAnalysisSkipped");
        // 2 batch pods in each of 50 namespaces, less ns000's hostNetwork node agent, which no policy governs.
        Assert.True(skipped.Message.Contains("the rules of 99 workload(s)", StringComparison.Ordinal), skipped.Message);
        var judged = findings.Where(f => f.Code is "RuleShadowed" or "RuleMatchesNothing").ToList();
        Assert.NotEmpty(judged);
        Assert.DoesNotContain(judged, f => f.Message.Contains("batch-v6", StringComparison.Ordinal) && !f.Message.Contains("decided first by", StringComparison.Ordinal));
        // Every rule judged now was judged alike without the probed workloads' policy.
        Assert.All(judged, f => Assert.Contains(before, b => b.Code == f.Code && b.Path == f.Path));
    }

    private static List<Finding> AssertSame(PolicyEngine engine)
    {
        var fast = new List<Finding>();
        var probed = new List<Finding>();
        ShadowAnalysis.Run(engine, fast);
        ShadowAnalysis.RunByProbing(engine, probed);
        Assert.Equal(probed.Select(f => (f.Code, f.Path, f.Severity)), fast.Select(f => (f.Code, f.Path, f.Severity)));
        var shadowed = fast.Where(f => f.Code == "RuleShadowed").ToList();
        Assert.Equal(probed.Where(f => f.Code == "RuleShadowed").Select(f => f.Message.Length > 0), shadowed.Select(f => f.Message.Length > 0));
        foreach (var f in shadowed)
        {
            Assert.True(ShadowMessage().IsMatch(f.Message), f.Message);
        }

        return fast;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"every packet it matches is decided first by (.+ spec\.(ingress|egress)\[\d+\]\S*( ""[^""]*"")? \((Allow|Deny|Pass)\)|the end of tier .+ \(deny\))\.")]
    private static partial System.Text.RegularExpressions.Regex ShadowMessage();

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Trellis.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("The repository root (Trellis.slnx) is not above the test's directory.");
    }
}
