namespace Trellis.Engine;

/// <summary>A MetalLB address pool of a cluster (az k8s-runtime load-balancer create, New-TrellisLoadBalancerPool).</summary>
public sealed record LoadBalancerPoolRow(string Cluster, string Name, IReadOnlyList<string> Addresses, string AdvertiseMode);

/// <summary>A BGP router a cluster's MetalLB speakers peer with (az k8s-runtime bgp-peer create, New-TrellisBgpPeer).</summary>
public sealed record BgpPeerRow(string Cluster, string Name, long MyAsn, long PeerAsn, string? PeerAddress, int? PeerPort);

public static partial class SiteViews
{
    /// <summary>The MetalLB pools of every cluster, or of one, as stored.</summary>
    public static IReadOnlyList<LoadBalancerPoolRow> LoadBalancerPools(SiteState state, string? cluster = null) =>
        [.. (state?.Spec?.Clusters ?? []).Where(c => Selected(c.Name, cluster)).SelectMany(c => c.LoadBalancers.Select(p => new LoadBalancerPoolRow(c.Name, p.Name, p.Addresses, p.AdvertiseMode)))];

    /// <summary>The BGP peers of every cluster, or of one, as stored.</summary>
    public static IReadOnlyList<BgpPeerRow> BgpPeers(SiteState state, string? cluster = null) =>
        [.. (state?.Spec?.Clusters ?? []).Where(c => Selected(c.Name, cluster)).SelectMany(c => c.BgpPeers.Select(p => new BgpPeerRow(c.Name, p.Name, p.MyAsn, p.PeerAsn, p.PeerAddress, p.PeerPort)))];
}
