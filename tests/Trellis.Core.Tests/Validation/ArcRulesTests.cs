using Trellis.Core.Model;
using Trellis.Core.Validation;
using static Trellis.Core.Tests.SpecEdits;

namespace Trellis.Core.Tests.Validation;

/// <summary>AKS Arc rules on the aksarc example, with the exact messages of Az.AksArc's ValidateLogicalNetwork.ps1.</summary>
public class ArcRulesTests
{
    private const string L = "spec.logicalNetwork";
    private const string Help = "Read aka.ms/aks-arc-networking-requirements for more information.";

    [Theory]
    [InlineData("hostNetwork")]
    [InlineData("clusterNetworks")]
    [InlineData("cloudServiceCidr")]
    public void Validate_RejectsAksHciFields_InAnArcSite(string field)
    {
        var spec = field switch
        {
            "hostNetwork" => Arc with { HostNetwork = Worked.HostNetwork },
            "clusterNetworks" => Arc with { ClusterNetworks = [Worked.HostNetwork!] },
            _ => Arc with { CloudServiceCidr = "10.220.32.10/24" },
        };

        spec.AssertFinding("FieldNotForModel", $"spec.{field}");
    }

    [Fact]
    public void Validate_RequiresTheLogicalNetwork()
    {
        (Arc with { LogicalNetwork = null }).AssertFinding("LogicalNetworkMissing", L);
    }

    [Fact]
    public void Validate_RejectsADynamicLogicalNetwork_WithTheAzAksArcMessage()
    {
        var finding = Arc.Lnet(l => l with { IpAllocationMethod = IpAllocationMethod.Dhcp }).AssertFinding("LogicalNetworkNotStatic", $"{L}.ipAllocationMethod");

        Assert.Equal($"Logical network aks-lnet with IP allocation method Dynamic is not supported. Create a new or use an existing logical network of Static IP allocation method. {Help}", finding.Message);
    }

    [Fact]
    public void Validate_RequiresExactlyOneAddressPrefix()
    {
        Arc.Lnet(l => l with { AddressPrefixes = [] }).AssertFinding("LogicalNetworkPrefixCount", $"{L}.addressPrefixes");
        Arc.Lnet(l => l with { AddressPrefixes = ["10.220.32.0/24", "10.220.33.0/24"] }).AssertFinding("LogicalNetworkPrefixCount", $"{L}.addressPrefixes");
    }

    [Fact]
    public void Validate_ChecksTheAddressPrefixAtItsIndex()
    {
        Arc.Lnet(l => l with { AddressPrefixes = ["10.220.32.5/24"] }).AssertFinding("PrefixHostBitsSet", $"{L}.addressPrefixes[0]");
    }

    [Fact]
    public void Validate_RequiresADnsServer_WithTheAzAksArcMessage()
    {
        var finding = Arc.Lnet(l => l with { DnsServers = [] }).AssertFinding("DnsServerRequired", $"{L}.dnsServers");

        Assert.Equal("For creating Kubernetes clusters, DNS server in the logical network is a required input. Logical network aks-lnet does not have a DNS server. Update the logical network or use a new logical network with a DNS server.", finding.Message);
    }

    [Fact]
    public void Validate_RejectsADnsServerInsideTheIpPool()
    {
        var finding = Arc.Lnet(l => l with { DnsServers = ["10.220.32.20"] }).AssertFinding("DnsServerInPool", $"{L}.dnsServers[0]");
        Assert.Contains("lies in the IP pool 10.220.32.18-10.220.32.37", finding.Message, StringComparison.Ordinal);
        Arc.Lnet(l => l with { DnsServers = ["10.220.32.38"] }).AssertClean("DnsServerInPool");
    }

    [Fact]
    public void Validate_RejectsMoreThanThreeDnsServers()
    {
        Arc.Lnet(l => l with { DnsServers = ["10.220.32.2", "10.220.32.3", "10.220.32.4", "10.220.32.5"] }).AssertFinding("DnsServerCount", $"{L}.dnsServers");
    }

    [Fact]
    public void Validate_RequiresTheGateway()
    {
        Arc.Lnet(l => l with { Gateway = null }).AssertFinding("RequiredFieldMissing", $"{L}.gateway");
    }

    [Fact]
    public void Validate_RequiresAnIpPool_WithTheAzAksArcMessage()
    {
        var finding = Arc.Lnet(l => l with { IpPoolStart = null, IpPoolEnd = null }).AssertFinding("LogicalNetworkNoIpPool", $"{L}.ipPoolStart");

        Assert.Equal($"Logical network aks-lnet does not have an ippool. {Help}", finding.Message);
    }

