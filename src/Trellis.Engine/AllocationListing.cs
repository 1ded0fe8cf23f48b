using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Trellis.Core.Ipam;
using Trellis.Core.Model;
using Trellis.Storage;
using Allocation = Trellis.Engine.Contracts.Allocation;

namespace Trellis.Engine;

/// <summary>
/// The stored allocations (of one cluster) as listed, at <paramref name="Revision"/>; or the findings that say why there is
/// no list: NoSite when nothing is stored, UnknownCluster when the stored site has no such cluster.
/// </summary>
public sealed record AllocationList(long Revision, IReadOnlyList<Contracts.Finding> Findings, IReadOnlyList<Allocation> Allocations);

/// <summary>
/// Lists the stored allocations without the rest of the state: what <see cref="SiteViews.Allocations"/> shows of a
/// <see cref="SiteState"/>, in the same order, read in one pass. Only the spec and the allocations are read (not the upgrades
/// or the audit log), rows come from the store as it reads them, and each becomes the contract's allocation at once: its
/// pool and owner are still read as typed values (a row that is not one is a store error naming its key, and the cluster
/// filter decides by the typed owner and pool), but the texts listed are the stored ones where they are the canonical
/// forms, which they are for every owner but those of an older form.
/// </summary>
internal sealed class AllocationListing(string? cluster)
{
    private readonly StoredAllocationReader reader = new();
    private readonly NameTable names = new();
    private readonly List<Entry> entries = [];
    private byte[]? spec;
    private long specRevision;
    private string? poolText;
    private PoolId? pool;
    private string? canonicalPool;

    public static async Task<AllocationList> ReadAsync(IStateStore store, string? cluster, CancellationToken cancellationToken)
    {
        var listing = new AllocationListing(cluster);
        var revision = await store.ReadEachAsync([StateKeys.Spec, StateKeys.AllocationPrefix], listing.Visit, cancellationToken).ConfigureAwait(false);
        return listing.Result(revision);
    }

    private void Visit(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long revision)
    {
        if (key.SequenceEqual("site/spec"u8))
        {
            spec = value.ToArray();
            specRevision = revision;
        }
        else if (key.StartsWith("alloc/"u8))
        {
            Add(key, value, revision);
        }
    }

    private void Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long revision)
    {
        StoredFields stored;
        try
        {
            if (!reader.Read(value, out stored))
            {
                throw Damaged(key, revision, "it holds null");
            }
        }
        catch (JsonException e)
        {
            throw Damaged(key, revision, e.Message);
        }

        // The reader hands back one string per run of one pool's rows: the pool is read once per run.
        if (!ReferenceEquals(stored.Pool, poolText))
        {
            pool = PoolId.TryParse(stored.Pool, out var read) ? read : null;
            poolText = stored.Pool;
            canonicalPool = pool?.ToString();
        }

        if (pool is null || !Owner.TryParseStored(pool, stored.Owner, stored.Detail, names, out var owner, out var canonical))
        {
            throw Damaged(key, revision, $"'{stored.Owner}' of '{stored.Pool}' is not an owner of a pool");
        }

        if (cluster is null || owner.Cluster == cluster || pool is ClusterPool p && p.Cluster == cluster)
        {
            var allocation = new Allocation(canonicalPool!, stored.Address, canonical ? stored.Owner : owner.ToString(), stored.Detail, stored.ExpiresAt);
            entries.Add(new Entry(allocation, entries.Count));
        }
    }

    private AllocationList Result(long revision)
    {
        var site = spec is null ? null : SiteState.Decode(new StoredItem(StateKeys.Spec, spec, specRevision), EngineJsonContext.Default.SiteSpec);
        IReadOnlyList<Contracts.Finding> findings = site is null ? SiteViews.RequireSite(SiteState.Empty) : SiteViews.CheckCluster(site, cluster);
        if (findings.Count > 0)
        {
            return new AllocationList(revision, findings, []);
        }

        // SitePlanner.Ordered's order: by the pool's text, then the owner's (ordinal); equal ones as the store read them.
        var sorted = CollectionsMarshal.AsSpan(entries);
        sorted.Sort();
        var allocations = new Allocation[sorted.Length];
        for (var i = 0; i < sorted.Length; i++)
        {
            allocations[i] = sorted[i].Allocation;
        }

        return new AllocationList(revision, [], allocations);
    }

    private static StoreException Damaged(ReadOnlySpan<byte> key, long revision, string reason) =>
        SiteState.Damaged(new StoredItem(Encoding.UTF8.GetString(key), [], revision), reason);

    private readonly record struct Entry(Allocation Allocation, int Index) : IComparable<Entry>
    {
        public int CompareTo(Entry other) =>
            string.CompareOrdinal(Allocation.Pool, other.Allocation.Pool) is var byPool and not 0 ? byPool
            : string.CompareOrdinal(Allocation.Owner, other.Allocation.Owner) is var byOwner and not 0 ? byOwner
            : Index.CompareTo(other.Index);
    }
}
