using Trellis.Engine;
using Trellis.TestSupport;

namespace Trellis.PowerShell.Tests.Trellis;

/// <summary>Test-TrellisNetworkPolicy and Get-TrellisTrace: the Engine's netpol check and trace for the same manifests and site.</summary>
public sealed class TrellisPolicyCmdletTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private ModuleHost Host => new(_temp.Path);

    private static string Shop => Path.Combine(ExampleState.ExamplesDirectory, "manifests", "shop.yaml");

    private static string Contoso => Path.Combine(ExampleState.ExamplesDirectory, "contoso-multicluster.yaml");

    private static ManifestSet Load(string cluster)
    {
        var context = NetworkPolicyService.ContextFromSpec(SiteSpecs.ReadFile(Contoso).Document!, cluster, TimeProvider.System.GetUtcNow()).Answer;
        return NetworkPolicyService.Load(ManifestFiles.Read([Shop]).Manifests, context);
    }

    private static Dictionary<string, object> Vars => new() { ["m"] = Shop, ["site"] = Contoso };

    [Theory]
    [InlineData("shop/web", "shop/api", "tcp/8080")]
    [InlineData("shop/web", "shop/db", "tcp/5432")]
    [InlineData("monitoring/scraper", "shop/api", "tcp/8080")]
    public void TestTrellisNetworkPolicy_GivesTheEnginesVerdict(string from, string to, string port)
    {
        var expected = NetworkPolicyService.Check(Load("payments"), from, to, port).Answer!;

        var run = Host.Run($"Test-TrellisNetworkPolicy $m -From {from} -To {to} -Port {port} -SitePath $site -ClusterName payments", Vars).Succeeded();

        var verdict = Assert.Single(run.Objects<TrellisPolicyVerdict>());
        Assert.Equal((expected.Flow, expected.Allowed, expected.Enforced), (verdict.Flow, verdict.Allowed, verdict.Enforced));
        Assert.Equal(expected.Egress, verdict.Egress);
        Assert.Equal(expected.Ingress, verdict.Ingress);
    }

    [Fact]
    public void TestTrellisNetworkPolicy_ABadPortOrEndpoint_IsAnErrorRecordNamingTheParameter()
    {
        var run = Host.Run("Test-TrellisNetworkPolicy $m -From shop/web -To shop/nope -Port tcp/99999", Vars);

        Assert.Empty(run.Output);
        Assert.Contains(run.Errors, e => (string)e.TargetObject == "-Port");
        Assert.Contains(run.Errors, e => (string)e.TargetObject == "-To");
    }

    [Fact]
    public void TestTrellisNetworkPolicy_OfAMissingManifest_IsManifestNotFound()
    {
        var run = Host.Run("Test-TrellisNetworkPolicy ./missing.yaml -From shop/web -To shop/api -Port tcp/80");

        Assert.Empty(run.Output);
        Assert.Contains(run.Errors, e => e.FullyQualifiedErrorId.StartsWith("ManifestNotFound,", StringComparison.Ordinal));
        Assert.Equal(System.Management.Automation.ErrorCategory.ObjectNotFound, run.Errors[0].CategoryInfo.Category);
    }

    [Fact]
    public void GetTrellisTrace_GivesTheEnginesTrace_HopByHop()
    {
        var expected = NetworkPolicyService.Trace(Load("payments"), "shop/web", "shop/db", "tcp/5432").Answer!;

        var run = Host.Run("Get-TrellisTrace $m -From shop/web -To shop/db -Port tcp/5432 -SitePath $site -ClusterName payments", Vars).Succeeded();

        var trace = Assert.Single(run.Objects<TrellisTrace>());
        Assert.Equal((expected.Question, expected.Delivered), (trace.Question, trace.Delivered));
        Assert.Equal(expected.Hops.Select(h => (h.Where, h.What, h.Verdict, h.Dropped, string.Join("|", h.Facts))),
            trace.Hops.Select(h => (h.Where, h.What, h.Verdict, h.Dropped, string.Join("|", h.Facts))));
        Assert.Equal(Enumerable.Range(1, expected.Hops.Count), trace.Hops.Select(h => h.Step));
    }

    [Fact]
    public async Task GetTrellisTrace_UsesTheStoredSite_AndWithSeveralClustersAsksWhichOne()
    {
        var state = await ModuleTests.Applied(_temp.Path, "contoso-multicluster.yaml");
        var vars = new Dictionary<string, object> { ["m"] = Shop, ["s"] = state };

        var stored = Host.Run("Get-TrellisTrace $m -From shop/web -To shop/api -Port tcp/8080 -ClusterName payments -StatePath $s", vars).Succeeded();
        var which = Host.Run("Get-TrellisTrace $m -From shop/web -To shop/api -Port tcp/8080 -StatePath $s", vars);

        Assert.Single(stored.Objects<TrellisTrace>());
        Assert.Equal("UnknownCluster", which.ErrorCode);
        Assert.Equal("-ClusterName", which.Errors[0].TargetObject);
    }
}
