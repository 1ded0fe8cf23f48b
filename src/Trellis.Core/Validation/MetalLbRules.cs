using System.Net;
using Trellis.Core.Addressing;
using Trellis.Core.Model;
using Trellis.Core.Planning;

namespace Trellis.Core.Validation;

/// <summary>
/// AksHci clusters with load balancer SKU 'none' may name MetalLB pools for their services (reference §3.2): L2 pools in the
/// node subnet, outside the node IP pool, and never overlapping the AKS VIP pool.
/// </summary>
internal static class MetalLbRules
{
    /// <summary>BGP peers: valid ASNs and addresses, and at least one when a load balancer advertises by BGP (mandatory for BGP/Both).</summary>
    public static void BgpPeers(ValidationContext v, SiteSpec spec, ClusterSpec c)
    {
        var path = $"spec.clusters[{SiteValidator.IndexOf(spec, c.Name)}]";
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < c.BgpPeers.Count; i++)
        {
            var peer = c.BgpPeers[i];
            var pp = $"{path}.bgpPeers[{i}]";
            UniqueName(v, names, peer.Name, $"{pp}.name", "BGP peer");

            foreach (var (field, asn) in new[] { ("myAsn", peer.MyAsn), ("peerAsn", peer.PeerAsn) })
            {
                if (asn is < 1 or > uint.MaxValue - 1)
                {
                    v.Error("InvalidAsn", $"{pp}.{field}", $"{asn} is not a usable autonomous system number.", "Use 1–4294967294 (private ranges: 64512–65534, 4200000000–4294967294).");
                }
            }

            v.Address(peer.PeerAddress, $"{pp}.peerAddress", required: true, "10.220.32.1");
        }

