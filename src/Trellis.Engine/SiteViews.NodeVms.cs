using Trellis.Core.Ipam;

namespace Trellis.Engine;

/// <summary>A node VM's address on its network, as the site's plan allocated it from the network's pool.</summary>
/// <param name="Node">The Kubernetes node name, e.g. <c>control-plane-1</c>, <c>linuxpool-2</c>.</param>
/// <param name="Owner">The allocation's owner in its text form, e.g. <c>cluster/b/control-plane-1</c>.</param>
public sealed record NodeAddressRow(string Cluster, string Node, string Owner, string Network, string Address);

public static partial class SiteViews
{
    /// <summary>
    /// The address of every node VM (control plane VMs and workers) of the site, or of <paramref name="cluster"/>, on its
    /// network, in the stored order: what a lab needs to stand the node VMs up, decided by the typed owner and pool.
    /// </summary>
    public static IReadOnlyList<NodeAddressRow> NodeAddresses(SiteState state, string? cluster = null) =>
        [.. state.Allocations
            .Where(a => a.Owner is NodeVm node && (cluster is null || node.ClusterName == cluster) && a.Pool is NetworkPool)
            .Select(a => new NodeAddressRow(((NodeVm)a.Owner).ClusterName, ((NodeVm)a.Owner).NodeName, a.Owner.ToString(), ((NetworkPool)a.Pool).Network, a.Address))];
}
