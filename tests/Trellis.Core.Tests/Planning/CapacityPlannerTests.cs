using Trellis.Core.Ipam;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Core.Validation;
using static Trellis.Core.Tests.SpecEdits;

namespace Trellis.Core.Tests.Planning;

public class CapacityPlannerTests
{
    private static CapacityReport Report(SiteSpec spec) => CapacityPlanner.Report(ExampleSites.Resolve(spec), []);

    private static long Line(CapacityReport r, string scope, string item) => Assert.Single(r.Breakdown, l => l.Scope == scope && l.Item == item).Count;

    // ---- breakdowns ----

    [Fact]
    public void Breakdown_WorkedExample_FollowsTheAksHciTable()
    {
        var r = Report(Worked);

        Assert.Equal(1, Line(r, "management cluster", "management cluster VM"));
        Assert.Equal(2, Line(r, "management cluster", "update addresses"));
        Assert.DoesNotContain(r.Breakdown, l => l.Scope == "management cluster" && l.Item == "API server VIP");
        Assert.Equal((3, 5, 1, 5), (Line(r, "cluster a", "control plane VMs"), Line(r, "cluster a", "worker VMs"), Line(r, "cluster a", "load balancer VMs"), Line(r, "cluster a", "update addresses")));
        Assert.Equal((1, 3, 1, 5), (Line(r, "cluster b", "control plane VMs"), Line(r, "cluster b", "worker VMs"), Line(r, "cluster b", "load balancer VMs"), Line(r, "cluster b", "update addresses")));
        Assert.Equal(1, Line(r, "cluster a", "API server VIP"));
        Assert.Equal(3, Line(r, "cluster a", "service VIPs"));
        Assert.DoesNotContain(r.Breakdown, l => l.Scope == "cluster b" && l.Item == "service VIPs");
        Assert.Equal(8, Line(r, "cluster a", "node IPAM blocks"));
        Assert.Equal(6, Line(r, "cluster a", "ClusterIPs (kubernetes, kube-dns, services)"));
        Assert.Equal(4, Line(r, "cluster a", "NodePorts"));
        Assert.Equal((14, 4), (r.Clusters[0].NodeAddresses, r.Clusters[0].Vips));
        Assert.Equal((10, 1), (r.Clusters[1].NodeAddresses, r.Clusters[1].Vips));
        Assert.Equal(0, r.NodeIpPool.HeadroomAfterUpgrade);
        Assert.True(r.NodeIpPool.Fits);
    }

    [Fact]
    public void Breakdown_Contoso_SplitsTheTwoNetworks()
    {
        var r = Report(Contoso);

        var mgmt = Assert.Single(r.Networks, n => n.Name == "mgmtvnet");
        var prod = Assert.Single(r.Networks, n => n.Name == "prodvnet");
        Assert.Equal((13, 80), (mgmt.NodeIpPool!.Required, mgmt.NodeIpPool.Size));
        Assert.Equal((2, 50), (mgmt.VipPool!.Required, mgmt.VipPool.Size));
        Assert.Equal((42, 346), (prod.NodeIpPool!.Required, prod.NodeIpPool.Size));
        Assert.Equal((5, 100), (prod.VipPool!.Required, prod.VipPool.Size));
        Assert.Equal(2, Line(r, "cluster payments", "load balancer VMs"));
        Assert.Equal(2, Line(r, "cluster payments", "service VIPs"));
        Assert.Equal(5, Line(r, "cluster legacy", "node pod subnets"));
        Assert.DoesNotContain(r.Breakdown, l => l.Scope == "cluster legacy" && l.Item == "load balancer VMs");
        Assert.Equal(1, Line(r, "management cluster", "API server VIP"));
        // legacy (SKU none) serves its one service from its MetalLB pool, which the VIP total includes.
        Assert.Equal(1, Line(r, "cluster legacy", "service VIPs"));
        Assert.Equal((55, 8, 63), (r.NodeIpPool.Required, r.VipPool.Required, r.TotalRequired));
    }

