using System.Net;
using Trellis.Core.Addressing;
using Trellis.Core.Ipam;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using static Trellis.Core.Tests.SpecEdits;

namespace Trellis.Core.Tests.Planning;

public class SitePlannerTests
{
    private static readonly DateTimeOffset Now = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static AllocationPlan Plan(SiteSpec spec) => SitePlanner.Plan(ExampleSites.Resolve(spec), [], Now);

    private static Allocation Owner(AllocationPlan plan, Core.Ipam.Owner owner) => Assert.Single(plan.Result, a => a.Owner == owner);

    private static Allocation Owner(AllocationPlan plan, PoolId pool, Core.Ipam.Owner owner) => Assert.Single(plan.Result, a => a.Pool == pool && a.Owner == owner);

    /// <summary>A pool and owners of any name, for the generic planner.</summary>
    private static PoolId P(string name) => PoolIds.Nodes(name);

    private static Core.Ipam.Owner O(string name) => PoolIds.Reservation(name);

    [Theory]
    [InlineData("worked-example.yaml", 59)]
    [InlineData("contoso-multicluster.yaml", 116)]
    [InlineData("dhcp-site.yaml", 24)]
    [InlineData("aksarc-site.yaml", 43)]
    public void Plan_OfEachExample_HasNoFindings(string file, int allocations)
    {
        var plan = Plan(ExampleSites.Spec(file));

        Assert.Empty(plan.Findings);
        Assert.Empty(plan.Removed);
        Assert.Equal(allocations, plan.Result.Count);
        Assert.Equal(plan.Added.OrderBy(a => a.Key, StringComparer.Ordinal), plan.Result.OrderBy(a => a.Key, StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("worked-example.yaml")]
    [InlineData("contoso-multicluster.yaml")]
    [InlineData("dhcp-site.yaml")]
    [InlineData("aksarc-site.yaml")]
    public void Plan_ReappliedToItsResult_ChangesNothing(string file)
    {
        var site = ExampleSites.Resolve(ExampleSites.Spec(file));
        var first = SitePlanner.Plan(site, [], Now);

        var again = SitePlanner.Plan(site, first.Result, Now.AddDays(3));

        Assert.True(again.IsEmpty);
        Assert.Equal(first.Result, again.Result);
    }

    [Fact]
    public void Plan_HandsOutTheLowestFreeAddressInClaimOrder()
    {
        var plan = Plan(Worked);

        Assert.Equal("172.16.0.20", Owner(plan, PoolIds.ManagementVm).Address);
        Assert.Equal("172.16.0.21", Owner(plan, PoolIds.ManagementReserve(1)).Address);
        Assert.Equal("172.16.0.22", Owner(plan, PoolIds.ManagementReserve(2)).Address);
        Assert.Equal("172.16.0.23", Owner(plan, PoolIds.ControlPlane("a", 1)).Address);
        Assert.Equal("172.16.0.26", Owner(plan, PoolIds.LoadBalancerVm("a", 1)).Address);
        Assert.Equal("172.16.0.27", Owner(plan, PoolIds.Worker("a", "linuxpool", 1)).Address);
        Assert.Equal("172.16.0.150", Owner(plan, PoolIds.ApiServer("a")).Address);
        Assert.Equal("172.16.0.154", Owner(plan, PoolIds.ApiServer("b")).Address);
        Assert.Equal("172.16.0.46", Owner(plan, PoolIds.UpgradeReserve("b", 5)).Address);
        Assert.Equal("172.16.0.10", Owner(plan, PoolIds.CloudAgent).Address);
    }

    [Fact]
    public void Plan_GivesServicesWithOneSharedIpKeyExactlyOneVip()
    {
        var plan = Plan(Worked);

        var shared = Owner(plan, PoolIds.SharedVip("a", "front"));
        Assert.Equal("shop/web1:443 shop/db:80", shared.Detail);
        Assert.DoesNotContain(plan.Result, a => a.Owner == PoolIds.ServiceVip("a", "shop", "web1") || a.Owner == PoolIds.ServiceVip("a", "shop", "db"));
        var vips = plan.Result.Where(a => a.Pool == PoolIds.Vips("mgmtvnet") && a.Owner is ServiceVip or SharedVip && a.Owner.Cluster == "a").ToList();
        Assert.Equal(3, vips.Count);
        Assert.Equal(3, vips.Select(a => a.Address).Distinct().Count());
    }

    [Fact]
    public void Plan_PinsTheKubernetesAndKubeDnsClusterIps()
    {
        var plan = Plan(Worked);
        var pool = PoolIds.ClusterIps("a");

        Assert.Equal("10.96.0.1", Owner(plan, pool, PoolIds.ClusterIp("a", "default", "kubernetes")).Address);
        Assert.Equal("10.96.0.10", Owner(plan, pool, PoolIds.ClusterIp("a", "kube-system", "kube-dns")).Address);
        Assert.Equal(["10.96.0.2", "10.96.0.3", "10.96.0.4", "10.96.0.5"],
            Worked.Clusters[0].Services.Select(s => Owner(plan, pool, PoolIds.ClusterIp("a", s.Namespace, s.Name)).Address));
    }

    [Fact]
    public void Plan_PinsKubeDns_InACustomServiceCidr()
    {
        var plan = Plan(Worked.Cluster(1, c => c with { ServiceCidr = "10.100.0.0/16" }));

        Assert.Equal("10.100.0.1", Owner(plan, PoolIds.ClusterIps("b"), PoolIds.ClusterIp("b", "default", "kubernetes")).Address);
        Assert.Equal("10.100.0.10", Owner(plan, PoolIds.ClusterIps("b"), PoolIds.ClusterIp("b", "kube-system", "kube-dns")).Address);
    }

    [Fact]
    public void Plan_SkipsKubeDnsAddress_WhenServicesFillTheLowAddresses()
    {
        var services = Enumerable.Range(1, 12).Select(i => new ServiceSpec { Namespace = "bi", Name = $"s{i}", Ports = [443] });
        var plan = Plan(Contoso.Cluster(1, c => c with { Services = [.. services] }));

        var addresses = plan.Result.Where(a => a.Pool == PoolIds.ClusterIps("analytics")).Select(a => a.Address).ToList();
        Assert.Equal(14, addresses.Count);
        Assert.Equal(14, addresses.Distinct().Count());
        Assert.Equal("10.96.0.11", Owner(plan, PoolIds.ClusterIps("analytics"), PoolIds.ClusterIp("analytics", "bi", "s9")).Address);
    }

    [Fact]
    public void Plan_GivesNodePortsFrom30000Upward()
    {
        var plan = Plan(Worked);

        var ports = plan.Result.Where(a => a.Pool == PoolIds.NodePorts("a")).ToList();
        Assert.Equal(["30000", "30001", "30002", "30003"], ports.Select(p => p.Address).Order(StringComparer.Ordinal));
        Assert.Equal("TCP 443", Owner(plan, PoolIds.NodePorts("a"), PoolIds.NodePort("a", "shop", "web1", "TCP", 443)).Detail);
        Assert.All(plan.Result.Where(a => a.Pool is ClusterPool { Kind: ClusterPoolKind.NodePorts }),
            a => Assert.InRange(int.Parse(a.Address, System.Globalization.CultureInfo.InvariantCulture), SitePlanner.NodePortFirst, SitePlanner.NodePortLast));
    }

    [Fact]
    public void Plan_GivesEachNodeACalicoBlock_AndDescribesWindowsBlocks()
    {
        var plan = Plan(Contoso);
        var pool = PoolIds.Pods("payments");

        Assert.Equal("10.244.0.0/26", Owner(plan, pool, PoolIds.NodeBlock(PoolIds.ControlPlane("payments", 1), 1)).Address);
        Assert.Null(Owner(plan, pool, PoolIds.NodeBlock(PoolIds.Worker("payments", "linuxpool", 1), 1)).Detail);
        var windows = Owner(plan, pool, PoolIds.NodeBlock(PoolIds.Worker("payments", "winpool", 1), 1));
        Assert.Equal("windows, 4 reserved, 60 usable", windows.Detail);
        Assert.EndsWith("/26", windows.Address, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_DescribesWindowsBlocksOfALargerBlockSize()
    {
        var plan = Plan(Contoso.Settings(s => s with { CalicoBlockSize = 24 }).NodePool(0, 1, p => p with { MaxPodCount = 110 }));

        Assert.Equal("windows, 4 reserved, 252 usable", Owner(plan, PoolIds.Pods("payments"), PoolIds.NodeBlock(PoolIds.Worker("payments", "winpool", 4), 1)).Detail);
    }

    [Fact]
    public void Plan_GivesEachFlannelNodeAPerNodeSubnet()
    {
        var plan = Plan(Contoso);

        Assert.Equal("10.244.0.0/24", Owner(plan, PoolIds.Pods("legacy"), PoolIds.NodePodCidr(PoolIds.ControlPlane("legacy", 1))).Address);
        Assert.Equal("10.244.4.0/24", Owner(plan, PoolIds.Pods("legacy"), PoolIds.NodePodCidr(PoolIds.Worker("legacy", "iis", 2))).Address);
        Assert.Null(Owner(plan, PoolIds.Pods("legacy"), PoolIds.NodePodCidr(PoolIds.Worker("legacy", "iis", 2))).Detail);
    }

    [Fact]
    public void Plan_GivesTheLoadBalancerVmsOfAnHAProxyPair_AndNoneForSkuNone()
    {
        var plan = Plan(Contoso);

        Assert.Single(plan.Result, a => a.Owner == PoolIds.LoadBalancerVm("payments", 2));
        Assert.DoesNotContain(plan.Result, a => a.Owner is LoadBalancerVm { ClusterName: "legacy" });
    }

    // ---- DHCP ----

    [Fact]
    public void Plan_LeasesNodeVmsFromTheScope_ForTheLeaseDuration()
    {
        var plan = Plan(Dhcp);
        var leases = plan.Result.Where(a => a.Pool == PoolIds.Dhcp("branchvnet") && a.Owner is not DhcpReservation).ToList();

        Assert.Equal(1 + 1 + 1 + 5, leases.Count);
        Assert.All(leases, a => Assert.Equal(Now + TimeSpan.FromDays(8), a.ExpiresAt));
        Assert.Equal("10.12.0.10", Owner(plan, PoolIds.ManagementVm).Address);
        Assert.DoesNotContain(plan.Result, a => a.Pool == PoolIds.Nodes("branchvnet"));
        Assert.DoesNotContain(plan.Result, a => a.Owner is UpgradeReserve or ManagementReserve);
    }

    [Fact]
    public void Plan_UsesTheConfiguredLease()
    {
        var plan = Plan(Dhcp.Scope(s => s with { LeaseDuration = "3.00:00:00" }));

        Assert.Equal(Now + TimeSpan.FromDays(3), Owner(plan, PoolIds.ControlPlane("edge", 1)).ExpiresAt);
    }

    [Fact]
    public void Plan_GivesAReservationItsFixedAddress_WithoutExpiry()
    {
        var plan = Plan(Dhcp);

        var jumphost = Owner(plan, PoolIds.Reservation("jumphost"));
        Assert.Equal("10.12.0.12", jumphost.Address);
        Assert.Equal("mac 02-1E-2B-78-00-01", jumphost.Detail);
        Assert.Null(jumphost.ExpiresAt);
        Assert.Equal("10.12.0.11", Owner(plan, PoolIds.ControlPlane("edge", 1)).Address);
        Assert.Equal("10.12.0.13", Owner(plan, PoolIds.LoadBalancerVm("edge", 1)).Address);
    }

    [Fact]
    public void Plan_GivesAReservationOnTheFirstScopeAddress_ToTheReservation_NotToALease()
    {
        var plan = Plan(Dhcp.Scope(s => s with { Reservations = [s.Reservations[0] with { IpAddress = "10.12.0.10" }] }));

        Assert.Empty(plan.Findings);
        Assert.Equal("10.12.0.10", Owner(plan, PoolIds.Reservation("jumphost")).Address);
        Assert.Equal("10.12.0.11", Owner(plan, PoolIds.ManagementVm).Address);
    }

    [Fact]
    public void Plan_GivesAReservationOutsideTheScopeRange_ItsAddress()
    {
        var plan = Plan(Dhcp.Scope(s => s with { Reservations = [s.Reservations[0] with { IpAddress = "10.12.0.251" }] }));

        Assert.Empty(plan.Findings);
        Assert.Equal("10.12.0.251", Owner(plan, PoolIds.Reservation("jumphost")).Address);
    }

    [Fact]
    public void Plan_NeverLeasesTheVipPoolTheCloudAgentOrTheGateway()
    {
        // Validation keeps the gateway out of the scope range; the planner must still exclude it if it is there.
        var valid = ExampleSites.Resolve(Dhcp.NodePool(0, 0, p => p with { Count = 190 }).NodePool(0, 1, p => p with { Count = 0 }));
        var host = valid.HostNetwork with { Gateway = IPAddress.Parse("10.12.0.11") };
        var site = valid with
        {
            HostNetwork = host,
            CloudAgentAddress = IPAddress.Parse("10.12.0.10"),
            Clusters = valid.Clusters.Select(c => c with { Network = host }).ToList(),
        };

        var exclusions = SitePlanner.DhcpExclusions(site, host);
        var plan = SitePlanner.Plan(site, [], Now);

        Assert.Equal(["10.12.0.10", "10.12.0.11", "10.12.0.200-10.12.0.239"], exclusions.Select(e => e.ToString()));
        var leases = plan.Result.Where(a => a.Pool == PoolIds.Dhcp("branchvnet")).ToList();
        Assert.Equal(1 + 1 + 1 + 1 + 190, leases.Count);
        Assert.DoesNotContain(leases, a => exclusions.Any(e => e.Contains(IPAddress.Parse(a.Address))));
        Assert.Equal("10.12.0.13", Owner(plan, PoolIds.ManagementVm).Address);
        Assert.Contains(leases, a => a.Address == "10.12.0.240");
    }

    [Fact]
    public void DhcpExclusions_AreEmpty_ForAStaticNetwork_AndClipTheVipPoolToTheRange()
    {
        var worked = ExampleSites.Resolve(Worked);
        Assert.Empty(SitePlanner.DhcpExclusions(worked, worked.HostNetwork));

        var dhcp = ExampleSites.Resolve(Dhcp.Scope(s => s with { End = "10.12.0.220" }));
        Assert.Equal(["10.12.0.200-10.12.0.220"], SitePlanner.DhcpExclusions(dhcp, dhcp.HostNetwork).Select(e => e.ToString()));
    }

    // ---- AKS Arc ----

    [Fact]
    public void Plan_GivesArcClustersTheirControlPlaneIps_AndServiceIpsFromMetalLb()
    {
        var plan = Plan(Arc);

        Assert.Equal("10.220.32.40", Owner(plan, PoolIds.ControlPlaneIp("a")).Address);
        Assert.Equal("10.220.32.41", Owner(plan, PoolIds.ControlPlaneIp("b")).Address);
        Assert.Equal(["10.220.32.47", "10.220.32.48", "10.220.32.49"],
            plan.Result.Where(a => a.Pool == PoolIds.MetalLb("a")).Select(a => a.Address).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(plan.Result, a => a.Owner == PoolIds.ApiServer("a"));
        Assert.Equal("10.220.32.18", Owner(plan, PoolIds.ControlPlane("a", 1)).Address);
    }

    [Fact]
    public void Plan_NeverPicksTheGatewayOrADnsServerAsAControlPlaneIp()
    {
        var plan = Plan(Arc.Cluster(1, c => c with { ControlPlaneIp = null }));

        Assert.Equal("10.220.32.3", Owner(plan, PoolIds.ControlPlaneIp("b")).Address);
    }

    [Fact]
    public void Plan_GivesAFixedControlPlaneIpToItsCluster_EvenWhenAnEarlierClusterNeedsAnAutomaticOne()
    {
        var spec = Arc.Cluster(0, c => c with { ControlPlaneIp = null }).Cluster(1, c => c with { ControlPlaneIp = "10.220.32.3" });

        var plan = Plan(spec);

        Assert.Empty(plan.Findings);
        Assert.Equal("10.220.32.3", Owner(plan, PoolIds.ControlPlaneIp("b")).Address);
        Assert.Equal("10.220.32.4", Owner(plan, PoolIds.ControlPlaneIp("a")).Address);
    }

    // ---- the generic planner ----

    private static PoolDefinition Numbers(string id, uint first, uint last) =>
        PoolDefinition.ForAddresses(P(id), id, new AddressRange(first, last, System.Net.Sockets.AddressFamily.InterNetwork));

    [Fact]
    public void Plan_ReportsPoolExhaustion_ForEachOwnerThatDoesNotFit()
    {
        var plan = SitePlanner.Plan([Numbers("p", 1, 2)], [new Claim(P("p"), O("x")), new Claim(P("p"), O("y")), new Claim(P("p"), O("z"))], [], Now);

        var finding = Assert.Single(plan.Findings);
        Assert.Equal(("PoolExhausted", "reservation/z"), (finding.Code, finding.Path));
        Assert.Equal(["0.0.0.1", "0.0.0.2"], plan.Added.Select(a => a.Address));
    }

    [Fact]
    public void Plan_ReportsAFixedAddressHeldByAnotherOwner()
    {
        var current = new[] { new Allocation(P("p"), "0.0.0.5", O("holder")) };

        var plan = SitePlanner.Plan([Numbers("p", 1, 10)], [new Claim(P("p"), O("holder")), new Claim(P("p"), O("pinned"), Fixed: 5)], current, Now);

        var finding = Assert.Single(plan.Findings);
        Assert.Equal(("AddressUnavailable", "reservation/pinned"), (finding.Code, finding.Path));
        Assert.False(string.IsNullOrWhiteSpace(finding.Hint));
    }

    [Fact]
    public void Plan_ReportsAFixedAddressOutsideThePool()
    {
        var plan = SitePlanner.Plan([Numbers("p", 1, 10)], [new Claim(P("p"), O("pinned"), Fixed: 11)], [], Now);

        Assert.Equal("AddressUnavailable", Assert.Single(plan.Findings).Code);
    }

    [Fact]
    public void Plan_ReleasesWhatNoClaimWants_AndWhatIsMalformed_AndDuplicates()
    {
        var current = new[]
        {
            new Allocation(P("p"), "0.0.0.3", O("kept")),
            new Allocation(P("p"), "0.0.0.4", O("kept")),
            new Allocation(P("p"), "0.0.0.5", O("gone")),
            new Allocation(P("p"), "not-an-address", O("broken")),
            new Allocation(P("p"), "0.0.0.99", O("outside")),
            new Allocation(P("nopool"), "0.0.0.1", O("kept")),
        };

        var plan = SitePlanner.Plan([Numbers("p", 1, 10)], [new Claim(P("p"), O("kept")), new Claim(P("p"), O("broken")), new Claim(P("p"), O("outside"))], current, Now);

        Assert.Equal("0.0.0.3", Owner(plan, P("p"), O("kept")).Address);
        Assert.Equal(["0.0.0.1", "0.0.0.2"], plan.Added.Select(a => a.Address));
        Assert.Equal(5, plan.Removed.Count);
        Assert.Equal(3, plan.Result.Count);
        Assert.Empty(plan.Findings);
    }

    [Fact]
    public void Plan_MovesAnOwnerWhosePinnedAddressChanged()
    {
        var current = new[] { new Allocation(P("p"), "0.0.0.5", O("pinned")) };

        var plan = SitePlanner.Plan([Numbers("p", 1, 10)], [new Claim(P("p"), O("pinned"), Fixed: 7)], current, Now);

        Assert.Equal("0.0.0.5", Assert.Single(plan.Removed).Address);
        Assert.Equal("0.0.0.7", Assert.Single(plan.Added).Address);
    }

    [Fact]
    public void Plan_NeverHandsOutBlockedNumbers()
    {
        var pool = Numbers("p", 1, 5) with { Blocked = [(1, 2), (4, 4)] };

        var plan = SitePlanner.Plan([pool], [new Claim(P("p"), O("x")), new Claim(P("p"), O("y")), new Claim(P("p"), O("z"))], [], Now);

        Assert.Equal(["0.0.0.3", "0.0.0.5"], plan.Added.Select(a => a.Address));
        Assert.Equal("PoolExhausted", Assert.Single(plan.Findings).Code);
    }

    [Fact]
    public void Plan_IsDeterministic()
    {
        var site = ExampleSites.Resolve(Contoso);

        Assert.Equal(SitePlanner.Plan(site, [], Now).Result, SitePlanner.Plan(site, [], Now).Result);
    }
}
