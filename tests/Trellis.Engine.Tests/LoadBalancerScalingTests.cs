using Trellis.Core.Ipam;
namespace Trellis.Engine.Tests;

/// <summary>Set-AksHciLoadBalancer -clusterName -loadBalancerCount scales one cluster's HAProxy VMs, not every cluster of the setting.</summary>
public class LoadBalancerScalingTests
{
    private static int LoadBalancerVms(SiteState state, string cluster) =>
        state.Allocations.Count(a => a.Owner is LoadBalancerVm vm && vm.ClusterName == cluster);

    [Fact]
    public async Task ScaleLoadBalancer_ChangesOnlyTheNamedCluster()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Example("contoso-multicluster.yaml"));
        var before = await f.Engine.ReadAsync();
        Assert.Equal(2, LoadBalancerVms(before, "payments"));
        Assert.Equal(2, LoadBalancerVms(before, "analytics"));

        var result = await f.Engine.ExecuteAsync(new ScaleLoadBalancer("payments", "haproxy2", 3));

        Assert.True(result.Applied, string.Join("\n", result.Findings));
        var after = await f.Engine.ReadAsync();
        Assert.Equal(3, LoadBalancerVms(after, "payments"));
        Assert.Equal(2, LoadBalancerVms(after, "analytics"));
        Assert.Equal(before.Allocations.Where(a => a.Owner.Cluster == "analytics"), after.Allocations.Where(a => a.Owner.Cluster == "analytics"));
        Assert.Equal(2, after.Spec!.LoadBalancerSettings.Single(l => l.Name == "haproxy2").LoadBalancerCount);
        Assert.Contains(result.Changes, c => c.Name == "payments");
        Assert.DoesNotContain(result.Changes, c => c.Name == "analytics");
    }

    [Fact]
    public async Task ScaleLoadBalancer_RefusesASettingTheClusterDoesNotUse()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Example("contoso-multicluster.yaml"));
        var before = await f.Engine.ReadAsync();

        var wrongSetting = await f.Engine.ExecuteAsync(new ScaleLoadBalancer("legacy", "haproxy2", 3));
        var noSetting = await f.Engine.ExecuteAsync(new ScaleLoadBalancer("payments", "nosuch", 3));
        var noCluster = await f.Engine.ExecuteAsync(new ScaleLoadBalancer("nosuch", "haproxy2", 3));

        Assert.Contains(wrongSetting.Findings, x => x.Code == "LoadBalancerSettingNotUsed");
        Assert.Contains(noSetting.Findings, x => x.Code == "UnknownLoadBalancerSetting");
        Assert.Contains(noCluster.Findings, x => x.Code == "UnknownCluster");
        Assert.Equal(before.Revision, (await f.Engine.ReadAsync()).Revision);
    }

    [Fact]
    public async Task ScaleLoadBalancer_ToZeroHAProxyVms_IsAFinding()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Example("contoso-multicluster.yaml"));

        var result = await f.Engine.ExecuteAsync(new ScaleLoadBalancer("payments", "haproxy2", 0));

        Assert.False(result.Applied);
        Assert.Contains(result.Findings, x => x.Code == "InvalidLoadBalancerCount" && x.Path == "spec.clusters[0].loadBalancerCount");
    }

    [Fact]
    public async Task ScaleLoadBalancer_OfTheDefaultSetting_ScalesAClusterCreatedWithoutOne_AndNoOther()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Roomy());

        var scaled = await f.Engine.ExecuteAsync(new ScaleLoadBalancer("a", "default", 3));

        Assert.True(scaled.Applied, string.Join("\n", scaled.Findings));
        var after = await f.Engine.ReadAsync();
        Assert.Equal((3, 1), (LoadBalancerVms(after, "a"), LoadBalancerVms(after, "b")));
    }

    [Fact]
    public async Task ScaleLoadBalancer_OfTheDefaultSetting_IsRefusedForAClusterWithASetting()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Example("contoso-multicluster.yaml"));

        var result = await f.Engine.ExecuteAsync(new ScaleLoadBalancer("payments", "default", 3));

        Assert.Contains(result.Findings, x => x.Code == "LoadBalancerSettingNotUsed");
    }
}
