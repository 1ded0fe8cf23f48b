using System.Text.Json.Nodes;
using Trellis.Core.Model;
using Trellis.Rendering.Dhcp;

namespace Trellis.Rendering.Tests.Dhcp;

/// <summary>A reservation named after a VM (CLUSTER-VMNAME) is still a reservation to the DHCP server: Kea and Windows DHCP render it.</summary>
public class VmReservationRenderTests
{
    private static ExampleState Reserved(params (string Name, string Address, string Mac)[] reservations)
    {
        var spec = SiteSpecReader.Read(File.ReadAllText(Path.Combine(ExampleState.ExamplesDirectory, "dhcp-site.yaml"))).Spec!;
        var scope = spec.HostNetwork!.DhcpScope!;
        return ExampleState.FromSpec(spec with
        {
            HostNetwork = spec.HostNetwork with
            {
                DhcpScope = scope with { Reservations = [.. scope.Reservations, .. reservations.Select(r => new DhcpReservationSpec { Name = r.Name, IpAddress = r.Address, MacAddress = r.Mac })] },
            },
        });
    }

    [Fact]
    public void KeaAndWindowsDhcp_RenderEveryReservation_ThoseNamedAfterAVmIncluded()
    {
        var state = Reserved(("edge-control-plane-1", "10.12.0.60", "02-00-00-00-02-01"), ("edge-load-balancer-1", "10.12.0.251", "02-00-00-00-02-02"));

        var subnet = JsonNode.Parse(KeaConfigRenderer.Render(state.Site, state.Site.HostNetwork))!["Dhcp4"]!["subnet4"]![0]!;
        var script = WindowsDhcpScriptRenderer.Render(state.Site, state.Site.HostNetwork);

        var reservations = subnet["reservations"]!.AsArray()
            .Select(r => (r!["hw-address"]!.GetValue<string>(), r["ip-address"]!.GetValue<string>())).ToList();
        Assert.Equal([("02:1e:2b:78:00:01", "10.12.0.12"), ("02:00:00:00:02:01", "10.12.0.60"), ("02:00:00:00:02:02", "10.12.0.251")], reservations);
        // Reservations inside a pool: Kea must check them before it leases those addresses to other clients.
        Assert.False(subnet["reservations-out-of-pool"]!.GetValue<bool>());
        Assert.Contains("-IPAddress 10.12.0.60 -ClientId 02-00-00-00-02-01 -Name 'edge-control-plane-1'", script, StringComparison.Ordinal);

        // And the VMs hold those addresses in the plan the HAProxy and keepalived files are rendered from.
        Assert.Contains(state.Allocations, a => a.Owner.ToString() == "cluster/edge/control-plane-1" && a.Address == "10.12.0.60");
        Assert.Contains(state.Allocations, a => a.Owner.ToString() == "cluster/edge/load-balancer-1" && a.Address == "10.12.0.251");
    }
}
