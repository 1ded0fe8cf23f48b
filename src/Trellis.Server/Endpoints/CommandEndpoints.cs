using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;
using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.Server.Endpoints;

/// <summary>
/// scale: exactly one of <see cref="NodePool"/>, <see cref="ControlPlane"/> or <see cref="LoadBalancer"/> of cluster
/// <see cref="Cluster"/> goes to <see cref="Count"/> (<c>trellis scale</c>, Set-AksHciNodePool / Set-AksHciCluster / Set-AksHciLoadBalancer).
/// </summary>
public sealed record ScaleRequest(string Cluster, int Count, string? NodePool = null, bool ControlPlane = false, string? LoadBalancer = null);

/// <summary>delete-site: the stored site's own name (GET /sites/{site} shows it as <c>site</c>), the proof of which site is meant.</summary>
public sealed record DeleteSiteRequest(string Name);

/// <summary>policy-delete (<c>trellis policy delete</c>): <see cref="Kind"/> "assignment" or "definition", and its name.</summary>
public sealed record DeletePolicyRequest(string Kind, string Name);

/// <summary>A plan the server holds (<c>POST …/plans/{command}</c>): the CLI's dry-run document <see cref="Plan"/>, and what applies it.</summary>
/// <param name="Revision">The site's revision the plan was made on: applying it commits only while the site is still there.</param>
/// <param name="CreatedBy">Who made it; only they can apply or discard it.</param>
public sealed record PlanDocument(string Id, string Site, string Command, long Revision, DateTimeOffset ExpiresAt, string? CreatedBy, ApplyOutput Plan);

/// <summary>
/// One change a client can ask of a site: its name in the routes, the role it needs, the body it reads, and the Engine command
/// that body becomes (or the problem that refuses it). Each change is its own endpoint, so that the role it needs is that
/// endpoint's metadata, like every other's (the one authorization table).
/// </summary>
/// <param name="Read">The command from the request as received, with the findings of reading it, or the problem that refuses it.</param>
internal sealed record CommandRoute(string Name, AccessRole Role, string Summary, Type Body, string[] ContentTypes,
    Func<CommandRequest, (SiteCommand? Command, IReadOnlyList<Finding> Read, IResult? Problem)> Read)
{
    /// <summary>A request to this route: as received (null when its body is over the limit), and what <see cref="Read"/> makes of it.</summary>
    public async Task<(CommandRequest? Request, SiteCommand? Command, IReadOnlyList<Finding> Read, IResult? Problem)> ReadAsync(HttpContext context, CancellationToken ct)
    {
        var (request, tooLarge) = await CommandRequest.ReadAsync(context, ct).ConfigureAwait(false);
        if (request is null)
        {
            return (null, null, [], tooLarge);
        }

        var (command, read, problem) = Read(request);
        return (request, command, read, problem);
    }
}

/// <summary>
/// A change's request as received: its body, the body's content type, and <c>?name=</c> (delete-site takes the stored
/// site's name from it). A plan on etcd keeps it, so that another replica reads the same command from it with the route's own reader.
/// </summary>
internal sealed record CommandRequest(byte[] Body, string? ContentType, string? Name)
{
    /// <summary>The request of <paramref name="context"/>, its body read whole; or 413 when the body is larger than the server accepts.</summary>
    public static async Task<(CommandRequest? Request, IResult? Problem)> ReadAsync(HttpContext context, CancellationToken ct)
    {
        var (body, problem) = await Api.ReadBodyAsync(context.Request, ct).ConfigureAwait(false);
        var name = context.Request.Query.TryGetValue("name", out var given) && given is [{ Length: > 0 } value] ? value : null;
        return body is null ? (null, problem) : (new CommandRequest(body, context.Request.ContentType, name), null);
    }
}

