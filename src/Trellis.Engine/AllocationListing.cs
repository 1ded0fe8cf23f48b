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
/// <see cref="SiteState"/>, in the same order, read in one pass. Only the spec (for its cluster names) and the allocations
/// are read (not the upgrades or the audit log), rows come from the store as it reads them, and each becomes the contract's allocation at once: its
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
        var findings = spec is null ? SiteViews.RequireSite(SiteState.Empty) : SiteViews.CheckCluster(ClusterNames(spec, specRevision), cluster);
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

    /// <summary>
    /// The names of the stored spec's clusters, all the listing needs of it, read without decoding the spec (and building the
    /// serializer's metadata of every type in it). The value must still be JSON, an object, with a list of clusters that
    /// each have a name: anything else is a store error naming the key. The rest of the spec is checked by the commands that use it.
    /// </summary>
    private static List<string> ClusterNames(byte[] spec, long revision)
    {
        try
        {
            var reader = new Utf8JsonReader(spec);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JsonException("it is not a JSON object");
            }

            var names = new List<string>();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var clusters = reader.ValueTextEquals("clusters"u8);
                reader.Read();
                if (!clusters)
                {
                    reader.Skip();
                    continue;
                }

                // As the serializer reads a property named twice: the last one counts.
                names.Clear();
                if (reader.TokenType == JsonTokenType.Null)
                {
                    continue;
                }

                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    throw new JsonException($"its clusters are a JSON {reader.TokenType}, not a list");
                }

                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    names.Add(ClusterName(ref reader));
                }
            }

            if (reader.Read())
            {
                throw new JsonException("it holds more than one JSON value");
            }

            return names;
        }
        catch (JsonException e)
        {
            throw SiteState.Damaged(new StoredItem(StateKeys.Spec, [], revision), e.Message);
        }
    }

    private static string ClusterName(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"a cluster is a JSON {reader.TokenType}, not an object");
        }

        string? name = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isName = reader.ValueTextEquals("name"u8);
            reader.Read();
            if (!isName)
            {
                reader.Skip();
            }
            else if (reader.TokenType == JsonTokenType.String)
            {
                name = reader.GetString();
            }
            else
            {
                throw new JsonException($"a cluster's name is a JSON {reader.TokenType}, not a string");
            }
        }

        return name ?? throw new JsonException("a cluster has no name");
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
