using Trellis.Core.Model;
using Trellis.Core.Planning;

namespace Trellis.Engine;

/// <summary>A cluster's pod overlay as the site resolves it: what a Flannel-style VXLAN between its nodes is made of.</summary>
/// <param name="PodCidr">The cluster's pod CIDR: the spec's, or the site's default.</param>
/// <param name="PodSubnetLength">The length of each node's pod subnet: Flannel's SubnetLen (Calico's block size for Calico).</param>
/// <param name="Mtu">The overlay's MTU: the underlay's less the VXLAN header.</param>
/// <param name="WindowsNodes">Whether a node pool of the cluster runs Windows.</param>
public sealed record ClusterOverlayRow(string Cluster, string Plugin, string PodCidr, int PodSubnetLength, int Vni, int Port, int UnderlayMtu, int Mtu, bool WindowsNodes);

public static partial class SiteViews
{
    /// <summary>The resolved overlay of every cluster of the stored site, or of <paramref name="cluster"/>; none when the site cannot be resolved.</summary>
    public static IReadOnlyList<ClusterOverlayRow> Overlays(SiteState state, string? cluster = null)
    {
        if (Resolve(state) is not { } site)
        {
            return [];
        }

        return [.. site.Clusters.Where(c => Selected(c.Name, cluster)).Select(c =>
        {
            var (vni, port) = OverlayFacts.Vxlan(c);
            return new ClusterOverlayRow(c.Name, c.Spec.PrimaryNetworkPlugin.ToString().ToLowerInvariant(), c.PodCidr.ToString(), SitePlanner.PodSubnetLength(site, c),
                vni, port, site.Settings.UnderlayMtu, OverlayFacts.Mtu(site), c.Spec.NodePools.Any(p => p.OsType == OsType.Windows && p.Count > 0));
        })];
    }
}
