using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.Server.Monitoring;

/// <summary>How close a pool is to full: below the warning threshold, at or over it, at or over the critical one.</summary>
public enum AlertLevel
{
    Ok = 0,
    Warning = 1,
    Critical = 2,
}

/// <summary>What an alert is about: how full a pool is, or a rolling upgrade that would find no address for its surge VM.</summary>
public enum AlertKind
{
    Utilization,
    UpgradeWouldNotFit,
}

/// <summary>One pool of a site: what it holds, how full it is, and the level its utilization reaches (always Ok for a pool of one entry).</summary>
/// <param name="UpgradeHeadroom">The Engine's headroom after an upgrade (its capacity report), for the pools it judges; below 0 an upgrade would not fit.</param>
public sealed record PoolStatus(string Pool, string Description, long Size, long Allocated, long Free, double Utilization, AlertLevel Level, long? UpgradeHeadroom);

/// <summary>One alert of a site's pool, with what an operator reads and does.</summary>
public sealed record PoolAlert(string Pool, AlertLevel Level, AlertKind Kind, string Message, string Hint);

/// <summary>
/// A site's health at one revision: every pool with its utilization, and the alerts. <see cref="Level"/> is the worst alert's
/// (Ok without any); <see cref="Findings"/> says why a stored site could not be judged (nothing applied, a damaged spec).
/// </summary>
public sealed record SiteHealth(string Name, string? Site, long Revision, AlertLevel Level, IReadOnlyList<PoolStatus> Pools, IReadOnlyList<PoolAlert> Alerts,
    IReadOnlyList<Finding>? Findings = null);

/// <summary>The thresholds of the utilization alerts, as fractions of a pool's usable size.</summary>
public sealed record AlertThresholds(double Warning, double Critical)
{
    public static AlertThresholds Default { get; } = new(0.80, 0.95);

    public AlertLevel LevelOf(double utilization) =>
        utilization >= Critical ? AlertLevel.Critical : utilization >= Warning ? AlertLevel.Warning : AlertLevel.Ok;
}

/// <summary>
/// A site's pools and alerts from the Engine's views: sizes and counts from <see cref="SiteViews.Pools"/>, the upgrade
/// headroom from its capacity report (<see cref="SiteViews.StoredCapacity"/>). Nothing here is computed about networks.
/// </summary>
public static class PoolAlerts
{
    public static SiteHealth Judge(string name, SiteState state, AlertThresholds thresholds)
    {
        if (state.SiteName is null)
        {
            return new SiteHealth(name, null, state.Revision, AlertLevel.Ok, [], [], SiteViews.RequireSite(state));
        }

        var capacity = SiteViews.StoredCapacity(state);
        var headroom = capacity.Report is { } report ? Headroom(report) : [];
        var pools = new List<PoolStatus>();
        var alerts = new List<PoolAlert>();
        foreach (var row in SiteViews.Pools(state))
        {
            var utilization = row.Size > 0 ? (double)row.Allocated / row.Size : 0;
            // A pool of one entry (the cloud agent's address) is sized for its one holder: full is what it is for.
            var level = row.Size > 1 ? thresholds.LevelOf(utilization) : AlertLevel.Ok;
            long? upgrade = headroom.TryGetValue(row.Pool, out var h) ? h : null;
            pools.Add(new PoolStatus(row.Pool, row.Description, row.Size, row.Allocated, row.Free, utilization, level, upgrade));
            if (level != AlertLevel.Ok)
            {
                var threshold = level == AlertLevel.Critical ? thresholds.Critical : thresholds.Warning;
                alerts.Add(new PoolAlert(row.Pool, level, AlertKind.Utilization,
                    $"The {row.Description} ({row.Pool}) is {utilization:P0} full: {row.Allocated} of {row.Size} held, {row.Free} free (threshold {threshold:P0}).",
                    row.Free == 0
                        ? "Nothing more can be allocated from it: widen the pool before adding nodes or services, or release what is not needed."
                        : "Plan its growth: widen the pool (it cannot grow after deployment on AksHci), or move clusters or services elsewhere."));
            }

            if (upgrade < 0)
            {
                alerts.Add(new PoolAlert(row.Pool, AlertLevel.Warning, AlertKind.UpgradeWouldNotFit,
                    $"A rolling upgrade would not fit in the {row.Description} ({row.Pool}): it has no address left for the surge VM ({upgrade} after the upgrade).",
                    "Widen the pool by one address per cluster that upgrades at a time, or keep update addresses (settings.workloadUpdateReserve)."));
            }
        }

        var worst = alerts.Count == 0 ? AlertLevel.Ok : alerts.Max(a => a.Level);
        return new SiteHealth(name, state.SiteName, state.Revision, worst, pools, alerts,
            capacity.Findings.Count > 0 ? capacity.Findings : null);
    }

    /// <summary>The headroom after an upgrade of every single pool the capacity report judges (its sums over several pools left out).</summary>
    private static Dictionary<string, long> Headroom(CapacityReport report)
    {
        var pools = report.Networks.SelectMany(n => new[] { n.NodeIpPool, n.VipPool, n.DhcpScope, n.ControlPlaneIps })
            .Concat(report.Clusters.SelectMany(c => new[] { c.PodSubnets, c.ClusterIps, c.NodePorts }))
            .OfType<PoolCapacity>();
        var headroom = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var pool in pools)
        {
            headroom.TryAdd(pool.Pool, pool.HeadroomAfterUpgrade);
        }

        return headroom;
    }
}
