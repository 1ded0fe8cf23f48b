using System.Text.Json.Serialization;
using Trellis.Core.Model;
using Trellis.Core.Planning;

namespace Trellis.Engine;

/// <summary>What an allocation key holds in the store.</summary>
public sealed record StoredAllocation(string Pool, string Address, string Owner, string? Detail, DateTimeOffset? ExpiresAt);

/// <summary>What an audit key holds in the store (<see cref="Contracts.AuditEntry"/> is what front ends read).</summary>
/// <param name="Revision">The store revision the change committed at; 0 in entries written before revisions were recorded.</param>
internal sealed record StoredAuditEntry(DateTimeOffset Time, string Command, string Summary, int Added, int Removed)
{
    public long Revision { get; init; }

    public string? Actor { get; init; }

    public string? Plan { get; init; }

    /// <summary>The entry as front ends read it; one written before revisions were recorded takes <paramref name="keyRevision"/>, its key's.</summary>
    public Contracts.AuditEntry ToContract(long keyRevision) => new(Time, Command, Summary, Added, Removed, Revision == 0 ? keyRevision : Revision, Actor, Plan);
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = false)]
[JsonSerializable(typeof(SiteSpec))]
[JsonSerializable(typeof(StoredAllocation))]
[JsonSerializable(typeof(UpgradeProgress))]
[JsonSerializable(typeof(StoredAuditEntry))]
[JsonSerializable(typeof(Trellis.Core.Governance.GovernanceSet))]
internal sealed partial class EngineJsonContext : JsonSerializerContext;
