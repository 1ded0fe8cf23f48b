using System.Net;
using Trellis.Core.Addressing;
using Trellis.Core.Ipam;
using Trellis.Core.Model;
using Trellis.Core.Planning;

namespace Trellis.Policy.Manifests;

/// <summary>
/// Gives workloads without addresses pod addresses from a planned cluster, as the scheduler and the CNI would:
/// workloads in id order, their pods round-robin over the worker nodes of their OS (DaemonSets: one per node), each
/// pod the lowest free address of its node's pod subnets — the planned Calico blocks or Flannel lease of
/// <c>node/&lt;cluster&gt;/&lt;node&gt;/…</c>, else blocks carved lowest-first from the pod CIDR. Windows nodes keep Calico's
/// 4 reserved addresses per block; Flannel leases keep the network, cni0 gateway and broadcast addresses.
/// hostNetwork pods take their node's address.
/// </summary>
internal static class PodAddressPlanner
{
    public static PolicySet Assign(PolicySet set, ResolvedSite site, string clusterName, IReadOnlyList<Allocation> allocations)
    {
        var cluster = site.Clusters.FirstOrDefault(c => c.Name == clusterName)
            ?? throw new ArgumentException($"The site has no cluster '{clusterName}'.", nameof(clusterName));
        var flannel = cluster.Spec.PrimaryNetworkPlugin == NetworkPlugin.Flannel;
        var subnetLength = SitePlanner.PodSubnetLength(site, cluster);
        var nodes = SitePlanner.KubernetesNodes(cluster).ToList();
        var workers = nodes.Where(n => n.Owner is WorkerVm).ToList();
        if (workers.Count == 0)
        {
            workers = nodes;
        }

        var podPool = PoolIds.Pods(cluster.Name);
        var taken = new HashSet<Prefix>();
        var subnets = new Dictionary<string, List<Prefix>>(StringComparer.Ordinal);
        foreach (var (name, node, _) in nodes)
        {
            var mine = SitePlanner.Ordered(allocations
                .Where(a => a.Pool == podPool && a.Owner switch { PodBlock b => b.Node == node, PodCidr c => c.Node == node, _ => false }))
                .Select(a => Prefix.TryParse(a.Address, out var p, out _, out var hostBits) && !hostBits ? p : (Prefix?)null)
                .OfType<Prefix>()
                .ToList();
            subnets[name] = mine;
            taken.UnionWith(mine);
        }

        foreach (var a in allocations.Where(a => a.Pool == podPool))
        {
            if (Prefix.TryParse(a.Address, out var p, out _, out var hostBits) && !hostBits)
            {
                taken.Add(p);
            }
        }

        var nodeAddresses = allocations
            .Where(a => a.Pool is NetworkPool && a.Owner is NodeVm vm && vm.ClusterName == cluster.Name)
            .ToDictionary(a => a.Owner, a => a.Address);
        var pools = new Dictionary<string, NodeAddresses>(StringComparer.Ordinal);
        NodeAddresses PoolOf(string node, OsType os) =>
            pools.TryGetValue(node, out var pool) ? pool
                : pools[node] = new NodeAddresses(subnets.GetValueOrDefault(node) ?? [], os == OsType.Windows, flannel, cluster.PodCidr, subnetLength, taken);

        var cursors = new Dictionary<OsType, int>();
        var result = new List<Workload>();
        foreach (var w in set.Workloads.OrderBy(w => w.Id, StringComparer.Ordinal))
        {
            if (w.Addresses.Count > 0)
            {
                result.Add(w);
                continue;
            }

            var os = w.Os == WorkloadOs.Windows ? OsType.Windows : OsType.Linux;
            var eligible = workers.Where(n => n.Os == os).ToList();
            if (eligible.Count == 0)
            {
                eligible = workers;
            }

            var placements = new List<(string Name, NodeVm Owner, OsType Os)>();
            if (w.Nodes.Count > 0 && nodes.FirstOrDefault(n => n.Name == w.Nodes[0]) is { Name: not null } pinned)
            {
                placements.Add(pinned);
            }
            else
            {
                var count = w.Replicas ?? eligible.Count;
                var cursor = cursors.GetValueOrDefault(os);
                for (var i = 0; i < count; i++)
                {
                    placements.Add(w.Replicas is null ? eligible[i % eligible.Count] : eligible[(cursor + i) % eligible.Count]);
                }

                if (w.Replicas is not null)
                {
                    cursors[os] = cursor + count;
                }
            }

            var addresses = new List<IPAddress>();
            var onNodes = new List<string>();
            foreach (var (name, owner, nodeOs) in placements)
            {
                IPAddress? address = null;
                if (w.HostNetwork)
                {
                    if (nodeAddresses.TryGetValue(owner, out var text) && IpNumber.TryParse(text, out var nodeIp))
                    {
                        address = nodeIp;
                    }
                }
                else
                {
                    address = PoolOf(name, nodeOs).Next();
                }

                if (address is not null)
                {
                    addresses.Add(address);
                    onNodes.Add(name);
                }
            }

            result.Add(w with { Addresses = addresses, Nodes = onNodes });
        }

        return set with { Workloads = result.OrderBy(w => w.Id, StringComparer.Ordinal).ToList() };
    }

    /// <summary>The pod subnets of one node and the next address it hands out.</summary>
    private sealed class NodeAddresses(List<Prefix> subnets, bool windows, bool flannel, Prefix podCidr, int subnetLength, HashSet<Prefix> taken)
    {
        private int _subnet;
        private UInt128 _next;
        private bool _started;

        public IPAddress? Next()
        {
            while (true)
            {
                if (_subnet >= subnets.Count && !Claim())
                {
                    return null;
                }

                var block = subnets[_subnet];
                var (first, last) = Usable(block);
                if (!_started)
                {
                    _next = first;
                    _started = true;
                }

                if (_next <= last && first <= last)
                {
                    return IpNumber.ToAddress(_next++, block.Family);
                }

                _subnet++;
                _started = false;
            }
        }

        private (UInt128 First, UInt128 Last) Usable(Prefix block)
        {
            // A Windows node keeps the second address of its subnet as kube-proxy's source VIP, with Flannel as with Calico.
            if (flannel && block.Size >= 4)
            {
                return (block.First + (windows && block.Size >= 8 ? 3u : 2u), block.Last - 1);
            }

            return windows && block.Size >= 8 ? (block.First + 3, block.Last - 1) : (block.First, block.Last);
        }

        /// <summary>Calico claims another free block when a node's blocks are full; a Flannel node has one lease only.</summary>
        private bool Claim()
        {
            if (flannel && subnets.Count > 0)
            {
                return false;
            }

            var count = podCidr.SubnetCount(subnetLength);
            for (UInt128 i = 0; i < count && i < 1_000_000; i++)
            {
                var candidate = podCidr.Subnet(subnetLength, i);
                if (taken.Add(candidate))
                {
                    subnets.Add(candidate);
                    return true;
                }
            }

            return false;
        }
    }
}
