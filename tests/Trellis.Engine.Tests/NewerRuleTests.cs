using System.Text.Json.Nodes;
using Trellis.Core.Model;
using Trellis.Core.Validation;
using Trellis.Storage;

namespace Trellis.Engine.Tests;

/// <summary>
/// A stored site that breaks a rule added after it was applied stays readable and operable: the rule is a warning on read,
/// and a change is refused only for what it breaks anew. The newer rule is simulated by writing, through the store and past
/// the Engine, a spec that today's validator refuses: a control plane VM size with a space in it.
/// </summary>
public class NewerRuleTests
{
    private const string BadVmSize = "Standard A4 v2";

    /// <summary>Applies the roomy worked example, then rewrites the stored spec with <paramref name="edit"/> in place.</summary>
    private static async Task<SiteSpec> StoreBrokenSpecAsync(EngineFixture f, Action<JsonObject> edit)
    {
        var applied = await f.Engine.ApplyAsync(EngineFixture.Roomy());
        Assert.True(applied.Applied, string.Join("\n", applied.Findings));
        var item = Assert.Single((await f.Store.ReadAsync("site/spec")).Items);
        var json = JsonNode.Parse(item.Value)!.AsObject();
        edit(json);
        var generation = Assert.Single((await f.Store.ReadAsync("site/generation")).Items);
        var written = await f.Store.CommitAsync(new StoreTransaction([new TxnCondition.RevisionEquals("site/generation", generation.Revision)],
            [new TxnOperation.Put("site/spec", System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()))]));
        Assert.True(written.Succeeded);
        var spec = (await f.Engine.ReadAsync()).Spec!;
        Assert.False(SiteValidator.Validate(spec).IsValid);
        return spec;
    }

    private static void BreakClusterA(JsonObject spec) => spec["clusters"]![0]!["controlPlaneVmSize"] = BadVmSize;

    [Fact]
    public async Task Read_StoredSpecBreakingANewerRule_ShowsItsClustersWithAWarning()
    {
        await using var f = new EngineFixture();
        await StoreBrokenSpecAsync(f, BreakClusterA);
        var state = await f.Engine.ReadAsync();

        Assert.Equal(["a", "b"], SiteViews.Clusters(state).Select(c => c.Name));
        Assert.NotEmpty(SiteViews.Networks(state));
        Assert.NotEmpty(SiteViews.Pools(state));
        Assert.NotNull(SiteViews.Capacity(state));
        var warning = Assert.Single(SiteViews.Findings(state));
        Assert.Equal(("InvalidName", "spec.clusters[0].controlPlaneVmSize", Contracts.Severity.Warning), (warning.Code, warning.Path, warning.Severity));
    }

    [Fact]
    public async Task Upgrade_StoredSpecBreakingANewerRule_RunsToTheEnd()
    {
        await using var f = new EngineFixture();
        await StoreBrokenSpecAsync(f, BreakClusterA);

        var result = await f.Engine.ExecuteAsync(new Upgrade("b", "v1.30.0"));

        Assert.True(result.Applied, string.Join("\n", result.Findings));
        Assert.NotEmpty(result.UpgradeSteps);
        var after = await f.Engine.ReadAsync();
        Assert.Equal("v1.30.0", after.Spec!.Clusters.Single(c => c.Name == "b").KubernetesVersion);
        Assert.Equal(BadVmSize, after.Spec.Clusters.Single(c => c.Name == "a").ControlPlaneVmSize);
    }

    [Fact]
    public async Task Apply_AChangeThatKeepsTheOldFinding_IsAppliedWithAWarning()
    {
        await using var f = new EngineFixture();
        var stored = await StoreBrokenSpecAsync(f, BreakClusterA);
        var scaled = stored with { Clusters = stored.Clusters.Select(c => c.Name == "b" ? c with { NodePools = [c.NodePools[0] with { Count = 4 }] } : c).ToList() };

        var result = await f.Engine.ApplyAsync(scaled);

        Assert.True(result.Applied, string.Join("\n", result.Findings));
        Assert.Contains(result.Findings, x => x is { Code: "InvalidName", Path: "spec.clusters[0].controlPlaneVmSize", Severity: Contracts.Severity.Warning });
        Assert.Equal(4, (await f.Engine.ReadAsync()).Spec!.Clusters.Single(c => c.Name == "b").NodePools[0].Count);
    }

    [Fact]
    public async Task Apply_AChangeThatBreaksTheNewerRuleAgain_IsRefused()
    {
        await using var f = new EngineFixture();
        var stored = await StoreBrokenSpecAsync(f, BreakClusterA);
        var worse = stored with { Clusters = stored.Clusters.Select(c => c.Name == "b" ? c with { ControlPlaneVmSize = BadVmSize } : c).ToList() };
        var before = (await f.Engine.ReadAsync()).Revision;

        var result = await f.Engine.ApplyAsync(worse);

        Assert.False(result.Applied);
        Assert.Contains(result.Findings, x => x is { Code: "InvalidName", Path: "spec.clusters[1].controlPlaneVmSize", Severity: Contracts.Severity.Error });
        Assert.Contains(result.Findings, x => x is { Code: "InvalidName", Path: "spec.clusters[0].controlPlaneVmSize", Severity: Contracts.Severity.Warning });
        Assert.Equal(before, (await f.Engine.ReadAsync()).Revision);
    }

    [Fact]
    public async Task StoredSpecThatNoLongerResolves_IsReportedOnReadAndRefusedForChanges_WithoutAnException()
    {
        await using var f = new EngineFixture();
        await StoreBrokenSpecAsync(f, spec => spec["hostNetwork"]!["ipAddressPrefix"] = "172.16.0.0/33");
        var state = await f.Engine.ReadAsync();

        Assert.Empty(SiteViews.Clusters(state));
        Assert.Contains(SiteViews.Findings(state), x => x is { Code: "StoredSiteUnresolved", Severity: Contracts.Severity.Error });
        var upgrade = await f.Engine.ExecuteAsync(new Upgrade("b", "v1.30.0"));
        Assert.Contains(upgrade.Findings, x => x is { Code: "StoredSiteUnresolved", Severity: Contracts.Severity.Error });
        var apply = await f.Engine.ApplyAsync(state.Spec!);
        Assert.False(apply.Applied);
        Assert.True(apply.HasErrors);
        Assert.Equal(state.Revision, (await f.Engine.ReadAsync()).Revision);
    }

    [Fact]
    public async Task PolicyContext_OfAStoredSiteThatNoLongerResolves_SaysSo_NotThatNoSiteIsStored()
    {
        await using var f = new EngineFixture();
        await StoreBrokenSpecAsync(f, spec => spec["hostNetwork"]!["ipAddressPrefix"] = "172.16.0.0/33");

        var context = await f.Engine.PolicyContextAsync("b");

        Assert.Null(context.Answer);
        Assert.Contains(context.Findings, x => x.Code == "StoredSiteUnresolved");
        Assert.DoesNotContain(context.Findings, x => x.Code == "NoSite");
    }
}
