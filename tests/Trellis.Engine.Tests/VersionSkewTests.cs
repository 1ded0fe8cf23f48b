using Trellis.Core.Model;

namespace Trellis.Engine.Tests;

/// <summary>Upgrades follow Kubernetes' version skew policy, and the way a version is written is never a change.</summary>
public class VersionSkewTests
{
    private static SiteSpec WithVersion(SiteSpec spec, string cluster, string version) =>
        spec with { Clusters = spec.Clusters.Select(c => c.Name == cluster ? c with { KubernetesVersion = version } : c).ToList() };

    [Fact]
    public async Task Upgrade_RefusesSkippingAMinorVersion_AndChangesNothing()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Example("worked-example.yaml"));
        var before = await f.Engine.ReadAsync();

        var result = await f.Engine.ExecuteAsync(new Upgrade("b", "v1.32.0"));

        Assert.False(result.Applied);
        var finding = Assert.Single(result.Findings, x => x.Code == "UpgradeSkipsMinorVersion");
        Assert.Contains("v1.30", finding.Hint, StringComparison.Ordinal);
        var after = await f.Engine.ReadAsync();
        Assert.Equal(before.Revision, after.Revision);
        Assert.Empty(after.Upgrades);
    }

    [Fact]
    public async Task Apply_RefusesAVersionThatSkipsAMinorVersion()
    {
        await using var f = new EngineFixture();
        var spec = EngineFixture.Example("worked-example.yaml");
        await f.Engine.ApplyAsync(spec);

        var result = await f.Engine.ApplyAsync(WithVersion(spec, "a", "v1.31.0"));

        Assert.False(result.Applied);
        Assert.Contains(result.Findings, x => x.Code == "UpgradeSkipsMinorVersion" && x.Path == "spec.clusters[0].kubernetesVersion");
        Assert.Equal("v1.29.4", (await f.Engine.ReadAsync()).Spec!.Clusters[0].KubernetesVersion);
    }

    [Fact]
    public async Task Apply_TheSameVersionWrittenWithoutV_ChangesNothing()
    {
        await using var f = new EngineFixture();
        var spec = EngineFixture.Example("worked-example.yaml");
        await f.Engine.ApplyAsync(WithVersion(spec, "a", "v1.29.4"));
        var before = await f.Engine.ReadAsync();

        var result = await f.Engine.ApplyAsync(WithVersion(spec, "a", "1.29.4"));

        Assert.True(result.Applied, string.Join("\n", result.Findings));
        Assert.Empty(result.Changes);
        Assert.Empty(result.UpgradeSteps);
        Assert.Equal(before.Revision, (await f.Engine.ReadAsync()).Revision);
    }

    [Fact]
    public async Task Upgrade_ToAVersionWrittenWithoutV_StoresItsCanonicalForm()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Example("worked-example.yaml"));

        var result = await f.Engine.ExecuteAsync(new Upgrade("b", "1.30.0"));
        var again = await f.Engine.ExecuteAsync(new Upgrade("b", "v1.30.0"));

        Assert.True(result.Applied, string.Join("\n", result.Findings));
        Assert.Equal("v1.30.0", (await f.Engine.ReadAsync()).Spec!.Clusters.Single(c => c.Name == "b").KubernetesVersion);
        Assert.Empty(again.UpgradeSteps);
        Assert.DoesNotContain(again.Findings, x => x.Code is "ImmutableField" or "DowngradeNotSupported" or "UpgradeSkipsMinorVersion");
    }
}
