using Trellis.Core.Addressing;
using Trellis.Core.Ipam;
using Trellis.Core.Model;
using Trellis.Core.Validation;

namespace Trellis.Core.Planning;

/// <summary>A plan is data: allocations to add and to remove, derived from a resolved site and the current allocations.</summary>
public sealed record AllocationPlan(IReadOnlyList<Allocation> Added, IReadOnlyList<Allocation> Removed, IReadOnlyList<Allocation> Result, IReadOnlyList<Finding> Findings)
{
    public bool IsEmpty => Added.Count == 0 && Removed.Count == 0;
}

/// <summary>
/// Plans every address of a site: the pools it defines, the owners it needs in each, and the lowest free number for
/// each new owner. Existing holders keep their addresses, so re-applying the same spec changes nothing.
/// </summary>
public static class SitePlanner
{
    public const int NodePortFirst = 30000;
    public const int NodePortLast = 32767;
    public const int VirtualRouterIdFirst = 1;
    public const int VirtualRouterIdLast = 255;

    public static IReadOnlyList<PoolDefinition> Pools(ResolvedSite site)
    {
        var pools = new List<PoolDefinition>();
        foreach (var n in site.Networks)
        {
            if (n.NodePool is { } np)
            {
                pools.Add(PoolDefinition.ForAddresses(PoolIds.Nodes(n.Name),
                    site.Model == SiteModel.AksArc ? $"logical network {n.Name} IP pool" : $"node IP pool of {n.Name}", np));
            }

            if (n.VipPool is { } vp)
            {
                pools.Add(PoolDefinition.ForAddresses(PoolIds.Vips(n.Name), $"VIP pool of {n.Name}", vp));
            }

            if (n.Dhcp is { } d)
            {
                pools.Add(DhcpPool(site, n, d));
            }
        }

        if (site.CloudAgentAddress is { } agent)
        {
            pools.Add(PoolDefinition.ForAddresses(PoolIds.Infra(site.HostNetwork.Name), "infrastructure addresses", AddressRange.Single(agent)));
        }

        if (site.Model == SiteModel.AksArc)
        {
            pools.Add(ArcControlPlanePool(site));
        }

        foreach (var segment in site.Clusters.Where(c => c.LoadBalancerVmCount > 0).Select(c => (c.Network.VswitchName, c.Network.VlanId)).Distinct())
        {
            pools.Add(new PoolDefinition(PoolIds.VirtualRouterIds(segment.VswitchName, segment.VlanId), PoolKind.Port,
                $"VRRP virtual_router_ids of vSwitch {segment.VswitchName} VLAN {segment.VlanId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "untagged"}",
                [(VirtualRouterIdFirst, VirtualRouterIdLast)]));
        }

        foreach (var c in site.Clusters)
        {
            if (c.MetalLbRanges.Count > 0)
            {
                pools.Add(PoolDefinition.ForAddresses(PoolIds.MetalLb(c.Name), $"MetalLB pools of {c.Name}", Disjoint(c.MetalLbRanges)));
            }

            pools.Add(PoolDefinition.ForSubnets(PoolIds.Pods(c.Name), $"pod CIDR of {c.Name}", c.PodCidr, PodSubnetLength(site, c)));
            pools.Add(PoolDefinition.ForAddresses(PoolIds.ClusterIps(c.Name), $"service CIDR of {c.Name}", c.ServiceCidr.Range)
                with
            { Blocked = [(c.ServiceCidr.First, c.ServiceCidr.First), (c.ServiceCidr.Last, c.ServiceCidr.Last)] });
            pools.Add(new PoolDefinition(PoolIds.NodePorts(c.Name), PoolKind.Port, $"NodePorts of {c.Name}", [(NodePortFirst, NodePortLast)]));
        }

        return pools;
    }

    public static int PodSubnetLength(ResolvedSite site, ResolvedCluster c) =>
        c.Spec.PrimaryNetworkPlugin == NetworkPlugin.Flannel ? site.Settings.FlannelSubnetLen : site.Settings.CalicoBlockSize;

    private static PoolDefinition DhcpPool(ResolvedSite site, ResolvedNetwork n, ResolvedDhcpScope d)
    {
        var ranges = new List<AddressRange> { d.Range };
        ranges.AddRange(d.Reservations.Where(r => !d.Range.Contains(r.Address)).Select(r => AddressRange.Single(r.Address)));
        return PoolDefinition.ForAddresses(PoolIds.Dhcp(n.Name), $"DHCP scope of {n.Name}", Disjoint(ranges).ToArray())
            with
        { Blocked = DhcpExclusions(site, n).Select(r => (r.First, r.Last)).ToList() };
    }

