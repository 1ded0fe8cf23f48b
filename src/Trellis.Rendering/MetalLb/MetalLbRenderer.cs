using Trellis.Core.Addressing;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Rendering.Emit;

namespace Trellis.Rendering.MetalLb;

/// <summary>
/// MetalLB (metallb.io/v1beta1) resources for a cluster's MetalLB load balancers: one IPAddressPool each, with an
/// L2Advertisement for ARP/Both and a BGPAdvertisement for BGP/Both, as the AKS Arc extension creates them
/// (reference/aks-hybrid-networking.md §3.3, ipam-and-load-balancing.md §A3).
/// </summary>
public static class MetalLbRenderer
{
    /// <summary>The AKS Arc extension (arcnetworking) puts its pools in kube-system; a plain MetalLB install uses metallb-system.</summary>
    public static string Namespace(ResolvedSite site) => site.Model == SiteModel.AksArc ? "kube-system" : "metallb-system";

    public static string Render(ResolvedSite site, ClusterTopology cluster)
    {
        var pools = cluster.Cluster.Spec.LoadBalancers;
        if (pools.Count == 0)
        {
            throw new InvalidOperationException($"Cluster '{cluster.Name}' has no MetalLB load balancers.");
        }

        var ns = Namespace(site);
        var documents = new List<YamlMap>();
        foreach (var pool in pools)
        {
            // AKS Arc allows upper case in load balancer names; Kubernetes object names do not.
            var name = pool.Name.ToLowerInvariant();
            documents.Add(YamlMap.KubernetesObject("metallb.io/v1beta1", "IPAddressPool", name, ns, new YamlMap
            {
                ["addresses"] = pool.Addresses.Select(Address).ToList(),
                ["autoAssign"] = true,
            }));
            if (pool.AdvertiseMode is "ARP" or "Both")
            {
                documents.Add(YamlMap.KubernetesObject("metallb.io/v1beta1", "L2Advertisement", name, ns, new YamlMap { ["ipAddressPools"] = new[] { name } }));
            }

            if (pool.AdvertiseMode is "BGP" or "Both")
            {
                documents.Add(YamlMap.KubernetesObject("metallb.io/v1beta1", "BGPAdvertisement", name, ns, new YamlMap
                {
                    ["aggregationLength"] = 32,
                    ["peers"] = cluster.Cluster.Spec.BgpPeers.Select(p => p.Name.ToLowerInvariant()).ToList(),
                    ["ipAddressPools"] = new[] { name },
                }));
            }
        }

        foreach (var peer in cluster.Cluster.Spec.BgpPeers)
        {
            documents.Add(YamlMap.KubernetesObject("metallb.io/v1beta2", "BGPPeer", peer.Name.ToLowerInvariant(), ns, new YamlMap
            {
                ["myASN"] = peer.MyAsn,
                ["peerASN"] = peer.PeerAsn,
                ["peerAddress"] = peer.PeerAddress,
                ["peerPort"] = peer.PeerPort,
            }));
        }

        return YamlText.Documents(documents);
    }

    /// <summary>A range as "start-end" or a CIDR, the two forms MetalLB reads; text that is neither is passed on as it is.</summary>
    private static string Address(string text)
    {
        var trimmed = text.Trim();
        if (Prefix.TryParse(trimmed, out var prefix, out _, out var hostBits) && !hostBits)
        {
            return prefix.ToString();
        }

        var dash = trimmed.IndexOf('-', StringComparison.Ordinal);
        if (dash > 0 && IpNumber.TryParse(trimmed[..dash].Trim(), out var start) && IpNumber.TryParse(trimmed[(dash + 1)..].Trim(), out var end))
        {
            return $"{start}-{end}";
        }

        return trimmed;
    }
}
