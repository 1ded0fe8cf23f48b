using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Trellis.Engine;
using Trellis.Engine.Contracts;
using Trellis.Presentation;

namespace Trellis.Server.Endpoints;

/// <summary>
/// netpol check and trace: the manifests (each a name and its text, as <c>-f</c> reads files), the flow, and where the manifests
/// run: <see cref="Cluster"/> of the stored site (on a site's endpoints), or of the site spec <see cref="Spec"/> (YAML, planned
/// from scratch, on the fleet's endpoints); neither, for check, asks the question without a cluster.
/// </summary>
public sealed record PolicyFlowRequest(IReadOnlyList<ManifestText> Manifests, string From, string To, string Port, string? Cluster = null, string? Spec = null,
    WorkloadGrouping By = WorkloadGrouping.Owner, bool HostNetworkPoliced = false);

/// <summary>netpol matrix and lint: the manifests and where they run, as <see cref="PolicyFlowRequest"/>.</summary>
public sealed record PolicyRequest(IReadOnlyList<ManifestText> Manifests, string? Cluster = null, string? Spec = null,
    WorkloadGrouping By = WorkloadGrouping.Owner, bool HostNetworkPoliced = false);

/// <summary>netpol diff: the manifests before and after a change, and where they run.</summary>
public sealed record PolicyDiffRequest(IReadOnlyList<ManifestText> Before, IReadOnlyList<ManifestText> After, string? Cluster = null, string? Spec = null,
    WorkloadGrouping By = WorkloadGrouping.Owner, bool HostNetworkPoliced = false);

/// <summary>A flow in a cluster whose manifests the server stores: from, to and port in the CLI's words.</summary>
public sealed record FlowRequest(string From, string To, string Port);

/// <summary>The manifests stored for a cluster (PUT …/clusters/{cluster}/policies), which its matrix, checks and traces read.</summary>
public sealed record StoredManifests(IReadOnlyList<ManifestText> Manifests);