    [Fact]
    public void Validate_RejectsAnInvalidPoolStart_WithTheAzAksArcMessage()
    {
        var finding = Arc.Lnet(l => l with { IpPoolStart = "10.220.32" }).AssertFinding("InvalidIpPoolStart", $"{L}.ipPoolStart");

        Assert.Equal($"Logical network aks-lnet does not have a valid ip pool start address 10.220.32. {Help}", finding.Message);
    }

    [Fact]
    public void Validate_RejectsAnInvalidPoolEnd_WithTheAzAksArcMessage()
    {
        var finding = Arc.Lnet(l => l with { IpPoolEnd = "10.220.32.370" }).AssertFinding("InvalidIpPoolEnd", $"{L}.ipPoolEnd");

        Assert.Equal($"Logical network aks-lnet does not have a valid ip pool end address 10.220.32.370. {Help}", finding.Message);
    }

    [Fact]
    public void Validate_RequiresBothEndsOfThePool()
    {
        Arc.Lnet(l => l with { IpPoolEnd = null }).AssertFinding("RequiredFieldMissing", $"{L}.ipPoolEnd");
    }

    [Fact]
    public void Validate_RejectsAPoolOutsideThePrefix()
    {
        Arc.Lnet(l => l with { IpPoolEnd = "10.220.33.37" }).AssertFinding("IpPoolOutsidePrefix", $"{L}.ipPoolStart");
    }

