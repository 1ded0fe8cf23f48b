using Trellis.Core.Ipam;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Core.Validation;
using static Trellis.Core.Tests.SpecEdits;

namespace Trellis.Core.Tests.Planning;

/// <summary>A DHCP reservation named CLUSTER-VMNAME places that VM at the reserved address (dhcp-site.yaml: cluster edge on branchvnet).</summary>
public class VmReservationTests
{
    private static readonly DateTimeOffset Now = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly PoolId Scope = PoolIds.Dhcp("branchvnet");

    /// <summary>The DHCP example with more reservations after its jumphost.</summary>
    internal static SiteSpec Reserve(SiteSpec spec, params (string Name, string Address)[] reservations) =>
        spec.Scope(s => s with
        {
            Reservations = [.. s.Reservations, .. reservations.Select((r, i) => new DhcpReservationSpec { Name = r.Name, IpAddress = r.Address, MacAddress = $"02-00-00-00-01-{s.Reservations.Count + i:X2}" })],
        });

    private static AllocationPlan Plan(SiteSpec spec) => SitePlanner.Plan(ExampleSites.Resolve(spec), [], Now);

    private static Allocation At(AllocationPlan plan, Owner owner) => Assert.Single(plan.Result, a => a.Pool == Scope && a.Owner == owner);

    [Fact]
    public void Plan_PlacesReservedVms_AtTheReservedAddresses_AndTheOthersAtTheLowestFreeAroundThem()
    {
        var plan = Plan(Reserve(Dhcp, ("edge-control-plane-1", "10.12.0.40"), ("edge-load-balancer-1", "10.12.0.41"), ("edge-linux-2", "10.12.0.11")));

        Assert.Empty(plan.Findings);
        var controlPlane = At(plan, PoolIds.ControlPlane("edge", 1));
        Assert.Equal("10.12.0.40", controlPlane.Address);
        Assert.Null(controlPlane.ExpiresAt);
        Assert.Equal("mac 02-00-00-00-01-01, reservation edge-control-plane-1", controlPlane.Detail);
        Assert.Equal("10.12.0.41", At(plan, PoolIds.LoadBalancerVm("edge", 1)).Address);
        var linux2 = At(plan, PoolIds.Worker("edge", "linux", 2));
        Assert.Equal("10.12.0.11", linux2.Address);
        Assert.Null(linux2.ExpiresAt);

        // The others lease around them: the management VM first, then the cluster's VMs in claim order.
        Assert.Equal("10.12.0.10", At(plan, PoolIds.ManagementVm).Address);
        Assert.Equal("10.12.0.13", At(plan, PoolIds.Worker("edge", "linux", 1)).Address);
        Assert.Equal("10.12.0.14", At(plan, PoolIds.Worker("edge", "linux", 3)).Address);
        Assert.Equal(Now + TimeSpan.FromDays(8), At(plan, PoolIds.Worker("edge", "linux", 3)).ExpiresAt);

        // One address, one holder: no reservation/NAME allocation for a reservation that pins a VM.
        Assert.DoesNotContain(plan.Result, a => a.Owner is DhcpReservation r && r.Name.StartsWith("edge-", StringComparison.Ordinal));
        Assert.DoesNotContain(plan.Result.GroupBy(a => (a.Pool, a.Address)), g => g.Count() > 1);
    }

    [Fact]
    public void Plan_KeepsAReservationNotNamedAfterAVm_AsItWas()
    {
        var plan = Plan(Reserve(Dhcp, ("edge-control-plane-1", "10.12.0.40"), ("edge-printer", "10.12.0.42")));

        var jumphost = At(plan, PoolIds.Reservation("jumphost"));
        Assert.Equal("10.12.0.12", jumphost.Address);
        Assert.Equal("mac 02-1E-2B-78-00-01", jumphost.Detail);
        var printer = At(plan, PoolIds.Reservation("edge-printer"));
        Assert.Equal("10.12.0.42", printer.Address);
        Assert.Equal("mac 02-00-00-00-01-02", printer.Detail);
        Assert.Null(printer.ExpiresAt);
    }

    [Fact]
    public void Plan_ComparesReservationNamesOrdinally()
    {
        var plan = Plan(Reserve(Dhcp, ("Edge-Control-Plane-1", "10.12.0.40")));

        Assert.Equal("10.12.0.40", At(plan, PoolIds.Reservation("Edge-Control-Plane-1")).Address);
        Assert.Equal("10.12.0.11", At(plan, PoolIds.ControlPlane("edge", 1)).Address);
    }

    [Fact]
    public void Plan_PlacesAVm_AtAReservedAddressOutsideTheScopeRange()
    {
        var plan = Plan(Reserve(Dhcp, ("edge-control-plane-1", "10.12.0.251")));

        Assert.Empty(plan.Findings);
        Assert.Equal("10.12.0.251", At(plan, PoolIds.ControlPlane("edge", 1)).Address);
    }