    /// <summary>What the DHCP server must not lease: the VIP pool, the cloud agent and the gateway, where they fall in the scope range.</summary>
    public static IReadOnlyList<AddressRange> DhcpExclusions(ResolvedSite site, ResolvedNetwork n)
    {
        if (n.Dhcp is not { } d)
        {
            return [];
        }

        var holes = new List<AddressRange>();
        if (n.VipPool is { } vip && vip.Overlaps(d.Range))
        {
            holes.Add(new AddressRange(UInt128.Max(vip.First, d.Range.First), UInt128.Min(vip.Last, d.Range.Last), vip.Family));
        }

        foreach (var metalLb in site.Clusters.Where(c => c.Network == n).SelectMany(c => c.MetalLbRanges).Where(r => r.Overlaps(d.Range)))
        {
            holes.Add(new AddressRange(UInt128.Max(metalLb.First, d.Range.First), UInt128.Min(metalLb.Last, d.Range.Last), metalLb.Family));
        }

        foreach (var single in new[] { site.CloudAgentAddress, n.Gateway })
        {
            if (single is not null && d.Range.Contains(single))
            {
                holes.Add(AddressRange.Single(single));
            }
        }

        return holes.OrderBy(h => h.First).ToList();
    }

    private static PoolDefinition ArcControlPlanePool(ResolvedSite site)
    {
        var lnet = site.HostNetwork;
        var inner = new AddressRange(lnet.Prefix.First + 1, lnet.Prefix.Last - 1, lnet.Prefix.Family);
        var blocked = new List<AddressRange> { lnet.NodePool!.Value };
        blocked.AddRange(site.Clusters.SelectMany(c => c.MetalLbRanges));
        // The gateway and the DNS servers are infrastructure addresses that a control plane IP must not take.
        blocked.AddRange(lnet.DnsServers.Prepend(lnet.Gateway).OfType<System.Net.IPAddress>().Select(AddressRange.Single));

        return PoolDefinition.ForAddresses(PoolIds.ControlPlaneIps(lnet.Name), "control plane IPs (prefix outside the IP pool)", inner)
            with
        { Blocked = blocked.Select(b => (b.First, b.Last)).ToList() };
    }

    private static AddressRange[] Disjoint(IEnumerable<AddressRange> ranges)
    {
        var sorted = ranges.OrderBy(r => r.First).ToList();
        var merged = new List<AddressRange>();
        foreach (var r in sorted)
        {
            if (merged.Count > 0 && merged[^1].Last >= r.First - 1 && r.First > 0)
            {
                merged[^1] = new AddressRange(merged[^1].First, UInt128.Max(merged[^1].Last, r.Last), r.Family);
            }
            else
            {
                merged.Add(r);
            }
        }

        return merged.ToArray();
    }

    /// <summary>Where a cluster's LoadBalancer services take their VIPs: MetalLB pools when it has them (AKS Arc, or SKU none), else the VIP pool.</summary>
    public static PoolId ServiceVipPool(ResolvedSite site, ResolvedCluster c) =>
        site.Model == SiteModel.AksArc || c.MetalLbRanges.Count > 0 ? PoolIds.MetalLb(c.Name) : PoolIds.Vips(c.Network.Name);

    /// <summary>Where a cluster's (or the management cluster's) node VMs take their addresses.</summary>
    public static PoolId NodeAddressPool(ResolvedNetwork n) => n.Method == IpAllocationMethod.Dhcp ? PoolIds.Dhcp(n.Name) : PoolIds.Nodes(n.Name);

    /// <summary>Kubernetes node names of a cluster, control plane first, each with its OS.</summary>
    public static IEnumerable<(string Name, NodeVm Owner, OsType Os)> KubernetesNodes(ResolvedCluster c)
    {
        for (var i = 1; i <= c.Spec.ControlPlaneNodeCount; i++)
        {
            var owner = PoolIds.ControlPlane(c.Name, i);
            yield return (owner.NodeName, owner, OsType.Linux);
        }

        foreach (var pool in c.Spec.NodePools)
        {
            for (var i = 1; i <= pool.Count; i++)
            {
                var owner = PoolIds.Worker(c.Name, pool.Name, i);
                yield return (owner.NodeName, owner, pool.OsType);
            }
        }
    }