/// <summary>
/// A site's changes, two ways. Two-step, where people look first: <c>POST /sites/{site}/plans/{command}</c> answers 201 with the
/// plan (the CLI's <c>--dry-run -o json</c> document, an id and the revision it was made on), and
/// <c>POST /sites/{site}/plans/{id}/apply</c> commits exactly that plan, or answers 409 (StateChanged) when the site moved on.
/// Direct: <c>POST /sites/{site}/commands/{command}</c> (and <c>PUT /sites/{site}/spec</c>, <c>DELETE /sites/{site}</c>) with
/// <c>If-Match: "&lt;revision&gt;"</c>, required (428 without it), 412 when the site is no longer at that revision; or
/// <c>If-Match: *</c> for a change that holds whatever the site's revision (add this service, scale to 3), planned on the state
/// at hand and planned again when another writer commits first.
/// </summary>
internal static class Commands
{
    public static IReadOnlyList<CommandRoute> All { get; } =
    [
        new("apply", AccessRole.NetworkAdmin, "Make the site match a spec (trellis apply -f)", typeof(string), ["application/yaml", "text/yaml", "application/x-yaml", "text/plain", "application/json"], ReadSpec),
        Json("scale", AccessRole.Operator, "Scale a node pool, the control plane or a load balancer (trellis scale)", ServerJson.Default.ScaleRequest, Scale),
        Json("upgrade", AccessRole.Operator, "Rolling upgrade of a cluster (trellis upgrade)", ServerJson.Default.Upgrade, c => c),
        Json("add-nodepool", AccessRole.Operator, "Add a node pool (trellis add nodepool, New-AksHciNodePool)", ServerJson.Default.AddNodePool, c => c),
        Json("add-service", AccessRole.Operator, "Add a Service of type LoadBalancer (trellis add service)", ServerJson.Default.AddService, c => c),
        Json("set-nodepool", AccessRole.Operator, "Change a node pool's count or VM size (Set-AksHciNodePool)", ServerJson.Default.SetNodePool, c => c),
        Json("set-cluster", AccessRole.Operator, "Change a cluster's control plane count or VM size (Set-AksHciCluster)", ServerJson.Default.SetCluster, c => c),
        Json("delete-service", AccessRole.NetworkAdmin, "Delete a service, releasing its addresses (trellis delete service)", ServerJson.Default.DeleteService, c => c),
        Json("delete-nodepool", AccessRole.NetworkAdmin, "Delete a node pool, releasing its addresses (trellis delete nodepool)", ServerJson.Default.DeleteNodePool, c => c),
        Json("delete-cluster", AccessRole.NetworkAdmin, "Delete a cluster, releasing its addresses (trellis delete cluster)", ServerJson.Default.DeleteCluster, c => c),
        DeleteSiteRoute(Json("delete-site", AccessRole.NetworkAdmin, "Delete the whole site, releasing every address; the audit log stays (trellis delete site). DELETE /sites/{site} takes the name as ?name=",
            ServerJson.Default.DeleteSiteRequest, r => new DeleteSite(r.Name))),
        Json("add-cluster", AccessRole.NetworkAdmin, "Add a cluster (New-AksHciCluster)", ServerJson.Default.AddCluster, c => c),
        Json("add-network", AccessRole.NetworkAdmin, "Add a cluster network (New-AksHciClusterNetwork)", ServerJson.Default.AddClusterNetwork, c => c),
        Json("remove-network", AccessRole.NetworkAdmin, "Remove a cluster network no cluster uses (Remove-AksHciClusterNetwork)", ServerJson.Default.RemoveClusterNetwork, c => c),
        Json("set-config", AccessRole.NetworkAdmin, "Set the host network, cloud agent address and planning settings (Set-AksHciConfig)", ServerJson.Default.SetHostConfig, c => c),
        Json("set-settings", AccessRole.NetworkAdmin, "Change planning settings", ServerJson.Default.SetPlanningSettings, c => c),
        Json("add-loadbalancer-pool", AccessRole.NetworkAdmin, "Add a MetalLB address pool (New-TrellisLoadBalancerPool)", ServerJson.Default.AddLoadBalancerPool, c => c),
        Json("add-bgp-peer", AccessRole.NetworkAdmin, "Add a BGP peer of MetalLB (New-TrellisBgpPeer)", ServerJson.Default.AddBgpPeer, c => c),
        // Governance constrains the sites' own administrators, so only the fleet's Admin sets it (the Azure Policy role).
        new("policy-apply", AccessRole.Admin, "Store policy definitions and assignments with the site (trellis policy apply -f; YAML)", typeof(string),
            ["application/yaml", "text/yaml", "application/x-yaml", "text/plain"], ReadPolicies),
        Json("policy-delete", AccessRole.Admin, "Delete a stored policy assignment or definition (trellis policy delete)", ServerJson.Default.DeletePolicyRequest,
            r => new DeleteGovernance(r.Kind, r.Name)),
    ];

