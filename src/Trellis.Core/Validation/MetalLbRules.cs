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
    public static List<ResolvedCluster> ResolveAksHci(ValidationContext v, SiteSpec spec, List<ResolvedCluster> clusters)
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
            for (var i = 0; i < c.Spec.LoadBalancers.Count; i++)
            {
                var lb = c.Spec.LoadBalancers[i];
                var lp = $"{path}[{i}]";
                if (lb.AdvertiseMode is not ("ARP" or "BGP" or "Both"))
                {
                    v.Error("InvalidValue", $"{lp}.advertiseMode", $"'{lb.AdvertiseMode}' is not an advertise mode.", "Use ARP, BGP or Both.");
                }

                for (var j = 0; j < lb.Addresses.Count; j++)
                {
                    var ap = $"{lp}.addresses[{j}]";
                    if (ArcRules.MetalLbRange(v, lb.Addresses[j], ap, c.Network, lb.AdvertiseMode, "the node IP pool") is not { } r)
                    {
                        continue;
                    }

                    if (c.Network.VipPool is { } vip && vip.Overlaps(r))
                    {
                        v.Error("MetalLbRangeInVipPool", ap, $"{r} overlaps the AKS VIP pool {vip} of network '{c.Network.Name}'.",
                            "MetalLB must not hand out addresses the AKS VIP pool owns: choose addresses outside it.");
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
