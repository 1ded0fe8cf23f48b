using Trellis.Core.Ipam;
using Trellis.Core.Model;
using Trellis.Core.Validation;

namespace Trellis.Core.Planning;

/// <summary>Capacity planning: how many addresses the site needs of each pool, what the pools hold, and what-if questions.</summary>
public static class CapacityPlanner
{
    /// <summary>
    /// Addresses of a subnet that no pool can use: the network and broadcast addresses, network+1 (the gateway, and the
    /// off-by-one edge) and broadcast−1 (the other edge).
    /// </summary>
    public const int PrefixOverhead = 4;

    public static CapacityReport Report(ResolvedSite site, IReadOnlyList<Allocation> allocations)
    {
        var pools = SitePlanner.Pools(site).ToDictionary(p => p.Id);
        var allocated = new Dictionary<PoolId, long>();
        foreach (var a in allocations)
        {
            System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(allocated, a.Pool, out _)++;
        }

        var breakdown = Breakdown(site);
        var requiredByPool = new Dictionary<PoolId, long>();
        var byCluster = new Dictionary<string, (long Nodes, long Vips)>(StringComparer.Ordinal);
        foreach (var l in breakdown)
        {
            requiredByPool[l.Pool] = requiredByPool.GetValueOrDefault(l.Pool) + l.Count;
            if (l.Cluster is { } cluster)
            {
                ref var totals = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(byCluster, cluster, out _);
                if (l.NodeAddress)
                {
                    totals.Nodes += l.Count;
                }
                else if (l.Vip)
                {
                    totals.Vips += l.Count;
                }
            }
        }

        // The update addresses are the surge VMs' addresses in both IP models; only without them does a surge eat headroom.
        var surgeByPool = site.Clusters
            .Where(_ => site.WorkloadUpdateReserve == 0)
            .GroupBy(c => SitePlanner.NodeAddressPool(c.Network)).ToDictionary(g => g.Key, g => (long)g.Count());
        var networks = new List<NetworkCapacity>();
        foreach (var n in site.Networks)
        {
            // Each network is its own subnet: its smallest prefix counts only the addresses that live in it, MetalLB L2 ranges included.
            var metalLb = site.Clusters.Where(c => c.Network.Name == n.Name && (site.Model == SiteModel.AksArc || c.MetalLbRanges.Count > 0))
                .Sum(c => Required(PoolIds.MetalLb(c.Name)));
            var required = Required(PoolIds.Nodes(n.Name)) + Required(PoolIds.Vips(n.Name)) + Required(PoolIds.Dhcp(n.Name))
                + Required(PoolIds.ControlPlaneIps(n.Name)) + metalLb;
            networks.Add(new NetworkCapacity(n.Name, n.Method.ToString(), n.Prefix.ToString(),
                Pool(PoolIds.Nodes(n.Name)), Pool(PoolIds.Vips(n.Name)), Pool(PoolIds.Dhcp(n.Name)),
                site.Model == SiteModel.AksArc ? Pool(PoolIds.ControlPlaneIps(n.Name)) : null,
                required, RecommendedPrefixLength(required)));
        }

        var clusters = site.Clusters.Select(c => new ClusterCapacity(c.Name, c.Network.Name,
            byCluster.GetValueOrDefault(c.Name).Nodes,
            byCluster.GetValueOrDefault(c.Name).Vips,
            Pool(PoolIds.Pods(c.Name))!, Pool(PoolIds.ClusterIps(c.Name))!, Pool(PoolIds.NodePorts(c.Name))!)).ToList();

        var nodePools = networks.Select(n => n.NodeIpPool ?? n.DhcpScope).OfType<PoolCapacity>().ToList();
        var vipPools = site.Model == SiteModel.AksArc
            ? site.Clusters.Select(c => Pool(PoolIds.MetalLb(c.Name)) ?? new PoolCapacity(PoolIds.MetalLb(c.Name).ToString(), "MetalLB", Required(PoolIds.MetalLb(c.Name)), 0, 0, 0, 0) { Id = PoolIds.MetalLb(c.Name) }).ToList()
            : networks.Select(n => n.VipPool).Concat(site.Clusters.Where(c => c.MetalLbRanges.Count > 0).Select(c => Pool(PoolIds.MetalLb(c.Name)))).OfType<PoolCapacity>().ToList();
        var nodeTotal = Sum("node IP pool", "node IP pools (static) and DHCP scopes", nodePools);
        var vipTotal = Sum("VIP pool", site.Model == SiteModel.AksArc ? "MetalLB address pools" : "VIP pools", vipPools);
        var controlPlaneIps = site.Model == SiteModel.AksArc ? site.Clusters.Count : 0;
        var total = nodeTotal.Required + vipTotal.Required + controlPlaneIps;
        // Pools of different networks live in different subnets: one prefix for their sum would fit none of them.
        return new CapacityReport(site.Spec.Name, site.Model, nodeTotal, vipTotal, controlPlaneIps, total,
            networks.Count == 1 ? networks[0].RecommendedPrefixLength : null, Rules(site), networks, clusters, breakdown);

        long Required(PoolId pool) => requiredByPool.GetValueOrDefault(pool);

        PoolCapacity? Pool(PoolId id)
        {
            if (!pools.TryGetValue(id, out var pool))
            {
                return null;
            }

            var size = pool.UsableSize;
            var taken = allocated.GetValueOrDefault(id);
            var required = Required(id);
            var surge = surgeByPool.GetValueOrDefault(id);
            return new PoolCapacity(id.ToString(), pool.Description, required, size, taken, size - taken, size - Math.Max(taken, required) - surge) { Id = id };
        }
    }

