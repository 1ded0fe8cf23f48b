using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Trellis.Engine.Contracts;

namespace Trellis.Server.Endpoints;

/// <summary>The fleet and each site's views: /api/v1/sites/….</summary>
internal static class SiteEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/sites", ListAsync).RequiresToken().WithName("ListSites");
        api.MapGet("/sites/{site}/allocations", AllocationsAsync).Requires(AccessRole.Reader).WithName("GetAllocations");
    }

    private static async Task<IResult> ListAsync(Fleet fleet, CancellationToken ct)
    {
        var sites = new List<SiteSummary>();
        foreach (var name in fleet.Names())
        {
            await using var session = fleet.Open(name, write: false);
            var state = await session.Engine.ReadAsync(ct).ConfigureAwait(false);
            sites.Add(new SiteSummary(name, state.SiteName, state.Revision));
        }

        return TypedResults.Json<IReadOnlyList<SiteSummary>>(sites, ServerJson.Default.IReadOnlyListSiteSummary);
    }

    /// <summary>get allocations [--cluster]: written as it is read, a site holds tens of thousands.</summary>
    private static Task<IResult> AllocationsAsync(string site, string? cluster, Fleet fleet, HttpContext context, CancellationToken ct) =>
        Api.WithSessionAsync(fleet, site, context, async session =>
        {
            var list = await session.Engine.ReadAllocationsAsync(cluster, ct).ConfigureAwait(false);
            if (list.Findings.Count > 0)
            {
                return Problems.Refused(list.Findings, list.Revision);
            }

            context.Response.Headers.ETag = Api.ETag(list.Revision);
            var body = new MemoryStream();
            AllocationJson.Write(body, list.Allocations, ServerJson.Default.Options);
            return TypedResults.Bytes(body.ToArray(), "application/json");
        }, ct);
}
