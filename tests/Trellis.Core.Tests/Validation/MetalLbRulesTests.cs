using Trellis.Core.Model;
using Trellis.Core.Planning;

namespace Trellis.Core.Tests.Validation;

public class MetalLbRulesTests
{
    private static readonly SiteSpec Contoso = SpecEdits.Contoso;
    private const string Legacy = "spec.clusters[2]";

    private static SiteSpec WithRange(string range) =>
        Contoso.MetalLb(2, 0, lb => lb with { Addresses = [range] });

    [Fact]
    public void Validate_AcceptsTheExamplesMetalLbPool_AndServicesTakeTheirVipFromIt()
    {
        Contoso.AssertClean("MetalLbRangeInVipPool");
        var site = ExampleSites.Resolve(Contoso);
        var plan = SitePlanner.Plan(site, [], DateTimeOffset.UnixEpoch);

        var vip = Assert.Single(plan.Result, a => a.Owner.ToString() == "service/legacy/intranet/portal");
        Assert.Equal("cluster/legacy/metallb", vip.Pool.ToString());
        Assert.Equal("172.16.0.220", vip.Address);
        Assert.Contains(plan.Result, a => a.Owner.ToString() == "cluster/legacy/api-server" && a.Pool.ToString() == "net/mgmtvnet/vips");
    }

    [Fact]
    public void Validate_RejectsAMetalLbRangeInsideTheVipPool()
    {
        WithRange("172.16.0.195-172.16.0.205").AssertFinding("MetalLbRangeInVipPool", $"{Legacy}.loadBalancers[0].addresses[0]");
    }

    [Fact]
    public void Validate_RejectsAMetalLbRangeInsideTheNodeIpPool()
    {
        WithRange("172.16.0.90-172.16.0.100").AssertFinding("MetalLbRangeInIpPool", $"{Legacy}.loadBalancers[0].addresses[0]");
    }

    [Fact]
    public void Validate_RejectsAnL2RangeOutsideTheNodeSubnet()
    {
        WithRange("172.18.0.10-172.18.0.20").AssertFinding("MetalLbRangeOutsidePrefix", $"{Legacy}.loadBalancers[0].addresses[0]");
    }

    [Fact]
    public void Validate_RejectsMetalLbPoolsOnAnHaProxyCluster()
    {
        var spec = Contoso.Cluster(0, c => c with { LoadBalancers = [new MetalLbPoolSpec { Name = "extra", Addresses = ["172.17.1.220-172.17.1.225"] }] });
        spec.AssertFinding("MetalLbNeedsNoneSku", "spec.clusters[0].loadBalancers");
        Contoso.AssertClean("MetalLbNeedsNoneSku");
    }

    [Fact]
    public void DhcpExclusions_KeepAMetalLbRangeOutOfTheScope()
    {
        var dhcp = SpecEdits.Dhcp;
        var spec = dhcp with
        {
            LoadBalancerSettings = [new LoadBalancerSettingSpec { Name = "byolb", LoadBalancerSku = LoadBalancerSku.None, LoadBalancerCount = 0 }],
        };
        spec = spec.Cluster(0, c => c with
        {
            LoadBalancerSettings = "byolb",
            LoadBalancers = [new MetalLbPoolSpec { Name = "edge-l2", Addresses = ["10.12.0.100-10.12.0.104"] }],
        });
        var site = ExampleSites.Resolve(spec);

        var holes = SitePlanner.DhcpExclusions(site, site.HostNetwork).Select(h => h.ToString()).ToList();

        Assert.Contains("10.12.0.100-10.12.0.104", holes);
    }
}