    /// <summary>The smallest IPv4 prefix whose subnet holds the addresses plus <see cref="PrefixOverhead"/>.</summary>
    public static int RecommendedPrefixLength(long addresses) =>
        Addressing.Prefix.SmallestLengthFor((UInt128)(addresses + PrefixOverhead), System.Net.Sockets.AddressFamily.InterNetwork);

    private static PoolCapacity Sum(string name, string description, IReadOnlyList<PoolCapacity> pools) =>
        new(name, description, pools.Sum(p => p.Required), pools.Sum(p => p.Size), pools.Sum(p => p.Allocated), pools.Sum(p => p.Free), pools.Sum(p => p.HeadroomAfterUpgrade));

    public static IReadOnlyList<string> Rules(ResolvedSite site)
    {
        var rules = new List<string>();
        if (site.Model == SiteModel.AksArc)
        {
            rules.Add($"IP pool: 1 address per control plane and worker VM, plus {site.WorkloadUpdateReserve} per cluster for rolling upgrades (AKS Arc IP address planning), plus HAProxy VMs when loadBalancerCount > 0.");
            rules.Add("Control plane IPs: 1 per cluster, inside the logical network's prefix and outside its IP pool (Az.AksArc validation).");
            rules.Add("Load balancer IPs: 1 per LoadBalancer service (services with one sharedIpKey share one, on distinct ports), from the cluster's MetalLB pools outside the IP pool.");
        }
        else
        {
            rules.Add($"Node IP pool: management cluster 1 VM + {site.Settings.ManagementUpdateReserve} update addresses; each workload cluster: control plane and worker VMs, 1 per HAProxy load balancer VM, + {site.WorkloadUpdateReserve} update addresses (AksHci minimum reservation table).");
            rules.Add(site.Settings.ManagementClusterVip
                ? "VIP pool: 1 API server VIP per workload cluster + 1 for the management cluster (architecture guide; settings.managementClusterVip: true)."
                : "VIP pool: 1 API server VIP per workload cluster; the management cluster's VIP is not counted, as in the product documentation's worked example (settings.managementClusterVip: false).");
            rules.Add("Services: 1 VIP per LoadBalancer service; services of one cluster with the same sharedIpKey share one VIP on distinct ports; VIPs are never shared across clusters.");
            rules.Add("DHCP networks: the same addresses as a static node IP pool, update addresses included (the reservation is the same whatever the IP model); node VMs lease from the scope, reservations hold their fixed addresses of it, update addresses stay free for the VMs an upgrade creates; the VIP pool, the cloud agent and the gateway are excluded from it.");
        }

        rules.Add($"Recommended prefix, per network: the smallest subnet holding the addresses of that network's pools plus {PrefixOverhead} addresses no pool may use (network, broadcast, network+1 gateway/edge, broadcast−1 edge).");
        return rules;
    }

