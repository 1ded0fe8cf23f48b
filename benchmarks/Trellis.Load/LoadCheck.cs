using Trellis.Engine;

namespace Trellis.Load;

/// <summary>What must hold after a run, read through the Engine from the state file: no address held twice, every acknowledged write there.</summary>
public static class LoadCheck
{
    public static async Task<IReadOnlyList<string>> VerifyAsync(string statePath, LoadResult result)
    {
        var problems = new List<string>();
        await using var session = EngineSession.OpenSqlite(statePath, write: false);
        var allocations = (await session.Engine.ReadAllocationsAsync().ConfigureAwait(false)).Allocations;

        // Within a pool, and across a network's pools (node IPs and VIPs share its address space), an address has one holder.
        foreach (var twice in allocations.GroupBy(a => (Space: a.Pool.StartsWith("net/", StringComparison.Ordinal) ? a.Pool[..a.Pool.LastIndexOf('/')] : a.Pool, a.Address))
                     .Where(g => g.Count() > 1))
        {
            problems.Add($"{twice.Key.Address} in {twice.Key.Space} is held {twice.Count()} times: {string.Join(", ", twice.Select(a => a.Owner))}");
        }

        var state = await session.Engine.ReadAsync().ConfigureAwait(false);
        var services = SiteViews.Services(state).Select(s => (s.Cluster, s.Namespace, s.Name)).ToHashSet();
        foreach (var (write, revision) in result.AddedServices.Where(s => !services.Contains((s.Write.Cluster, s.Write.Namespace, s.Write.Name))))
        {
            problems.Add($"service {write.Cluster}/{write.Namespace}/{write.Name}, acknowledged at revision {revision}, is not stored");
        }

        // Each new service is a commit of its own (a scale to the count a pool already has writes nothing and keeps the revision).
        if (result.AddedServices.GroupBy(s => s.Revision).FirstOrDefault(g => g.Count() > 1) is { } shared)
        {
            problems.Add($"two acknowledged services answered the same revision {shared.Key}");
        }

        var pools = SiteViews.NodePools(state).ToDictionary(p => (p.Cluster, p.Name), p => p.Count);
        foreach (var last in result.Scales.GroupBy(s => (s.Write.Cluster, s.Write.NodePool)).Select(g => g.MaxBy(s => s.Revision)))
        {
            if (pools.GetValueOrDefault((last.Write.Cluster, last.Write.NodePool)) != last.Write.Count)
            {
                problems.Add($"node pool {last.Write.Cluster}/{last.Write.NodePool}: the last acknowledged scale (revision {last.Revision}) set {last.Write.Count}, the state holds {pools.GetValueOrDefault((last.Write.Cluster, last.Write.NodePool))}");
            }
        }

        var vips = allocations.Count(a => a.Pool.EndsWith("/vips", StringComparison.Ordinal) && a.Owner.Contains("/load/", StringComparison.Ordinal));
        if (vips != services.Count(s => s.Namespace == "load"))
        {
            problems.Add($"{services.Count(s => s.Namespace == "load")} load services hold {vips} VIPs");
        }

        return problems;
    }
}