/// <summary>
/// Network policy questions, each the Engine's (NetworkPolicyService) in the CLI's document: <c>netpol check</c> (CheckOutput),
/// <c>matrix</c> (the connectivity list, or CSV, text, or the heatmap page), <c>diff</c>, <c>lint</c> (ValidateOutput) and
/// <c>trace</c> (TraceOutput). Manifests come in the body, or are stored per cluster beside the site's file
/// (<c>sites/&lt;site&gt;.policies/&lt;cluster&gt;.json</c>, written atomically) for the dashboard's heatmap and traces.
/// </summary>
internal static class PolicyEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var fleet = api.MapGroup("/policy").WithTags("Policy");
        fleet.MapPost("/check", (HttpContext context, CancellationToken ct) => CheckAsync(context, null, null, ct)).RequiresToken().WithName("PolicyCheck");
        fleet.MapPost("/trace", (HttpContext context, CancellationToken ct) => TraceAsync(context, null, null, ct)).RequiresToken().WithName("PolicyTrace");
        fleet.MapPost("/matrix", (HttpContext context, string? format, CancellationToken ct) => MatrixAsync(context, null, null, format, ct)).RequiresToken().WithName("PolicyMatrix");
        fleet.MapPost("/lint", (HttpContext context, CancellationToken ct) => LintAsync(context, null, null, ct)).RequiresToken().WithName("PolicyLint");
        fleet.MapPost("/diff", (HttpContext context, string? format, CancellationToken ct) => DiffAsync(context, null, null, format, ct)).RequiresToken().WithName("PolicyDiff");
        var site = api.MapGroup("/sites/{site}/policy").WithTags("Policy");
        site.MapPost("/check", (string site, HttpContext context, Fleet fleet, CancellationToken ct) => CheckAsync(context, fleet, site, ct)).Requires(AccessRole.Reader).WithName("SitePolicyCheck");
        site.MapPost("/trace", (string site, HttpContext context, Fleet fleet, CancellationToken ct) => TraceAsync(context, fleet, site, ct)).Requires(AccessRole.Reader).WithName("SitePolicyTrace");
        site.MapPost("/matrix", (string site, HttpContext context, Fleet fleet, string? format, CancellationToken ct) => MatrixAsync(context, fleet, site, format, ct)).Requires(AccessRole.Reader).WithName("SitePolicyMatrix");
        site.MapPost("/lint", (string site, HttpContext context, Fleet fleet, CancellationToken ct) => LintAsync(context, fleet, site, ct)).Requires(AccessRole.Reader).WithName("SitePolicyLint");
        site.MapPost("/diff", (string site, HttpContext context, Fleet fleet, string? format, CancellationToken ct) => DiffAsync(context, fleet, site, format, ct)).Requires(AccessRole.Reader).WithName("SitePolicyDiff");

        var cluster = api.MapGroup("/sites/{site}/clusters/{cluster}").WithTags("Policy");
        cluster.MapPut("/policies", StoreAsync).Requires(AccessRole.NetworkAdmin).WithName("StorePolicies")
            .Accepts<StoredManifests>("application/json").Produces<ValidateOutput>();
        cluster.MapGet("/policies", (string site, string cluster, Fleet fleet, HttpContext context, CancellationToken ct) =>
                StoredAsync(fleet, site, cluster, context, (_, manifests) => Task.FromResult(Api.Json(new StoredManifests(manifests), ServerJson.Default.StoredManifests)), ct))
            .Requires(AccessRole.Reader).WithName("GetPolicies");
        cluster.MapGet("/policy/matrix", (string site, string cluster, string? format, Fleet fleet, HttpContext context, CancellationToken ct) =>
                StoredAsync(fleet, site, cluster, context, (policyContext, manifests) => Task.FromResult(Matrix(NetworkPolicyService.Load(manifests, policyContext), policyContext, format)), ct))
            .Requires(AccessRole.Reader).WithName("GetPolicyMatrix");
        cluster.MapGet("/policy/lint", (string site, string cluster, Fleet fleet, HttpContext context, CancellationToken ct) =>
                StoredAsync(fleet, site, cluster, context, (policyContext, manifests) => Task.FromResult(Lint(NetworkPolicyService.Load(manifests, policyContext))), ct))
            .Requires(AccessRole.Reader).WithName("GetPolicyLint");
        cluster.MapPost("/policy/check", (string site, string cluster, Fleet fleet, HttpContext context, CancellationToken ct) =>
                StoredAsync(fleet, site, cluster, context, async (policyContext, manifests) =>
                    await FlowAsync(context, flow => Check(NetworkPolicyService.Load(manifests, policyContext), flow.From, flow.To, flow.Port), ct).ConfigureAwait(false), ct))
            .Requires(AccessRole.Reader).WithName("CheckStoredPolicy").Accepts<FlowRequest>("application/json");
        cluster.MapPost("/policy/trace", (string site, string cluster, Fleet fleet, HttpContext context, CancellationToken ct) =>
                StoredAsync(fleet, site, cluster, context, async (policyContext, manifests) =>
                    await FlowAsync(context, flow => Trace(NetworkPolicyService.Load(manifests, policyContext), flow.From, flow.To, flow.Port), ct).ConfigureAwait(false), ct))
            .Requires(AccessRole.Reader).WithName("TraceStoredPolicy").Accepts<FlowRequest>("application/json");
    }

    private static PolicyChoices Choices(WorkloadGrouping by, bool hostNetworkPoliced) => new() { By = by, HostNetworkPoliced = hostNetworkPoliced };

    /// <summary>
    /// Where the manifests run: the stored site's cluster (a site's endpoints, when a cluster is named), the spec's cluster (the
    /// fleet's endpoints, when a spec is given), or nowhere; or the problem that says why there is no such cluster.
    /// </summary>
    private static async Task<(PolicyContext? Context, IResult? Problem)> ContextAsync(HttpContext http, Fleet? fleet, string? site, string? cluster, string? spec, bool required, CancellationToken ct)
    {
        if (site is not null)
        {
            if (!await fleet!.ExistsAsync(site, ct).ConfigureAwait(false))
            {
                return (null, Problems.SiteNotFound(site));
            }

            if (spec is not null)
            {
                return (null, Api.BadValue("$.spec", "A site's policy questions run in its stored clusters; a spec is for the fleet's (POST /api/v1/policy/…).", "Leave spec out and name the cluster."));
            }

            if (cluster is null && !required)
            {
                return (null, null);
            }

            await using var session = fleet.Open(site, write: false);
            var (context, findings) = await session.Engine.PolicyContextAsync(cluster, ct).ConfigureAwait(false);
            return context is null ? (null, Problems.Refused(findings)) : (context, null);
        }

        if (spec is null)
        {
            return required
                ? (null, Problems.Refused([Finding.Error("UnknownCluster", "cluster", "A trace follows the packet through a planned cluster, and no site spec was given.",
                    "Give the site spec (spec) and the cluster, or ask a site's trace: POST /api/v1/sites/{site}/policy/trace.")]))
                : (null, null);
        }

        var now = http.RequestServices.GetRequiredService<ServerOptions>().Time.GetUtcNow();
        var (planned, problems) = NetworkPolicyService.ContextFromSpec(spec, cluster, now);
        return planned is null ? (null, Problems.Refused(problems)) : (planned, null);
    }

    private static IResult Nothing(IReadOnlyList<Finding> findings) => Problems.Refused(findings);

    private static async Task<IResult> CheckAsync(HttpContext http, Fleet? fleet, string? site, CancellationToken ct)
    {
        var (request, problem) = await Api.ReadJsonAsync(http.Request, ServerJson.Default.PolicyFlowRequest, ct).ConfigureAwait(false);
        if (request is null)
        {
            return problem!;
        }

        var (context, refused) = await ContextAsync(http, fleet, site, request.Cluster, request.Spec, required: false, ct).ConfigureAwait(false);
        return refused ?? Check(NetworkPolicyService.Load(request.Manifests, context, Choices(request.By, request.HostNetworkPoliced)), request.From, request.To, request.Port);
    }

    private static IResult Check(ManifestSet set, string from, string to, string port)
    {
        if (NetworkPolicyService.NothingToAnalyse(false, set) is { Count: > 0 } nothing)
        {
            return Nothing([.. set.Findings, .. nothing]);
        }

        var (answer, findings) = NetworkPolicyService.Check(set, from, to, port);
        IReadOnlyList<Finding> all = [.. set.Findings, .. findings];
        return answer is null ? Problems.Refused(Ordered(all)) : Api.Json(new CheckOutput(answer, Ordered(all)), ServerJson.Default.CheckOutput);
    }

    private static async Task<IResult> TraceAsync(HttpContext http, Fleet? fleet, string? site, CancellationToken ct)
    {
        var (request, problem) = await Api.ReadJsonAsync(http.Request, ServerJson.Default.PolicyFlowRequest, ct).ConfigureAwait(false);
        if (request is null)
        {
            return problem!;
        }

        var (context, refused) = await ContextAsync(http, fleet, site, request.Cluster, request.Spec, required: true, ct).ConfigureAwait(false);
        return refused ?? Trace(NetworkPolicyService.Load(request.Manifests, context, Choices(request.By, request.HostNetworkPoliced)), request.From, request.To, request.Port);
    }

    private static IResult Trace(ManifestSet set, string from, string to, string port)
    {
        var (trace, findings) = NetworkPolicyService.Trace(set, from, to, port);
        IReadOnlyList<Finding> all = [.. set.Findings, .. findings];
        return trace is null
            ? Problems.Refused(Ordered(all))
            : Api.Json(new TraceOutput(trace.Question, trace.Delivered, trace.Hops, trace.Notes, Ordered(all)), ServerJson.Default.TraceOutput);
    }

    private static async Task<IResult> MatrixAsync(HttpContext http, Fleet? fleet, string? site, string? format, CancellationToken ct)
    {
        if (FormatProblem(format, html: true) is { } bad)
        {
            return bad;
        }

        var (request, problem) = await Api.ReadJsonAsync(http.Request, ServerJson.Default.PolicyRequest, ct).ConfigureAwait(false);
        if (request is null)
        {
            return problem!;
        }

        var (context, refused) = await ContextAsync(http, fleet, site, request.Cluster, request.Spec, required: false, ct).ConfigureAwait(false);
        return refused ?? Matrix(NetworkPolicyService.Load(request.Manifests, context, Choices(request.By, request.HostNetworkPoliced)), context, format);
    }

    /// <summary>
    /// netpol matrix -o json|csv|text|html: nothing to analyse is refused (an empty matrix would read as "no connection at all").
    /// The findings the CLI writes to standard error beside it are named in the <see cref="Api.FindingsHeader"/>.
    /// </summary>
    private static IResult Matrix(ManifestSet set, PolicyContext? context, string? format)
    {
        if (FormatProblem(format, html: true) is { } bad)
        {
            return bad;
        }

        if (NetworkPolicyService.NothingToAnalyse(true, set) is { Count: > 0 } nothing)
        {
            return Nothing([.. set.Findings, .. nothing]);
        }

        IReadOnlyList<Finding> findings = [.. set.Findings, .. NetworkPolicyService.NotEnforced(context)];
        if (format == "html")
        {
            return Api.WithFindings(TypedResults.Text(ConnectivityHeatmap.Write(NetworkPolicyService.Matrix(set)), "text/html; charset=utf-8"), findings);
        }

        var writer = new StringWriter();
        NetworkPolicyService.WriteMatrix(set, ConnectivityFormatOf(format), writer);
        return Api.WithFindings(TypedResults.Text(writer.ToString(), ContentTypeOf(format)), findings);
    }

    private static async Task<IResult> LintAsync(HttpContext http, Fleet? fleet, string? site, CancellationToken ct)
    {
        var (request, problem) = await Api.ReadJsonAsync(http.Request, ServerJson.Default.PolicyRequest, ct).ConfigureAwait(false);
        if (request is null)
        {
            return problem!;
        }

        var (context, refused) = await ContextAsync(http, fleet, site, request.Cluster, request.Spec, required: false, ct).ConfigureAwait(false);
        return refused ?? Lint(NetworkPolicyService.Load(request.Manifests, context, Choices(request.By, request.HostNetworkPoliced)));
    }

    private static IResult Lint(ManifestSet set)
    {
        IReadOnlyList<Finding> all = [.. set.Findings, .. NetworkPolicyService.NothingToAnalyse(false, set), .. NetworkPolicyService.Lint(set)];
        return Api.Json(new ValidateOutput(!all.HasErrors(), Ordered(all)), ServerJson.Default.ValidateOutput);
    }

    private static async Task<IResult> DiffAsync(HttpContext http, Fleet? fleet, string? site, string? format, CancellationToken ct)
    {
        if (FormatProblem(format, html: false) is { } bad)
        {
            return bad;
        }

        var (request, problem) = await Api.ReadJsonAsync(http.Request, ServerJson.Default.PolicyDiffRequest, ct).ConfigureAwait(false);
        if (request is null)
        {
            return problem!;
        }

        var (context, refused) = await ContextAsync(http, fleet, site, request.Cluster, request.Spec, required: false, ct).ConfigureAwait(false);
        if (refused is not null)
        {
            return refused;
        }

        var pair = NetworkPolicyService.LoadPair(request.Before, request.After, context, Choices(request.By, request.HostNetworkPoliced));
        if (NetworkPolicyService.NothingToAnalyse(true, pair.Before, pair.After) is { Count: > 0 } nothing)
        {
            return Nothing([.. pair.Before.Findings, .. pair.After.Findings, .. nothing]);
        }

        var diff = NetworkPolicyService.Diff(pair);
        return Api.WithFindings(TypedResults.Text(diff.Format(ConnectivityFormatOf(format)), ContentTypeOf(format)),
            [.. pair.Before.Findings, .. pair.After.Findings, .. NetworkPolicyService.NotEnforced(context)]);
    }

    private static IReadOnlyList<Finding> Ordered(IReadOnlyList<Finding> findings) => [.. findings.OrderByDescending(f => f.Severity)];

    private static IResult? FormatProblem(string? format, bool html) =>
        format is null or "json" or "csv" or "text" || (html && format == "html")
            ? null
            : Api.BadValue("format", $"'{format}' is not a format of this answer.", html ? "Use json (the default), csv, text or html." : "Use json (the default), csv or text.");

    private static ConnectivityFormat ConnectivityFormatOf(string? format) => format switch
    {
        "csv" => ConnectivityFormat.Csv,
        "text" => ConnectivityFormat.Text,
        _ => ConnectivityFormat.Json,
    };

    private static string ContentTypeOf(string? format) => format switch
    {
        "csv" => "text/csv; charset=utf-8",
        "text" => "text/plain; charset=utf-8",
        _ => "application/json",
    };

    private static async Task<IResult> FlowAsync(HttpContext http, Func<FlowRequest, IResult> answer, CancellationToken ct)
    {
        var (flow, problem) = await Api.ReadJsonAsync(http.Request, ServerJson.Default.FlowRequest, ct).ConfigureAwait(false);
        return flow is null ? problem! : answer(flow);
    }

    /// <summary>
    /// A question about the manifests stored for a stored cluster: 404 for a site the fleet lacks, 422 UnknownCluster for a
    /// cluster the site lacks (or a name no file may have), 503 StoredPoliciesDamaged when the stored file cannot be read. The
    /// ETag is the site's revision (read first, so never newer than the answer) and the manifests' digest: either changes the answer.
    /// </summary>
    private static async Task<IResult> StoredAsync(Fleet fleet, string site, string cluster, HttpContext http,
        Func<PolicyContext, IReadOnlyList<ManifestText>, Task<IResult>> answer, CancellationToken ct)
    {
        var (context, revision, refused) = await ClusterAsync(fleet, site, cluster, ct).ConfigureAwait(false);
        if (refused is not null)
        {
            return refused;
        }

        var bytes = await fleet.ReadManifestsAsync(site, cluster, ct).ConfigureAwait(false) ?? [];
        IReadOnlyList<ManifestText> manifests;
        try
        {
            manifests = bytes.Length == 0 ? [] : JsonSerializer.Deserialize(bytes, ServerJson.Default.StoredManifests)?.Manifests ?? [];
        }
        catch (JsonException e)
        {
            return Problems.Of(StatusCodes.Status503ServiceUnavailable, "The stored manifests are damaged",
                $"The manifests stored for cluster '{cluster}' cannot be read.",
                [Finding.Error("StoredPoliciesDamaged", fleet.ManifestsName(site, cluster),
                    $"'{fleet.ManifestsName(site, cluster)}' of the fleet is not the JSON the server writes: {e.Message}",
                    "Store the cluster's manifests again (PUT …/clusters/{cluster}/policies replaces the file), or restore it from a backup.")]);
        }

        var tag = Api.DigestTag(revision, bytes);
        http.Response.Headers.ETag = tag;
        if (http.Request.Method == HttpMethods.Get && Api.NotModified(http, tag))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        return await answer(context!, manifests).ConfigureAwait(false);
    }

    /// <summary>The stored cluster the manifests run in, with the site's revision read before it; or the problem why there is none.</summary>
    private static async Task<(PolicyContext? Context, long Revision, IResult? Problem)> ClusterAsync(Fleet fleet, string site, string cluster, CancellationToken ct)
    {
        if (!await fleet.ExistsAsync(site, ct).ConfigureAwait(false))
        {
            return (null, 0, Problems.SiteNotFound(site));
        }

        await using var session = fleet.Open(site, write: false);
        var revision = await session.Engine.ReadRevisionAsync(ct).ConfigureAwait(false);
        var (context, findings) = Fleet.IsValidName(cluster)
            ? await session.Engine.PolicyContextAsync(cluster, ct).ConfigureAwait(false)
            : new PolicyResult<PolicyContext>(null, [Finding.Error("UnknownCluster", "cluster", $"The site has no cluster '{cluster}'.", "Name one of the stored clusters (GET …/clusters).")]);
        return context is null ? (null, revision, Problems.Refused(findings)) : (context, revision, null);
    }

    /// <summary>
    /// PUT …/clusters/{cluster}/policies: the cluster's manifests replaced at once (a temporary file, then a rename), answered
    /// with what loading them finds; manifests that do not load (an error finding, such as YAML that does not parse) are refused
    /// with 422 and the manifests stored before are kept.
    /// </summary>
    private static async Task<IResult> StoreAsync(string site, string cluster, Fleet fleet, HttpContext http, CancellationToken ct)
    {
        var (request, problem) = await Api.ReadJsonAsync(http.Request, ServerJson.Default.StoredManifests, ct).ConfigureAwait(false);
        if (request is null)
        {
            return problem!;
        }

        var (context, _, refused) = await ClusterAsync(fleet, site, cluster, ct).ConfigureAwait(false);
        if (refused is not null)
        {
            return refused;
        }

        var set = NetworkPolicyService.Load(request.Manifests, context);
        if (set.Findings.HasErrors())
        {
            return Problems.Refused(Ordered(set.Findings));
        }

        var json = JsonSerializer.SerializeToUtf8Bytes(request, ServerJson.Default.StoredManifests);
        if (json.Length > fleet.MaxManifestBytes)
        {
            return Problems.Of(StatusCodes.Status413PayloadTooLarge, "The manifests are too large to store",
                $"The manifests for cluster '{cluster}' are {json.Length:N0} bytes stored; the fleet's store ({fleet.Describe}) takes {fleet.MaxManifestBytes:N0} per cluster.",
                [Finding.Error("StoredPoliciesTooLarge", "manifests",
                    $"The manifests are {json.Length:N0} bytes as the server stores them, over the {fleet.MaxManifestBytes:N0} bytes one etcd request may carry; nothing was stored and the stored ones are kept.",
                    "Store fewer or smaller manifests per cluster (one PUT per cluster), or ask policy questions with the manifests in the request (POST …/policy/check, trace, matrix) instead of storing them.")]);
        }

        await fleet.WriteManifestsAsync(site, cluster, json, ct).ConfigureAwait(false);
        return Api.Json(new ValidateOutput(true, Ordered(set.Findings)), ServerJson.Default.ValidateOutput);
    }
}