    public static IReadOnlyList<RequirementLine> Breakdown(ResolvedSite site)
    {
        var lines = new List<RequirementLine>();
        var host = site.HostNetwork;
        if (site.HasManagementCluster)
        {
            var pool = SitePlanner.NodeAddressPool(host);
            lines.Add(new("management cluster", pool, "management cluster VM", 1));
            lines.Add(new("management cluster", pool, "update addresses", site.Settings.ManagementUpdateReserve));
            if (site.Settings.ManagementClusterVip)
            {
                lines.Add(new("management cluster", PoolIds.Vips(host.Name), "API server VIP", 1));
            }
        }

        // A reservation named after a VM is that VM's address, counted with the cluster's VMs below.
        var pinning = new HashSet<object>(VmReservations.Of(site).Values, ReferenceEqualityComparer.Instance);
        foreach (var n in site.Networks)
        {
            if (n.Dhcp is { Reservations.Count: > 0 } d && d.Reservations.Count(r => !pinning.Contains(r)) is var own and > 0)
            {
                lines.Add(new($"network {n.Name}", PoolIds.Dhcp(n.Name), "DHCP reservations", own));
            }
        }

        foreach (var c in site.Clusters)
        {
            var scope = $"cluster {c.Name}";
            var pool = SitePlanner.NodeAddressPool(c.Network);
            RequirementLine Node(string item, long count) => new(scope, pool, item, count) { Cluster = c.Name, NodeAddress = true };
            RequirementLine Vip(PoolId vipPool, string item, long count) => new(scope, vipPool, item, count) { Cluster = c.Name, Vip = true };
            lines.Add(Node("control plane VMs", c.Spec.ControlPlaneNodeCount));
            lines.Add(Node("worker VMs", c.WorkerCount));
            lines.Add(Node("load balancer VMs", c.LoadBalancerVmCount));
            lines.Add(Node("update addresses", site.WorkloadUpdateReserve));
            if (site.Model == SiteModel.AksArc)
            {
                lines.Add(new(scope, PoolIds.ControlPlaneIps(c.Network.Name), "control plane IP", 1) { Cluster = c.Name });
                lines.Add(Vip(PoolIds.MetalLb(c.Name), "service IPs", SitePlanner.ServiceVipCount(c)));
            }
            else
            {
                lines.Add(Vip(PoolIds.Vips(c.Network.Name), "API server VIP", 1));
                lines.Add(Vip(SitePlanner.ServiceVipPool(site, c), "service VIPs", SitePlanner.ServiceVipCount(c)));
            }

            var nodes = c.Spec.ControlPlaneNodeCount + c.WorkerCount;
            lines.Add(new(scope, PoolIds.Pods(c.Name), c.Spec.PrimaryNetworkPlugin == NetworkPlugin.Flannel ? "node pod subnets" : "node IPAM blocks", nodes));
            lines.Add(new(scope, PoolIds.ClusterIps(c.Name), "ClusterIPs (kubernetes, kube-dns, services)", 2 + c.Spec.Services.Count));
            lines.Add(new(scope, PoolIds.NodePorts(c.Name), "NodePorts", c.Spec.Services.Sum(s => s.Ports.Count)));
        }

        // The same reservation whatever the IP model (AksHci IP address planning): static update addresses are held in the node
        // IP pool, DHCP ones must stay leasable in the scope for the VMs an upgrade creates.
        return lines.Where(l => l.Count > 0).ToList();
    }

