using Trellis.Core.Ipam;
using Trellis.Core.Model;

namespace Trellis.Core.Planning;

/// <summary>One atomic step of a rolling upgrade: a set of allocation changes committed together.</summary>
public sealed record UpgradeStep(Owner Node, string Description, IReadOnlyList<Allocation> Remove, IReadOnlyList<Allocation> Add);

/// <summary>Where a rolling upgrade stands: the nodes already replaced, and the one being replaced now.</summary>
public sealed record UpgradeProgress(string Cluster, string FromVersion, string TargetVersion, IReadOnlyList<Owner> Done, Owner? Current);

/// <summary>
/// Rolling upgrade, one VM at a time: a surge VM takes an address (from the cluster's update reserve on Static
/// networks, a new DHCP lease otherwise), then the old VM goes and its address returns to the reserve or the scope.
/// Every step is derived from the current state alone, so an upgrade interrupted anywhere resumes where it stopped.
/// </summary>
public static class UpgradePlanner
{
    /// <summary>The VMs replaced by an upgrade, in order: control plane, load balancers, workers.</summary>
    public static IReadOnlyList<Owner> Owners(ResolvedCluster c)
    {
        var owners = new List<Owner>();
        owners.AddRange(Enumerable.Range(1, c.Spec.ControlPlaneNodeCount).Select(i => PoolIds.ControlPlane(c.Name, i)));
        owners.AddRange(Enumerable.Range(1, c.LoadBalancerVmCount).Select(i => PoolIds.LoadBalancerVm(c.Name, i)));
        owners.AddRange(SitePlanner.KubernetesNodes(c).Where(n => n.Owner is WorkerVm).Select(n => n.Owner));
        return owners;
    }

    /// <summary>The next step, or null when every VM is replaced. Returns an error text when no address is free for the surge VM.</summary>
    public static (UpgradeStep? Step, UpgradeProgress Progress, string? Error) Next(
        ResolvedSite site, ResolvedCluster cluster, UpgradeProgress progress, IReadOnlyList<Allocation> current, DateTimeOffset now)
    {
        var poolId = SitePlanner.NodeAddressPool(cluster.Network);
        var inPool = current.Where(a => a.Pool == poolId).ToList();
        var surge = inPool.FirstOrDefault(a => a.Owner is UpgradeSurge s && s.ClusterName == cluster.Name);
        var lease = cluster.Network.Dhcp?.LeaseDuration;

        if (surge is not null && progress.Current is { } node)
        {
            var old = inPool.FirstOrDefault(a => a.Owner == node);
            var remove = new List<Allocation> { surge };
            var add = new List<Allocation> { new(poolId, surge.Address, node) { ExpiresAt = lease is { } l ? now + l : null } };
            if (old is not null)
            {
                remove.Add(old);
                if (surge.Owner is UpgradeSurge { ReserveSlot: { } slot })
                {
                    add.Add(new Allocation(poolId, old.Address, PoolIds.UpgradeReserve(cluster.Name, slot)));
                }
            }

            var done = progress.Done.Append(node).ToList();
            return (new UpgradeStep(node, $"retire the old VM of {node} ({old?.Address ?? "gone"}); the new VM keeps {surge.Address}", remove, add),
                progress with { Done = done, Current = null }, null);
        }

        var nextNode = Owners(cluster).FirstOrDefault(o => !progress.Done.Contains(o) && inPool.Any(a => a.Owner == o));
        if (nextNode is null)
        {
            return (null, progress, null);
        }

        var reserve = inPool.Select(a => (Allocation: a, Slot: a.Owner is UpgradeReserve r && r.ClusterName == cluster.Name ? r.Slot : (int?)null))
            .Where(x => x.Slot is not null).OrderBy(x => x.Slot).FirstOrDefault();
        if (reserve.Allocation is { } held)
        {
            // The detail keeps the text older versions read the borrowed slot from.
            return (new UpgradeStep(nextNode, $"surge VM for {nextNode} takes update address {held.Address}",
                    [held], [new Allocation(poolId, held.Address, new UpgradeSurge(cluster.Name, reserve.Slot)) { Detail = $"reserve {held.Owner}" }]),
                progress with { Current = nextNode }, null);
        }

        var pool = SitePlanner.Pools(site).Single(p => p.Id == poolId);
        var ledger = pool.NewLedger();
        foreach (var a in inPool)
        {
            if (pool.TryParse(a.Address, out var number))
            {
                ledger.TryAllocate(number);
            }
        }

        if (!ledger.TryAllocateLowest(out var free))
        {
            return (null, progress, $"No address is free in {pool.Description} for the surge VM of {nextNode}; a rolling upgrade needs one.");
        }

        return (new UpgradeStep(nextNode, $"surge VM for {nextNode} takes {pool.Format(free)}", [],
                [new Allocation(poolId, pool.Format(free), new UpgradeSurge(cluster.Name, null)) { Detail = "surge", ExpiresAt = lease is { } l2 ? now + l2 : null }]),
            progress with { Current = nextNode }, null);
    }

    /// <summary>Kubernetes versions compare by their numbers: v1.29.4 &lt; v1.30.0, and 1.30.0 is v1.30.0.</summary>
    public static int CompareVersions(string a, string b)
    {
        static KubernetesVersion Parse(string v) => KubernetesVersion.TryParse(v, out var parsed) ? parsed : default;
        return Parse(a).CompareTo(Parse(b));
    }

    public static bool IsUpgrade(ClusterSpec stored, ClusterSpec next) => CompareVersions(next.KubernetesVersion, stored.KubernetesVersion) > 0;
}