        if (c.BgpPeers.Count == 0)
        {
            for (var i = 0; i < c.LoadBalancers.Count; i++)
            {
                if (c.LoadBalancers[i].AdvertiseMode is "BGP" or "Both")
                {
                    v.Error("BgpPeerRequired", $"{path}.loadBalancers[{i}].advertiseMode",
                        $"Load balancer '{c.LoadBalancers[i].Name}' advertises by {c.LoadBalancers[i].AdvertiseMode}, but cluster '{c.Name}' has no BGP peer.",
                        "Add bgpPeers: [{ name: tor1, myAsn: 64512, peerAsn: 64513, peerAddress: <router> }], or advertise by ARP.");
                }
            }
        }
        else if (c.LoadBalancers.All(l => l.AdvertiseMode == "ARP"))
        {
            v.Warning("BgpPeersUnused", $"{path}.bgpPeers", $"Cluster '{c.Name}' has BGP peers but no load balancer advertises by BGP.", "Remove bgpPeers, or set advertiseMode: BGP or Both.");
        }
    }

    /// <summary>
    /// A MetalLB object's name: the product's pattern, and unique in the cluster ignoring case, since the rendered
    /// Kubernetes objects take it lowercased.
    /// </summary>
    public static void UniqueName(ValidationContext v, HashSet<string> seen, string name, string path, string what)
    {
        if (Names.Check(v, Names.MetalLb, name, path, $"{what} name") && !seen.Add(name.ToLowerInvariant()))
        {
            v.Error("DuplicateName", path, $"{what} '{name}' is defined twice in this cluster (names are compared lowercased, as Kubernetes objects take them).",
                "Give each its own name.");
        }
    }

    internal enum InfrastructureKind { NodePool, VipPool, Gateway, DnsServer, Reservation, CloudAgent }

    /// <summary>An address (or pool) MetalLB must never hand to a service, and the words that name it.</summary>
    internal sealed record InfrastructureAddress(InfrastructureKind Kind, AddressRange Range, string What);

    /// <summary>
    /// Every address of the site's infrastructure (reference Appendix B: the Arc extension checks none of them): node (IP)
    /// pools, VIP pools, gateways, DNS servers, DHCP reservations and the cloud agent, of every network, since a BGP range
    /// may lie in any of them and an L2 range in a subnet that several networks share.
    /// </summary>
    public static IReadOnlyList<InfrastructureAddress> Infrastructure(IEnumerable<ResolvedNetwork> networks, IPAddress? cloudAgent)
    {
        var list = new List<InfrastructureAddress>();
        foreach (var n in networks)
        {
            if (n.NodePool is { } pool)
            {
                list.Add(new(InfrastructureKind.NodePool, pool, n.VipPool is null ? $"the IP pool {pool} of logical network '{n.Name}'" : $"the node IP pool {pool} of network '{n.Name}'"));
            }

            if (n.VipPool is { } vip)
            {
                list.Add(new(InfrastructureKind.VipPool, vip, $"the AKS VIP pool {vip} of network '{n.Name}'"));
            }

            if (n.Gateway is { } gateway)
            {
                list.Add(new(InfrastructureKind.Gateway, AddressRange.Single(gateway), $"the gateway {gateway} of network '{n.Name}'"));
            }

            list.AddRange(n.DnsServers.Select(dns => new InfrastructureAddress(InfrastructureKind.DnsServer, AddressRange.Single(dns), $"the DNS server {dns} of network '{n.Name}'")));
            list.AddRange((n.Dhcp?.Reservations ?? []).Select(r =>
                new InfrastructureAddress(InfrastructureKind.Reservation, AddressRange.Single(r.Address), $"the DHCP reservation '{r.Name}' ({r.Address}) of network '{n.Name}'")));
        }

        if (cloudAgent is not null)
        {
            list.Add(new(InfrastructureKind.CloudAgent, AddressRange.Single(cloudAgent), $"the cloud agent address {cloudAgent}"));
        }

        return list;
    }

    /// <summary>One finding per infrastructure address (or pool) a MetalLB range holds.</summary>
    public static void InfrastructureOutside(ValidationContext v, AddressRange range, string path, IReadOnlyList<InfrastructureAddress> infrastructure)
    {
        foreach (var i in infrastructure.Where(i => i.Range.Family == range.Family && i.Range.Overlaps(range)))
        {
            var message = $"{range} {(i.Range.Count == 1 ? "contains" : "overlaps")} {i.What}.";
            switch (i.Kind)
            {
                case InfrastructureKind.NodePool:
                    v.Error("MetalLbRangeInIpPool", path, message, "Load balancer IPs must lie outside the pool the VMs take their addresses from, or VMs and services collide.");
                    break;
                case InfrastructureKind.VipPool:
                    v.Error("MetalLbRangeInVipPool", path, message, "MetalLB must not hand out addresses the AKS VIP pool owns: choose addresses outside it.");
                    break;
                case InfrastructureKind.Gateway:
                    v.Error("MetalLbRangeHoldsGateway", path, message, "Leave the gateway out.");
                    break;
                case InfrastructureKind.DnsServer:
                    v.Error("MetalLbRangeHoldsDnsServer", path, message, "Leave the DNS server out of the range: MetalLB would hand its address to a service.");
                    break;
                case InfrastructureKind.Reservation:
                    v.Error("MetalLbRangeHoldsReservation", path, message, "Leave reserved addresses out of the range: they belong to their machines.");
                    break;
                default:
                    v.Error("MetalLbRangeHoldsCloudAgent", path, message, "Leave the MOC cloud agent's address out of the range.");
                    break;
            }
        }
    }

    public static List<ResolvedCluster> ResolveAksHci(ValidationContext v, SiteSpec spec, List<ResolvedCluster> clusters, IReadOnlyList<InfrastructureAddress> infrastructure)
    {
        var result = new List<ResolvedCluster>();
        var all = new List<(string Path, AddressRange Range)>();
        foreach (var c in clusters)
        {
            if (c.Spec.LoadBalancers.Count == 0)
            {
                result.Add(c);
                continue;
            }

            var path = $"spec.clusters[{SiteValidator.IndexOf(spec, c.Name)}].loadBalancers";
            if (c.LoadBalancer.LoadBalancerSku != LoadBalancerSku.None)
            {
                v.Error("MetalLbNeedsNoneSku", path, $"Cluster '{c.Name}' uses the HAProxy load balancer, which already serves its LoadBalancer services from the VIP pool.",
                    "Remove loadBalancers, or give the cluster a load balancer setting with loadBalancerSku: none.");
                result.Add(c);
                continue;
            }

            var ranges = new List<AddressRange>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < c.Spec.LoadBalancers.Count; i++)
            {
                var lb = c.Spec.LoadBalancers[i];
                var lp = $"{path}[{i}]";
                UniqueName(v, names, lb.Name, $"{lp}.name", "Load balancer");
                if (lb.AdvertiseMode is not ("ARP" or "BGP" or "Both"))
                {
                    v.Error("InvalidValue", $"{lp}.advertiseMode", $"'{lb.AdvertiseMode}' is not an advertise mode.", "Use ARP, BGP or Both.");
                }

                for (var j = 0; j < lb.Addresses.Count; j++)
                {
                    var ap = $"{lp}.addresses[{j}]";
                    if (ArcRules.MetalLbRange(v, lb.Addresses[j], ap, c.Network, lb.AdvertiseMode, infrastructure) is not { } r)
                    {
                        continue;
                    }

                    foreach (var (otherPath, other) in all.Where(x => x.Range.Overlaps(r)))
                    {
                        v.Error("MetalLbRangeOverlap", ap, $"{r} overlaps {other} ({otherPath}).", "A MetalLB instance belongs to one cluster: give each its own addresses.");
                    }

                    ranges.Add(r);
                    all.Add((ap, r));
                }
            }

            result.Add(c with { MetalLbRanges = ranges });
        }

        return result;
    }
}
