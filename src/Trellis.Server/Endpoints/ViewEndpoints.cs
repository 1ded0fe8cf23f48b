using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.Server.Endpoints;

/// <summary>
/// A site's read views, each the Engine's answer to the CLI's question in the CLI's <c>-o json</c> shape: <c>get networks|clusters|
/// nodepools|services|pools|capacity|audit</c>, <c>capacity --what-if</c>, <c>render</c>, <c>render deploy-script</c>, the stored spec,
/// and the settings views of the PowerShell module (Get-AksHciConfig, Get-AksHciClusterNetwork, …). Every answer carries the
/// site's revision as its ETag; If-None-Match with it answers 304.
/// </summary>
internal static class ViewEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var site = api.MapGroup("/sites/{site}");
        api.MapGet("/sites/{site}", SiteAsync).Requires(AccessRole.Reader).WithName("GetSite");
        site.MapGet("/findings", (string site, Fleet fleet, HttpContext context, CancellationToken ct) =>
            Api.ViewAsync(fleet, site, context, state => Api.Json(new ValidateOutput(!SiteViews.Findings(state).HasErrors(), SiteViews.Findings(state)), ServerJson.Default.ValidateOutput), ct))
            .Requires(AccessRole.Reader).WithName("GetSiteFindings");
        site.MapGet("/networks", (string site, string? cluster, Fleet fleet, HttpContext context, CancellationToken ct) =>
            Api.ViewAsync(fleet, site, context, state => Resolved(state, cluster) ?? Api.WithFindings(Api.Json(SiteViews.Networks(state, cluster), ServerJson.Default.IReadOnlyListNetworkRow), SiteViews.Findings(state)), ct))
            .Requires(AccessRole.Reader).WithName("GetNetworks");
        site.MapGet("/clusters", (string site, string? cluster, Fleet fleet, HttpContext context, CancellationToken ct) =>
            Api.ViewAsync(fleet, site, context, state => Resolved(state, cluster) ?? Api.WithFindings(Api.Json(SiteViews.Clusters(state, cluster), ServerJson.Default.IReadOnlyListClusterRow), SiteViews.Findings(state)), ct))
            .Requires(AccessRole.Reader).WithName("GetClusters");
        site.MapGet("/nodepools", (string site, string? cluster, Fleet fleet, HttpContext context, CancellationToken ct) =>
            Api.ViewAsync(fleet, site, context, state => Stored(state, cluster) ?? Api.Json(SiteViews.NodePools(state, cluster), ServerJson.Default.IReadOnlyListNodePoolRow), ct))
            .Requires(AccessRole.Reader).WithName("GetNodePools");
        site.MapGet("/services", (string site, string? cluster, Fleet fleet, HttpContext context, CancellationToken ct) =>
            Api.ViewAsync(fleet, site, context, state => Stored(state, cluster) ?? Api.Json(SiteViews.Services(state, cluster), ServerJson.Default.IReadOnlyListServiceRow), ct))
            .Requires(AccessRole.Reader).WithName("GetServices");
        site.MapGet("/pools", (string site, string? cluster, Fleet fleet, HttpContext context, CancellationToken ct) =>
            Api.ViewAsync(fleet, site, context, state => Resolved(state, cluster) ?? Api.WithFindings(Api.Json(SiteViews.Pools(state, cluster), ServerJson.Default.IReadOnlyListPoolRow), SiteViews.Findings(state)), ct))
            .Requires(AccessRole.Reader).WithName("GetPools");
        site.MapGet("/capacity", CapacityAsync).Requires(AccessRole.Reader).WithName("GetCapacity");
        site.MapGet("/audit", AuditAsync).Requires(AccessRole.Reader).WithName("GetAudit");
        site.MapGet("/host-config", (string site, Fleet fleet, HttpContext context, CancellationToken ct) =>
            Api.ViewAsync(fleet, site, context, state => Stored(state, null) ?? Api.Json(SiteViews.HostConfig(state)!, ServerJson.Default.HostConfig), ct))
            .Requires(AccessRole.Reader).WithName("GetHostConfig");
        site.MapGet("/cluster-networks", (string site, Fleet fleet, HttpContext context, CancellationToken ct) =>
            Api.ViewAsync(fleet, site, context, state => Stored(state, null) ?? Api.Json(SiteViews.ClusterNetworks(state), ServerJson.Default.IReadOnlyListNetworkSetting), ct))
            .Requires(AccessRole.Reader).WithName("GetClusterNetworks");
        site.MapGet("/cluster-settings", (string site, Fleet fleet, HttpContext context, CancellationToken ct) =>
            Api.ViewAsync(fleet, site, context, state => Stored(state, null) ?? Api.Json(SiteViews.ClusterSettings(state), ServerJson.Default.IReadOnlyListClusterSetting), ct))
            .Requires(AccessRole.Reader).WithName("GetClusterSettings");
        site.MapGet("/load-balancer-settings", (string site, Fleet fleet, HttpContext context, CancellationToken ct) =>
            Api.ViewAsync(fleet, site, context, state => Stored(state, null) ?? Api.Json(SiteViews.LoadBalancerSettings(state), ServerJson.Default.IReadOnlyListLoadBalancerSetting), ct))
            .Requires(AccessRole.Reader).WithName("GetLoadBalancerSettings");
        site.MapGet("/load-balancer-pools", (string site, string? cluster, Fleet fleet, HttpContext context, CancellationToken ct) =>
            Api.ViewAsync(fleet, site, context, state => Stored(state, cluster) ?? Api.Json(SiteViews.LoadBalancerPools(state, cluster), ServerJson.Default.IReadOnlyListLoadBalancerPoolRow), ct))
            .Requires(AccessRole.Reader).WithName("GetLoadBalancerPools");
        site.MapGet("/bgp-peers", (string site, string? cluster, Fleet fleet, HttpContext context, CancellationToken ct) =>
            Api.ViewAsync(fleet, site, context, state => Stored(state, cluster) ?? Api.Json(SiteViews.BgpPeers(state, cluster), ServerJson.Default.IReadOnlyListBgpPeerRow), ct))
            .Requires(AccessRole.Reader).WithName("GetBgpPeers");
        site.MapGet("/render/{component}", RenderAsync).Requires(AccessRole.Reader).WithName("Render");
        site.MapGet("/deploy-script", DeployScriptAsync).Requires(AccessRole.Reader).WithName("GetDeploymentScript");
        site.MapGet("/spec", (string site, Fleet fleet, HttpContext context, CancellationToken ct) =>
            Api.ViewAsync(fleet, site, context, state => SpecExport.Yaml(state) is { Yaml: { } yaml }
                ? TypedResults.Text(yaml, "application/yaml; charset=utf-8")
                : Problems.Refused(SiteViews.RequireSite(state), state.Revision), ct))
            .Requires(AccessRole.Reader).WithName("GetSpec");
        site.MapGet("/governance", (string site, Fleet fleet, HttpContext context, CancellationToken ct) =>
            Api.ViewAsync(fleet, site, context, state => Api.Json(SiteViews.Governance(state), ServerJson.Default.GovernanceView), ct))
            .Requires(AccessRole.Reader).WithName("GetGovernance").WithTags("Governance");
        site.MapGet("/governance/definitions", (string site, Fleet fleet, HttpContext context, CancellationToken ct) =>
            Api.ViewAsync(fleet, site, context, state => Api.Json(SiteViews.Definitions(state), ServerJson.Default.IReadOnlyListDefinitionRow), ct))
            .Requires(AccessRole.Reader).WithName("GetPolicyDefinitions").WithTags("Governance");
        site.MapGet("/compliance", ComplianceAsync).Requires(AccessRole.Reader).WithName("GetCompliance").WithTags("Governance");
        site.MapPost("/compliance", ManifestComplianceAsync).Requires(AccessRole.Reader).WithName("CheckCompliance").WithTags("Governance")
            .Accepts<StoredManifests>("application/json").Produces<ComplianceReport>();
    }

    /// <summary>
    /// policy compliance: judged at the server's time, so an exemption that expires changes the answer without a new revision;
    /// the ETag is the revision and the report's digest.
    /// </summary>
    private static async Task<IResult> ComplianceAsync(string site, Fleet fleet, HttpContext context, ServerOptions options, CancellationToken ct)
    {
        if (!await fleet.ExistsAsync(site, ct).ConfigureAwait(false))
        {
            return Problems.SiteNotFound(site);
        }

        await using var session = fleet.Open(site, write: false);
        var state = await session.Engine.ReadAsync(ct).ConfigureAwait(false);
        var report = JsonSerializer.SerializeToUtf8Bytes(SiteViews.Compliance(state, options.Time.GetUtcNow()), ServerJson.Default.ComplianceReport);
        var tag = Api.DigestTag(state.Revision, report);
        context.Response.Headers.ETag = tag;
        return Api.NotModified(context, tag)
            ? TypedResults.StatusCode(StatusCodes.Status304NotModified)
            : TypedResults.Bytes(report, "application/json");
    }

    /// <summary>
    /// policy compliance -f: the stored site and the Kubernetes manifests of the body (<c>{manifests: [{name, text}]}</c>),
    /// for the rules that read manifests; a question, so nothing is stored and no ETag is given.
    /// </summary>
    private static async Task<IResult> ManifestComplianceAsync(string site, Fleet fleet, HttpContext context, CancellationToken ct)
    {
        if (!await fleet.ExistsAsync(site, ct).ConfigureAwait(false))
        {
            return Problems.SiteNotFound(site);
        }

        var (body, problem) = await Api.ReadJsonAsync(context.Request, ServerJson.Default.StoredManifests, ct).ConfigureAwait(false);
        if (body is null)
        {
            return problem!;
        }

        await using var session = fleet.Open(site, write: false);
        return Api.Json(await session.Engine.ReadComplianceAsync(body.Manifests, ct).ConfigureAwait(false), ServerJson.Default.ComplianceReport);
    }

    /// <summary>One site of the fleet: its file's name, the stored site's name, the revision.</summary>
    private static Task<IResult> SiteAsync(string site, Fleet fleet, HttpContext context, CancellationToken ct) =>
        Api.ViewAsync(fleet, site, context, state => Api.Json(new SiteSummary(site, state.SiteName, state.Revision), ServerJson.Default.SiteSummary), ct);

    /// <summary>NoSite or UnknownCluster (422) for a view of a stored site's objects, as <c>trellis get</c> refuses it.</summary>
    private static IResult? Stored(SiteState state, string? cluster)
    {
        var missing = SiteViews.RequireSite(state);
        if (missing.Count == 0)
        {
            missing = SiteViews.CheckCluster(state, cluster);
        }

        return missing.Count > 0 ? Problems.Refused(missing, state.Revision) : null;
    }

    /// <summary>
    /// As <see cref="Stored"/>, for the views that need the resolved site: also refused (StoredSiteUnresolved) when the stored
    /// site no longer resolves under today's rules, where <c>trellis get</c> says so and exits 1. The warnings today's rules
    /// find in it, which <c>trellis get</c> prints on standard error, are named in the Trellis-Findings header.
    /// </summary>
    private static IResult? Resolved(SiteState state, string? cluster) =>
        Stored(state, cluster) ?? (SiteViews.Findings(state) is var findings && findings.HasErrors() ? Problems.Refused(findings, state.Revision) : null);

    /// <summary>get capacity, or capacity --what-if "…" (repeat whatIf for several changes asked together).</summary>
    private static Task<IResult> CapacityAsync(string site, string[]? whatIf, Fleet fleet, HttpContext context, CancellationToken ct) =>
        Api.ViewAsync(fleet, site, context, state =>
        {
            var questions = whatIf ?? [];
            if (questions.Length == 0)
            {
                var answer = SiteViews.StoredCapacity(state);
                return answer.Report is { } report ? Api.WithFindings(Api.Json(report, ServerJson.Default.CapacityReport), SiteViews.Findings(state)) : Problems.Refused(answer.Findings, state.Revision);
            }

            var parsed = questions.Select(WhatIfParser.Parse).ToList();
            if (parsed.Where(q => q.Problem is not null).Select(q => q.Problem!).ToList() is { Count: > 0 } problems)
            {
                return Api.BadJson(problems);
            }

            var (result, findings) = SiteViews.WhatIf(state, string.Join("; ", questions), [.. parsed.Select(q => q.Change!)]);
            return result is not null ? Api.Json(result, ServerJson.Default.WhatIfAnswer) : Problems.Refused(findings, state.Revision);
        }, ct);

    /// <summary>get audit [--last N]: the log outlives a deleted site, so no stored spec is needed.</summary>
    private static Task<IResult> AuditAsync(string site, int? last, Fleet fleet, HttpContext context, CancellationToken ct) =>
        last is < 1
            ? Task.FromResult(Api.BadValue("last", $"last is {last}; it takes a number of entries of 1 or more.", "Leave last out for the whole log."))
            : Api.WithSessionAsync(fleet, site, context, async session =>
                Api.Json(await session.Engine.ReadAuditAsync(last, ct).ConfigureAwait(false), ServerJson.Default.IReadOnlyListAuditEntry), ct);

    /// <summary>
    /// render COMPONENT [--cluster] [--node]: the files as a JSON list of {path, content}; with <c>file=PATH</c>, that one file's
    /// text alone (as <c>render</c> prints a single file).
    /// </summary>
    private static Task<IResult> RenderAsync(string site, string component, string? cluster, string? node, string? file, Fleet fleet, HttpContext context, CancellationToken ct)
    {
        if (component != "all" && !SiteViews.Components.Contains(component))
        {
            return Task.FromResult(Api.BadValue("component", $"'{component}' is not a component to render.",
                $"Use one of: all, {string.Join(", ", SiteViews.Components)}."));
        }

        return Api.ViewAsync(fleet, site, context, state =>
        {
            var (files, findings) = SiteViews.Render(state, component == "all" ? [] : [component], cluster, node);
            if (files.Count == 0)
            {
                return Problems.Refused(findings, state.Revision);
            }

            if (file is null)
            {
                return Api.Json(files, ServerJson.Default.IReadOnlyListRenderedFile);
            }

            return files.FirstOrDefault(f => f.Path == file) is { } one
                ? TypedResults.Text(one.Content, "text/plain; charset=utf-8")
                : Problems.Of(StatusCodes.Status404NotFound, "No such file",
                    $"'{component}' renders no file '{file}' here; without file= the answer lists the files: {string.Join(", ", files.Take(10).Select(f => f.Path))}{(files.Count > 10 ? ", …" : "")}.");
        }, ct);
    }

    /// <summary>render deploy-script: the AksHci PowerShell or AksArc shell script that deploys the stored site, as a file to save.</summary>
    private static Task<IResult> DeployScriptAsync(string site, Fleet fleet, HttpContext context, CancellationToken ct) =>
        Api.ViewAsync(fleet, site, context, state =>
        {
            var (files, findings) = SiteViews.DeploymentScript(state);
            if (files.Count == 0)
            {
                return Problems.Refused(findings, state.Revision);
            }

            context.Response.Headers.ContentDisposition = new Microsoft.Net.Http.Headers.ContentDispositionHeaderValue("attachment") { FileName = files[0].Path }.ToString();
            return TypedResults.Text(files[0].Content, "text/plain; charset=utf-8");
        }, ct);
}
