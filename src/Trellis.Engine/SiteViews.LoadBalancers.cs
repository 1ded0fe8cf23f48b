using Trellis.Core.Planning;

namespace Trellis.Engine;

/// <summary>A load balancer VM (HAProxy and keepalived) of a cluster, at the address the site's plan allocated it on the cluster's network.</summary>
/// <param name="Name">The VM's name, as the rendered files' directory names it (<c>clusters/C/load-balancers/NAME/</c>).</param>
/// <param name="Owner">The allocation's owner in its text form.</param>
public sealed record LoadBalancerVmRow(string Name, string Owner, string Address)
{
    /// <summary>
    /// The MAC address of the DHCP reservation that pins the VM at its address (one named <c>CLUSTER-NAME</c>, see
    /// <see cref="VmReservations"/>), colon-separated upper-case hex as <c>ip link set address</c> takes it
    /// (<c>02:1E:2B:78:00:01</c>; the spec's dashed form with colons); null when no reservation pins it.
    /// </summary>
    public string? MacAddress { get; init; }
}

/// <summary>A Kubernetes node behind a cluster's load balancer VMs: a control plane node (API server on 6443) or a worker (the NodePorts).</summary>
public sealed record LoadBalancerBackendRow(string Node, string Address, bool ControlPlane);

/// <summary>A LoadBalancer service port on its VIP, and the NodePort the load balancer VMs send it to.</summary>
public sealed record LoadBalancerServicePortRow(string Vip, int Port, string Protocol, string Namespace, string Service, int NodePort);

/// <summary>
/// What the built-in load balancer of one cluster is made of: its HAProxy VMs, the API server VIP and the service VIPs they
/// move between them with keepalived, and the nodes HAProxy sends to; the same view the HAProxy and keepalived files are rendered from.
/// </summary>
public sealed record ClusterLoadBalancerRow(string Cluster, string Network, int? VirtualRouterId, string? ApiServerVip,
    IReadOnlyList<LoadBalancerVmRow> Vms, IReadOnlyList<LoadBalancerBackendRow> Nodes, IReadOnlyList<LoadBalancerServicePortRow> ServicePorts);

public static partial class SiteViews
{
    /// <summary>
    /// The load balancer VMs of every cluster of the stored site that has any (HAProxy VMs), or of <paramref name="cluster"/>,
    /// with the VIPs and nodes their rendered files name; none when the site cannot be resolved.
    /// </summary>
    public static IReadOnlyList<ClusterLoadBalancerRow> LoadBalancers(SiteState state, string? cluster = null)
    {
        if (Resolve(state) is not { } site)
        {
            return [];
        }

        var pinned = VmReservations.Of(site);
        return [.. site.Clusters.Where(c => Selected(c.Name, cluster))
            .Select(c => ClusterTopology.From(site, c, state.Allocations))
            .Where(t => t.LoadBalancerVms.Count > 0)
            .Select(t => new ClusterLoadBalancerRow(t.Name, t.Cluster.Network.Name, t.VirtualRouterId, t.ApiServerVip?.ToString(),
                [.. t.LoadBalancerVms.Select(v => new LoadBalancerVmRow(v.Name, v.Owner.ToString(), v.Address.ToString())
                {
                    MacAddress = pinned.TryGetValue(v.Owner, out var r) ? VmReservations.ColonMac(r) : null,
                })],
                [.. t.Nodes.Select(n => new LoadBalancerBackendRow(n.Name, n.Address.ToString(), n.ControlPlane))],
                [.. Rendering.HaProxy.HaProxyConfigRenderer.ServicePorts(t)
                    .Select(x => new LoadBalancerServicePortRow(x.Vip.Address.ToString(), x.Port.Port, x.Port.Protocol, x.Port.Namespace, x.Port.Service, x.Port.NodePort))]))];
    }
}