    /// <summary>
    /// Findings for pools the plan does not fit in, with the field to change. Pools in <paramref name="unjudged"/> are not
    /// judged: validation names those whose requirement depends on something it could not resolve.
    /// </summary>
    public static IReadOnlyList<Finding> Check(ResolvedSite site, IReadOnlySet<PoolId>? unjudged = null)
    {
        var findings = new List<Finding>();
        var report = Report(site, []);
        foreach (var n in report.Networks)
        {
            var path = n.Name == site.HostNetwork.Name
                ? (site.Model == SiteModel.AksArc ? "spec.logicalNetwork" : "spec.hostNetwork")
                : $"spec.clusterNetworks[{IndexOfNetwork(site, n.Name)}]";
            Short(n.NodeIpPool, site.Model == SiteModel.AksArc ? "IpPoolTooSmall" : "NodeIpPoolTooSmall",
                site.Model == SiteModel.AksArc ? $"{path}.ipPoolEnd" : $"{path}.k8sNodeIpPoolEnd", "node VMs, load balancer VMs and update addresses");
            Short(n.VipPool, "VipPoolTooSmall", $"{path}.vipPoolEnd", "API servers and LoadBalancer services");
            Short(n.DhcpScope, "DhcpScopeTooSmall", $"{path}.dhcpScope.end", "node VM leases after the exclusions");
            Short(n.ControlPlaneIps, "ControlPlaneIpsExhausted", $"{path}.addressPrefixes", "control plane IPs outside the IP pool");
        }

        for (var i = 0; i < report.Clusters.Count; i++)
        {
            var c = report.Clusters[i];
            var path = $"spec.clusters[{SiteValidator.IndexOf(site.Spec, c.Name)}]";
            Short(c.PodSubnets, "PodCidrTooSmall", $"{path}.podCidr", "one pod subnet per node");
            Short(c.ClusterIps, "ServiceCidrTooSmall", $"{path}.serviceCidr", "ClusterIPs");
            Short(c.NodePorts, "NodePortsExhausted", $"{path}.services", "NodePorts (30000–32767)");
        }

        {
            foreach (var c in site.Clusters.Where(c => (site.Model == SiteModel.AksArc || c.MetalLbRanges.Count > 0) && !(unjudged?.Contains(PoolIds.MetalLb(c.Name)) ?? false)))
            {
                var needed = SitePlanner.ServiceVipCount(c);
                var size = c.MetalLbRanges.Sum(r => (long)(r.Last - r.First) + 1);
                if (needed > size)
                {
                    findings.Add(Finding.Error("MetalLbPoolTooSmall", $"spec.clusters[{SiteValidator.IndexOf(site.Spec, c.Name)}].loadBalancers",
                        $"Cluster '{c.Name}' needs {needed} load balancer IPs but its MetalLB pools hold {size}.", "Widen the MetalLB address ranges (outside the IP pool)."));
                }
            }
        }

        // keepalived's virtual_router_id is one byte: at most 255 HAProxy clusters can share one vSwitch and VLAN.
        foreach (var segment in site.Clusters.Where(c => c.LoadBalancerVmCount > 0).GroupBy(c => (c.Network.VswitchName, c.Network.VlanId)).Where(g => g.Count() > SitePlanner.VirtualRouterIdLast))
        {
            var last = segment.ElementAt(SitePlanner.VirtualRouterIdLast);
            findings.Add(Finding.Error("VirtualRouterIdsExhausted", $"spec.clusters[{SiteValidator.IndexOf(site.Spec, last.Name)}].loadBalancerSettings",
                $"{segment.Count()} clusters with HAProxy load balancers share vSwitch '{segment.Key.VswitchName}' VLAN {segment.Key.VlanId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "untagged"}, but VRRP has only 255 virtual_router_ids per L2 segment.",
                "Put clusters on cluster networks with their own VLANs, or use loadBalancerSku: none (kube-vip) for some of them."));
        }

        return findings;

        void Short(PoolCapacity? pool, string code, string path, string what)
        {
            if (pool is null || (pool.Id is { } id && (unjudged?.Contains(id) ?? false)))
            {
                return;
            }

            if (pool.Required > pool.Size)
            {
                findings.Add(Finding.Error(code, path,
                    $"The {pool.Description} holds {pool.Size} addresses but the plan needs {pool.Required} for {what}.",
                    $"Widen it by at least {pool.Required - pool.Size} before deployment (it cannot grow afterwards), or plan fewer nodes or services."));
            }
            else if (pool.HeadroomAfterUpgrade < 0)
            {
                findings.Add(Finding.Warning("NoUpgradeHeadroom", path,
                    $"The {pool.Description} fits the plan but has no address left for the surge VM of a rolling upgrade.",
                    "Widen the pool by one address per cluster that upgrades at a time."));
            }
        }
    }

    private static int IndexOfNetwork(ResolvedSite site, string name)
    {
        for (var i = 0; i < site.Spec.ClusterNetworks.Count; i++)
        {
            if (site.Spec.ClusterNetworks[i].Name == name)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The codes of errors that say a pool has no room: a what-if that meets only these is answered "does not fit".</summary>
    public static readonly IReadOnlySet<string> RoomCodes = new HashSet<string>(StringComparer.Ordinal)
    {
        "NodeIpPoolTooSmall", "IpPoolTooSmall", "VipPoolTooSmall", "DhcpScopeTooSmall", "PodCidrTooSmall", "ServiceCidrTooSmall", "NodePortsExhausted", "MetalLbPoolTooSmall", "ControlPlaneIpsExhausted",
    };

    /// <summary>Validates the changed spec and compares its capacity with the current one.</summary>
    public static WhatIfResult WhatIf(string question, SiteSpec current, SiteSpec changed, IReadOnlyList<Allocation> allocations)
    {
        var before = SiteValidator.ValidateStored(current);
        var after = SiteValidator.ValidateChange(current, changed);
        var beforeReport = before.Resolved is null ? null : Report(before.Resolved, allocations);
        if (after.Site is null)
        {
            var first = after.Findings.FirstOrDefault(f => f.Severity == Severity.Error && RoomCodes.Contains(f.Code));
            return new WhatIfResult(question, false, beforeReport, null, first?.Path, after.Findings);
        }

        var afterReport = Report(after.Site, SitePlanner.Plan(after.Site, allocations, DateTimeOffset.UnixEpoch).Result);
        var tightest = afterReport.Networks
            .SelectMany(n => new[] { n.NodeIpPool, n.VipPool, n.DhcpScope, n.ControlPlaneIps })
            .Concat(afterReport.Clusters.SelectMany(c => new[] { c.PodSubnets, c.ClusterIps }))
            .OfType<PoolCapacity>()
            .Where(p => p.Size > 0)
            .MinBy(p => (double)(p.Size - p.Required) / p.Size);
        return new WhatIfResult(question, true, beforeReport, afterReport, tightest?.Pool, after.Findings);
    }
}