    public static IReadOnlyList<Claim> Claims(ResolvedSite site)
    {
        var claims = new List<Claim>();
        var host = site.HostNetwork;
        if (site.HasManagementCluster)
        {
            var lease = host.Dhcp?.LeaseDuration;
            claims.Add(new Claim(NodeAddressPool(host), PoolIds.ManagementVm, Lease: lease));
            if (host.Method == IpAllocationMethod.Static)
            {
                for (var i = 1; i <= site.Settings.ManagementUpdateReserve; i++)
                {
                    claims.Add(new Claim(PoolIds.Nodes(host.Name), PoolIds.ManagementReserve(i)));
                }
            }

            if (site.Settings.ManagementClusterVip)
            {
                claims.Add(new Claim(PoolIds.Vips(host.Name), PoolIds.ManagementApiServer));
            }
        }

        if (site.CloudAgentAddress is { } agent)
        {
            claims.Add(new Claim(PoolIds.Infra(host.Name), PoolIds.CloudAgent, IpNumber.ToNumber(agent)));
        }

        // A reservation named after a VM is that VM's claim (ClusterClaims), not one of its own: one address, one holder.
        var pinned = VmReservations.Of(site);
        var pinning = new HashSet<object>(pinned.Values, ReferenceEqualityComparer.Instance);
        foreach (var n in site.Networks)
        {
            foreach (var r in (n.Dhcp?.Reservations ?? []).Where(r => !pinning.Contains(r)))
            {
                claims.Add(new Claim(PoolIds.Dhcp(n.Name), PoolIds.Reservation(r.Name), IpNumber.ToNumber(r.Address), $"mac {r.MacAddress}"));
            }
        }

        foreach (var c in site.Clusters)
        {
            ClusterClaims(site, c, pinned, claims);
        }

        return claims;
    }

    private static void ClusterClaims(ResolvedSite site, ResolvedCluster c, IReadOnlyDictionary<Owner, ResolvedReservation> pinned, List<Claim> claims)
    {
        var n = c.Network;
        var nodePool = NodeAddressPool(n);
        var lease = n.Dhcp?.LeaseDuration;
        foreach (var (vm, _) in VmReservations.AddressedVms(c))
        {
            // A VM that a reservation names holds the reserved address, which does not expire; the others expect a lease.
            claims.Add(pinned.TryGetValue(vm, out var r)
                ? new Claim(nodePool, vm, IpNumber.ToNumber(r.Address), $"mac {r.MacAddress}, reservation {r.Name}")
                : new Claim(nodePool, vm, Lease: lease));
        }

        if (n.Method == IpAllocationMethod.Static)
        {
            for (var i = 1; i <= site.WorkloadUpdateReserve; i++)
            {
                claims.Add(new Claim(nodePool, PoolIds.UpgradeReserve(c.Name, i)));
            }
        }

        if (site.Model == SiteModel.AksArc)
        {
            var fixedIp = c.ControlPlaneIp is null ? (UInt128?)null : IpNumber.ToNumber(c.ControlPlaneIp);
            claims.Add(new Claim(PoolIds.ControlPlaneIps(n.Name), PoolIds.ControlPlaneIp(c.Name), fixedIp));
        }
        else
        {
            claims.Add(new Claim(PoolIds.Vips(n.Name), PoolIds.ApiServer(c.Name)));
        }

        if (c.LoadBalancerVmCount > 0)
        {
            var fixedId = c.Spec.VirtualRouterId is { } id ? (UInt128?)(ulong)id : null;
            claims.Add(new Claim(PoolIds.VirtualRouterIds(n.VswitchName, n.VlanId), PoolIds.VirtualRouter(c.Name), fixedId, From: (ulong)site.Settings.VirtualRouterIdBase));
        }

        var vipPool = ServiceVipPool(site, c);
        foreach (var (owner, detail) in ServiceVipOwners(c))
        {
            claims.Add(new Claim(vipPool, owner, Detail: detail));
        }

        var subnetLength = PodSubnetLength(site, c);
        foreach (var (_, node, os) in KubernetesNodes(c))
        {
            claims.Add(c.Spec.PrimaryNetworkPlugin == NetworkPlugin.Flannel
                ? new Claim(PoolIds.Pods(c.Name), PoolIds.NodePodCidr(node))
                : new Claim(PoolIds.Pods(c.Name), PoolIds.NodeBlock(node, 1),
                    Detail: os == OsType.Windows ? $"windows, {ClusterRules.CalicoWindowsReservedPerBlock} reserved, {(1 << (32 - subnetLength)) - ClusterRules.CalicoWindowsReservedPerBlock} usable" : null));
        }

        var clusterIps = PoolIds.ClusterIps(c.Name);
        claims.Add(new Claim(clusterIps, PoolIds.ClusterIp(c.Name, "default", "kubernetes"), c.ServiceCidr.First + 1));
        claims.Add(new Claim(clusterIps, PoolIds.ClusterIp(c.Name, "kube-system", "kube-dns"), c.ServiceCidr.First + 10));
        foreach (var s in c.Spec.Services)
        {
            claims.Add(new Claim(clusterIps, PoolIds.ClusterIp(c.Name, s.Namespace, s.Name)));
        }

        foreach (var s in c.Spec.Services)
        {
            foreach (var port in s.Ports)
            {
                claims.Add(new Claim(PoolIds.NodePorts(c.Name), PoolIds.NodePort(c.Name, s.Namespace, s.Name, s.Protocol, port), Detail: $"{s.Protocol} {port}"));
            }
        }
    }

