using Trellis.Core.Ipam;
using Trellis.Core.Model;

namespace Trellis.Core.Planning;

/// <summary>One atomic step of a rolling upgrade: a set of allocation changes committed together.</summary>
public sealed record UpgradeStep(string Node, string Description, IReadOnlyList<Allocation> Remove, IReadOnlyList<Allocation> Add);

/// <summary>Where a rolling upgrade stands: the nodes already replaced, and the one being replaced now.</summary>
public sealed record UpgradeProgress(string Cluster, string FromVersion, string TargetVersion, IReadOnlyList<string> Done, string? Current);

/// <summary>
/// Rolling upgrade, one VM at a time: a surge VM takes an address (from the cluster's update reserve on Static
/// networks, a new DHCP lease otherwise), then the old VM goes and its address returns to the reserve or the scope.
/// Every step is derived from the current state alone, so an upgrade interrupted anywhere resumes where it stopped.
/// </summary>
public static class UpgradePlanner
{
    /// <summary>The VMs replaced by an upgrade, in order: control plane, load balancers, workers.</summary>
    public static IReadOnlyList<string> Owners(ResolvedCluster c)
    {
        var owners = new List<string>();
        owners.AddRange(Enumerable.Range(1, c.Spec.ControlPlaneNodeCount).Select(i => PoolIds.ControlPlane(c.Name, i)));
        owners.AddRange(Enumerable.Range(1, c.LoadBalancerVmCount).Select(i => PoolIds.LoadBalancerVm(c.Name, i)));
        owners.AddRange(SitePlanner.KubernetesNodes(c).Where(n => n.Owner.Contains("/node/", StringComparison.Ordinal)).Select(n => n.Owner));
        return owners;
    }

    /// <summary>The next step, or null when every VM is replaced. Returns an error text when no address is free for the surge VM.</summary>
    public static (UpgradeStep? Step, UpgradeProgress Progress, string? Error) Next(
        ResolvedSite site, ResolvedCluster cluster, UpgradeProgress progress, IReadOnlyList<Allocation> current, DateTimeOffset now)
    {
        var poolId = SitePlanner.NodeAddressPool(cluster.Network);
        var inPool = current.Where(a => a.Pool == poolId).ToList();
        var surgeOwner = PoolIds.Surge(cluster.Name);
        var surge = inPool.FirstOrDefault(a => a.Owner == surgeOwner);
        var lease = cluster.Network.Dhcp?.LeaseDuration;

        if (surge is not null && progress.Current is { } node)
        {
            var old = inPool.FirstOrDefault(a => a.Owner == node);
            var remove = new List<Allocation> { surge };
            var add = new List<Allocation> { new(poolId, surge.Address, node) { ExpiresAt = lease is { } l ? now + l : null } };
            if (old is not null)
            {
                remove.Add(old);
                if (surge.Detail is { } reserveOwner && reserveOwner.StartsWith("reserve ", StringComparison.Ordinal))
                {
                    add.Add(new Allocation(poolId, old.Address, reserveOwner["reserve ".Length..]));
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

        var reserve = inPool.Where(a => a.Owner.StartsWith($"cluster/{cluster.Name}/upgrade-reserve-", StringComparison.Ordinal))
            .OrderBy(a => a.Owner, StringComparer.Ordinal).FirstOrDefault();
        if (reserve is not null)
        {
            return (new UpgradeStep(nextNode, $"surge VM for {nextNode} takes update address {reserve.Address}",
                    [reserve], [new Allocation(poolId, reserve.Address, surgeOwner) { Detail = $"reserve {reserve.Owner}" }]),
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
                [new Allocation(poolId, pool.Format(free), surgeOwner) { Detail = "surge", ExpiresAt = lease is { } l2 ? now + l2 : null }]),
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
