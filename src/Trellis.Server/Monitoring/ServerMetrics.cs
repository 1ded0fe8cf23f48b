using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Prometheus;
using Trellis.Server.Live;

namespace Trellis.Server.Monitoring;

/// <summary>
/// The server's Prometheus metrics, in a registry of its own (one per server, so that servers in one process do not mix):
/// every pool's size, allocated, free, utilization and alert state, read from <see cref="SiteMonitor"/> at each scrape; the
/// API's latency per endpoint; plans, commits and conflicts per site, as the API answered them.
/// </summary>
public sealed class ServerMetrics : IDisposable
{
    private static readonly string[] SitePool = ["site", "pool"];
    private static readonly string[] SiteOnly = ["site"];

    private readonly SiteMonitor _monitor;
    private readonly Fleet _fleet;
    private readonly SiteWatchers _watchers;
    private readonly Gauge _size, _allocated, _free, _utilization, _level, _upgrade, _revision, _siteLevel, _watched;
    private readonly Histogram _latency;
    private readonly Counter _plans, _commits, _conflicts, _stale, _retries;
    private readonly HashSet<(string Site, string Pool)> _published = [];
    private readonly HashSet<string> _publishedSites = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _scrape = new(1, 1);

    public ServerMetrics(SiteMonitor monitor, Fleet fleet, SiteWatchers watchers)
    {
        _monitor = monitor;
        _fleet = fleet;
        _watchers = watchers;
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        _size = factory.CreateGauge("trellis_pool_size", "Usable addresses (or prefixes, ports, ids) of a pool.", SitePool);
        _allocated = factory.CreateGauge("trellis_pool_allocated", "Allocations held in a pool.", SitePool);
        _free = factory.CreateGauge("trellis_pool_free", "Free entries of a pool.", SitePool);
        _utilization = factory.CreateGauge("trellis_pool_utilization_ratio", "Allocated over size, 0 to 1.", SitePool);
        _level = factory.CreateGauge("trellis_pool_alert_level", "A pool's utilization alert: 0 ok, 1 warning, 2 critical (thresholds: --warn-at, --critical-at).", SitePool);
        _upgrade = factory.CreateGauge("trellis_pool_upgrade_would_not_fit", "1 when a rolling upgrade would find no address for its surge VM in the pool (the Engine's capacity report), else 0.", SitePool);
        _revision = factory.CreateGauge("trellis_site_revision", "The state revision of a site.", SiteOnly);
        _siteLevel = factory.CreateGauge("trellis_site_alert_level", "A site's worst alert: 0 ok, 1 warning, 2 critical.", SiteOnly);
        _watched = factory.CreateGauge("trellis_live_sites_watched", "Sites with live-update subscribers (one revision poller each).");
        _latency = factory.CreateHistogram("trellis_http_request_duration_seconds", "API latency per endpoint (its route pattern), method and status.",
            ["method", "endpoint", "status"], new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16) });
        _plans = factory.CreateCounter("trellis_plans_total", "Plans made (POST …/plans answered 2xx).", SiteOnly);
        _commits = factory.CreateCounter("trellis_commits_total", "Writes the API answered 2xx (a command, a spec, an applied plan).", SiteOnly);
        _conflicts = factory.CreateCounter("trellis_conflicts_total", "Writes answered 409: the site moved on (a plan's StateChanged) or concurrent writers outlasted the retries.", SiteOnly);
        _stale = factory.CreateCounter("trellis_stale_writes_total", "Writes answered 412: If-Match named an older revision.", SiteOnly);
        _retries = factory.CreateCounter("trellis_write_retries_total",
            "Plans made again because another process committed first, for writes with If-Match: * (the Engine's retries).", SiteOnly);
        Registry.AddBeforeCollectCallback(CollectAsync);
    }

    public CollectorRegistry Registry { get; }

    /// <summary>Counts the Engine's retries of one write (its attempts less one); the site's series exists from its first such write.</summary>
    public void Retried(string site, int retries) => _retries.WithLabels(site).Inc(Math.Max(0, retries));

    /// <summary>Times each request and counts the writes by how they were answered; the endpoint is its route pattern, never the raw path.</summary>
    public async Task ObserveAsync(HttpContext context, RequestDelegate next)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            await ObserveAsync(context, Stopwatch.GetElapsedTime(started)).ConfigureAwait(false);
        }
    }

    private async Task ObserveAsync(HttpContext context, TimeSpan elapsed)
    {
        if (context.GetEndpoint() is not RouteEndpoint endpoint || endpoint.RoutePattern.RawText is not { } pattern)
        {
            return;
        }

        var status = context.Response.StatusCode;
        var method = context.Request.Method;
        _latency.WithLabels(method, pattern, status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Observe(elapsed.TotalSeconds);
        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || context.Request.RouteValues["site"] is not string site
            || endpoint.Metadata.GetMetadata<RequiredAccess>() is not { Role: >= AccessRole.Operator }
            || !await ExistsAsync(site).ConfigureAwait(false))
        {
            return;
        }

        var write = Classify(method, pattern);
        var counter = status switch
        {
            >= 200 and < 300 when write == Write.Plan => _plans,
            >= 200 and < 300 when write == Write.Commit => _commits,
            409 => _conflicts,
            412 => _stale,
            _ => null,
        };
        counter?.WithLabels(site).Inc();
    }

    /// <summary>Whether the write's site is there (a site not in the fleet gets no series); a store that fails counts nothing.</summary>
    private async Task<bool> ExistsAsync(string site)
    {
        try
        {
            return await _fleet.ExistsAsync(site, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Stores.FleetStoreException)
        {
            return false;
        }
    }

    private enum Write
    {
        None,
        Plan,
        Commit,
    }

    /// <summary>
    /// What a write request is by its route: making a plan (POST …/plans/{command}) writes nothing, applying one
    /// (…/plans/{id}/apply) commits, discarding one (DELETE …/plans/{id}) neither; any other write commits.
    /// </summary>
    private static Write Classify(string method, string pattern) =>
        pattern.EndsWith("/apply", StringComparison.Ordinal) ? Write.Commit
        : !pattern.Contains("/plans", StringComparison.Ordinal) ? Write.Commit
        : HttpMethods.IsPost(method) ? Write.Plan
        : Write.None;

    private async Task CollectAsync(CancellationToken cancellationToken)
    {
        await _scrape.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _watched.Set(_watchers.Watched.Count);
            var sites = await _monitor.FleetAsync(_ => true, cancellationToken).ConfigureAwait(false);
            var pools = new HashSet<(string, string)>();
            foreach (var site in sites)
            {
                _revision.WithLabels(site.Name).Set(site.Revision);
                _siteLevel.WithLabels(site.Name).Set((int)site.Level);
                foreach (var pool in site.Pools)
                {
                    string[] labels = [site.Name, pool.Pool];
                    pools.Add((site.Name, pool.Pool));
                    _size.WithLabels(labels).Set(pool.Size);
                    _allocated.WithLabels(labels).Set(pool.Allocated);
                    _free.WithLabels(labels).Set(pool.Free);
                    _utilization.WithLabels(labels).Set(pool.Utilization);
                    _level.WithLabels(labels).Set((int)pool.Level);
                    _upgrade.WithLabels(labels).Set(pool.UpgradeHeadroom < 0 ? 1 : 0);
                }
            }

            // A pool or site that is gone has no series any more, rather than its last value forever.
            foreach (var (site, pool) in _published.Except(pools))
            {
                foreach (var gauge in new[] { _size, _allocated, _free, _utilization, _level, _upgrade })
                {
                    gauge.RemoveLabelled(site, pool);
                }
            }

            var names = sites.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var site in _publishedSites.Except(names))
            {
                _revision.RemoveLabelled(site);
                _siteLevel.RemoveLabelled(site);
            }

            _published.Clear();
            _published.UnionWith(pools);
            _publishedSites.Clear();
            _publishedSites.UnionWith(names);
        }
        finally
        {
            _scrape.Release();
        }
    }

    public void Dispose() => _scrape.Dispose();
}
