using Trellis.Core.Addressing;
using Trellis.Core.Ipam;
using Trellis.Core.Model;
using Trellis.Core.Planning;

namespace Trellis.Engine;

/// <summary>A node VM's address on its network, and its pod subnet, as the site's plan allocated them.</summary>
/// <param name="Node">The Kubernetes node name, e.g. <c>control-plane-1</c>, <c>linuxpool-2</c>.</param>
/// <param name="Owner">The allocation's owner in its text form, e.g. <c>cluster/b/control-plane-1</c>.</param>
/// <param name="PodSubnet">
/// The node's pod subnet from the cluster's pod CIDR (Flannel's node subnet, or Calico's first IPAM block), or null when the
/// state holds none for it.
/// </param>
public sealed record NodeAddressRow(string Cluster, string Node, string Owner, string Network, string Address, string? PodSubnet = null)
{
    /// <summary>The pods' gateway on the node (<c>cni0</c>'s address): the pod subnet's first address (<see cref="OverlayFacts.Gateway"/>); null without a pod subnet.</summary>
    public string? PodGateway { get; init; }

    /// <summary>The first address a pod of the node takes (<see cref="OverlayFacts.FirstPodAddress"/>: after the gateway, and on Windows after the source VIP); null without a pod subnet.</summary>
    public string? FirstPodAddress { get; init; }

    /// <summary>Whether the node is a worker of a Windows node pool.</summary>
    public bool Windows { get; init; }

    /// <summary>A Windows node's kube-proxy source VIP: its pod subnet's second address (<see cref="OverlayFacts.SourceVip"/>); null on Linux or without a pod subnet.</summary>
    public string? SourceVip { get; init; }

    /// <summary>
    /// The MAC address of the DHCP reservation that pins the node's VM at its address (one named <c>CLUSTER-NODE</c>, see
    /// <see cref="VmReservations"/>), colon-separated upper-case hex as <c>ip link set address</c> takes it
    /// (<c>02:1E:2B:78:00:01</c>; the spec's dashed form with colons); null when no reservation pins it.
    /// </summary>
    public string? MacAddress { get; init; }
}

public static partial class SiteViews
{
    /// <summary>
    /// The address of every node VM (control plane VMs and workers) of the site, or of <paramref name="cluster"/>, on its
    /// network, in the stored order, with the pod subnet the plan gave it: what a lab needs to stand the node VMs and their
    /// pods up, decided by the typed owners and pools.
    /// </summary>
    public static IReadOnlyList<NodeAddressRow> NodeAddresses(SiteState state, string? cluster = null)
    {
        var pods = state.Allocations
            .Where(a => a.Owner is PodCidr or PodBlock { Index: 1 })
            .ToLookup(a => a.Owner switch { PodCidr p => p.Node, PodBlock b => b.Node, _ => null });
        var site = Resolve(state);
        var pinned = site is null ? new Dictionary<Owner, ResolvedReservation>() : VmReservations.Of(site);
        var windowsPools = site?.Clusters.SelectMany(c => c.Spec.NodePools.Where(p => p.OsType == OsType.Windows).Select(p => (c.Name, p.Name))).ToHashSet() ?? [];
        return [.. state.Allocations
            .Where(a => a.Owner is NodeVm node && (cluster is null || node.ClusterName == cluster) && a.Pool is NetworkPool)
            .Select(a =>
            {
                var node = (NodeVm)a.Owner;
                var podSubnet = pods[node].FirstOrDefault(p => p.Pool == PoolIds.Pods(node.ClusterName))?.Address;
                var prefix = podSubnet is null ? (Prefix?)null : Prefix.Parse(podSubnet);
                var windows = node is WorkerVm w && windowsPools.Contains((w.ClusterName, w.NodePool));
                return new NodeAddressRow(node.ClusterName, node.NodeName, a.Owner.ToString(), ((NetworkPool)a.Pool).Network, a.Address, podSubnet)
                {
                    PodGateway = prefix is { } g ? OverlayFacts.Gateway(g).ToString() : null,
                    FirstPodAddress = prefix is { } f ? OverlayFacts.FirstPodAddress(f, windows).ToString() : null,
                    Windows = windows,
                    SourceVip = windows && prefix is { } v ? OverlayFacts.SourceVip(v).ToString() : null,
                    MacAddress = pinned.TryGetValue(node, out var r) ? VmReservations.ColonMac(r) : null,
                };
            })];
    }
}