    private static CommandRoute Json<T>(string name, AccessRole role, string summary, JsonTypeInfo<T> type, Func<T, SiteCommand?> map)
        where T : class =>
        Json(name, role, summary, type, (T body) => map(body) is { } command ? (command, null) : (null, null));

    private static CommandRoute Json<T>(string name, AccessRole role, string summary, JsonTypeInfo<T> type, Func<T, (SiteCommand?, IResult?)> map)
        where T : class =>
        new(name, role, summary, typeof(T), ["application/json"], request =>
        {
            var (body, problem) = Api.ReadJson(request.Body, request.ContentType, type);
            if (body is null)
            {
                return (null, [], problem);
            }

            var (command, refused) = map(body);
            return (command, [], refused);
        });

    /// <summary>delete-site reads the stored site's name from <c>?name=</c> when it is given (DELETE requests seldom carry a body), else from the body.</summary>
    private static CommandRoute DeleteSiteRoute(CommandRoute body) => body with
    {
        Read = request => request.Name is { } given ? (new DeleteSite(given), [], null) : body.Read(request),
    };

    private static (SiteCommand?, IResult?) Scale(ScaleRequest r)
    {
        var targets = (r.NodePool is null ? 0 : 1) + (r.ControlPlane ? 1 : 0) + (r.LoadBalancer is null ? 0 : 1);
        return targets != 1
            ? (null, Api.BadJson([Finding.Error("InvalidValue", "$", $"The request names {targets} things to scale; it scales exactly one.",
                "Give exactly one of nodePool, controlPlane: true or loadBalancer, with cluster and count.")]))
            : (r.LoadBalancer is { } lb ? new ScaleLoadBalancer(r.Cluster, lb, r.Count)
                : r.ControlPlane ? new ScaleControlPlane(r.Cluster, r.Count)
                : new ScaleNodePool(r.Cluster, r.NodePool!, r.Count), null);
    }

    /// <summary>A site spec as the body (YAML, or JSON, which is YAML too), read as <c>trellis apply -f</c> reads a file.</summary>
    private static (SiteCommand?, IReadOnlyList<Finding>, IResult?) ReadSpec(CommandRequest request)
    {
        var read = SiteSpecs.Parse(Api.ReadText(request.Body));
        return read.Document is { } spec ? (new ApplySpec(spec), read.Findings, null) : (null, read.Findings, Problems.Refused(read.Findings));
    }

    /// <summary>Policy definitions and assignments as the body (YAML), read as <c>trellis policy apply -f</c> reads a file.</summary>
    internal static (SiteCommand? Command, IReadOnlyList<Finding> Read, IResult? Problem) ReadPolicies(CommandRequest request)
    {
        var (document, findings) = GovernanceFiles.Parse(Api.ReadText(request.Body));
        return document is not null ? (new ApplyGovernance(document), findings, null) : (null, findings, Problems.Refused(findings));
    }