    [Fact]
    public void Plan_MovesAStoredVm_ToItsReservation_AndReleasesTheReservationsOwnHolding()
    {
        // As stored before reservations pinned VMs: the reservation held its address, the VM a lease elsewhere.
        var before = Plan(Dhcp);
        var stored = before.Result.Append(new Allocation(Scope, "10.12.0.50", PoolIds.Reservation("edge-control-plane-1")) { Detail = "mac 02-00-00-00-01-01" }).ToList();
        Assert.Equal("10.12.0.11", At(before, PoolIds.ControlPlane("edge", 1)).Address);

        var after = SitePlanner.Plan(ExampleSites.Resolve(Reserve(Dhcp, ("edge-control-plane-1", "10.12.0.50"))), stored, Now.AddDays(1));

        Assert.Empty(after.Findings);
        Assert.Equal("10.12.0.50", At(after, PoolIds.ControlPlane("edge", 1)).Address);
        Assert.Null(At(after, PoolIds.ControlPlane("edge", 1)).ExpiresAt);
        Assert.Contains(after.Removed, a => a.Owner == PoolIds.ControlPlane("edge", 1) && a.Address == "10.12.0.11");
        Assert.Contains(after.Removed, a => a.Owner == PoolIds.Reservation("edge-control-plane-1"));
        Assert.DoesNotContain(after.Result, a => a.Owner == PoolIds.Reservation("edge-control-plane-1"));
        Assert.Equal("10.12.0.13", At(after, PoolIds.LoadBalancerVm("edge", 1)).Address);
    }

    [Fact]
    public void Capacity_CountsAVmsReservation_OnceWithTheVms()
    {
        var site = ExampleSites.Resolve(Reserve(Dhcp, ("edge-control-plane-1", "10.12.0.40"), ("edge-printer", "10.12.0.42")));

        var reservations = Assert.Single(CapacityPlanner.Breakdown(site), l => l.Item == "DHCP reservations");
        Assert.Equal(2, reservations.Count);
    }

    // ---- DhcpLeaseInConfig ----

    private static readonly (string, string)[] EveryEdgeVm =
    [
        ("edge-control-plane-1", "10.12.0.40"), ("edge-linux-1", "10.12.0.41"), ("edge-linux-2", "10.12.0.42"), ("edge-linux-3", "10.12.0.43"),
        ("edge-win-1", "10.12.0.44"), ("edge-win-2", "10.12.0.45"),
    ];

    [Fact]
    public void DhcpLeaseInConfig_NamesTheUnreservedVmsTheFilesName()
    {
        var finding = Dhcp.AssertFinding("DhcpLeaseInConfig", "spec.clusters[0]", Severity.Warning);

        Assert.Contains("control-plane-1, linux-1, linux-2 and 3 more", finding.Message, StringComparison.Ordinal);
        Assert.Contains("edge-control-plane-1, edge-linux-1, edge-linux-2 and 3 more", finding.Hint, StringComparison.Ordinal);
        Assert.Contains("dhcpScope.reservations", finding.Hint, StringComparison.Ordinal);
        // One HAProxy VM has no keepalived peer: its own address is in no file.
        Assert.DoesNotContain("load-balancer-1", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DhcpLeaseInConfig_IsNotReported_ForAFullyReservedCluster()
    {
        Reserve(Dhcp, EveryEdgeVm).AssertClean("DhcpLeaseInConfig");
    }

    [Fact]
    public void DhcpLeaseInConfig_NamesThePeers_OfTwoLoadBalancerVms()
    {
        var twoVms = Reserve(Dhcp.Cluster(0, c => c with { LoadBalancerCount = 2 }), EveryEdgeVm);

        var finding = twoVms.AssertFinding("DhcpLeaseInConfig", "spec.clusters[0]", Severity.Warning);
        Assert.Contains("2 VMs (load-balancer-1, load-balancer-2)", finding.Message, StringComparison.Ordinal);
        Assert.Contains("keepalived.conf", finding.Message, StringComparison.Ordinal);
        Reserve(twoVms, ("edge-load-balancer-1", "10.12.0.46"), ("edge-load-balancer-2", "10.12.0.47")).AssertClean("DhcpLeaseInConfig");
    }

    [Fact]
    public void DhcpLeaseInConfig_IsNotReported_WithoutHaProxyVmsOrOnAStaticNetwork()
    {
        Worked.AssertClean("DhcpLeaseInConfig");
        Dhcp.Cluster(0, c => c with { LoadBalancerCount = 0 }).AssertClean("DhcpLeaseInConfig");
    }
}
