using CsCheck;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using static Trellis.Core.Tests.SpecEdits;

namespace Trellis.Core.Tests.Planning;

/// <summary>
/// "Regardless of your deployment model, the number of IP addresses reserved remains the same" (AksHci IP address
/// planning): a site counts the same addresses whether its nodes take them from a static node IP pool or a DHCP scope.
/// </summary>
public class IpModelEquivalenceTests
{
    /// <summary>The worked example with a DHCP server: 32 reserved on it (a /26), the 5 VIPs excluded from leasing.</summary>
    private static SiteSpec WorkedAsDhcp => Worked.Host(n => n with
    {
        IpAllocationMethod = IpAllocationMethod.Dhcp,
        IpAddressPrefix = null,
        K8sNodeIpPoolStart = null,
        K8sNodeIpPoolEnd = null,
        VipPoolStart = "172.16.0.47",
        VipPoolEnd = "172.16.0.51",
        DhcpScope = new DhcpScopeSpec { Subnet = "172.16.0.0/24", Start = "172.16.0.20", End = "172.16.0.51" },
    }) with { CloudServiceCidr = null };

    [Fact]
    public void Capacity_WorkedExampleAsADhcpSite_Counts27Plus5Is32_ASlash26()
    {
        var report = CapacityPlanner.Report(ExampleSites.Resolve(WorkedAsDhcp), []);

        Assert.Equal(27, report.NodeIpPool.Required);
        Assert.Equal(27, report.NodeIpPool.Size);
        Assert.Equal(5, report.VipPool.Required);
        Assert.Equal(32, report.TotalRequired);
        Assert.Equal(26, report.RecommendedPrefixLength);
        Assert.Equal(2, Assert.Single(report.Breakdown, l => l.Scope == "management cluster" && l.Item == "update addresses").Count);
        Assert.Equal(5, Assert.Single(report.Breakdown, l => l.Scope == "cluster a" && l.Item == "update addresses").Count);
    }

    [Fact]
    public void Validate_WorkedExampleAsADhcpSite_IsShortOfScope_WithoutTheUpdateAddresses()
    {
        // 26 leasable addresses hold the 15 VMs but not the 2 + 5 + 5 update addresses the product reserves.
        WorkedAsDhcp.Scope(s => s with { End = "172.16.0.50" }).Host(n => n with { VipPoolStart = "172.16.0.46", VipPoolEnd = "172.16.0.50" })
            .AssertFinding("DhcpScopeTooSmall", "spec.hostNetwork.dhcpScope.end");
    }

    private sealed record Pool(bool Windows, int Count);

    private sealed record Cluster(int ControlPlane, Pool[] Pools, int LoadBalancers, int[] ServiceKeys);

    private sealed record Site(Cluster[] Clusters, bool ManagementVip, int? UpdateReserve);

    private static readonly Gen<Site> Sites =
        Gen.Select(
            Gen.Select(
                Gen.OneOfConst(1, 3, 5),
                Gen.Select(Gen.Bool, Gen.Int[0, 10], (w, n) => new Pool(w, n)).Array[1, 3],
                Gen.Int[0, 3],
                Gen.Int[0, 2].Array[0, 5],
                (cp, pools, lbs, services) => new Cluster(cp, pools, lbs, services)).Array[1, 4],
            Gen.Bool,
            Gen.Int[-1, 5],
            (clusters, vip, reserve) => new Site(clusters, vip, reserve < 0 ? null : reserve));

