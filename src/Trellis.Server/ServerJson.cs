using System.Text.Json;
using System.Text.Json.Serialization;
using Trellis.Engine;
using Trellis.Engine.Contracts;
using Trellis.Server.Monitoring;
using Trellis.Server.Endpoints;

namespace Trellis.Server;

/// <summary>A site in the fleet list: its name, the stored site's own name (null while nothing is applied), its revision.</summary>
public sealed record SiteSummary(string Name, string? Site, long Revision);

public sealed record Health(string Status);

/// <summary>A live update: site <see cref="Site"/> is now at <see cref="Revision"/>.</summary>
public sealed record SiteEvent(string Site, long Revision);
/// <summary>POST /api/v1/sites: the new site's name (a DNS-1123 label; its state file is sites/&lt;name&gt;.db).</summary>
public sealed record CreateSiteRequest(string Name);

/// <summary>
/// An error, as RFC 9457 application/problem+json: <c>type</c>, <c>title</c>, <c>status</c>, <c>detail</c>, and the findings
/// (code, path, message, hint) that refused the request, in the same shape as the CLI's.
/// </summary>
public sealed record Problem(string Type, string Title, int Status, string? Detail, IReadOnlyList<Finding>? Findings = null, long? Revision = null);

/// <summary>
/// Every type the server reads or writes as JSON, with the CLI's options (camelCase, enums as strings, nulls left out), so
/// that a response is the CLI's <c>-o json</c> document. Under native AOT every type in the OpenAPI document must be here too.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict,
    ReadCommentHandling = JsonCommentHandling.Disallow,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(int?))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(Health))]
[JsonSerializable(typeof(Problem))]
[JsonSerializable(typeof(IReadOnlyList<SiteSummary>))]
[JsonSerializable(typeof(IReadOnlyList<Allocation>))]
[JsonSerializable(typeof(ValidateOutput))]
[JsonSerializable(typeof(ApplyOutput))]
[JsonSerializable(typeof(CheckOutput))]
[JsonSerializable(typeof(TraceOutput))]
[JsonSerializable(typeof(CapacityReport))]
[JsonSerializable(typeof(WhatIfAnswer))]
[JsonSerializable(typeof(IReadOnlyList<NetworkRow>))]
[JsonSerializable(typeof(IReadOnlyList<ClusterRow>))]
[JsonSerializable(typeof(IReadOnlyList<NodePoolRow>))]
[JsonSerializable(typeof(IReadOnlyList<ServiceRow>))]
[JsonSerializable(typeof(IReadOnlyList<PoolRow>))]
[JsonSerializable(typeof(IReadOnlyList<AuditEntry>))]
[JsonSerializable(typeof(SiteSummary))]
[JsonSerializable(typeof(HostConfig))]
[JsonSerializable(typeof(IReadOnlyList<NetworkSetting>))]
[JsonSerializable(typeof(IReadOnlyList<ClusterSetting>))]
[JsonSerializable(typeof(IReadOnlyList<LoadBalancerSetting>))]
[JsonSerializable(typeof(IReadOnlyList<LoadBalancerPoolRow>))]
[JsonSerializable(typeof(IReadOnlyList<BgpPeerRow>))]
[JsonSerializable(typeof(IReadOnlyList<RenderedFile>))]
[JsonSerializable(typeof(SiteEvent))]
[JsonSerializable(typeof(SiteHealth))]
[JsonSerializable(typeof(IReadOnlyList<SiteHealth>))]
[JsonSerializable(typeof(Readiness))]
[JsonSerializable(typeof(CreateSiteRequest))]
[JsonSerializable(typeof(PlanDocument))]
[JsonSerializable(typeof(ScaleRequest))]
[JsonSerializable(typeof(DeleteSiteRequest))]
[JsonSerializable(typeof(DeletePolicyRequest))]
[JsonSerializable(typeof(GovernanceView))]
[JsonSerializable(typeof(ComplianceReport))]
[JsonSerializable(typeof(FleetGovernanceOutput))]
[JsonSerializable(typeof(FleetCompliance))]
[JsonSerializable(typeof(IReadOnlyList<DefinitionRow>))]
[JsonSerializable(typeof(Upgrade))]
[JsonSerializable(typeof(AddNodePool))]
[JsonSerializable(typeof(AddService))]
[JsonSerializable(typeof(SetNodePool))]
[JsonSerializable(typeof(SetCluster))]
[JsonSerializable(typeof(DeleteService))]
[JsonSerializable(typeof(DeleteNodePool))]
[JsonSerializable(typeof(DeleteCluster))]
[JsonSerializable(typeof(AddCluster))]
[JsonSerializable(typeof(AddClusterNetwork))]
[JsonSerializable(typeof(RemoveClusterNetwork))]
[JsonSerializable(typeof(SetHostConfig))]
[JsonSerializable(typeof(SetPlanningSettings))]
[JsonSerializable(typeof(AddLoadBalancerPool))]
[JsonSerializable(typeof(AddBgpPeer))]
[JsonSerializable(typeof(PolicyFlowRequest))]
[JsonSerializable(typeof(PolicyRequest))]
[JsonSerializable(typeof(PolicyDiffRequest))]
[JsonSerializable(typeof(FlowRequest))]
[JsonSerializable(typeof(StoredManifests))]
[JsonSerializable(typeof(Stores.Replica))]
[JsonSerializable(typeof(IReadOnlyList<Stores.Replica>))]
public sealed partial class ServerJson : JsonSerializerContext;