    [Fact]
    public void RecommendedPrefix_IsPerNetwork_NotOneForTheSumOfTwoSubnets()
    {
        // The /24 host network and the /23 cluster network each need their own subnet; one /25 for all 63 fits neither.
        var r = Report(Contoso);

        var mgmt = Assert.Single(r.Networks, n => n.Name == "mgmtvnet");
        var prod = Assert.Single(r.Networks, n => n.Name == "prodvnet");
        Assert.Equal((13 + 2 + 1, 27), (mgmt.Required, mgmt.RecommendedPrefixLength));
        Assert.Equal((42 + 5, 26), (prod.Required, prod.RecommendedPrefixLength));
        Assert.Null(r.RecommendedPrefixLength);
        Assert.Contains(r.Rules, rule => rule.StartsWith("Recommended prefix, per network", StringComparison.Ordinal));
    }

    [Fact]
    public void RecommendedPrefix_OfASiteWithOneNetwork_IsThatNetworks()
    {
        var r = Report(Worked);

        Assert.Equal((32, 26), (Assert.Single(r.Networks).Required, r.RecommendedPrefixLength));
    }

    [Fact]
    public void Breakdown_Dhcp_CountsUpdateAddressesAndReservations()
    {
        var r = Report(Dhcp);

        Assert.Equal(2, Line(r, "management cluster", "update addresses"));
        Assert.Equal(5, Line(r, "cluster edge", "update addresses"));
        Assert.Equal(1, Line(r, "network branchvnet", "DHCP reservations"));
        var scope = r.Networks[0].DhcpScope!;
        Assert.Null(r.Networks[0].NodeIpPool);
        Assert.Equal(241 - 40, scope.Size);
        Assert.Equal(1 + 2 + 1 + 5 + 1 + 5 + 1, scope.Required);
        Assert.Equal(scope.Size - scope.Required, scope.HeadroomAfterUpgrade);
        Assert.Equal((3, 40), (r.VipPool.Required, r.VipPool.Size));
    }

    [Fact]
    public void Breakdown_Arc_CountsControlPlaneIpsOutsideThePool()
    {
        var r = Report(Arc);

        Assert.Equal(1, Line(r, "cluster a", "update addresses"));
        Assert.Equal(1, Line(r, "cluster a", "control plane IP"));
        Assert.Equal(3, Line(r, "cluster a", "service IPs"));
        Assert.DoesNotContain(r.Breakdown, l => l.Scope == "management cluster");
        Assert.DoesNotContain(r.Breakdown, l => l.Item == "load balancer VMs");
        var lnet = Assert.Single(r.Networks);
        Assert.Equal((14, 20), (lnet.NodeIpPool!.Required, lnet.NodeIpPool.Size));
        // 10.220.32.1–.254 minus the pool (20), the MetalLB range (3), the gateway and the DNS server.
        Assert.Equal((2, 229), (lnet.ControlPlaneIps!.Required, lnet.ControlPlaneIps.Size));
        Assert.Contains(r.Rules, rule => rule.StartsWith("Control plane IPs", StringComparison.Ordinal));
    }

    [Fact]
    public void Report_SubtractsWhatIsAllocated()
    {
        var site = ExampleSites.Resolve(Contoso);
        var plan = SitePlanner.Plan(site, [], DateTimeOffset.UnixEpoch);

        var r = CapacityPlanner.Report(site, plan.Result);

        var prod = Assert.Single(r.Networks, n => n.Name == "prodvnet").NodeIpPool!;
        Assert.Equal((42, 346 - 42), (prod.Allocated, prod.Free));
        Assert.Equal(plan.Result.Count(a => a.Pool is NetworkPool { Kind: NetworkPoolKind.Nodes }), r.NodeIpPool.Allocated);
    }

    [Theory]
    [InlineData(28, 27)]
    [InlineData(60, 26)]
    [InlineData(61, 25)]
    [InlineData(252, 24)]
    [InlineData(253, 23)]
    public void RecommendedPrefixLength_AddsFourUnusableAddresses(long addresses, int length)
    {
        Assert.Equal(length, CapacityPlanner.RecommendedPrefixLength(addresses));
    }

    // ---- capacity findings (CapacityPlanner.Check through Validate) ----

