using System.Collections.Concurrent;

namespace Trellis.Server.Monitoring;

/// <summary>
/// Each site's health (<see cref="PoolAlerts.Judge"/>), kept per revision: a scrape, the alert endpoints and the dashboard
/// read a site once per change, not once per request; a revision read (microseconds) says whether the kept one is current.
/// </summary>
public sealed class SiteMonitor(Fleet fleet, ServerOptions options)
{
    private readonly ConcurrentDictionary<string, SiteHealth> _latest = new(StringComparer.Ordinal);

    public AlertThresholds Thresholds { get; } = new(options.WarnUtilization, options.CriticalUtilization);

    /// <summary>The health of site <paramref name="name"/> (which must exist) at its current revision.</summary>
    public async Task<SiteHealth> HealthAsync(string name, CancellationToken cancellationToken)
    {
        await using var session = fleet.Open(name, write: false);
        var revision = await session.Engine.ReadRevisionAsync(cancellationToken).ConfigureAwait(false);
        if (_latest.TryGetValue(name, out var kept) && kept.Revision == revision)
        {
            return kept;
        }

        var state = await session.Engine.ReadAsync(cancellationToken).ConfigureAwait(false);
        var health = PoolAlerts.Judge(name, state, Thresholds);
        _latest[name] = health;
        return health;
    }

    /// <summary>The health of every site of the fleet that <paramref name="include"/> admits, in name order.</summary>
    public async Task<IReadOnlyList<SiteHealth>> FleetAsync(Func<string, bool> include, CancellationToken cancellationToken)
    {
        var names = await fleet.NamesAsync(cancellationToken).ConfigureAwait(false);
        foreach (var gone in _latest.Keys.Except(names, StringComparer.Ordinal))
        {
            _latest.TryRemove(gone, out _);
        }

        var sites = new List<SiteHealth>();
        foreach (var name in names.Where(include))
        {
            sites.Add(await HealthAsync(name, cancellationToken).ConfigureAwait(false));
        }

        return sites;
    }
}
