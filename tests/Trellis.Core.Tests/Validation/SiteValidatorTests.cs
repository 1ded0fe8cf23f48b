using Trellis.Core.Model;
using Trellis.Core.Validation;
using static Trellis.Core.Tests.SpecEdits;

namespace Trellis.Core.Tests.Validation;

/// <summary>Site-wide rules: the site name, networks against each other, the cloud agent, load balancer settings, clusters together.</summary>
public class SiteValidatorTests
{
    /// <summary>A second network on the worked example's subnet, with pools that avoid the host network's.</summary>
    private static NetworkSpec SameSubnet => Worked.HostNetwork! with
    {
        Name = "sharedvnet",
        K8sNodeIpPoolStart = "172.16.0.100",
        K8sNodeIpPoolEnd = "172.16.0.140",
        VipPoolStart = "172.16.0.200",
        VipPoolEnd = "172.16.0.210",
    };

    [Theory]
    [InlineData("worked-example.yaml")]
    [InlineData("contoso-multicluster.yaml")]
    [InlineData("dhcp-site.yaml")]
    [InlineData("aksarc-site.yaml")]
    public void Validate_AcceptsEveryExample_WithoutErrors(string file)
    {
        var result = SiteValidator.Validate(ExampleSites.Spec(file));

        Assert.True(result.IsValid, string.Join("\n", result.Findings));
        Assert.DoesNotContain(result.Findings, f => f.Severity == Severity.Error);
    }

    [Fact]
    public void Validate_ResolvesTheWorkedExample()
    {
        var site = SiteValidator.Validate(Worked).Site!;

        Assert.Equal("172.16.0.0/24", site.HostNetwork.Prefix.ToString());
        Assert.Equal("172.16.0.20-172.16.0.46", site.HostNetwork.NodePool.ToString());
        Assert.Equal("172.16.0.150-172.16.0.154", site.HostNetwork.VipPool.ToString());
        Assert.Equal("172.16.0.10", site.CloudAgentAddress!.ToString());
        Assert.Equal(["a", "b"], site.Clusters.Select(c => c.Name));
        Assert.All(site.Clusters, c => Assert.Same(site.HostNetwork, c.Network));
        Assert.Equal(5, site.WorkloadUpdateReserve);
    }

    [Fact]
    public void Validate_RejectsAnInvalidSiteName()
    {
        (Worked with { Name = "Jane_Site" }).AssertFinding("InvalidName", "metadata.name");
        (Worked with { Name = "jane-site-2" }).AssertClean("InvalidName");
    }

    [Fact]
    public void Validate_RejectsALogicalNetwork_InAnAksHciSite()
    {
        (Worked with { LogicalNetwork = Arc.LogicalNetwork }).AssertFinding("FieldNotForModel", "spec.logicalNetwork");
    }

    [Fact]
    public void Validate_RequiresAHostNetwork()
    {
        (Worked with { HostNetwork = null }).AssertFinding("RequiredFieldMissing", "spec.hostNetwork");
    }

    [Fact]
    public void Validate_RejectsTwoNetworksWithOneName()
    {
        (Worked with { ClusterNetworks = [SameSubnet with { Name = "mgmtvnet" }] }).AssertFinding("DuplicateName", "spec.clusterNetworks[0].name");
        (Worked with { ClusterNetworks = [SameSubnet] }).AssertClean("DuplicateName");
    }

