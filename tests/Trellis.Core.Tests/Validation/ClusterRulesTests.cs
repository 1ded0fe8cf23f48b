using Trellis.Core.Model;
using Trellis.Core.Validation;
using static Trellis.Core.Tests.SpecEdits;

namespace Trellis.Core.Tests.Validation;

/// <summary>New-AksHciCluster, New-AksHciNodePool and LoadBalancer service rules, on the contoso example (clusters payments, analytics, legacy).</summary>
public class ClusterRulesTests
{
    private const string Payments = "spec.clusters[0]";
    private const string Analytics = "spec.clusters[1]";
    private const string Legacy = "spec.clusters[2]";

    [Theory]
    [InlineData("pay-ments")]
    [InlineData("Payments")]
    [InlineData("1payments")]
    [InlineData("")]
    public void Validate_RejectsClusterNamesThatAreNotLowercaseLettersAndDigits(string name)
    {
        Contoso.Cluster(0, c => c with { Name = name }).AssertFinding("InvalidName", $"{Payments}.name");
    }

    [Fact]
    public void Validate_AcceptsALowercaseClusterNameWithDigits()
    {
        Contoso.Cluster(0, c => c with { Name = "payments2" }).AssertClean("InvalidName");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(7)]
    public void Validate_RejectsControlPlaneCountsOtherThan135(int count)
    {
        var finding = Contoso.Cluster(0, c => c with { ControlPlaneNodeCount = count }).AssertFinding("InvalidControlPlaneCount", $"{Payments}.controlPlaneNodeCount");

        Assert.Contains("odd number", finding.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public void Validate_AcceptsControlPlaneCounts135(int count)
    {
        Contoso.Cluster(0, c => c with { ControlPlaneNodeCount = count }).AssertClean("InvalidControlPlaneCount");
    }

    [Theory]
    [InlineData("1.29")]
    [InlineData("latest")]
    [InlineData("v1.29.4-rc1")]
    public void Validate_RejectsMalformedKubernetesVersions(string version)
    {
        Contoso.Cluster(0, c => c with { KubernetesVersion = version }).AssertFinding("InvalidKubernetesVersion", $"{Payments}.kubernetesVersion");
    }

    [Theory]
    [InlineData("v1.30.2")]
    [InlineData("1.29.4")]
    public void Validate_AcceptsKubernetesVersionsWithOrWithoutV(string version)
    {
        Contoso.Cluster(0, c => c with { KubernetesVersion = version }).AssertClean("InvalidKubernetesVersion");
    }

    [Fact]
    public void Validate_WarnsThatFlannelIsRetired()
    {
        Contoso.AssertFinding("FlannelRetired", $"{Legacy}.primaryNetworkPlugin", Severity.Warning);
        Worked.AssertClean("FlannelRetired");
    }

    [Fact]
    public void Validate_RejectsAnUnknownVnet_AndListsTheNetworks()
    {
        var finding = Contoso.Cluster(0, c => c with { Vnet = "nope" }).AssertFinding("UnknownNetwork", $"{Payments}.vnet");

        Assert.Contains("prodvnet", finding.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_DoesNotCallAnInvalidButDeclaredNetworkUnknown()
    {
        var findings = Contoso.ClusterNetwork(0, n => n with { VlanId = 0 }).Findings();

        Assert.Contains(findings, f => f.Code == "InvalidVlanId");
        Assert.DoesNotContain(findings, f => f.Code == "UnknownNetwork");
    }

    [Fact]
    public void Validate_RejectsAnUnknownLoadBalancerSetting()
    {
        Contoso.Cluster(0, c => c with { LoadBalancerSettings = "haproxy3" }).AssertFinding("UnknownLoadBalancerSetting", $"{Payments}.loadBalancerSettings");
    }

    [Fact]
    public void Validate_RejectsMalformedOverlayPrefixes()
    {
        Contoso.Cluster(0, c => c with { PodCidr = "10.244.0.0/33" }).AssertFinding("InvalidPrefix", $"{Payments}.podCidr");
        Contoso.Cluster(0, c => c with { ServiceCidr = "10.96.0.1/12" }).AssertFinding("PrefixHostBitsSet", $"{Payments}.serviceCidr");
    }

    [Fact]
    public void Validate_RejectsAServiceCidrLargerThanSlash12()
    {
        Contoso.Cluster(0, c => c with { ServiceCidr = "10.96.0.0/11" }).AssertFinding("PrefixLengthOutOfRange", $"{Payments}.serviceCidr");
        Contoso.Cluster(0, c => c with { PodCidr = "10.244.0.0/29" }).AssertFinding("PrefixLengthOutOfRange", $"{Payments}.podCidr");
    }

    [Fact]
    public void Validate_RejectsOverlappingPodAndServiceCidrs()
    {
        Contoso.Cluster(0, c => c with { PodCidr = "10.96.0.0/16" }).AssertFinding("PodServiceCidrOverlap", $"{Payments}.serviceCidr");
        Contoso.Cluster(0, c => c with { PodCidr = "10.112.0.0/16" }).AssertClean("PodServiceCidrOverlap");
    }

    // ---- node pools ----

    [Fact]
    public void Validate_AcceptsAHyphenInAnAksHciNodePoolName_AsTheProductsOwnDefaultPoolsHave()
    {
        // New-AksHciCluster names its default pools mycluster-linux and mycluster-windows.
        Contoso.NodePool(0, 1, p => p with { Name = "payments-windows" }).AssertClean("InvalidName");
    }

    [Theory]
    [InlineData("win_pool")]
    [InlineData("Winpool")]
    [InlineData("-winpool")]
    public void Validate_RejectsAnAksHciNodePoolNameThatIsNotAKubernetesName(string name)
    {
        Contoso.NodePool(0, 1, p => p with { Name = name }).AssertFinding("InvalidName", $"{Payments}.nodePools[1].name");
    }

    [Fact]
    public void Validate_RejectsTwoNodePoolsWithOneName()
    {
        Contoso.NodePool(0, 1, p => p with { Name = "linuxpool" }).AssertFinding("DuplicateName", $"{Payments}.nodePools[1].name");
    }

    [Fact]
    public void Validate_RejectsANodePoolNamedLikeTheControlPlane_WhoseNodesWouldTakeItsNames()
    {
        Contoso.NodePool(0, 1, p => p with { Name = "control-plane" }).AssertFinding("NodePoolNameReserved", $"{Payments}.nodePools[1].name");
        Contoso.NodePool(0, 1, p => p with { Name = "control" }).AssertClean("NodePoolNameReserved");
        Contoso.NodePool(0, 1, p => p with { Name = "control-plane-1" }).AssertClean("NodePoolNameReserved");
    }

    [Fact]
    public void Validate_AllowsTheSameNodePoolNameInTwoClusters()
    {
        Contoso.NodePool(1, 0, p => p with { Name = "linuxpool" }).AssertClean("DuplicateName");
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(201)]
    public void Validate_RejectsAksHciNodeCountsOutside0To200(int count)
    {
        Contoso.NodePool(1, 0, p => p with { Count = count }).AssertFinding("InvalidNodeCount", $"{Analytics}.nodePools[0].count");
    }

    [Fact]
    public void Validate_AcceptsAnEmptyAksHciNodePool()
    {
        Contoso.NodePool(1, 0, p => p with { Count = 0 }).AssertClean("InvalidNodeCount");
    }

    [Theory]
    [InlineData(50)]
    [InlineData(251)]
    [InlineData(0)]
    public void Validate_RejectsMaxPodCountsOutside51To250(int maxPods)
    {
        var finding = Contoso.NodePool(1, 0, p => p with { MaxPodCount = maxPods }).AssertFinding("InvalidMaxPodCount", $"{Analytics}.nodePools[0].maxPodCount");

        Assert.Contains("greater than 50", finding.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(51)]
    [InlineData(250)]
    public void Validate_AcceptsMaxPodCountsFrom51To250(int maxPods)
    {
        Contoso.NodePool(1, 0, p => p with { MaxPodCount = maxPods }).AssertClean("InvalidMaxPodCount");
    }

    [Fact]
    public void Validate_RejectsMorePodsThanAFlannelNodeSubnetHolds()
    {
        var finding = Contoso.Settings(s => s with { FlannelSubnetLen = 25 }).NodePool(2, 0, p => p with { MaxPodCount = 127 })
            .AssertFinding("MaxPodsExceedNodeSubnet", $"{Legacy}.nodePools[0].maxPodCount");

        Assert.Contains("126", finding.Message, StringComparison.Ordinal);
        Contoso.Settings(s => s with { FlannelSubnetLen = 25 }).NodePool(2, 0, p => p with { MaxPodCount = 126 }).NodePool(2, 1, p => p with { MaxPodCount = 126 })
            .AssertClean("MaxPodsExceedNodeSubnet");
    }

    [Fact]
    public void Validate_WindowsPoolAtTheProductDefaultOf110Pods_IsAWarningWithItsReason_NotAnError()
    {
        // New-AksHciNodePool's default maxPodCount; whether a Windows node is limited to one Calico block is UNCERTAIN.
        var spec = Contoso.NodePool(0, 1, p => p with { MaxPodCount = SiteSpecDefaults.MaxPodCount });

        var finding = spec.AssertFinding("WindowsMaxPodsExceedBlock", $"{Payments}.nodePools[1].maxPodCount", Severity.Warning);

        Assert.True(SiteValidator.Validate(spec).IsValid);
        Assert.Contains("60", finding.Message, StringComparison.Ordinal);
        Assert.Contains("Uncertain", finding.Message, StringComparison.Ordinal);
        Assert.Contains("/24", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WarnsWhenTheDeploymentRunsMoreVmsThanTheTested200()
    {
        // 1 management VM + cluster a (3 + 5 + 1 load balancer) + cluster b (1 + n + 1): 200 at n = 188.
        Worked.NodePool(1, 0, p => p with { Count = 189 }).AssertFinding("DeploymentVmsAboveTested", "spec.clusters", Severity.Warning);
        Assert.DoesNotContain(Worked.NodePool(1, 0, p => p with { Count = 188 }).Findings(), f => f.Code == "DeploymentVmsAboveTested");
    }

    [Fact]
    public void Validate_CountsEveryClustersVmsTowardsTheTestedMaximum_NotOnlyOneClusters()
    {
        // Three clusters of 70 VMs each: every cluster is far below 200 nodes, the deployment is not.
        var spec = Worked with
        {
            Clusters = [.. Enumerable.Range(1, 3).Select(i => Worked.Clusters[1] with { Name = $"c{i}", NodePools = [Worked.Clusters[1].NodePools[0] with { Count = 68 }] })],
        };

        spec.AssertFinding("DeploymentVmsAboveTested", "spec.clusters", Severity.Warning);
        Assert.DoesNotContain(spec.Findings(), f => f.Code == "ClusterTooLarge");
    }

    [Fact]
    public void Validate_WarnsAboutMoreThan60PodsOnACalicoWindowsNode()
    {
        Contoso.NodePool(0, 1, p => p with { MaxPodCount = 61 }).AssertFinding("WindowsMaxPodsExceedBlock", $"{Payments}.nodePools[1].maxPodCount", Severity.Warning);
        Contoso.NodePool(0, 1, p => p with { MaxPodCount = 60 }).AssertClean("WindowsMaxPodsExceedBlock");
    }

    [Fact]
    public void Validate_RaisesTheWindowsPodLimitWithALargerBlock()
    {
        Contoso.Settings(s => s with { CalicoBlockSize = 25 }).NodePool(0, 1, p => p with { MaxPodCount = 124 }).AssertClean("WindowsMaxPodsExceedBlock");
        Contoso.Settings(s => s with { CalicoBlockSize = 25 }).NodePool(0, 1, p => p with { MaxPodCount = 125 })
            .AssertFinding("WindowsMaxPodsExceedBlock", $"{Payments}.nodePools[1].maxPodCount", Severity.Warning);
    }

    [Fact]
    public void Validate_DoesNotLimitFlannelWindowsNodesToACalicoBlock()
    {
        Contoso.NodePool(2, 1, p => p with { MaxPodCount = 110 }).AssertClean("WindowsMaxPodsExceedBlock");
    }

    [Theory]
    [InlineData(OsType.Linux, "Windows2022")]
    [InlineData(OsType.Windows, "CBLMariner")]
    [InlineData(OsType.Windows, "Windows2016")]
    public void Validate_RejectsAnOsSkuOfTheOtherOs(OsType os, string sku)
    {
        Contoso.NodePool(0, 1, p => p with { OsType = os, OsSku = sku, MaxPodCount = 60 }).AssertFinding("InvalidOsSku", $"{Payments}.nodePools[1].osSku");
    }

    [Theory]
    [InlineData(OsType.Linux, "AzureLinux")]
    [InlineData(OsType.Linux, "cblmariner")]
    [InlineData(OsType.Windows, "Windows2019")]
    public void Validate_AcceptsTheOsSkusOfTheOs(OsType os, string sku)
    {
        Contoso.NodePool(0, 1, p => p with { OsType = os, OsSku = sku, MaxPodCount = 60 }).AssertClean("InvalidOsSku");
    }

    [Fact]
    public void Validate_WarnsAboutAnAksHciClusterOver200Nodes()
    {
        Contoso.NodePool(1, 0, p => p with { Count = 198 }).AssertFinding("ClusterTooLarge", $"{Analytics}.nodePools", Severity.Warning);
        Contoso.NodePool(1, 0, p => p with { Count = 197 }).AssertClean("ClusterTooLarge");
    }

    [Fact]
    public void Validate_RejectsAFlannelPodCidrNoLargerThanTheNodeSubnet()
    {
        Contoso.Cluster(2, c => c with { PodCidr = "10.244.0.0/24" }).AssertFinding("PodCidrTooSmall", $"{Legacy}.podCidr");
    }

    [Fact]
    public void Validate_RejectsACalicoPodCidrSmallerThanOneBlock_InsteadOfThrowing()
    {
        var finding = Contoso.Cluster(0, c => c with { PodCidr = "10.244.0.0/28" }).AssertFinding("PodCidrTooSmall", $"{Payments}.podCidr");

        Assert.Contains("/26", finding.Message, StringComparison.Ordinal);
    }

    // ---- services ----

    [Fact]
    public void Validate_RejectsServiceNamesThatAreNotKubernetesNames()
    {
        Contoso.Service(0, 0, s => s with { Namespace = "Shop" }).AssertFinding("InvalidName", $"{Payments}.services[0].namespace");
        Contoso.Service(0, 0, s => s with { Name = "web_1" }).AssertFinding("InvalidName", $"{Payments}.services[0].name");
        Contoso.Service(0, 0, s => s with { Name = "web-1" }).AssertClean("InvalidName");
    }

    [Fact]
    public void Validate_RejectsAServiceListedTwice()
    {
        Contoso.AddService(0, Contoso.Clusters[0].Services[2]).AssertFinding("DuplicateName", $"{Payments}.services[3].name");
        Contoso.AddService(0, Contoso.Clusters[0].Services[2] with { Namespace = "other" }).AssertClean("DuplicateName");
    }

    [Theory]
    [InlineData("default", "kubernetes")]
    [InlineData("kube-system", "kube-dns")]
    public void Validate_RejectsKubernetesOwnServiceNames_InsteadOfPlanningThemTwice(string ns, string name)
    {
        Contoso.AddService(1, new ServiceSpec { Namespace = ns, Name = name, Ports = [443] }).AssertFinding("ReservedServiceName", $"{Analytics}.services[1].name");
        Contoso.AddService(1, new ServiceSpec { Namespace = "shop", Name = name, Ports = [443] }).AssertClean("ReservedServiceName");
    }

    [Theory]
    [InlineData("HTTP")]
    [InlineData("tcp")]
    public void Validate_RejectsUnknownProtocols(string protocol)
    {
        Contoso.Service(0, 2, s => s with { Protocol = protocol }).AssertFinding("InvalidProtocol", $"{Payments}.services[2].protocol");
    }

    [Theory]
    [InlineData("UDP")]
    [InlineData("SCTP")]
    public void Validate_AcceptsUdpAndSctp_OnTheNoneSkuWithMetalLb(string protocol)
    {
        // legacy uses SKU none with a MetalLB pool, which serves every protocol.
        var spec = Contoso.Service(2, 0, s => s with { Protocol = protocol });

        spec.AssertClean("InvalidProtocol");
        spec.AssertClean("ProtocolNotOnHaProxy");
    }

    [Theory]
    [InlineData("UDP")]
    [InlineData("SCTP")]
    public void Validate_RejectsUdpAndSctp_OnTheHaProxySku(string protocol)
    {
        // payments uses the HAProxy setting haproxy2; HAProxy proxies TCP only.
        var finding = Contoso.Service(0, 2, s => s with { Protocol = protocol }).AssertFinding("ProtocolNotOnHaProxy", $"{Payments}.services[2].protocol");

        Assert.Contains($"shop/checkout is {protocol}", finding.Message, StringComparison.Ordinal);
        Assert.Contains("loadBalancerSku: none", finding.Hint, StringComparison.Ordinal);
        Assert.Contains("MetalLB", finding.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RejectsUdp_OnTheDefaultHaProxyLoadBalancer()
    {
        // The worked example names no load balancer setting: AKS on Azure Stack HCI deploys HAProxy by default.
        Worked.AddService(0, new ServiceSpec { Namespace = "dns", Name = "coredns", Ports = [53], Protocol = "UDP" })
            .AssertFinding("ProtocolNotOnHaProxy", "spec.clusters[0].services[4].protocol");
    }

    [Fact]
    public void Validate_RejectsAServiceWithoutPorts()
    {
        Contoso.Service(0, 2, s => s with { Ports = [] }).AssertFinding("ServiceWithoutPorts", $"{Payments}.services[2].ports");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65536)]
    [InlineData(-443)]
    public void Validate_RejectsPortsOutside1To65535(int port)
    {
        var finding = Contoso.Service(0, 2, s => s with { Ports = [8443, port] }).AssertFinding("InvalidPort", $"{Payments}.services[2].ports");

        Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), finding.Message, StringComparison.Ordinal);
        Contoso.Service(0, 2, s => s with { Ports = [1, 65535] }).AssertClean("InvalidPort");
    }

    [Fact]
    public void Validate_RejectsAPortListedTwice()
    {
        Contoso.Service(0, 2, s => s with { Ports = [8443, 8443] }).AssertFinding("DuplicatePort", $"{Payments}.services[2].ports");
        Contoso.Service(0, 2, s => s with { Ports = [8443, 9443] }).AssertClean("DuplicatePort");
    }

    [Fact]
    public void Validate_RejectsTwoServicesOnOneSharedVipAndPort()
    {
        var finding = Worked.Service(0, 3, s => s with { Ports = [443] }).AssertFinding("SharedIpPortConflict", "spec.clusters[0].services[3].ports");

        Assert.Contains("shop/web1", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_AllowsOnePortNumberOnASharedVip_ForDifferentProtocols()
    {
        // On the none SKU (legacy): HAProxy would refuse the UDP service for its own reason.
        Contoso.Cluster(2, c => c with
        {
            Services =
            [
                new ServiceSpec { Namespace = "intranet", Name = "dns-tcp", Ports = [53], SharedIpKey = "dns" },
                new ServiceSpec { Namespace = "intranet", Name = "dns-udp", Ports = [53], Protocol = "UDP", SharedIpKey = "dns" },
            ],
        }).AssertClean("SharedIpPortConflict");
    }

    [Fact]
    public void Validate_AllowsOnePortNumber_UnderDifferentSharedKeysOrInDifferentClusters()
    {
        Contoso.Service(0, 1, s => s with { Ports = [443], SharedIpKey = "back" }).AssertClean("SharedIpPortConflict");
        Contoso.Service(1, 0, s => s with { SharedIpKey = "front" }).AssertClean("SharedIpPortConflict");
    }

    [Fact]
    public void Validate_WarnsThatSkuNoneLeavesServicesUnreachable()
    {
        Contoso.Cluster(2, c => c with { LoadBalancers = [] })
            .AssertFinding("ServicesNeedOwnLoadBalancer", $"{Legacy}.services", Severity.Warning);
        Contoso.AssertClean("ServicesNeedOwnLoadBalancer");
    }
}