    /// <summary>The site with static networking: a node IP pool and a VIP pool of one /22.</summary>
    private static SiteSpec StaticForm(Site s) => new()
    {
        ApiVersion = SiteSpecDefaults.ApiVersion,
        Kind = "Site",
        Name = "equiv",
        HostNetwork = new NetworkSpec
        {
            Name = "vnet",
            VswitchName = "External",
            IpAddressPrefix = "10.0.0.0/22",
            Gateway = "10.0.0.1",
            DnsServers = ["10.0.0.2"],
            K8sNodeIpPoolStart = "10.0.0.10",
            K8sNodeIpPoolEnd = "10.0.2.255",
            VipPoolStart = "10.0.3.0",
            VipPoolEnd = "10.0.3.200",
        },
        CloudServiceCidr = "10.0.0.5/22",
        LoadBalancerSettings = [new LoadBalancerSettingSpec { Name = "none", LoadBalancerSku = LoadBalancerSku.None, LoadBalancerCount = 0 },
            .. Enumerable.Range(1, 3).Select(i => new LoadBalancerSettingSpec { Name = $"haproxy{i}", LoadBalancerCount = i })],
        Settings = new PlanningSettings { ManagementClusterVip = s.ManagementVip, WorkloadUpdateReserve = s.UpdateReserve },
        Clusters = s.Clusters.Select((c, i) => new ClusterSpec
        {
            Name = $"c{i}",
            ControlPlaneNodeCount = c.ControlPlane,
            LoadBalancerSettings = c.LoadBalancers == 0 ? "none" : $"haproxy{c.LoadBalancers}",
            NodePools = c.Pools.Select((p, j) => new NodePoolSpec
            {
                Name = $"p{j}",
                OsType = p.Windows ? OsType.Windows : OsType.Linux,
                Count = p.Count,
                MaxPodCount = p.Windows ? 60 : SiteSpecDefaults.MaxPodCount,
            }).ToList(),
            Services = c.ServiceKeys.Select((k, j) => new ServiceSpec
            {
                Namespace = "app",
                Name = $"s{j}",
                Ports = [1000 + j],
                SharedIpKey = k == 0 ? null : $"k{k}",
            }).ToList(),
        }).ToList(),
    };

    /// <summary>The same site on a DHCP server whose scope range is the static node IP pool, with the VIP pool outside it.</summary>
    private static SiteSpec DhcpForm(Site s) => StaticForm(s).Host(n => n with
    {
        IpAllocationMethod = IpAllocationMethod.Dhcp,
        IpAddressPrefix = null,
        K8sNodeIpPoolStart = null,
        K8sNodeIpPoolEnd = null,
        DhcpScope = new DhcpScopeSpec { Subnet = "10.0.0.0/22", Start = n.K8sNodeIpPoolStart, End = n.K8sNodeIpPoolEnd },
    });

    [Fact]
    public void Capacity_StaticAndDhcpFormsOfOneSite_CountTheSameAddresses()
    {
        Sites.Sample(s =>
        {
            var stat = CapacityPlanner.Report(ExampleSites.Resolve(StaticForm(s)), []);
            var dhcp = CapacityPlanner.Report(ExampleSites.Resolve(DhcpForm(s)), []);

            Assert.Equal(stat.NodeIpPool.Required, dhcp.NodeIpPool.Required);
            Assert.Equal(stat.NodeIpPool.Size, dhcp.NodeIpPool.Size);
            Assert.Equal(stat.NodeIpPool.HeadroomAfterUpgrade, dhcp.NodeIpPool.HeadroomAfterUpgrade);
            Assert.Equal(stat.VipPool.Required, dhcp.VipPool.Required);
            Assert.Equal(stat.TotalRequired, dhcp.TotalRequired);
            Assert.Equal(stat.RecommendedPrefixLength, dhcp.RecommendedPrefixLength);
            Assert.Equal(stat.Clusters.Select(c => (c.Name, c.NodeAddresses, c.Vips)), dhcp.Clusters.Select(c => (c.Name, c.NodeAddresses, c.Vips)));
            Assert.Equal(
                stat.Breakdown.Where(l => l.Item != "DHCP reservations").Select(l => (l.Scope, l.Item, l.Count)),
                dhcp.Breakdown.Select(l => (l.Scope, l.Item, l.Count)));
        }, iter: 300);
    }
}