    [Fact]
    public void Validate_RejectsAGatewayOutsideThePrefix()
    {
        var finding = Arc.Lnet(l => l with { Gateway = "10.220.33.1" }).AssertFinding("GatewayOutsidePrefix", $"{L}.gateway");

        Assert.Contains("within the scope of the address prefix", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RejectsAGatewayInsideTheIpPool()
    {
        Arc.Lnet(l => l with { Gateway = "10.220.32.18" }).AssertFinding("GatewayInPool", $"{L}.gateway");
        Arc.Lnet(l => l with { Gateway = "10.220.32.17" }).AssertClean("GatewayInPool");
    }

    [Theory]
    [InlineData("aks lnet")]
    [InlineData("-aks-lnet")]
    [InlineData("aks-lnet-")]
    [InlineData("a")]
    public void Validate_RejectsAnInvalidLogicalNetworkName(string name)
    {
        Arc.Lnet(l => l with { Name = name }).AssertFinding("InvalidName", $"{L}.name");
    }

    // ---- clusters ----

    [Fact]
    public void Validate_RejectsFlannel_InAnArcSite()
    {
        Arc.Cluster(1, c => c with { PrimaryNetworkPlugin = NetworkPlugin.Flannel }).AssertFinding("NetworkPluginNotSupported", "spec.clusters[1].primaryNetworkPlugin");
    }

    [Fact]
    public void Validate_WarnsThatTheServiceCidrCannotBeCustomized()
    {
        Arc.Cluster(1, c => c with { ServiceCidr = "10.100.0.0/16" }).AssertFinding("ServiceCidrNotCustomizable", "spec.clusters[1].serviceCidr", Severity.Warning);
        Arc.AssertClean("ServiceCidrNotCustomizable");
    }

    [Fact]
    public void Validate_RequiresOneTo16NodePools()
    {
        Arc.Cluster(1, c => c with { NodePools = [] }).AssertFinding("NodePoolCount", "spec.clusters[1].nodePools");
        var pools = Enumerable.Range(1, 17).Select(i => new NodePoolSpec { Name = $"p{i}" }).ToList();
        Arc.Cluster(1, c => c with { NodePools = pools }).AssertFinding("NodePoolCount", "spec.clusters[1].nodePools");
    }

    [Fact]
    public void Validate_RequiresALinuxNodePool()
    {
        Arc.NodePool(1, 0, p => p with { OsType = OsType.Windows, MaxPodCount = 60 }).AssertFinding("LinuxNodePoolRequired", "spec.clusters[1].nodePools");
        Arc.AddNodePool(1, new NodePoolSpec { Name = "win", OsType = OsType.Windows, MaxPodCount = 60 }).AssertClean("LinuxNodePoolRequired");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65)]
    public void Validate_RejectsArcNodeCountsOutside1To64(int count)
    {
        var finding = Arc.NodePool(1, 0, p => p with { Count = count }).AssertFinding("InvalidNodeCount", "spec.clusters[1].nodePools[0].count");

        Assert.Contains("1 to 64", finding.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RejectsAnArcClusterOver200Nodes()
    {
        var pools = Enumerable.Range(1, 4).Select(i => new NodePoolSpec { Name = $"p{i}", Count = 50 }).ToList();

        Arc.Cluster(1, c => c with { NodePools = pools }).AssertFinding("ClusterTooLarge", "spec.clusters[1].nodePools");
    }

    [Fact]
    public void Validate_RejectsAnInvalidControlPlaneIp_WithTheAzAksArcMessage()
    {
        var finding = Arc.Cluster(1, c => c with { ControlPlaneIp = "10.220.32" }).AssertFinding("InvalidControlPlaneIp", "spec.clusters[1].controlPlaneIp");

        Assert.Equal($"Control Plane HostIP 10.220.32 is not a valid IP address. {Help}", finding.Message);
    }

    [Theory]
    [InlineData("10.220.32.18")]
    [InlineData("10.220.32.37")]
    [InlineData("10.220.33.41")]
    [InlineData("10.220.32.0")]
    [InlineData("10.220.32.255")]
    public void Validate_RejectsAControlPlaneIpInsideThePoolOrOutsideThePrefix_WithTheAzAksArcMessage(string ip)
    {
        var finding = Arc.Cluster(1, c => c with { ControlPlaneIp = ip }).AssertFinding("ControlPlaneIpOutsideRange", "spec.clusters[1].controlPlaneIp");

        Assert.Equal($"The control plane IP {ip} should be within the address prefixes 10.220.32.0/24 of the logical network aks-lnet, but outside the IP pool 10.220.32.18 - 10.220.32.37. {Help}", finding.Message);
    }

    [Theory]
    [InlineData("10.220.32.17")]
    [InlineData("10.220.32.38")]
    [InlineData("10.220.32.254")]
    public void Validate_AcceptsAControlPlaneIpJustOutsideThePool(string ip)
    {
        Arc.Cluster(1, c => c with { ControlPlaneIp = ip }).AssertClean("ControlPlaneIpOutsideRange");
    }

    [Fact]
    public void Validate_RejectsTheGatewayAsControlPlaneIp()
    {
        Arc.Cluster(1, c => c with { ControlPlaneIp = "10.220.32.1" }).AssertFinding("ControlPlaneIpIsGateway", "spec.clusters[1].controlPlaneIp");
    }

    [Fact]
    public void Validate_RejectsOneControlPlaneIpForTwoClusters()
    {
        Arc.Cluster(1, c => c with { ControlPlaneIp = "10.220.32.40" }).AssertFinding("ControlPlaneIpDuplicate", "spec.clusters[1].controlPlaneIp");
    }

    [Fact]
    public void Validate_AcceptsAClusterWithoutAControlPlaneIp()
    {
        Arc.Cluster(1, c => c with { ControlPlaneIp = null }).AssertClean("ControlPlaneIpDuplicate");
    }

    // ---- MetalLB ----

    [Theory]
    [InlineData("lb")]
    [InlineData("lb_a")]
    [InlineData("a-name-longer-than-24-chars")]
    public void Validate_RejectsAnInvalidMetalLbName(string name)
    {
        Arc.MetalLb(0, 0, lb => lb with { Name = name }).AssertFinding("InvalidName", "spec.clusters[0].loadBalancers[0].name");
    }

    [Fact]
    public void Validate_RejectsTwoMetalLbsWithOneName()
    {
        Arc.Cluster(0, c => c with { LoadBalancers = [c.LoadBalancers[0], new MetalLbPoolSpec { Name = "lb-a", Addresses = ["10.220.32.50-10.220.32.52"] }] })
            .AssertFinding("DuplicateName", "spec.clusters[0].loadBalancers[1].name");
    }

    [Fact]
    public void Validate_RejectsAnUnknownAdvertiseMode()
    {
        Arc.MetalLb(0, 0, lb => lb with { AdvertiseMode = "L2" }).AssertFinding("InvalidValue", "spec.clusters[0].loadBalancers[0].advertiseMode");
    }

    [Fact]
    public void Validate_RequiresMetalLbAddresses()
    {
        Arc.MetalLb(0, 0, lb => lb with { Addresses = [] }).AssertFinding("RequiredFieldMissing", "spec.clusters[0].loadBalancers[0].addresses");
    }

    [Fact]
    public void Validate_RequiresAMetalLbForLoadBalancerServices()
    {
        Arc.Cluster(1, c => c with { LoadBalancers = [], BgpPeers = [] })
            .AddService(1, new ServiceSpec { Namespace = "shop", Name = "web", Ports = [443] }).AssertFinding("NoLoadBalancerForServices", "spec.clusters[1].services");
    }

    [Theory]
    [InlineData("10.220.32.49-10.220.32.47")]
    [InlineData("fd00::1-fd00::5")]
    [InlineData("fd00::/120")]
    [InlineData("10.220.32.49/28")]
    [InlineData("lots")]
    public void Validate_RejectsAMalformedMetalLbRange(string range)
    {
        Arc.MetalLb(0, 0, lb => lb with { Addresses = [range] }).AssertFinding("InvalidAddressRange", "spec.clusters[0].loadBalancers[0].addresses[0]");
    }

    [Fact]
    public void Validate_AcceptsAMetalLbCidr()
    {
        Arc.MetalLb(0, 0, lb => lb with { Addresses = ["10.220.32.48/30"] }).AssertClean("InvalidAddressRange");
    }

    [Fact]
    public void Validate_RejectsAnArpRangeOutsideThePrefix_ButNotABgpOne()
    {
        Arc.MetalLb(0, 0, lb => lb with { Addresses = ["10.221.0.1-10.221.0.3"] }).AssertFinding("MetalLbRangeOutsidePrefix", "spec.clusters[0].loadBalancers[0].addresses[0]");
        WithPeer(Arc.MetalLb(0, 0, lb => lb with { Addresses = ["10.221.0.1-10.221.0.3"], AdvertiseMode = "BGP" })).AssertClean("MetalLbRangeOutsidePrefix");
    }

    [Fact]
    public void Validate_RejectsAMetalLbRangeInTheIpPool()
    {
        Arc.MetalLb(0, 0, lb => lb with { Addresses = ["10.220.32.36-10.220.32.38"] }).AssertFinding("MetalLbRangeInIpPool", "spec.clusters[0].loadBalancers[0].addresses[0]");
        Arc.MetalLb(0, 0, lb => lb with { Addresses = ["10.220.32.38-10.220.32.39", "10.220.32.42/32"] }).AssertClean("MetalLbRangeInIpPool");
    }

    [Fact]
    public void Validate_RejectsAMetalLbRangeHoldingTheGateway()
    {
        Arc.MetalLb(0, 0, lb => lb with { Addresses = ["10.220.32.1-10.220.32.3"] }).AssertFinding("MetalLbRangeHoldsGateway", "spec.clusters[0].loadBalancers[0].addresses[0]");
    }

    [Fact]
    public void Validate_RejectsAMetalLbRangeHoldingAControlPlaneIp()
    {
        var finding = Arc.MetalLb(0, 0, lb => lb with { Addresses = ["10.220.32.41-10.220.32.43"] })
            .AssertFinding("MetalLbRangeHoldsControlPlaneIp", "spec.clusters[0].loadBalancers[0].addresses[0]");

        Assert.Contains("spec.clusters[1].controlPlaneIp", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RejectsMetalLbRangesOfTwoClustersThatOverlap()
    {
        Arc.Cluster(1, c => c with { LoadBalancers = [new MetalLbPoolSpec { Name = "lb-b", Addresses = ["10.220.32.49-10.220.32.50"] }] })
            .AssertFinding("MetalLbRangeOverlap", "spec.clusters[1].loadBalancers[0].addresses[0]");
        Arc.Cluster(1, c => c with { LoadBalancers = [new MetalLbPoolSpec { Name = "lb-b", Addresses = ["10.220.32.50-10.220.32.51"] }] })
            .AssertClean("MetalLbRangeOverlap");
    }

    [Fact]
    public void Validate_RejectsAHugeBgpRange_InsteadOfThrowing()
    {
        Arc.MetalLb(0, 0, lb => lb with { Addresses = ["128.0.0.0/1"], AdvertiseMode = "BGP" })
            .AssertFinding("MetalLbRangeTooLarge", "spec.clusters[0].loadBalancers[0].addresses[0]");
        WithPeer(Arc.MetalLb(0, 0, lb => lb with { Addresses = ["192.168.0.0/16"], AdvertiseMode = "BGP" })).AssertClean("MetalLbRangeTooLarge");
    }

    private static SiteSpec WithPeer(SiteSpec s) =>
        s.Cluster(0, c => c with { BgpPeers = [new BgpPeerSpec { Name = "tor1", MyAsn = 64512, PeerAsn = 64513, PeerAddress = "10.220.32.1" }] });
}
