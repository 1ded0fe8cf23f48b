using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Trellis.Core.Governance;
using Trellis.Core.Ipam;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Storage;

namespace Trellis.Engine;

/// <summary>
/// A consistent snapshot of one site at store revision <see cref="Revision"/>: its applied spec, every allocation, and
/// upgrades in progress. A front end passes it to <see cref="SiteViews"/>, which answer in the Engine's own types.
/// </summary>
public sealed record SiteState
{
    internal SiteState(long revision, long generationRevision, SiteSpec? spec, IReadOnlyList<Allocation> allocations, IReadOnlyList<UpgradeProgress> upgrades,
        GovernanceSet? governance = null)
    {
        Governance = governance ?? GovernanceSet.Empty;
        Revision = revision;
        GenerationRevision = generationRevision;
        Spec = spec;
        Allocations = allocations;
        Upgrades = upgrades;
    }

    public static SiteState Empty { get; } = new(0, 0, null, [], []);

    /// <summary>The store revision the snapshot was read at.</summary>
    public long Revision { get; }

    /// <summary>The stored site's name; null when no site is stored.</summary>
    public string? SiteName => Spec?.Name;

    /// <summary>The revision of the generation key, which every change of the site bumps (0 before the first).</summary>
    internal long GenerationRevision { get; }

    /// <summary>
    /// The number of the newest audit entry, as the generation key holds it (0 before the first change). The next entry's
    /// number is above both it and the store revision, so that the log stays in order and loses nothing when the state moved
    /// to a store whose revisions are lower (<c>trellis migrate</c>).
    /// </summary>
    internal long AuditSequence { get; init; }

    internal SiteSpec? Spec { get; }

    internal IReadOnlyList<Allocation> Allocations { get; }

    internal IReadOnlyList<UpgradeProgress> Upgrades { get; }

    /// <summary>The site's own policy definitions and assignments; empty when none are stored.</summary>
    internal GovernanceSet Governance { get; init; }

    /// <summary>The fleet's definitions and assignments, as a server copied them into the site's state; empty when none.</summary>
    internal GovernanceSet FleetGovernance { get; init; } = GovernanceSet.Empty;

    /// <summary>What every plan and the compliance report judge by: the site's own set and the fleet's, named <c>fleet/…</c>.</summary>
    internal GovernanceSet EffectiveGovernance => Governance.Inheriting(FleetGovernance);

    /// <exception cref="StoreException">A stored value is not what Trellis wrote there (damaged or edited by hand).</exception>
    internal static SiteState From(StoreSnapshot snapshot)
    {
        SiteSpec? spec = null;
        long generation = 0;
        long auditSequence = 0;
        var allocationItems = new List<StoredItem>();
        var upgrades = new List<UpgradeProgress>();
        GovernanceSet? governance = null;
        GovernanceSet? fleetGovernance = null;
        foreach (var item in snapshot.Items)
        {
            if (item.Key == StateKeys.Spec)
            {
                spec = OverlayFacts.KeepStoredVxlan(Decode(item, EngineJsonContext.Default.SiteSpec));
            }
            else if (item.Key == StateKeys.Generation)
            {
                generation = item.Revision;
                auditSequence = item.Value.Length == sizeof(long) ? BitConverter.ToInt64(item.Value) : 0;
            }
            else if (item.Key == StateKeys.Governance)
            {
                governance = Decode(item, EngineJsonContext.Default.GovernanceSet);
            }
            else if (item.Key == StateKeys.FleetGovernance)
            {
                fleetGovernance = Decode(item, EngineJsonContext.Default.GovernanceSet);
            }
            else if (item.Key.StartsWith(StateKeys.AllocationPrefix, StringComparison.Ordinal))
            {
                allocationItems.Add(item);
            }
            else if (item.Key.StartsWith(StateKeys.UpgradePrefix, StringComparison.Ordinal))
            {
                upgrades.Add(Decode(item, EngineJsonContext.Default.UpgradeProgress));
            }
        }

        return new SiteState(snapshot.Revision, generation, spec, DecodeAllocations(allocationItems), upgrades, governance)
        {
            FleetGovernance = fleetGovernance ?? GovernanceSet.Empty,
            AuditSequence = auditSequence,
        };
    }

    /// <summary>Decodes the allocations, in <see cref="SitePlanner.Ordered"/>'s order; the few pools of a site are each read from their text once.</summary>
    private static List<Allocation> DecodeAllocations(List<StoredItem> items)
    {
        var pools = new Dictionary<string, PoolId>(StringComparer.Ordinal);
        var decoded = new List<Allocation>(items.Count);
        var reader = new StoredAllocationReader();
        var names = new NameTable();
        foreach (var item in items)
        {
            StoredFields stored;
            try
            {
                if (!reader.Read(item.Value, out stored))
                {
                    throw Damaged(item, "it holds null");
                }
            }
            catch (JsonException e)
            {
                throw Damaged(item, e.Message);
            }

            if (!pools.TryGetValue(stored.Pool, out var pool) && PoolId.TryParse(stored.Pool, out pool))
            {
                pools[stored.Pool] = pool;
            }

            if (pool is null || !Owner.TryParseStored(pool, stored.Owner, stored.Detail, names, out var owner, out _))
            {
                throw Damaged(item, $"'{stored.Owner}' of '{stored.Pool}' is not an owner of a pool");
            }

            decoded.Add(new Allocation(pool, stored.Address, owner) { Detail = stored.Detail, ExpiresAt = stored.ExpiresAt });
        }

        return [.. SitePlanner.Ordered(decoded)];
    }

    /// <summary>The audit log in revision order; an entry written before revisions were recorded takes its key's.</summary>
    internal static IReadOnlyList<Contracts.AuditEntry> Audit(StoreSnapshot snapshot) =>
        [.. snapshot.Items
            .Where(item => item.Key.StartsWith(StateKeys.AuditPrefix, StringComparison.Ordinal))
            .Select(item => Decode(item, EngineJsonContext.Default.StoredAuditEntry).ToContract(item.Revision))
            .OrderBy(entry => entry.Revision)];

    internal static T Decode<T>(StoredItem item, JsonTypeInfo<T> type)
    {
        try
        {
            return JsonSerializer.Deserialize(item.Value, type)
                ?? throw Damaged(item, "it holds null");
        }
        catch (JsonException e)
        {
            throw Damaged(item, e.Message);
        }
    }

    internal static StoreException Damaged(StoredItem item, string reason) =>
        new($"The stored value '{item.Key}' (revision {item.Revision}) is damaged and cannot be read: {reason.TrimEnd('.')}. Nothing was changed; restore the state file from a backup.");
}
