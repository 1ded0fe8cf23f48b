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
        api.MapPost("/sites", CreateAsync).Requires(AccessRole.Admin).WithName("CreateSite")
            .Accepts<CreateSiteRequest>("application/json").Produces<SiteSummary>(StatusCodes.Status201Created);
        api.MapGet("/sites/{site}/allocations", AllocationsAsync).Requires(AccessRole.Reader).WithName("GetAllocations");
    }

    private static async Task<IResult> ListAsync(Fleet fleet, HttpContext context, CancellationToken ct)
    {
        var sites = new List<SiteSummary>();
        foreach (var name in (await fleet.NamesAsync(ct).ConfigureAwait(false)).Where(n => Monitoring.SiteGrants.CanRead(context, n)))
        {
            await using var session = fleet.Open(name, write: false);
            var state = await session.Engine.ReadAsync(ct).ConfigureAwait(false);
            sites.Add(new SiteSummary(name, state.SiteName, state.Revision));
        }

        return TypedResults.Json<IReadOnlyList<SiteSummary>>(sites, ServerJson.Default.IReadOnlyListSiteSummary);
    }

    /// <summary>A new, empty site: its state file or keyspace, made once (a name the fleet has is 409, never overwritten).</summary>
    private static async Task<IResult> CreateAsync(HttpContext context, Fleet fleet, FleetGovernance governance, CancellationToken ct)
    {
        var (request, problem) = await Api.ReadJsonAsync(context.Request, ServerJson.Default.CreateSiteRequest, ct).ConfigureAwait(false);
        if (request is null)
        {
            return problem!;
        }

        if (!Fleet.IsValidName(request.Name))
        {
            return Api.BadJson([Finding.Error("InvalidName", "name", $"Site name '{request.Name}' is not valid.", $"Use {Fleet.NameRule}.")]);
        }

        if (!await fleet.CreateAsync(request.Name, ct).ConfigureAwait(false))
        {
            return Problems.Of(StatusCodes.Status409Conflict, "The site exists", $"The fleet already has a site '{request.Name}'; nothing was changed.");
        }

        // A new site is under the fleet's assignments from its first change.
        await governance.EnsureAsync(request.Name, ct).ConfigureAwait(false);
        await using var session = fleet.Open(request.Name, write: true);
        var revision = await session.Engine.ReadRevisionAsync(ct).ConfigureAwait(false);
        context.Response.Headers.Location = $"/api/v1/sites/{request.Name}";
        context.Response.Headers.ETag = Api.ETag(revision);
        return TypedResults.Json(new SiteSummary(request.Name, null, revision), ServerJson.Default.SiteSummary, statusCode: StatusCodes.Status201Created);
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
