using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.Server.Endpoints;

/// <summary>A change of the fleet's governance: what it wrote (the CLI's document) and what copying it into each site did.</summary>
public sealed record FleetGovernanceOutput(ApplyOutput Fleet, IReadOnlyList<SiteSync> Sites);

/// <summary>The compliance of every site the token may read, each judged by its own and the fleet's assignments, with the totals.</summary>
public sealed record FleetCompliance(int Compliant, int NonCompliant, int Exempt, IReadOnlyList<SiteCompliance> Sites)
{
    /// <summary>Whether a Deny assignment has a non-compliant item on some site.</summary>
    public bool Denied => Sites.Any(s => s.Report.Denied);
}

/// <summary>One site's compliance report, under the site's name in the fleet.</summary>
public sealed record SiteCompliance(string Name, ComplianceReport Report);

/// <summary>
/// The fleet's governance (<see cref="FleetGovernance"/>): <c>GET /governance</c>, <c>…/definitions</c>, <c>POST
/// /governance</c> (YAML, as <c>trellis policy apply -f</c> reads it), <c>DELETE /governance/assignments/{name}</c> and
/// <c>…/definitions/{name}</c> (Admin: governance constrains the sites' own administrators), and the fleet's compliance.
/// </summary>
internal static class GovernanceEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var group = api.MapGroup("/governance").WithTags("Governance");
        api.MapGet("/governance", (FleetGovernance governance, HttpContext context, CancellationToken ct) =>
                ViewAsync(governance, context, state => Api.Json(SiteViews.Governance(state), ServerJson.Default.GovernanceView), ct))
            .RequiresToken().WithName("GetFleetGovernance").WithTags("Governance");
        group.MapGet("/definitions", (FleetGovernance governance, HttpContext context, CancellationToken ct) =>
                ViewAsync(governance, context, state => Api.Json(SiteViews.Definitions(state), ServerJson.Default.IReadOnlyListDefinitionRow), ct))
            .RequiresToken().WithName("GetFleetPolicyDefinitions");
        api.MapPost("/governance", ApplyAsync).Requires(AccessRole.Admin).WithName("ApplyFleetPolicies").WithTags("Governance")
            .Accepts<string>("application/yaml", "text/yaml", "application/x-yaml", "text/plain").Produces<FleetGovernanceOutput>();
        group.MapDelete("/assignments/{name}", (string name, FleetGovernance governance, HttpContext context, CancellationToken ct) =>
                ChangeAsync(governance, new DeleteGovernance("assignment", name), [], context, ct))
            .Requires(AccessRole.Admin).WithName("DeleteFleetAssignment").Produces<FleetGovernanceOutput>();
        group.MapDelete("/definitions/{name}", (string name, FleetGovernance governance, HttpContext context, CancellationToken ct) =>
                ChangeAsync(governance, new DeleteGovernance("definition", name), [], context, ct))
            .Requires(AccessRole.Admin).WithName("DeleteFleetDefinition").Produces<FleetGovernanceOutput>();
        group.MapGet("/compliance", ComplianceAsync).RequiresToken().WithName("GetFleetCompliance").Produces<FleetCompliance>();
    }

    private static async Task<IResult> ViewAsync(FleetGovernance governance, HttpContext context, Func<SiteState, IResult> view, CancellationToken ct)
    {
        await using var session = governance.Open(write: false);
        var state = await session.Engine.ReadAsync(ct).ConfigureAwait(false);
        var tag = Api.ETag(state.Revision);
        context.Response.Headers.ETag = tag;
        return Api.NotModified(context, tag) ? TypedResults.StatusCode(StatusCodes.Status304NotModified) : view(state);
    }

    /// <summary>The documents of the body, read as a site's <c>policy-apply</c> reads them.</summary>
    private static async Task<IResult> ApplyAsync(FleetGovernance governance, HttpContext context, CancellationToken ct)
    {
        var (request, tooLarge) = await CommandRequest.ReadAsync(context, ct).ConfigureAwait(false);
        if (request is null)
        {
            return tooLarge!;
        }

        var (command, read, problem) = Commands.ReadPolicies(request);
        return command is null ? problem! : await ChangeAsync(governance, command, read, context, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The fleet's change, then its copy into every site: 200 with both when the fleet's set was written (a site whose copy
    /// failed says so in its entry, and gets it before its next change), 422 when the change was refused.
    /// </summary>
    private static async Task<IResult> ChangeAsync(FleetGovernance governance, SiteCommand command, IReadOnlyList<Finding> read, HttpContext context, CancellationToken ct)
    {
        var (result, sites) = await governance.ChangeAsync(command, new CommandOptions(Actor: context.User.Identity?.Name), ct).ConfigureAwait(false);
        var outcome = result.Outcome();
        if (!result.Applied && outcome.HasErrors)
        {
            return Problems.Refused([.. read, .. outcome.Findings], outcome.Revision);
        }

        context.Response.Headers.ETag = Api.ETag(outcome.Revision);
        return Api.Json(new FleetGovernanceOutput(Commands.Output(outcome with { Findings = [.. read, .. outcome.Findings] }, null), sites),
            ServerJson.Default.FleetGovernanceOutput);
    }

    /// <summary>
    /// Every readable site's compliance at the server's time, in site name order; the ETag digests the answer (an exemption
    /// that expires changes it without a new revision).
    /// </summary>
    private static async Task<IResult> ComplianceAsync(Fleet fleet, HttpContext context, ServerOptions options, CancellationToken ct)
    {
        var now = options.Time.GetUtcNow();
        var sites = new List<SiteCompliance>();
        long revisions = 0;
        foreach (var name in (await fleet.NamesAsync(ct).ConfigureAwait(false)).Where(n => Monitoring.SiteGrants.CanRead(context, n)))
        {
            await using var session = fleet.Open(name, write: false);
            var state = await session.Engine.ReadAsync(ct).ConfigureAwait(false);
            revisions += state.Revision;
            sites.Add(new SiteCompliance(name, SiteViews.Compliance(state, now)));
        }

        var report = new FleetCompliance(sites.Sum(s => s.Report.Compliant), sites.Sum(s => s.Report.NonCompliant), sites.Sum(s => s.Report.Exempt), sites);
        var body = JsonSerializer.SerializeToUtf8Bytes(report, ServerJson.Default.FleetCompliance);
        var tag = Api.DigestTag(revisions, body);
        context.Response.Headers.ETag = tag;
        return Api.NotModified(context, tag) ? TypedResults.StatusCode(StatusCodes.Status304NotModified) : TypedResults.Bytes(body, "application/json");
    }
}
