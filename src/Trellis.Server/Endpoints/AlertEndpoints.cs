using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Trellis.Server.Monitoring;

namespace Trellis.Server.Endpoints;

/// <summary>
/// Alerts and pool utilization: GET /api/v1/sites/{site}/alerts (one site's health) and GET /api/v1/alerts (every site the
/// token may read), with each site's revision as what it was judged on.
/// </summary>
internal static class AlertEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/sites/{site}/alerts", SiteAsync).Requires(AccessRole.Reader).WithName("GetSiteAlerts");
        api.MapGet("/alerts", FleetAsync).RequiresToken().WithName("GetFleetAlerts");
    }

    private static async Task<IResult> SiteAsync(string site, Fleet fleet, SiteMonitor monitor, HttpContext context, CancellationToken ct)
    {
        if (!await fleet.ExistsAsync(site, ct).ConfigureAwait(false))
        {
            return Problems.SiteNotFound(site);
        }

        var health = await monitor.HealthAsync(site, ct).ConfigureAwait(false);
        context.Response.Headers.ETag = Api.ETag(health.Revision);
        return TypedResults.Json(health, ServerJson.Default.SiteHealth);
    }

    private static async Task<IResult> FleetAsync(SiteMonitor monitor, HttpContext context, CancellationToken ct)
    {
        var sites = await monitor.FleetAsync(site => SiteGrants.CanRead(context, site), ct).ConfigureAwait(false);
        return TypedResults.Json(sites, ServerJson.Default.IReadOnlyListSiteHealth);
    }
}
