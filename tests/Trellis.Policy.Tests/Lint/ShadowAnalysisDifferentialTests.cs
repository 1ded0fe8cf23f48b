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
    public void Bitsets_FindTheSameRules_OnTheExamples()
    {
        AssertSame(PolicyEngine.Compile(MinimalExample.Load()));
        var shop = ManifestLoader.Load(Path.Combine(RepositoryRoot(), "examples", "manifests", "shop.yaml"));
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

    [System.Text.RegularExpressions.GeneratedRegex(@"every packet it matches is decided first by (.+ spec\.(ingress|egress)\[\d+\]\S* \((Allow|Deny|Pass)\)|the end of tier .+ \(deny\))\.")]
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
