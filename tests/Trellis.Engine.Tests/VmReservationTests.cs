using Trellis.Core.Ipam;
using Trellis.Core.Model;
using Severity = Trellis.Engine.Contracts.Severity;

namespace Trellis.Engine.Tests;

/// <summary>
/// A DHCP reservation named CLUSTER-VMNAME pins that VM at the reserved address through apply, the views and the
/// rendered HAProxy and keepalived files (dhcp-site.yaml: cluster edge on branchvnet, here with two HAProxy VMs).
/// </summary>
public class VmReservationTests
{
    private static SiteSpec TwoLoadBalancers()
    {
        var spec = EngineFixture.Example("dhcp-site.yaml");
        return spec with { Clusters = [.. spec.Clusters.Select(c => c with { LoadBalancerCount = 2 })] };
    }

    private static SiteSpec Reserve(SiteSpec spec, params (string Name, string Address, string Mac)[] reservations)
    {
        var scope = spec.HostNetwork!.DhcpScope!;
        return spec with
        {
            HostNetwork = spec.HostNetwork with
            {
                DhcpScope = scope with { Reservations = [.. scope.Reservations, .. reservations.Select(r => new DhcpReservationSpec { Name = r.Name, IpAddress = r.Address, MacAddress = r.Mac })] },
            },
        };
    }

    private static SiteSpec Reserved() => Reserve(TwoLoadBalancers(),
        ("edge-control-plane-1", "10.12.0.60", "02-00-00-00-02-01"),
        ("edge-load-balancer-1", "10.12.0.61", "02:00:00:00:02:02"),
        ("edge-load-balancer-2", "10.12.0.62", "02-00-00-00-02-03"));

    private static Allocation Vm(SiteState state, Owner owner) => Assert.Single(state.Allocations, a => a.Owner == owner);

    [Fact]
    public async Task Apply_MovesStoredVmsOntoNewlyAddedReservations()
    {
        await using var f = new EngineFixture();
        var first = await f.Engine.ApplyAsync(TwoLoadBalancers());
        Assert.True(first.Applied, string.Join("\n", first.Findings));
        Assert.Equal("10.12.0.11", Vm(await f.Engine.ReadAsync(), new ControlPlaneVm("edge", 1)).Address);

        var second = await f.Engine.ApplyAsync(Reserved());

        Assert.True(second.Applied, string.Join("\n", second.Findings));
        var state = await f.Engine.ReadAsync();
        var controlPlane = Vm(state, new ControlPlaneVm("edge", 1));
        Assert.Equal("10.12.0.60", controlPlane.Address);
        Assert.Null(controlPlane.ExpiresAt);
        Assert.Equal("mac 02-00-00-00-02-01, reservation edge-control-plane-1", controlPlane.Detail);
        Assert.Equal("10.12.0.61", Vm(state, new LoadBalancerVm("edge", 1)).Address);
        Assert.Equal("10.12.0.62", Vm(state, new LoadBalancerVm("edge", 2)).Address);
        Assert.DoesNotContain(state.Allocations, a => a.Owner is DhcpReservation r && r.Name.StartsWith("edge-", StringComparison.Ordinal));
        Assert.Equal("10.12.0.12", Assert.Single(state.Allocations, a => a.Owner is DhcpReservation).Address);
        EngineFixture.AssertNoAddressTwice(state.Allocations);

        // Applying the same spec again keeps every VM where it is.
        var again = await f.Engine.ApplyAsync(Reserved());
        Assert.True(again.Plan!.IsEmpty);
    }

    [Fact]
    public async Task RenderedFiles_NameTheReservedAddresses()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(Reserved());
        var state = await f.Engine.ReadAsync();

        var answer = SiteViews.Render(state, ["haproxy", "keepalived"], "edge", "load-balancer-1");

        var haproxy = Assert.Single(answer.Files, x => x.Path.EndsWith("haproxy.cfg", StringComparison.Ordinal)).Content;
        Assert.Contains("server control-plane-1 10.12.0.60:6443", haproxy, StringComparison.Ordinal);
        var keepalived = Assert.Single(answer.Files, x => x.Path.EndsWith("keepalived.conf", StringComparison.Ordinal)).Content;
        Assert.Contains("unicast_src_ip 10.12.0.61", keepalived, StringComparison.Ordinal);
        Assert.Matches(@"unicast_peer\s*\{\s*10\.12\.0\.62\s*\}", keepalived);
    }

    [Fact]
    public async Task Views_GiveTheReservedMac_OfPinnedVmsOnly()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(Reserved());
        var state = await f.Engine.ReadAsync();

        var nodes = SiteViews.NodeAddresses(state, "edge");
        Assert.Equal("02:00:00:00:02:01", Assert.Single(nodes, n => n.Node == "control-plane-1").MacAddress);
        Assert.All(nodes.Where(n => n.Node != "control-plane-1"), n => Assert.Null(n.MacAddress));

        var vms = Assert.Single(SiteViews.LoadBalancers(state, "edge")).Vms;
        Assert.Equal(["02:00:00:00:02:02", "02:00:00:00:02:03"], vms.OrderBy(v => v.Name, StringComparer.Ordinal).Select(v => v.MacAddress));
    }

    [Fact]
    public async Task DhcpLeaseInConfig_IsWarnedAtApplyAndRender_UntilEveryNamedVmIsReserved()
    {
        await using var f = new EngineFixture();
        var partly = await f.Engine.ApplyAsync(Reserved());

        Assert.True(partly.Applied);
        var warning = Assert.Single(partly.Findings, x => x.Code == "DhcpLeaseInConfig");
        Assert.Equal(Severity.Warning, warning.Severity);
        Assert.Equal("spec.clusters[0]", warning.Path);
        Assert.Contains("edge-linux-1", warning.Hint, StringComparison.Ordinal);
        var render = SiteViews.Render(await f.Engine.ReadAsync(), ["haproxy"], null, null);
        Assert.NotEmpty(render.Files);
        Assert.Contains(render.Findings, x => x.Code == "DhcpLeaseInConfig");
        Assert.DoesNotContain(SiteViews.Render(await f.Engine.ReadAsync(), ["kea"], null, null).Findings, x => x.Code == "DhcpLeaseInConfig");

        var workers = Enumerable.Range(1, 3).Select(i => ($"edge-linux-{i}", $"10.12.0.{70 + i}", $"02-00-00-00-03-{i:D2}"))
            .Concat(Enumerable.Range(1, 2).Select(i => ($"edge-win-{i}", $"10.12.0.{80 + i}", $"02-00-00-00-04-{i:D2}"))).ToArray();
        var full = await f.Engine.ApplyAsync(Reserve(Reserved(), workers));

        Assert.True(full.Applied, string.Join("\n", full.Findings));
        Assert.DoesNotContain(full.Findings, x => x.Code == "DhcpLeaseInConfig");
        Assert.DoesNotContain(SiteViews.Render(await f.Engine.ReadAsync(), ["haproxy", "keepalived"], null, null).Findings, x => x.Code == "DhcpLeaseInConfig");
    }
}