    [Fact]
    public void Validate_RejectsANodeIpPoolOneAddressShort()
    {
        var finding = Worked.Host(n => n with { K8sNodeIpPoolEnd = "172.16.0.45" }).AssertFinding("NodeIpPoolTooSmall", "spec.hostNetwork.k8sNodeIpPoolEnd");

        Assert.Contains("holds 26", finding.Message, StringComparison.Ordinal);
        Assert.Contains("needs 27", finding.Message, StringComparison.Ordinal);
        Assert.Contains("by at least 1", finding.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ReportsAPoolTooSmall_NextToAnUnrelatedError()
    {
        var spec = Worked.Host(n => n with { K8sNodeIpPoolEnd = "172.16.0.45" }) with { Name = "Bad Name" };

        var result = SiteValidator.Validate(spec);

        Assert.Null(result.Site);
        Assert.Contains(result.Findings, f => f.Code == "InvalidName");
        Assert.Contains(result.Findings, f => f is { Code: "NodeIpPoolTooSmall", Path: "spec.hostNetwork.k8sNodeIpPoolEnd" } && f.Message.Contains("needs 27", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_DoesNotJudgeTheNodeIpPool_WhenAClustersControlPlaneCountIsInvalid()
    {
        // The count changes when it is fixed (to 1 or to 3): judging the pool with it would guess.
        var spec = Worked.Host(n => n with { K8sNodeIpPoolEnd = "172.16.0.45" }).Cluster(1, c => c with { ControlPlaneNodeCount = 2 });

        var result = SiteValidator.Validate(spec);

        Assert.Contains(result.Findings, f => f.Path.StartsWith("spec.clusters[1]", StringComparison.Ordinal) && f.Severity == Severity.Error);
        Assert.DoesNotContain(result.Findings, f => f.Code == "NodeIpPoolTooSmall");
    }

    [Fact]
    public void ValidateText_ReportsAPoolTooSmall_NextToAnUnknownMetadataField_ButNotNextToAnUnreadableSpecField()
    {
        var text = File.ReadAllText(Path.Combine(ExampleSites.Directory, "worked-example.yaml")).Replace("k8sNodeIpPoolEnd: 172.16.0.46", "k8sNodeIpPoolEnd: 172.16.0.45", StringComparison.Ordinal);
        var metadataTypo = text.Replace("metadata: { name: jane }", "metadata: { name: jane, lables: { a: b } }", StringComparison.Ordinal);
        var specTypo = text.Replace("  clusters:", "  clsuters:", StringComparison.Ordinal);
        Assert.NotEqual(text, metadataTypo);
        Assert.NotEqual(text, specTypo);

        var withMetadataTypo = SiteValidator.ValidateText(metadataTypo);
        var withSpecTypo = SiteValidator.ValidateText(specTypo);

        Assert.Contains(withMetadataTypo.Findings, f => f.Path == "metadata.lables" && f.Severity == Severity.Error);
        Assert.Contains(withMetadataTypo.Findings, f => f.Code == "NodeIpPoolTooSmall");
        Assert.Contains(withSpecTypo.Findings, f => f.Path == "spec.clsuters" && f.Severity == Severity.Error);
        Assert.DoesNotContain(withSpecTypo.Findings, f => f.Code == "NodeIpPoolTooSmall");
    }

    [Fact]
    public void Validate_AcceptsANodeIpPoolThatFitsExactly()
    {
        Worked.AssertClean("NodeIpPoolTooSmall");
    }

    [Fact]
    public void Validate_RejectsAClusterNetworkPoolTooSmall_AtThatNetwork()
    {
        Contoso.ClusterNetwork(0, n => n with { K8sNodeIpPoolEnd = "172.17.0.50" }).AssertFinding("NodeIpPoolTooSmall", "spec.clusterNetworks[0].k8sNodeIpPoolEnd");
    }

    [Fact]
    public void Validate_RejectsAnArcIpPoolTooSmall()
    {
        Arc.Lnet(l => l with { IpPoolEnd = "10.220.32.30" }).AssertFinding("IpPoolTooSmall", "spec.logicalNetwork.ipPoolEnd");
        Arc.Lnet(l => l with { IpPoolEnd = "10.220.32.31" }).AssertClean("IpPoolTooSmall");
    }

    [Fact]
    public void Validate_RejectsAVipPoolOneAddressShort()
    {
        Worked.Host(n => n with { VipPoolEnd = "172.16.0.153" }).AssertFinding("VipPoolTooSmall", "spec.hostNetwork.vipPoolEnd");
    }

    [Fact]
    public void Validate_CountsTheManagementVip_WhenTheSettingIsOn()
    {
        Worked.Settings(s => s with { ManagementClusterVip = true }).AssertFinding("VipPoolTooSmall", "spec.hostNetwork.vipPoolEnd");
    }

    [Fact]
    public void Validate_RejectsADhcpScopeTooSmall()
    {
        // .10–.25 holds the 16 addresses: 9 VMs, 7 update addresses (as a static pool would) and the jumphost's reservation.
        Dhcp.Scope(s => s with { End = "10.12.0.24" }).AssertFinding("DhcpScopeTooSmall", "spec.hostNetwork.dhcpScope.end");
        Dhcp.Scope(s => s with { End = "10.12.0.25" }).AssertClean("DhcpScopeTooSmall");
    }

    [Fact]
    public void Validate_CountsReservationsInTheDhcpScope()
    {
        Dhcp.Scope(s => s with { End = "10.12.0.24" }).AssertFinding("DhcpScopeTooSmall", "spec.hostNetwork.dhcpScope.end");
        Dhcp.Scope(s => s with { End = "10.12.0.24", Reservations = [] }).AssertClean("DhcpScopeTooSmall");
    }

    [Fact]
    public void Validate_WarnsWhenADhcpScopeLeavesNoLeaseForTheUpgradeSurge_WithoutUpdateAddresses()
    {
        var noReserve = Dhcp.Settings(s => s with { WorkloadUpdateReserve = 0 });
        noReserve.Scope(s => s with { End = "10.12.0.20" }).AssertFinding("NoUpgradeHeadroom", "spec.hostNetwork.dhcpScope.end", Severity.Warning);
        noReserve.Scope(s => s with { End = "10.12.0.21" }).AssertClean("NoUpgradeHeadroom");
        Dhcp.Scope(s => s with { End = "10.12.0.25" }).AssertClean("NoUpgradeHeadroom");
    }

    [Fact]
    public void Validate_WarnsAboutNoUpgradeHeadroom_WhenTheUpdateReserveIsZero()
    {
        Worked.Settings(s => s with { WorkloadUpdateReserve = 0 }).Host(n => n with { K8sNodeIpPoolEnd = "172.16.0.36" })
            .AssertFinding("NoUpgradeHeadroom", "spec.hostNetwork.k8sNodeIpPoolEnd", Severity.Warning);
    }

    [Fact]
    public void Validate_RejectsTooFewControlPlaneIpsOutsideTheArcPool()
    {
        TwoArcClustersOnASlash27("10.220.32.29").AssertFinding("ControlPlaneIpsExhausted", "spec.logicalNetwork.addressPrefixes");
        TwoArcClustersOnASlash27("10.220.32.28").AssertClean("ControlPlaneIpsExhausted");
    }

    /// <summary>A /27 whose gateway (.1) and DNS server (.2) are not control plane IPs: only the addresses after the pool are.</summary>
    private static SiteSpec TwoArcClustersOnASlash27(string poolEnd) =>
        (Arc with { Clusters = [Arc.Clusters[0] with { ControlPlaneIp = null, LoadBalancers = [], Services = [] }, Arc.Clusters[1] with { ControlPlaneIp = null }] })
            .Lnet(l => l with { AddressPrefixes = ["10.220.32.0/27"], IpPoolStart = "10.220.32.3", IpPoolEnd = poolEnd });

    [Fact]
    public void Validate_RejectsACalicoPodCidrWithTooFewBlocks()
    {
        Worked.Cluster(0, c => c with { PodCidr = "10.244.0.0/24" }).AssertFinding("PodCidrTooSmall", "spec.clusters[0].podCidr");
        Worked.Cluster(0, c => c with { PodCidr = "10.244.0.0/23" }).AssertClean("PodCidrTooSmall");
    }

    [Fact]
    public void Validate_RejectsAServiceCidrTooSmallForItsClusterIps()
    {
        var services = Enumerable.Range(1, 12).Select(i => new ServiceSpec { Namespace = "bi", Name = $"s{i}", Ports = [443] });
        var spec = Contoso.Cluster(1, c => c with { ServiceCidr = "10.96.0.0/28", Services = [.. c.Services, .. services] });

        spec.AssertFinding("ServiceCidrTooSmall", "spec.clusters[1].serviceCidr");
        spec.Cluster(1, c => c with { Services = c.Services.Take(12).ToList() }).AssertClean("ServiceCidrTooSmall");
    }

    [Fact]
    public void Validate_RejectsMoreNodePortsThan30000To32767Hold()
    {
        var services = Enumerable.Range(1, 3).Select(i => new ServiceSpec { Namespace = "bi", Name = $"s{i}", Ports = [.. Enumerable.Range(1000, 1000)] });

        Contoso.Cluster(1, c => c with { Services = [.. c.Services, .. services] }).AssertFinding("NodePortsExhausted", "spec.clusters[1].services");
    }

    [Fact]
    public void Validate_RejectsAMetalLbPoolTooSmallForTheServices()
    {
        Arc.AddService(0, new ServiceSpec { Namespace = "shop", Name = "web4", Ports = [443] }).AssertFinding("MetalLbPoolTooSmall", "spec.clusters[0].loadBalancers");
        Arc.AddService(0, new ServiceSpec { Namespace = "shop", Name = "web4", Ports = [8443], SharedIpKey = "front" }).AssertClean("MetalLbPoolTooSmall");
    }

    // ---- what if ----

    private static SiteSpec AddWindowsPool(SiteSpec spec, int cluster, int count) =>
        spec.AddNodePool(cluster, new NodePoolSpec { Name = "winpool", OsType = OsType.Windows, OsSku = "Windows2022", Count = count, MaxPodCount = 60 });

    [Fact]
    public void WhatIf_TenWindowsNodesInClusterB_DoNotFitTheWorkedExample_AndTheNodeIpPoolRunsOut()
    {
        var result = CapacityPlanner.WhatIf("add a node pool of 10 Windows nodes to cluster b", Worked, AddWindowsPool(Worked, 1, 10), []);

        Assert.False(result.Fits);
        Assert.Equal("spec.hostNetwork.k8sNodeIpPoolEnd", result.FirstToRunOut);
        Assert.Contains(result.Findings, f => f is { Code: "NodeIpPoolTooSmall", Severity: Severity.Error } && f.Message.Contains("needs 37", StringComparison.Ordinal));
        Assert.NotNull(result.Before);
        Assert.Null(result.After);
        Assert.Equal("add a node pool of 10 Windows nodes to cluster b", result.Question);
    }

    [Fact]
    public void WhatIf_TenWindowsNodes_FitASiteWithRoom()
    {
        var result = CapacityPlanner.WhatIf("add a node pool of 10 Windows nodes to cluster analytics", Contoso, AddWindowsPool(Contoso, 1, 10), []);

        Assert.True(result.Fits, string.Join("\n", result.Findings));
        Assert.Equal(42, result.Before!.Networks[1].NodeIpPool!.Required);
        Assert.Equal(52, result.After!.Networks[1].NodeIpPool!.Required);
        Assert.Equal(52, result.After.Networks[1].NodeIpPool!.Allocated);
        Assert.NotNull(result.FirstToRunOut);
    }

    [Fact]
    public void WhatIf_NamesTheNodeIpPool_WhenAnInvalidChangeAlsoDoesNotFit()
    {
        // The max-pods error does not hide that one more node does not fit the full node IP pool.
        var tooFewPods = Worked.AddNodePool(1, new NodePoolSpec { Name = "winpool", OsType = OsType.Windows, Count = 1, MaxPodCount = 30 });

        var result = CapacityPlanner.WhatIf("add one Windows node with 30 pods", Worked, tooFewPods, []);

        Assert.False(result.Fits);
        Assert.Equal("spec.hostNetwork.k8sNodeIpPoolEnd", result.FirstToRunOut);
        Assert.Contains(result.Findings, f => f.Code == "InvalidMaxPodCount");
    }

    [Fact]
    public void WhatIf_NamesNoCapacityField_WhenTheChangeIsInvalidForAnotherReason()
    {
        var badVersion = Worked.Cluster(1, c => c with { KubernetesVersion = "latest" });

        var result = CapacityPlanner.WhatIf("upgrade b to latest", Worked, badVersion, []);

        Assert.False(result.Fits);
        Assert.Null(result.FirstToRunOut);
        Assert.Contains(result.Findings, f => f.Code == "InvalidKubernetesVersion");
    }
}