    public static void Map(RouteGroupBuilder api)
    {
        var site = api.MapGroup("/sites/{site}");
        foreach (var route in All)
        {
            site.MapPost($"/plans/{route.Name}", (string site, HttpContext context, Fleet fleet, PlanRegistry plans, CancellationToken ct) =>
                    PlanAsync(site, route, context, fleet, plans, ct))
                .Requires(route.Role).WithName($"Plan-{route.Name}").WithSummary($"Plan: {route.Summary}").WithTags("Plans")
                .Accepts(route.Body, route.ContentTypes[0], route.ContentTypes[1..]).Produces<PlanDocument>(StatusCodes.Status201Created);
            var direct = route.Name switch
            {
                "apply" => site.MapPut("/spec", (string site, HttpContext context, Fleet fleet, CancellationToken ct) => DirectAsync(site, route, context, fleet, ct)),
                "delete-site" => api.MapDelete("/sites/{site}", (string site, HttpContext context, Fleet fleet, CancellationToken ct) => DirectAsync(site, route, context, fleet, ct)),
                _ => site.MapPost($"/commands/{route.Name}", (string site, HttpContext context, Fleet fleet, CancellationToken ct) => DirectAsync(site, route, context, fleet, ct)),
            };
            direct.Requires(route.Role).WithName(route.Name).WithSummary(route.Summary).WithTags("Changes")
                .Accepts(route.Body, route.ContentTypes[0], route.ContentTypes[1..]).Produces<ApplyOutput>();
        }

        site.MapGet("/plans/{id}", async (string site, string id, PlanRegistry plans, CancellationToken ct) =>
                await plans.FindAsync(site, id, ct).ConfigureAwait(false) is { } plan ? Api.Json(plan.Document, ServerJson.Default.PlanDocument) : UnknownPlan(site, id))
            .Requires(AccessRole.Operator).WithName("GetPlan").WithTags("Plans");
        site.MapDelete("/plans/{id}", DiscardPlanAsync).Requires(AccessRole.Operator).WithName("DiscardPlan").WithTags("Plans");
        site.MapPost("/plans/{id}/apply", ApplyPlanAsync).Requires(AccessRole.Operator).WithName("ApplyPlan").WithTags("Plans");
    }

    /// <summary>The change as the CLI's JSON document: what was (or, for a plan, would be) written.</summary>
    public static ApplyOutput Output(CommandOutcome outcome, CapacityReport? capacity) =>
        new(outcome.Applied, outcome.DryRun, outcome.Revision, outcome.Changes, outcome.Allocations?.Added ?? [], outcome.Allocations?.Removed ?? [],
            outcome.UpgradeSteps, outcome.Findings, capacity);

    private static CommandOptions Options(HttpContext context) => new(Actor: context.User.Identity?.Name);