    /// <summary>How many VIPs a cluster's services take: one per service without a key, one per distinct sharedIpKey.</summary>
    public static int ServiceVipCount(ResolvedCluster c)
    {
        var unshared = 0;
        HashSet<string>? keys = null;
        foreach (var s in c.Spec.Services)
        {
            if (s.SharedIpKey is { } key)
            {
                (keys ??= new HashSet<string>(StringComparer.Ordinal)).Add(key);
            }
            else
            {
                unshared++;
            }
        }

        return unshared + (keys?.Count ?? 0);
    }

    /// <summary>One VIP per service, except that services with the same sharedIpKey share one (validation keeps their ports distinct).</summary>
    public static IEnumerable<(Owner Owner, string Detail)> ServiceVipOwners(ResolvedCluster c)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in c.Spec.Services)
        {
            if (s.SharedIpKey is { } key)
            {
                if (seen.Add(key))
                {
                    var members = c.Spec.Services.Where(x => x.SharedIpKey == key)
                        .Select(x => $"{x.Namespace}/{x.Name}:{string.Join(",", x.Ports)}");
                    yield return (PoolIds.SharedVip(c.Name, key), string.Join(" ", members));
                }
            }
            else
            {
                yield return (PoolIds.ServiceVip(c.Name, s.Namespace, s.Name), $"{s.Namespace}/{s.Name}:{string.Join(",", s.Ports)}");
            }
        }
    }

    /// <summary>Plans allocations: keeps every current holder that is still wanted, releases the rest, and gives each new owner the lowest free number.</summary>
    public static AllocationPlan Plan(ResolvedSite site, IReadOnlyList<Allocation> current, DateTimeOffset now) =>
        Plan(Pools(site), Claims(site), current, now);

    public static AllocationPlan Plan(IReadOnlyList<PoolDefinition> pools, IReadOnlyList<Claim> claims, IReadOnlyList<Allocation> current, DateTimeOffset now)
    {
        var poolById = pools.ToDictionary(p => p.Id);
        var claimByKey = claims.ToDictionary(c => (c.Pool, c.Owner));
        var ledgers = pools.ToDictionary(p => p.Id, p => p.NewLedger());
        var kept = new Dictionary<(PoolId Pool, Owner Owner), Allocation>();
        var removed = new List<Allocation>();

        foreach (var a in Ordered(current))
        {
            var keep = poolById.TryGetValue(a.Pool, out var pool)
                && claimByKey.TryGetValue((a.Pool, a.Owner), out var claim)
                && !kept.ContainsKey((a.Pool, a.Owner))
                && pool.TryParse(a.Address, out var number)
                && (claim.Fixed is null || claim.Fixed == number)
                && ledgers[a.Pool].TryAllocate(number);
            if (keep)
            {
                kept[(a.Pool, a.Owner)] = a;
            }
            else
            {
                removed.Add(a);
            }
        }

        var added = new List<Allocation>();
        var findings = new List<Finding>();

        var rewritten = new HashSet<(PoolId Pool, Owner Owner)>();
        // A holder whose description changed (members of a shared VIP, a reservation's MAC) keeps its number; its record is rewritten.
        foreach (var a in Ordered(kept.Values))
        {
            var key = (a.Pool, a.Owner);
            if (claimByKey[key].Detail != a.Detail)
            {
                rewritten.Add(key);
                removed.Add(a);
                added.Add(a with { Detail = claimByKey[key].Detail });
            }
        }

        // Pinned numbers first, so that no lowest-free claim takes the address a reservation or a given IP needs.
        foreach (var claim in claims.Where(c => c.Fixed is not null).Concat(claims.Where(c => c.Fixed is null)))
        {
            if (kept.ContainsKey((claim.Pool, claim.Owner)))
            {
                continue;
            }

            var pool = poolById[claim.Pool];
            var ledger = ledgers[claim.Pool];
            UInt128 number;
            if (claim.Fixed is { } fixedNumber)
            {
                if (!ledger.TryAllocate(fixedNumber))
                {
                    findings.Add(Finding.Error("AddressUnavailable", claim.Owner.ToString(),
                        $"{claim.Owner} needs {pool.Format(fixedNumber)} in {pool.Description}, but it is outside the pool or already held.",
                        "Choose another address, or release the one that holds it."));
                    continue;
                }

                number = fixedNumber;
            }
            else if (!(claim.From is { } from ? TryAllocateFrom(pool, ledger, from, out number) : ledger.TryAllocateLowest(out number)))
            {
                findings.Add(Finding.Error("PoolExhausted", claim.Owner.ToString(),
                    $"The {pool.Description} ({pool.Id}, {pool.Size} in all) has no free address left for {claim.Owner}.",
                    "Shrink the plan, or plan a larger pool (pools cannot grow after deployment)."));
                continue;
            }

            added.Add(new Allocation(claim.Pool, pool.Format(number), claim.Owner)
            {
                Detail = claim.Detail,
                ExpiresAt = claim.Lease is { } lease ? now + lease : null,
            });
        }

        var result = Ordered(kept.Where(k => !rewritten.Contains(k.Key)).Select(k => k.Value).Concat(added)).ToList();
        return new AllocationPlan(added, removed, result, findings);
    }

    /// <summary>Allocations in the order they are listed and planned: by the text of pool, then of owner (ordinal).</summary>
    /// <remarks>
    /// Each text is made once (a pool's once per run of allocations holding the same pool object), and equal keys keep
    /// their input order. A stored state is ordered on every read: tens of thousands of allocations.
    /// </remarks>
    public static IEnumerable<Allocation> Ordered(IEnumerable<Allocation> allocations)
    {
        foreach (var a in Sorted([.. allocations]))
        {
            yield return a;
        }
    }

    private static Allocation[] Sorted(Allocation[] items)
    {
        var keys = new OrderKey[items.Length];
        PoolId? pool = null;
        var poolText = "";
        for (var i = 0; i < items.Length; i++)
        {
            if (!ReferenceEquals(items[i].Pool, pool))
            {
                pool = items[i].Pool;
                poolText = pool.ToString();
            }

            keys[i] = new OrderKey(poolText, items[i].Owner.ToString(), i);
        }

        Array.Sort(keys, items);
        return items;
    }

    private readonly record struct OrderKey(string Pool, string Owner, int Index) : IComparable<OrderKey>
    {
        public int CompareTo(OrderKey other) =>
            string.CompareOrdinal(Pool, other.Pool) is var byPool and not 0 ? byPool
            : string.CompareOrdinal(Owner, other.Owner) is var byOwner and not 0 ? byOwner
            : Index.CompareTo(other.Index);
    }

    /// <summary>The lowest free number at or above <paramref name="from"/>; for small pools (VRRP ids), so a plain walk.</summary>
    private static bool TryAllocateFrom(PoolDefinition pool, Ipam.AllocationLedger ledger, UInt128 from, out UInt128 number)
    {
        foreach (var (first, last) in pool.Ranges.OrderBy(r => r.First))
        {
            for (var n = UInt128.Max(first, from); n <= last && last >= from; n++)
            {
                if (ledger.TryAllocate(n))
                {
                    number = n;
                    return true;
                }
            }
        }

        number = default;
        return false;
    }
}
