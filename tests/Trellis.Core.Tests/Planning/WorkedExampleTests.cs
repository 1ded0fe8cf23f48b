using Trellis.Core.Planning;

namespace Trellis.Core.Tests.Planning;

public class WorkedExampleTests
{
    [Fact]
    public void Capacity_ReproducesTheDocumentedExample_WithoutManagementVip()
    {
        var site = ExampleSites.Resolve(ExampleSites.Spec("worked-example.yaml"));
        var report = CapacityPlanner.Report(site, []);

        Assert.Equal(27, report.NodeIpPool.Required);
        Assert.Equal(5, report.VipPool.Required);
        Assert.Equal(32, report.TotalRequired);
        Assert.Equal(26, report.RecommendedPrefixLength);
        Assert.Contains(report.Rules, r => r.Contains("not counted", StringComparison.Ordinal));
    }

    [Fact]
    public void Capacity_CountsTheManagementVip_WhenTheSettingIsOn()
    {
        var spec = ExampleSites.Spec("worked-example.yaml");
        spec = spec with
        {
            Settings = spec.Settings with { ManagementClusterVip = true },
            HostNetwork = spec.HostNetwork! with { VipPoolEnd = "172.16.0.155" },
        };
        var report = CapacityPlanner.Report(ExampleSites.Resolve(spec), []);

        Assert.Equal(27, report.NodeIpPool.Required);
        Assert.Equal(6, report.VipPool.Required);
        Assert.Equal(33, report.TotalRequired);
        Assert.Equal(26, report.RecommendedPrefixLength);
        Assert.Contains(report.Rules, r => r.Contains("+ 1 for the management cluster", StringComparison.Ordinal));
    }

    [Fact]
    public void Plan_FillsBothPoolsExactly()
    {
        var site = ExampleSites.Resolve(ExampleSites.Spec("worked-example.yaml"));
        var plan = SitePlanner.Plan(site, [], DateTimeOffset.UnixEpoch);

        Assert.Empty(plan.Findings);
        Assert.Equal(27, plan.Added.Count(a => a.Pool.ToString() == "net/mgmtvnet/nodes"));
        Assert.Equal(5, plan.Added.Count(a => a.Pool.ToString() == "net/mgmtvnet/vips"));
        Assert.Equal("172.16.0.20", plan.Added.Single(a => a.Owner == PoolIds.ManagementVm).Address);
    }

    [Fact]
    public void AksArcExample_CountsNineteenAddresses()
    {
        var site = ExampleSites.Resolve(ExampleSites.Spec("aksarc-site.yaml"));
        var report = CapacityPlanner.Report(site, []);

        Assert.Equal(14, report.NodeIpPool.Required);
        Assert.Equal(2, report.ControlPlaneIps);
        Assert.Equal(3, report.VipPool.Required);
        Assert.Equal(19, report.TotalRequired);
    }
}