    private static async Task<IResult> PlanAsync(string site, CommandRoute route, HttpContext context, Fleet fleet, PlanRegistry plans, CancellationToken ct)
    {
        if (!await fleet.ExistsAsync(site, ct).ConfigureAwait(false))
        {
            return Problems.SiteNotFound(site);
        }

        var (request, command, read, problem) = await route.ReadAsync(context, ct).ConfigureAwait(false);
        if (command is null)
        {
            return problem!;
        }

        // The plan judges by the fleet's assignments too.
        await context.RequestServices.GetRequiredService<FleetGovernance>().EnsureAsync(site, ct).ConfigureAwait(false);
        await using var session = fleet.Open(site, write: false);
        var plan = await session.Engine.PlanAsync(command, ct).ConfigureAwait(false);
        if (plan.HasErrors)
        {
            return Problems.Refused([.. read, .. plan.Findings], plan.Revision);
        }

        if (await plans.AddAsync(site, route.Name, context.User.Identity?.Name, plan, CapacityAfter(command, plan), request!, ct).ConfigureAwait(false) is not { } stored)
        {
            return Problems.Of(StatusCodes.Status413PayloadTooLarge, "Plan too large to share",
                $"The plan, with the request it was made from, is larger than the etcd store takes in one request, so the other servers could not see it; nothing was kept. "
                + $"Make the change directly: {Direct(site, route.Name)} with If-Match.");
        }

        context.Response.Headers.ETag = Api.ETag(plan.Revision);
        var document = stored.Document();
        context.Response.Headers.Location = $"/api/v1/sites/{site}/plans/{stored.Id}";
        return TypedResults.Json(document with { Plan = document.Plan with { Findings = [.. read, .. document.Plan.Findings] } },
            ServerJson.Default.PlanDocument, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> DiscardPlanAsync(string site, string id, HttpContext context, PlanRegistry plans, CancellationToken ct) =>
        await plans.FindAsync(site, id, ct).ConfigureAwait(false) is not { } plan ? UnknownPlan(site, id)
        : NotTheirs(plan, context) ?? (await plans.TakeAsync(plan, ct).ConfigureAwait(false) ? TypedResults.NoContent() : UnknownPlan(site, id));

    private static async Task<IResult> ApplyPlanAsync(string site, string id, HttpContext context, Fleet fleet, PlanRegistry plans, CancellationToken ct)
    {
        if (!await fleet.ExistsAsync(site, ct).ConfigureAwait(false))
        {
            return Problems.SiteNotFound(site);
        }

        if (await plans.FindAsync(site, id, ct).ConfigureAwait(false) is not { } plan)
        {
            return UnknownPlan(site, id);
        }

        if (NotTheirs(plan, context) is { } forbidden)
        {
            return forbidden;
        }

        if (!await plans.TakeAsync(plan, ct).ConfigureAwait(false))
        {
            return UnknownPlan(site, id);
        }

        if (plan.Held is { } held)
        {
            await using var session = fleet.Open(site, write: true);
            using var turn = await fleet.WriteTurnAsync(site, ct).ConfigureAwait(false);
            var result = await session.Engine.CommitAsync(held.Plan, Options(context) with { Plan = plan.Id }, ct).ConfigureAwait(false);
            return await AnswerAsync(result, held.Plan.Command, session, context, StatusCodes.Status409Conflict).ConfigureAwait(false);
        }

        return await ApplyElsewhereAsync(plan.Shared!, context, fleet, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Applies a plan another replica made (on etcd): reads the command again from the request kept with it, with the route's
    /// own reader, and plans it again on the site; commits that plan only while it is the one the client was shown: made on the
    /// same revision (else 409 StateChanged, as a stale plan is answered) and with the same document (else 409 PlanChanged).
    /// </summary>
    private static async Task<IResult> ApplyElsewhereAsync(SharedPlan shared, HttpContext context, Fleet fleet, CancellationToken ct)
    {
        if (All.FirstOrDefault(r => r.Name == shared.Command) is not { } route)
        {
            return PlanChanged(shared, $"this server has no command '{shared.Command}'");
        }

        var (command, _, problem) = route.Read(new CommandRequest(shared.Body, shared.ContentType, shared.Name));
        if (command is null)
        {
            return problem!;
        }

        await context.RequestServices.GetRequiredService<FleetGovernance>().EnsureAsync(shared.Site, ct).ConfigureAwait(false);
        await using var session = fleet.Open(shared.Site, write: true);
        using var turn = await fleet.WriteTurnAsync(shared.Site, ct).ConfigureAwait(false);
        var plan = await session.Engine.PlanAsync(command, ct).ConfigureAwait(false);
        if (plan.Revision != shared.Revision)
        {
            return StalePlan(plan.Revision, shared.Revision);
        }

        var again = new StoredPlan(shared.Id, shared.Site, shared.Command, shared.CreatedBy, shared.ExpiresAt, plan, CapacityAfter(command, plan));
        if (SharedPlan.DigestOf(again.Document()) != shared.Digest)
        {
            return PlanChanged(shared, $"planned again at revision {plan.Revision}, it would not do what it showed");
        }

        var result = await session.Engine.CommitAsync(plan, Options(context) with { Plan = shared.Id }, ct).ConfigureAwait(false);
        return await AnswerAsync(result, command, session, context, StatusCodes.Status409Conflict).ConfigureAwait(false);
    }

    /// <summary>The capacity after an applied spec, which its plan shows; null for other commands.</summary>
    private static CapacityReport? CapacityAfter(SiteCommand command, ChangePlan plan) =>
        command is ApplySpec apply ? SiteSpecs.CapacityAfter(apply.Spec, plan) : null;

    /// <summary>A plan made on a revision the site has left, as the Engine answers its commit (StateChanged): the same problem whichever replica holds the plan.</summary>
    private static IResult StalePlan(long now, long planned)
    {
        var finding = Finding.Error("StateChanged", "revision",
            $"The state is at revision {now}, not {planned} as when the change was planned (and shown); nothing was written.",
            "Plan the change again to see what it would do now.");
        return Problems.Of(StatusCodes.Status409Conflict, "The site changed", finding.Message, [finding], planned);
    }

    private static IResult PlanChanged(SharedPlan shared, string why) => Problems.Of(StatusCodes.Status409Conflict, "The plan changed",
        $"Plan '{shared.Id}' was made on another server of this store; {why}; nothing was written, and the plan is gone.",
        [Finding.Error("PlanChanged", "plan", $"Plan '{shared.Id}', {why}; nothing was written.",
            $"Plan the change again (POST /api/v1/sites/{shared.Site}/plans/{shared.Command}), look at it, and apply that plan.")],
        shared.Revision);

    /// <summary>The request of <paramref name="command"/>'s direct write on <paramref name="site"/>, e.g. <c>PUT /api/v1/sites/lab/spec</c>.</summary>
    private static string Direct(string site, string command) => command switch
    {
        "apply" => $"PUT /api/v1/sites/{site}/spec",
        "delete-site" => $"DELETE /api/v1/sites/{site}?name=…",
        _ => $"POST /api/v1/sites/{site}/commands/{command}",
    };

    /// <summary>A direct write: only while the site is at the revision the client's If-Match names.</summary>
    private static async Task<IResult> DirectAsync(string site, CommandRoute route, HttpContext context, Fleet fleet, CancellationToken ct)
    {
        if (!await fleet.ExistsAsync(site, ct).ConfigureAwait(false))
        {
            return Problems.SiteNotFound(site);
        }

        if (context.Request.Headers.IfMatch.Count == 0)
        {
            return Problems.Of(StatusCodes.Status428PreconditionRequired, "If-Match required",
                $"A change needs If-Match with the revision it was decided on, e.g. If-Match: \"7\" (GET /api/v1/sites/{site} answers it as its ETag); nothing was written. "
                + $"Or plan it first with POST /api/v1/sites/{site}/plans/{route.Name} and apply the plan.");
        }

        if (!EntityTagHeaderValue.TryParseList(context.Request.Headers.IfMatch, out var tags) || tags.Any(t => t.IsWeak))
        {
            return Api.BadValue("If-Match", $"If-Match '{context.Request.Headers.IfMatch}' is not a list of strong entity tags.", "Send the ETag a GET of the site answered, e.g. If-Match: \"7\".");
        }

        var (_, command, read, problem) = await route.ReadAsync(context, ct).ConfigureAwait(false);
        if (command is null)
        {
            return problem!;
        }

        // The change is judged by the fleet's assignments too: the site gets their copy first if it lacks it.
        await context.RequestServices.GetRequiredService<FleetGovernance>().EnsureAsync(site, ct).ConfigureAwait(false);
        await using var session = fleet.Open(site, write: true);
        if (tags.Any(t => t.Equals(EntityTagHeaderValue.Any)))
        {
            using var anyTurn = await fleet.WriteTurnAsync(site, ct).ConfigureAwait(false);
            // If-Match: * — the change goes ahead on whatever the site holds when it is made: when another writer commits
            // between the plan and the commit, the Engine plans again (its retries, with backoff) instead of answering 412.
            var latest = await session.Engine.ExecuteAsync(command, Options(context), ct).ConfigureAwait(false);
            context.RequestServices.GetRequiredService<Monitoring.ServerMetrics>().Retried(site, latest.Attempts - 1);
            return await AnswerAsync(latest, command, session, context, StatusCodes.Status409Conflict, read).ConfigureAwait(false);
        }

        // A stale write is refused before it waits for its turn and again once it has it, before it is planned (reading the
        // revision costs far less than planning a site); the plan's own revision is checked too, since another process can
        // commit in between.
        if (await StaleAsync(session, tags, ct).ConfigureAwait(false) is { } early)
        {
            return early;
        }

        using var turn = await fleet.WriteTurnAsync(site, ct).ConfigureAwait(false);
        if (await StaleAsync(session, tags, ct).ConfigureAwait(false) is { } waited)
        {
            return waited;
        }

        var plan = await session.Engine.PlanAsync(command, ct).ConfigureAwait(false);
        if (!Matches(tags, plan.Revision))
        {
            return Stale(plan.Revision, tags);
        }

        if (plan.HasErrors)
        {
            return Problems.Refused([.. read, .. plan.Findings], plan.Revision);
        }

        var result = await session.Engine.CommitAsync(plan, Options(context), ct).ConfigureAwait(false);
        return await AnswerAsync(result, command, session, context, StatusCodes.Status412PreconditionFailed, read).ConfigureAwait(false);
    }

    private static async Task<IResult?> StaleAsync(EngineSession session, IList<EntityTagHeaderValue> tags, CancellationToken ct)
    {
        var current = await session.Engine.ReadRevisionAsync(ct).ConfigureAwait(false);
        return Matches(tags, current) ? null : Stale(current, tags);
    }

    private static bool Matches(IList<EntityTagHeaderValue> tags, long revision) =>
        tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(new EntityTagHeaderValue($"\"{revision}\""), useStrongComparison: true));

    private static IResult Stale(long revision, IList<EntityTagHeaderValue> tags) =>
        Problems.Of(StatusCodes.Status412PreconditionFailed, "The site changed",
            $"The site is at revision {revision}, not {string.Join(" or ", tags)} as the request expects; nothing was written.",
            [Finding.Error("StateChanged", "If-Match", $"The site is at revision {revision}, not {string.Join(" or ", tags)}; nothing was written.",
                "Read the site again (its ETag is the revision), decide again, and send the change with the new If-Match.")], revision);

    /// <summary>
    /// What a commit answers: 200 with the CLI's document when it wrote (an upgrade stopped partway too: its findings say what
    /// was written), <paramref name="moved"/> with StateChanged when the site moved on, 422 with the findings otherwise.
    /// </summary>
    private static async Task<IResult> AnswerAsync(CommandResult result, SiteCommand command, EngineSession session, HttpContext context, int moved,
        IReadOnlyList<Finding>? read = null)
    {
        var outcome = result.Outcome();
        if (!result.Applied)
        {
            return outcome.Findings.Any(f => f.Code == "StateChanged")
                ? Problems.Of(moved, "The site changed", string.Join(" ", outcome.Findings.Select(f => f.Message)), outcome.Findings, outcome.Revision)
                : Problems.Refused(outcome.Findings, outcome.Revision);
        }

        // Once written, the answer says what was written even when the client has gone.
        var capacity = command is ApplySpec && !outcome.HasErrors ? SiteViews.Capacity(await session.Engine.ReadAsync(CancellationToken.None).ConfigureAwait(false)) : null;
        context.Response.Headers.ETag = Api.ETag(outcome.Revision);
        return Api.Json(Output(outcome with { Findings = [.. read ?? [], .. outcome.Findings] }, capacity), ServerJson.Default.ApplyOutput);
    }

    private static IResult UnknownPlan(string site, string id) => Problems.Of(StatusCodes.Status404NotFound, "No such plan",
        $"Site '{site}' has no plan '{id}'.",
        [Finding.Error("UnknownPlan", "id", $"Site '{site}' has no plan '{id}': it was applied or discarded, it expired, or (on a folder store, where plans live in the server's memory) the server restarted since it was made.",
            $"Plan the change again: POST /api/v1/sites/{site}/plans/{{command}}.")]);

    /// <summary>A plan is applied or discarded only by whoever made it: a plan is what its maker looked at, and the audit log names them.</summary>
    private static IResult? NotTheirs(FoundPlan plan, HttpContext context) =>
        plan.CreatedBy == context.User.Identity?.Name ? null
            : Problems.Of(StatusCodes.Status403Forbidden, "Not your plan",
                $"Plan '{plan.Id}' was made by {plan.CreatedBy ?? "an anonymous client"}; only they can apply or discard it. Make a plan of your own.");
}
