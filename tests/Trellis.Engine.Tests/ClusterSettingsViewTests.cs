namespace Trellis.Engine.Tests;

/// <summary>SiteViews.ClusterSettings: the stored clusters as New-AksHciCluster gives them (Get-AksHciCluster reads its sizes and setting).</summary>
public sealed class ClusterSettingsViewTests
{
    [Fact]
    public async Task ClusterSettings_AreTheStoredClusters_WithTheLoadBalancerSettingEachUses()
    {
        await using var f = new EngineFixture();
        var applied = await f.Engine.ApplyAsync(EngineFixture.Example("contoso-multicluster.yaml"));
        Assert.True(applied.Applied, string.Join("\n", applied.Findings));

        var settings = SiteViews.ClusterSettings(await f.Engine.ReadAsync());

        Assert.Equal(["payments", "analytics", "legacy"], settings.Select(c => c.Name));
        var payments = settings[0];
        Assert.Equal(("prodvnet", 3, "Standard_A4_V2", "calico"), (payments.Vnet, payments.ControlPlaneNodeCount, payments.ControlPlaneVmSize, payments.PrimaryNetworkPlugin));
        Assert.Equal(new LoadBalancerSetting("haproxy2", "HAProxy", "Standard_A4_V2", 2), payments.LoadBalancer);
        Assert.Equal(["linuxpool", "winpool"], payments.NodePools.Select(p => p.Name));
        Assert.Empty(SiteViews.ClusterSettings(SiteState.Empty));
    }
}