    [Fact]
    public void Validate_RejectsPoolsThatOverlapAcrossNetworksOnOneSubnet()
    {
        var finding = (Worked with { ClusterNetworks = [SameSubnet with { K8sNodeIpPoolStart = "172.16.0.40" }] })
            .AssertFinding("PoolOverlapAcrossNetworks", "spec.clusterNetworks[0].k8sNodeIpPoolStart");

        Assert.Contains("spec.hostNetwork.k8sNodeIpPoolStart", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_AcceptsDisjointPoolsOnOneSubnet()
    {
        (Worked with { ClusterNetworks = [SameSubnet] }).AssertClean("PoolOverlapAcrossNetworks");
    }

    [Fact]
    public void Validate_WarnsAboutOverlappingButDifferentSubnets()
    {
        (Worked with { ClusterNetworks = [SameSubnet with { IpAddressPrefix = "172.16.0.0/23", K8sNodeIpPoolStart = "172.16.1.10", K8sNodeIpPoolEnd = "172.16.1.50" }] })
            .AssertFinding("PrefixOverlapMismatch", "spec.clusterNetworks[0].ipAddressPrefix", Severity.Warning);
        (Worked with { ClusterNetworks = [SameSubnet] }).AssertClean("PrefixOverlapMismatch");
    }

    [Fact]
    public void Validate_WarnsAboutTwoGatewaysForOneSubnetOnOneVlan()
    {
        (Worked with { ClusterNetworks = [SameSubnet with { Gateway = "172.16.0.254" }] })
            .AssertFinding("GatewayMismatch", "spec.clusterNetworks[0].gateway", Severity.Warning);
        (Worked with { ClusterNetworks = [SameSubnet with { Gateway = "172.16.0.254", VlanId = 9 }] }).AssertClean("GatewayMismatch");
        (Worked with { ClusterNetworks = [SameSubnet] }).AssertClean("GatewayMismatch");
    }

    // ---- cloud agent ----

    [Fact]
    public void Validate_RequiresTheCloudServiceCidr_OnAStaticHost_WithTheWacMessage()
    {
        var finding = (Worked with { CloudServiceCidr = null }).AssertFinding("CloudServiceCidrRequired", "spec.cloudServiceCidr");

        Assert.Equal("Cloud Service IP CIDR is required when using static IP assignment.", finding.Message);
    }

    [Fact]
    public void Validate_DoesNotRequireTheCloudServiceCidr_OnADhcpHost()
    {
        (Dhcp with { CloudServiceCidr = null }).AssertClean("CloudServiceCidrRequired");
    }

    [Theory]
    [InlineData("172.16.0.10")]
    [InlineData("172.16.0.10/33")]
    [InlineData("fd00::10/64")]
    [InlineData("cloudagent")]
    public void Validate_RejectsACloudServiceCidrThatIsNotAnIPv4AddressWithLength(string cidr)
    {
        (Worked with { CloudServiceCidr = cidr }).AssertFinding("InvalidCloudServiceCidr", "spec.cloudServiceCidr");
    }

    [Fact]
    public void Validate_RejectsANetworkAddressAsTheCloudAgent()
    {
        var finding = (Worked with { CloudServiceCidr = "172.16.0.0/24" }).AssertFinding("CloudServiceCidrIsNetworkAddress", "spec.cloudServiceCidr");

        Assert.Contains("172.16.0.10/24", finding.Hint, StringComparison.Ordinal);
        (Worked with { CloudServiceCidr = "172.16.0.10/32" }).AssertClean("CloudServiceCidrIsNetworkAddress");
    }

    [Theory]
    [InlineData("172.16.0.20/24")]
    [InlineData("172.16.0.46/24")]
    [InlineData("172.16.0.152/24")]
    public void Validate_RejectsACloudAgentInsideANodeOrVipPool(string cidr)
    {
        (Worked with { CloudServiceCidr = cidr }).AssertFinding("CloudAgentInPool", "spec.cloudServiceCidr");
    }

    [Fact]
    public void Validate_RejectsACloudAgentInsideAClusterNetworksPool()
    {
        (Contoso with { CloudServiceCidr = "172.17.0.50/23" }).AssertFinding("CloudAgentInPool", "spec.cloudServiceCidr");
    }

    [Fact]
    public void Validate_AcceptsACloudAgentInsideTheDhcpScopeRange_WhichIsExcludedInstead()
    {
        (Dhcp with { CloudServiceCidr = "10.12.0.50/24" }).AssertClean("CloudAgentInPool");
    }

    [Fact]
    public void Validate_RejectsTheGatewayAsTheCloudAgent()
    {
        (Worked with { CloudServiceCidr = "172.16.0.1/24" }).AssertFinding("CloudAgentIsGateway", "spec.cloudServiceCidr");
    }

    [Fact]
    public void Validate_WarnsAboutACloudAgentOutsideTheHostSubnet()
    {
        (Worked with { CloudServiceCidr = "172.18.0.10/24" }).AssertFinding("CloudAgentOutsideHostNetwork", "spec.cloudServiceCidr", Severity.Warning);
    }

    [Fact]
    public void Validate_RejectsTheBroadcastAddressAsTheCloudAgent()
    {
        (Worked with { CloudServiceCidr = "172.16.0.255/24" }).AssertFinding("CloudAgentIsNetworkOrBroadcast", "spec.cloudServiceCidr");
        (Worked with { CloudServiceCidr = "172.16.0.254/24" }).AssertClean("CloudAgentIsNetworkOrBroadcast");
    }

    // ---- load balancer settings ----

    [Fact]
    public void Validate_RejectsAnInvalidLoadBalancerSettingName()
    {
        (Contoso with { LoadBalancerSettings = [Contoso.LoadBalancerSettings[0], Contoso.LoadBalancerSettings[1], new LoadBalancerSettingSpec { Name = "ha_proxy" }] })
            .AssertFinding("InvalidName", "spec.loadBalancerSettings[2].name");
    }

    [Fact]
    public void Validate_RejectsTwoLoadBalancerSettingsWithOneName()
    {
        (Contoso with { LoadBalancerSettings = [.. Contoso.LoadBalancerSettings, new LoadBalancerSettingSpec { Name = "haproxy2" }] })
            .AssertFinding("DuplicateName", "spec.loadBalancerSettings[2].name");
    }

    [Fact]
    public void Validate_RejectsAnHAProxySettingWithoutVms()
    {
        (Contoso with { LoadBalancerSettings = [Contoso.LoadBalancerSettings[0] with { LoadBalancerCount = 0 }, Contoso.LoadBalancerSettings[1]] })
            .AssertFinding("InvalidLoadBalancerCount", "spec.loadBalancerSettings[0].loadBalancerCount");
    }

    [Fact]
    public void Validate_WarnsThatACountIsIgnoredWithSkuNone()
    {
        (Contoso with { LoadBalancerSettings = [Contoso.LoadBalancerSettings[0], Contoso.LoadBalancerSettings[1] with { LoadBalancerCount = 2 }] })
            .AssertFinding("LoadBalancerCountIgnored", "spec.loadBalancerSettings[1].loadBalancerCount", Severity.Warning);
        Contoso.AssertClean("LoadBalancerCountIgnored");
    }

    // ---- clusters together ----

    [Fact]
    public void Validate_RejectsMoreThan32ClustersInAnArcSite()
    {
        var clusters = Enumerable.Range(1, 33).Select(i => Arc.Clusters[1] with { Name = $"c{i}", ControlPlaneIp = null }).ToList();

        (Arc with { Clusters = clusters }).AssertFinding("TooManyClusters", "spec.clusters");
        Assert.DoesNotContain((Arc with { Clusters = clusters.Take(32).ToList() }).Findings(), f => f.Code == "TooManyClusters");
    }

    [Fact]
    public void Validate_RejectsTwoClustersWithOneName()
    {
        Worked.Cluster(1, c => c with { Name = "a" }).AssertFinding("DuplicateName", "spec.clusters[1].name");
    }

    [Fact]
    public void Validate_WarnsAboutAPodCidrOverlappingASiteNetwork_WithTheReasonItIsNotAnError()
    {
        // UNCERTAIN in the reference (§1.10): no AKS document requires disjoint overlays, so a warning with its reason.
        var spec = Worked.Cluster(0, c => c with { PodCidr = "172.16.0.0/16" });

        var finding = spec.AssertFinding("OverlayOverlapsSiteNetwork", "spec.clusters[0].podCidr", Severity.Warning);

        Assert.True(SiteValidator.Validate(spec).IsValid);
        Assert.Contains("mgmtvnet", finding.Message, StringComparison.Ordinal);
        Assert.Contains("does not document", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WarnsAboutAServiceCidrOverlappingASiteNetwork()
    {
        Worked.Cluster(1, c => c with { ServiceCidr = "172.16.0.0/12" }).AssertFinding("OverlayOverlapsSiteNetwork", "spec.clusters[1].serviceCidr", Severity.Warning);
    }

    [Fact]
    public void Validate_AllowsTwoClustersToReuseTheDefaultOverlayRanges()
    {
        Worked.AssertClean("OverlayOverlapsSiteNetwork");
        Assert.Equal(Worked.Clusters[0].PodCidr, Worked.Clusters[1].PodCidr);
    }

    [Fact]
    public void Validate_WarnsAboutVipSharingOnAClusterNetworkSharedByClusters()
    {
        Contoso.AssertFinding("SharedNetworkVipSharing", "spec.clusters[0].services", Severity.Warning);
    }

    [Fact]
    public void Validate_DoesNotWarnAboutVipSharing_WithOneClusterPerNetworkOrNoSharedKey()
    {
        Worked.AssertClean("SharedNetworkVipSharing");
        Contoso.Cluster(0, c => c with { Services = c.Services.Select(s => s with { SharedIpKey = null }).ToList() }).AssertClean("SharedNetworkVipSharing");
    }

    // ---- all at once ----

    [Fact]
    public void Validate_ReportsThreeIndependentMistakes_AsThreeFindings()
    {
        var spec = Worked
            .Host(n => n with { VlanId = 0 })
            .Cluster(1, c => c with { ControlPlaneNodeCount = 2 })
            .Service(0, 1, s => s with { Protocol = "HTTP" });

        var result = SiteValidator.Validate(spec);

        Assert.False(result.IsValid);
        Assert.Equal(
            ["InvalidControlPlaneCount spec.clusters[1].controlPlaneNodeCount", "InvalidProtocol spec.clusters[0].services[1].protocol", "InvalidVlanId spec.hostNetwork.vlanID"],
            result.Findings.Select(f => $"{f.Code} {f.Path}").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Validate_ReportsMistakesInSeveralNetworksAndClustersTogether()
    {
        var spec = Contoso
            .ClusterNetwork(0, n => n with { Gateway = "172.17.1.150" })
            .Host(n => n with { DnsServers = [] })
            .NodePool(1, 0, p => p with { MaxPodCount = 30 })
            .Cluster(2, c => c with { KubernetesVersion = "latest" });

        var codes = spec.Findings().Where(f => f.Severity == Severity.Error).Select(f => f.Code).Order(StringComparer.Ordinal);

        Assert.Equal(["DnsServerCount", "GatewayInPool", "InvalidKubernetesVersion", "InvalidMaxPodCount"], codes);
    }

    [Fact]
    public void Validate_LeavesNoSiteWhenThereIsAnError_AndASiteWithOnlyWarnings()
    {
        Assert.Null(SiteValidator.Validate(Worked with { Name = "X" }).Site);
        var contoso = SiteValidator.Validate(Contoso);
        Assert.NotNull(contoso.Site);
        Assert.Contains(contoso.Findings, f => f.Severity == Severity.Warning);
    }
}
