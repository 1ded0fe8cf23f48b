using System.Text.Json.Serialization;
using Trellis.Core.Model;
using Trellis.Core.Planning;

namespace Trellis.Engine;

/// <summary>What an allocation key holds in the store.</summary>
public sealed record StoredAllocation(string Pool, string Address, string Owner, string? Detail, DateTimeOffset? ExpiresAt);

/// <summary>One entry of the audit log: what changed, when, and through which command.</summary>
public sealed record AuditEntry(DateTimeOffset Time, string Command, string Summary, int Added, int Removed);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = false)]
[JsonSerializable(typeof(SiteSpec))]
[JsonSerializable(typeof(StoredAllocation))]
[JsonSerializable(typeof(UpgradeProgress))]
[JsonSerializable(typeof(AuditEntry))]
internal sealed partial class EngineJsonContext : JsonSerializerContext;
