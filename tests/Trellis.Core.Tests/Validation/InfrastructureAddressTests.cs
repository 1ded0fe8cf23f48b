using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Core.Validation;
using static Trellis.Core.Tests.SpecEdits;

namespace Trellis.Core.Tests.Validation;

/// <summary>
/// MetalLB ranges and control plane IPs never take an infrastructure address: the cloud agent, a DNS server, a gateway,
/// a node or VIP pool of any network, a DHCP reservation. The Arc extension checks none of them, so validate does.
/// </summary>
public class InfrastructureAddressTests
{
    private const string LegacyRange = "spec.clusters[2].loadBalancers[0].addresses[0]";
    private const string ArcRange = "spec.clusters[0].loadBalancers[0].addresses[0]";

    private static SiteSpec Legacy(string range, string mode = "ARP") => Contoso.MetalLb(2, 0, lb => lb with { Addresses = [range], AdvertiseMode = mode });

    [Fact]
    public void MetalLbRange_HoldingTheCloudAgent_IsAFinding()
    {
        Legacy("172.16.0.8-172.16.0.12").AssertFinding("MetalLbRangeHoldsCloudAgent", LegacyRange);
    }

    [Fact]
    public void MetalLbRange_HoldingADnsServer_IsAFinding()
    {
        var finding = Legacy("172.16.0.3-172.16.0.5").AssertFinding("MetalLbRangeHoldsDnsServer", LegacyRange);

        Assert.Contains("172.16.0.3", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MetalLbRange_HoldingTheGateway_IsAFinding()
    {
        Legacy("172.16.0.1/32").AssertFinding("MetalLbRangeHoldsGateway", LegacyRange);
    }

    [Fact]
    public void BgpMetalLbRange_InAnotherNetworksNodePool_IsAFinding()
    {
        Legacy("172.17.0.10-172.17.0.12", "BGP").AssertFinding("MetalLbRangeInIpPool", LegacyRange);
    }

    [Fact]
    public void BgpMetalLbRange_InAnotherNetworksVipPool_IsAFinding()
    {
        Legacy("172.17.1.100-172.17.1.101", "BGP").AssertFinding("MetalLbRangeInVipPool", LegacyRange);
    }

    [Fact]
    public void MetalLbRange_HoldingADhcpReservationOrTheCloudAgentOfADhcpSite_IsAFinding()
    {
        var spec = (Dhcp with { LoadBalancerSettings = [new LoadBalancerSettingSpec { Name = "byolb", LoadBalancerSku = LoadBalancerSku.None, LoadBalancerCount = 0 }] })
            .Cluster(0, c => c with
            {
                LoadBalancerSettings = "byolb",
                LoadBalancers = [new MetalLbPoolSpec { Name = "edge-l2", Addresses = ["10.12.0.12-10.12.0.13", "10.12.0.5/32"] }],
            });

        spec.AssertFinding("MetalLbRangeHoldsReservation", "spec.clusters[0].loadBalancers[0].addresses[0]");
        spec.AssertFinding("MetalLbRangeHoldsCloudAgent", "spec.clusters[0].loadBalancers[0].addresses[1]");
    }

    [Fact]
    public void MetalLbRange_HoldingTheLogicalNetworksDnsServer_IsAFinding()
    {
        Arc.MetalLb(0, 0, lb => lb with { Addresses = ["10.220.32.2-10.220.32.4"] }).AssertFinding("MetalLbRangeHoldsDnsServer", ArcRange);
    }

    [Fact]
    public void BgpMetalLbRange_HoldingTheLogicalNetworksDnsServer_IsAFinding()
    {
        Arc.MetalLb(1, 0, lb => lb with { Addresses = ["10.220.32.2/31"] })
            .AssertFinding("MetalLbRangeHoldsDnsServer", "spec.clusters[1].loadBalancers[0].addresses[0]");
    }

    [Fact]
    public void ControlPlaneIp_EqualToTheDnsServer_IsAFindingAtValidate_NotAFailureAtApply()
    {
        var spec = Arc.Cluster(0, c => c with { ControlPlaneIp = "10.220.32.2" });

        spec.AssertFinding("ControlPlaneIpIsDnsServer", "spec.clusters[0].controlPlaneIp");
        Assert.Null(SiteValidator.Validate(spec).Site);
    }

    [Fact]
    public void ControlPlaneIp_AFreeAddressOutsideThePool_StaysValid_AndIsPlanned()
    {
        var spec = Arc.Cluster(0, c => c with { ControlPlaneIp = "10.220.32.42" });
        spec.AssertClean("ControlPlaneIpIsDnsServer");

        var plan = SitePlanner.Plan(ExampleSites.Resolve(spec), [], DateTimeOffset.UnixEpoch);

        Assert.Empty(plan.Findings);
        Assert.Contains(plan.Result, a => a.Owner.ToString() == "cluster/a/control-plane-ip" && a.Address == "10.220.32.42");
    }
}
