using Trellis.Core.Model;
using Trellis.Core.Validation;
using static Trellis.Core.Tests.SpecEdits;

namespace Trellis.Core.Tests.Validation;

/// <summary>New-AksHciNetworkSetting / New-AksHciClusterNetwork rules, on the worked example (Static) and the DHCP example.</summary>
public class NetworkRulesTests
{
    private const string H = "spec.hostNetwork";

    // ---- names, switch, VLAN, DNS ----

    [Fact]
    public void Validate_RejectsANetworkNameWithUppercaseOrHyphens()
    {
        Worked.Host(n => n with { Name = "Mgmt-Vnet" }).AssertFinding("InvalidName", $"{H}.name");
        Worked.Host(n => n with { Name = "mgmtvnet2" }).AssertClean("InvalidName");
    }

    [Fact]
    public void Validate_RequiresTheVswitchName()
    {
        Worked.Host(n => n with { VswitchName = null }).AssertFinding("RequiredFieldMissing", $"{H}.vswitchName");
        Worked.Host(n => n with { VswitchName = " " }).AssertFinding("RequiredFieldMissing", $"{H}.vswitchName");
        Worked.Host(n => n with { VswitchName = "ConvergedSwitch" }).AssertClean("RequiredFieldMissing");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4095)]
    public void Validate_RejectsReservedVlanIds(int vlan)
    {
        Worked.Host(n => n with { VlanId = vlan }).AssertFinding("InvalidVlanId", $"{H}.vlanID");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4094)]
    [InlineData(null)]
    public void Validate_AcceptsUsableVlanIds_OrNone(int? vlan)
    {
        Worked.Host(n => n with { VlanId = vlan }).AssertClean("InvalidVlanId");
    }

    [Fact]
    public void Validate_RequiresOneToThreeDnsServers_OnAStaticNetwork()
    {
        Worked.Host(n => n with { DnsServers = [] }).AssertFinding("DnsServerCount", $"{H}.dnsServers");
        Worked.Host(n => n with { DnsServers = ["172.16.0.2", "172.16.0.3", "172.16.0.4", "172.16.0.5"] })
            .AssertFinding("DnsServerCount", $"{H}.dnsServers");
        Worked.Host(n => n with { DnsServers = ["172.16.0.2", "172.16.0.3", "172.16.0.4"] }).AssertClean("DnsServerCount");
    }

    [Theory]
    [InlineData("172.16.0.30", "node IP pool")]
    [InlineData("172.16.0.152", "VIP pool")]
    public void Validate_RejectsADnsServerInsideAPool(string dns, string pool)
    {
        var finding = Worked.Host(n => n with { DnsServers = ["172.16.0.2", dns] }).AssertFinding("DnsServerInPool", $"{H}.dnsServers[1]");
        Assert.Contains($"DNS server {dns} lies in the {pool}", finding.Message, StringComparison.Ordinal);
        Worked.Host(n => n with { DnsServers = ["172.16.0.2", "172.16.0.19", "172.16.0.47"] }).AssertClean("DnsServerInPool");
    }

    [Fact]
    public void Validate_ADnsServerInAPool_DoesNotHideTheOtherFindingsOfItsNetwork()
    {
        // The legacy cluster's pod CIDR overlaps the host network: found with and without a DNS server in the pool.
        var overlap = Contoso.Cluster(2, c => c with { PodCidr = "172.16.0.0/16" });
        overlap.AssertFinding("OverlayOverlapsSiteNetwork", "spec.clusters[2].podCidr", Severity.Warning);
        var both = SiteValidator.Validate(overlap.Host(n => n with { DnsServers = [n.K8sNodeIpPoolStart!] })).Findings;
        Assert.Contains(both, f => f.Code == "DnsServerInPool");
        Assert.Contains(both, f => f.Code == "OverlayOverlapsSiteNetwork");
    }

    [Fact]
    public void Validate_RejectsADnsServerInsideTheDhcpScope()
    {
        var finding = Dhcp.Host(n => n with { DnsServers = ["10.12.0.100"] }).AssertFinding("DnsServerInPool", $"{H}.dnsServers[0]");
        Assert.Contains("DHCP scope", finding.Message, StringComparison.Ordinal);
        Dhcp.Host(n => n with { DnsServers = ["10.12.0.2", "10.12.0.251"] }).AssertClean("DnsServerInPool");
    }

    [Fact]
    public void Validate_AllowsNoDnsServers_OnADhcpNetwork_ButNotFour()
    {
        Dhcp.AssertClean("DnsServerCount");
        Dhcp.Host(n => n with { DnsServers = ["10.12.0.2", "10.12.0.3", "10.12.0.4", "10.12.0.5"] }).AssertFinding("DnsServerCount", $"{H}.dnsServers");
    }

    [Fact]
    public void Validate_RejectsAMalformedDnsServer_AtItsIndex()
    {
        var finding = Worked.Host(n => n with { DnsServers = ["172.16.0.2", "172.16.0"] }).AssertFinding("InvalidAddress", $"{H}.dnsServers[1]");

        Assert.Contains("'172.16.0'", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WarnsAboutADuplicateDnsServer()
    {
        Worked.Host(n => n with { DnsServers = ["172.16.0.2", "172.16.0.2"] }).AssertFinding("DnsServerDuplicate", $"{H}.dnsServers[1]", Severity.Warning);
        Worked.Host(n => n with { DnsServers = ["172.16.0.2", "172.16.0.3"] }).AssertClean("DnsServerDuplicate");
    }

    // ---- address parsing ----

    [Theory]
    [InlineData("172.16.1")]
    [InlineData("172.016.0.1")]
    [InlineData("gateway")]
    public void Validate_RejectsNonCanonicalAddresses(string gateway)
    {
        Worked.Host(n => n with { Gateway = gateway }).AssertFinding("InvalidAddress", $"{H}.gateway");
    }

    [Fact]
    public void Validate_RejectsIPv6Addresses_AndPrefixes()
    {
        Worked.Host(n => n with { Gateway = "fd00::1" }).AssertFinding("IPv6NotSupported", $"{H}.gateway");
        Worked.Host(n => n with { IpAddressPrefix = "fd00::/64" }).AssertFinding("IPv6NotSupported", $"{H}.ipAddressPrefix");
    }

    [Theory]
    [InlineData(nameof(NetworkSpec.IpAddressPrefix), "ipAddressPrefix")]
    [InlineData(nameof(NetworkSpec.Gateway), "gateway")]
    [InlineData(nameof(NetworkSpec.K8sNodeIpPoolStart), "k8sNodeIpPoolStart")]
    [InlineData(nameof(NetworkSpec.K8sNodeIpPoolEnd), "k8sNodeIpPoolEnd")]
    [InlineData(nameof(NetworkSpec.VipPoolStart), "vipPoolStart")]
    [InlineData(nameof(NetworkSpec.VipPoolEnd), "vipPoolEnd")]
    public void Validate_RequiresEveryStaticField(string property, string field)
    {
        var spec = Worked.Host(n => property switch
        {
            nameof(NetworkSpec.IpAddressPrefix) => n with { IpAddressPrefix = null },
            nameof(NetworkSpec.Gateway) => n with { Gateway = null },
            nameof(NetworkSpec.K8sNodeIpPoolStart) => n with { K8sNodeIpPoolStart = null },
            nameof(NetworkSpec.K8sNodeIpPoolEnd) => n with { K8sNodeIpPoolEnd = null },
            nameof(NetworkSpec.VipPoolStart) => n with { VipPoolStart = null },
            _ => n with { VipPoolEnd = null },
        });

        spec.AssertFinding("RequiredFieldMissing", $"{H}.{field}");
    }

    [Fact]
    public void Validate_RequiresTheVipPool_OnADhcpNetworkToo()
    {
        Dhcp.Host(n => n with { VipPoolStart = null }).AssertFinding("RequiredFieldMissing", $"{H}.vipPoolStart");
    }

    [Fact]
    public void Validate_RejectsAPoolThatStartsAfterItEnds()
    {
        var finding = Worked.Host(n => n with { K8sNodeIpPoolStart = "172.16.0.46", K8sNodeIpPoolEnd = "172.16.0.20" })
            .AssertFinding("PoolStartAfterEnd", $"{H}.k8sNodeIpPoolStart");

        Assert.Contains("start 172.16.0.20, end 172.16.0.46", finding.Hint, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("172.16.0.0/33")]
    [InlineData("172.16.0.0")]
    [InlineData("172.16.0/24")]
    public void Validate_RejectsAMalformedPrefix(string prefix)
    {
        Worked.Host(n => n with { IpAddressPrefix = prefix }).AssertFinding("InvalidPrefix", $"{H}.ipAddressPrefix");
    }

    [Fact]
    public void Validate_RejectsAPrefixWithHostBits_AndNamesTheNetwork()
    {
        var finding = Worked.Host(n => n with { IpAddressPrefix = "172.16.0.1/24" }).AssertFinding("PrefixHostBitsSet", $"{H}.ipAddressPrefix");

        Assert.Equal("Write '172.16.0.0/24'.", finding.Hint);
    }

    [Theory]
    [InlineData("172.16.0.0/30")]
    [InlineData("172.16.0.0/32")]
    [InlineData("172.0.0.0/7")]
    public void Validate_RejectsHostPrefixLengthsOutside8To29(string prefix)
    {
        Worked.Host(n => n with { IpAddressPrefix = prefix }).AssertFinding("PrefixLengthOutOfRange", $"{H}.ipAddressPrefix");
    }

    [Fact]
    public void Validate_AcceptsALargerHostPrefix()
    {
        Worked.Host(n => n with { IpAddressPrefix = "172.16.0.0/16" }).AssertClean("PrefixLengthOutOfRange");
    }

    // ---- static pools ----

    [Fact]
    public void Validate_WarnsThatADhcpScopeIsIgnored_OnAStaticNetwork()
    {
        Worked.Host(n => n with { DhcpScope = new DhcpScopeSpec { Subnet = "172.16.0.0/24" } })
            .AssertFinding("DhcpScopeIgnored", $"{H}.dhcpScope", Severity.Warning);
        Worked.AssertClean("DhcpScopeIgnored");
    }

    [Fact]
    public void Validate_RejectsANodePoolOutsideThePrefix_AtTheEndThatLeaves()
    {
        Worked.Host(n => n with { K8sNodeIpPoolEnd = "172.16.1.5" }).AssertFinding("NodePoolOutsidePrefix", $"{H}.k8sNodeIpPoolEnd");
        Worked.Host(n => n with { K8sNodeIpPoolStart = "172.15.255.250" }).AssertFinding("NodePoolOutsidePrefix", $"{H}.k8sNodeIpPoolStart");
    }

    [Fact]
    public void Validate_RejectsAVipPoolOutsideThePrefix()
    {
        Worked.Host(n => n with { VipPoolStart = "172.16.1.150", VipPoolEnd = "172.16.1.154" }).AssertFinding("VipPoolOutsidePrefix", $"{H}.vipPoolStart");
    }

    [Fact]
    public void Validate_RejectsAPoolHoldingTheNetworkOrBroadcastAddress()
    {
        Worked.Host(n => n with { K8sNodeIpPoolStart = "172.16.0.0" }).AssertFinding("PoolIncludesNetworkOrBroadcast", $"{H}.k8sNodeIpPoolStart");
        Worked.Host(n => n with { VipPoolStart = "172.16.0.251", VipPoolEnd = "172.16.0.255" }).AssertFinding("PoolIncludesNetworkOrBroadcast", $"{H}.vipPoolEnd");
    }

    [Fact]
    public void Validate_RejectsThePoolEdgesThatCrashTheCloudAgent()
    {
        var start = Worked.Host(n => n with { Gateway = "172.16.0.254", K8sNodeIpPoolStart = "172.16.0.1", K8sNodeIpPoolEnd = "172.16.0.27" })
            .AssertFinding("PoolEdgeAddress", $"{H}.k8sNodeIpPoolStart");
        Assert.Contains("172.16.0.2", start.Hint, StringComparison.Ordinal);

        var end = Worked.Host(n => n with { VipPoolStart = "172.16.0.250", VipPoolEnd = "172.16.0.254" }).AssertFinding("PoolEdgeAddress", $"{H}.vipPoolEnd");
        Assert.Contains("172.16.0.253", end.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_AcceptsPoolsOneAddressInsideTheEdges()
    {
        Worked.Host(n => n with { VipPoolStart = "172.16.0.249", VipPoolEnd = "172.16.0.253" }).AssertClean("PoolEdgeAddress");
        (Worked.Host(n => n with { Gateway = "172.16.0.254", DnsServers = ["172.16.0.240"], K8sNodeIpPoolStart = "172.16.0.2", K8sNodeIpPoolEnd = "172.16.0.28" })
            with { CloudServiceCidr = "172.16.0.100/24" }).AssertClean("PoolEdgeAddress");
    }

    [Fact]
    public void Validate_RejectsAGatewayOutsideThePrefix()
    {
        Worked.Host(n => n with { Gateway = "172.16.1.1" }).AssertFinding("GatewayOutsidePrefix", $"{H}.gateway");
    }

    [Theory]
    [InlineData("172.16.0.0")]
    [InlineData("172.16.0.255")]
    public void Validate_RejectsAGatewayOnTheNetworkOrBroadcastAddress(string gateway)
    {
        Worked.Host(n => n with { Gateway = gateway }).AssertFinding("GatewayIsNetworkOrBroadcast", $"{H}.gateway");
    }

    [Fact]
    public void Validate_RejectsGatewayInsideVipPool()
    {
        var finding = Worked.Host(n => n with { Gateway = "172.16.0.150" }).AssertFinding("GatewayInPool", $"{H}.gateway");

        Assert.Contains("VIP pool", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RejectsGatewayInsideNodePool()
    {
        var finding = Worked.Host(n => n with { Gateway = "172.16.0.46" }).AssertFinding("GatewayInPool", $"{H}.gateway");

        Assert.Contains("node IP pool", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_AcceptsAGatewayJustOutsideThePools()
    {
        Worked.Host(n => n with { Gateway = "172.16.0.149" }).AssertClean("GatewayInPool");
        Worked.Host(n => n with { Gateway = "172.16.0.47" }).AssertClean("GatewayInPool");
    }

    [Fact]
    public void Validate_RejectsOverlappingVipAndNodePools()
    {
        Worked.Host(n => n with { VipPoolStart = "172.16.0.42", VipPoolEnd = "172.16.0.50" }).AssertFinding("VipPoolOverlapsNodePool", $"{H}.vipPoolStart");
    }

    [Fact]
    public void Validate_AcceptsAdjacentVipAndNodePools()
    {
        Worked.Host(n => n with { VipPoolStart = "172.16.0.47", VipPoolEnd = "172.16.0.51" }).AssertClean("VipPoolOverlapsNodePool");
    }

    // ---- DHCP ----

    [Fact]
    public void Validate_RejectsANodePool_OnADhcpNetwork()
    {
        Dhcp.Host(n => n with { K8sNodeIpPoolStart = "10.12.0.20", K8sNodeIpPoolEnd = "10.12.0.30" })
            .AssertFinding("NodePoolNotSupportedWithDhcp", $"{H}.k8sNodeIpPoolStart");
        Dhcp.AssertClean("NodePoolNotSupportedWithDhcp");
    }

    [Fact]
    public void Validate_RequiresTheDhcpScope_OnADhcpNetwork()
    {
        Dhcp.Host(n => n with { DhcpScope = null }).AssertFinding("DhcpScopeMissing", $"{H}.dhcpScope");
    }

    [Fact]
    public void Validate_RequiresTheScopeSubnetAndRange()
    {
        Dhcp.Scope(s => s with { Subnet = null }).AssertFinding("RequiredFieldMissing", $"{H}.dhcpScope.subnet");
        Dhcp.Scope(s => s with { End = null }).AssertFinding("RequiredFieldMissing", $"{H}.dhcpScope.end");
    }

    [Theory]
    [InlineData("00:08:00")]
    [InlineData("12:00:00")]
    public void Validate_WarnsAboutShortLeases(string lease)
    {
        Dhcp.Scope(s => s with { LeaseDuration = lease }).AssertFinding("DhcpLeaseShort", $"{H}.dhcpScope.leaseDuration", Severity.Warning);
    }

    [Fact]
    public void Validate_DhcpScopesWithARouterAndDns_MissingOnesAreWarningsThatNamesTheRenderRefusal()
    {
        Dhcp.Host(n => n with { Gateway = null }).AssertFinding("DhcpRouterMissing", $"{H}.gateway", Severity.Warning);
        Dhcp.Host(n => n with { DnsServers = [] }).AssertFinding("DhcpDnsServersMissing", $"{H}.dnsServers", Severity.Warning);
        Dhcp.AssertClean("DhcpRouterMissing");
        Dhcp.AssertClean("DhcpDnsServersMissing");
    }

    [Theory]
    [InlineData("1.00:00:00")]
    [InlineData(null)]
    public void Validate_AcceptsADayOrMore_OrTheDefault(string? lease)
    {
        Dhcp.Scope(s => s with { LeaseDuration = lease }).AssertClean("DhcpLeaseShort");
    }

    [Theory]
    [InlineData("eight days")]
    [InlineData("0")]
    [InlineData("-1.00:00:00")]
    [InlineData("3651.00:00:00")]
    public void Validate_RejectsAnInvalidLease(string lease)
    {
        Dhcp.Scope(s => s with { LeaseDuration = lease }).AssertFinding("InvalidLeaseDuration", $"{H}.dhcpScope.leaseDuration");
    }

    [Fact]
    public void Validate_RejectsAnIpAddressPrefixThatDiffersFromTheScope()
    {
        Dhcp.Host(n => n with { IpAddressPrefix = "10.13.0.0/24" }).AssertFinding("DhcpSubnetMismatch", $"{H}.ipAddressPrefix");
        Dhcp.Host(n => n with { IpAddressPrefix = "10.12.0.0/24" }).AssertClean("DhcpSubnetMismatch");
    }

    [Fact]
    public void Validate_RejectsAScopeRangeOutsideItsSubnet()
    {
        Dhcp.Scope(s => s with { End = "10.12.1.5" }).AssertFinding("DhcpScopeOutsideSubnet", $"{H}.dhcpScope.start");
    }

    [Fact]
    public void Validate_RejectsAScopeRangeHoldingTheNetworkAddress()
    {
        Dhcp.Scope(s => s with { Start = "10.12.0.0" }).AssertFinding("PoolIncludesNetworkOrBroadcast", $"{H}.dhcpScope.start");
        Dhcp.Scope(s => s with { Start = "10.12.0.1" }).AssertClean("PoolIncludesNetworkOrBroadcast");
    }

    [Fact]
    public void Validate_RejectsAVipPoolOutsideTheDhcpSubnet()
    {
        Dhcp.Host(n => n with { VipPoolStart = "10.13.0.200", VipPoolEnd = "10.13.0.239" }).AssertFinding("VipPoolOutsideDhcpSubnet", $"{H}.vipPoolStart");
    }

    [Fact]
    public void Validate_AppliesTheEdgeRulesToADhcpVipPool()
    {
        Dhcp.Host(n => n with { VipPoolStart = "10.12.0.200", VipPoolEnd = "10.12.0.254" }).AssertFinding("PoolEdgeAddress", $"{H}.vipPoolEnd");
    }

    [Fact]
    public void Validate_WarnsOfAGatewayInsideTheScopeRange_AndExcludesItFromLeasing()
    {
        var spec = Dhcp.Host(n => n with { Gateway = "10.12.0.100" });
        var finding = spec.AssertFinding("GatewayInDhcpScope", $"{H}.gateway", Severity.Warning);
        Assert.Contains("DHCP scope range", finding.Message, StringComparison.Ordinal);

        var site = SiteValidator.Validate(spec).Site;
        Assert.NotNull(site);
        Assert.Contains(Trellis.Core.Planning.SitePlanner.DhcpExclusions(site, site.HostNetwork), r => r.ToString() == "10.12.0.100");
        Dhcp.Host(n => n with { Gateway = "10.12.0.1" }).AssertClean("GatewayInDhcpScope");
    }

    [Fact]
    public void Validate_RejectsAReservationOfTheGatewaysAddress()
    {
        Dhcp.Host(n => n with { Gateway = "10.12.0.12" }).AssertFinding("ReservationIsGateway", $"{H}.dhcpScope.reservations[0].ipAddress");
        Dhcp.Host(n => n with { Gateway = "10.12.0.13" }).AssertClean("ReservationIsGateway");
    }

    [Fact]
    public void Validate_AcceptsARouterThatServesDns_InsideTheScope()
    {
        // The gateway is excluded from leasing, so a DNS server on its address is not in the pool.
        var router = Dhcp.Host(n => n with { Gateway = "10.12.0.100", DnsServers = ["10.12.0.100"] });
        router.AssertClean("DnsServerInPool");
        Assert.NotNull(SiteValidator.Validate(router).Site);
        Dhcp.Host(n => n with { Gateway = "10.12.0.100", DnsServers = ["10.12.0.101"] }).AssertFinding("DnsServerInPool", $"{H}.dnsServers[0]");
    }

    [Fact]
    public void Validate_ReportsAGatewayInTheDhcpVipPool_Once()
    {
        var finding = Dhcp.Host(n => n with { Gateway = "10.12.0.210" }).AssertFinding("GatewayInPool", $"{H}.gateway");

        Assert.Contains("VIP pool", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_AcceptsAGatewayOutsideTheScopeRange()
    {
        Dhcp.Host(n => n with { Gateway = "10.12.0.1" }).AssertClean("GatewayInPool");
    }

    [Fact]
    public void Validate_RejectsAGatewayOutsideTheDhcpSubnet()
    {
        Dhcp.Host(n => n with { Gateway = "10.13.0.1" }).AssertFinding("GatewayOutsidePrefix", $"{H}.gateway");
    }

    [Theory]
    [InlineData("zz")]
    [InlineData("02-1E-2B-78-00")]
    [InlineData(null)]
    public void Validate_RejectsAMalformedReservationMac(string? mac)
    {
        Dhcp.Scope(s => s with { Reservations = [s.Reservations[0] with { MacAddress = mac }] })
            .AssertFinding("InvalidMacAddress", $"{H}.dhcpScope.reservations[0].macAddress");
    }

    [Fact]
    public void Validate_AcceptsColonSeparatedMacs()
    {
        Dhcp.Scope(s => s with { Reservations = [s.Reservations[0] with { MacAddress = "02:1e:2b:78:00:01" }] }).AssertClean("InvalidMacAddress");
    }

    [Fact]
    public void Validate_RequiresTheReservationAddress()
    {
        Dhcp.Scope(s => s with { Reservations = [s.Reservations[0] with { IpAddress = null }] })
            .AssertFinding("RequiredFieldMissing", $"{H}.dhcpScope.reservations[0].ipAddress");
    }

    [Fact]
    public void Validate_RejectsAReservationOutsideTheSubnet()
    {
        Dhcp.Scope(s => s with { Reservations = [s.Reservations[0] with { IpAddress = "10.13.0.12" }] })
            .AssertFinding("ReservationOutsideSubnet", $"{H}.dhcpScope.reservations[0].ipAddress");
    }

    [Fact]
    public void Validate_RejectsAReservationInTheVipPool()
    {
        Dhcp.Scope(s => s with { Reservations = [s.Reservations[0] with { IpAddress = "10.12.0.205" }] })
            .AssertFinding("ReservationInVipPool", $"{H}.dhcpScope.reservations[0].ipAddress");
    }

    [Fact]
    public void Validate_AcceptsAReservationOutsideTheScopeRangeButInsideTheSubnet()
    {
        Dhcp.Scope(s => s with { Reservations = [s.Reservations[0] with { IpAddress = "10.12.0.251" }] }).AssertClean("ReservationOutsideSubnet");
    }

    [Theory]
    [InlineData("other", "10.12.0.12", "02-1E-2B-78-00-02")]
    [InlineData("other", "10.12.0.13", "02:1e:2b:78:00:01")]
    [InlineData("jumphost", "10.12.0.13", "02-1E-2B-78-00-02")]
    public void Validate_RejectsReservationsRepeatingNameAddressOrMac(string name, string address, string mac)
    {
        Dhcp.Scope(s => s with { Reservations = [s.Reservations[0], new DhcpReservationSpec { Name = name, IpAddress = address, MacAddress = mac }] })
            .AssertFinding("ReservationDuplicate", $"{H}.dhcpScope.reservations[1]");
    }

    [Fact]
    public void Validate_AcceptsTwoDistinctReservations()
    {
        Dhcp.Scope(s => s with { Reservations = [s.Reservations[0], new DhcpReservationSpec { Name = "printer", IpAddress = "10.12.0.13", MacAddress = "02-1E-2B-78-00-02" }] })
            .AssertClean("ReservationDuplicate");
    }
}
