using System.Text.Json.Serialization;
using Trellis.Core.Model;
using Trellis.Core.Planning;

namespace Trellis.Engine;

/// <summary>What an allocation key holds in the store.</summary>
public sealed record StoredAllocation(string Pool, string Address, string Owner, string? Detail, DateTimeOffset? ExpiresAt);

/// <summary>One entry of the audit log: who changed what, when, through which command, and the revision it made.</summary>
/// <param name="Revision">The store revision the change committed at (0 in entries written before revisions were recorded; read back from the key).</param>
/// <param name="Actor">Who made the change, as the front end identified them (the CLI: the operating-system user); null when not recorded.</param>
/// <param name="Summary">The plan in one line: what objects it added, changed and removed.</param>
/// <param name="Added">Addresses allocated by the change.</param>
/// <param name="Removed">Addresses released by the change.</param>
public sealed record AuditEntry(DateTimeOffset Time, string Command, string Summary, int Added, int Removed)
{
    public long Revision { get; init; }

    public string? Actor { get; init; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = false)]
[JsonSerializable(typeof(SiteSpec))]
[JsonSerializable(typeof(StoredAllocation))]
[JsonSerializable(typeof(UpgradeProgress))]
[JsonSerializable(typeof(AuditEntry))]
[JsonSerializable(typeof(IReadOnlyList<AuditEntry>))]
internal sealed partial class EngineJsonContext : JsonSerializerContext;
