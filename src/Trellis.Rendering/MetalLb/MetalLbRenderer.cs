using System.Text;
using Trellis.Core.Addressing;
using Trellis.Core.Model;
using Trellis.Core.Planning;

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
        var documents = new List<string>();
        foreach (var pool in pools)
        {
            // AKS Arc allows upper case in load balancer names; Kubernetes object names do not.
            var name = pool.Name.ToLowerInvariant();
            var addresses = new StringBuilder();
            foreach (var a in pool.Addresses)
            {
                addresses.Append("    - ").Append(Address(a)).Append('\n');
            }

            documents.Add($"""
                apiVersion: metallb.io/v1beta1
                kind: IPAddressPool
                metadata:
                  name: {name}
                  namespace: {ns}
                spec:
                  addresses:
                {addresses}  autoAssign: true

                """);
            if (pool.AdvertiseMode is "ARP" or "Both")
            {
                documents.Add(Advertisement("L2Advertisement", name, ns, ""));
            }

            if (pool.AdvertiseMode is "BGP" or "Both")
            {
                var peers = string.Concat(cluster.Cluster.Spec.BgpPeers.Select(p => $"    - {p.Name.ToLowerInvariant()}\n"));
                documents.Add(Advertisement("BGPAdvertisement", name, ns, $"  aggregationLength: 32\n  peers:\n{peers}"));
            }
        }

        foreach (var peer in cluster.Cluster.Spec.BgpPeers)
        {
            documents.Add($"""
                apiVersion: metallb.io/v1beta2
                kind: BGPPeer
                metadata:
                  name: {peer.Name.ToLowerInvariant()}
                  namespace: {ns}
                spec:
                  myASN: {peer.MyAsn}
                  peerASN: {peer.PeerAsn}
                  peerAddress: {peer.PeerAddress}
                {(peer.PeerPort is { } port ? $"  peerPort: {port}\n" : "")}
                """);
        }

        return string.Join("---\n", documents.Select(d => d.ReplaceLineEndings("\n")));
    }

    private static string Advertisement(string kind, string pool, string ns, string extra) => $"""
        apiVersion: metallb.io/v1beta1
        kind: {kind}
        metadata:
          name: {pool}
          namespace: {ns}
        spec:
        {extra}  ipAddressPools:
            - {pool}

        """;

    /// <summary>A range as "start-end" or a CIDR, the two forms MetalLB reads; text that is neither is passed on quoted.</summary>
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

        return $"\"{trimmed.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"";
    }
}
