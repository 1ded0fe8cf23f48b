using System.Runtime.CompilerServices;

namespace Trellis.Storage;

/// <summary>
/// A key-value store with conditional multi-key transactions: the one interface every backend
/// (embedded SQLite, etcd) implements. It knows nothing about networking.
/// </summary>
public interface IStateStore : IAsyncDisposable
{
    /// <summary>
    /// Reads every item whose key starts with one of <paramref name="prefixes"/>, all as of one revision, ordered by key
    /// (ordinal) and each item once even where prefixes overlap. Reading several prefixes at once lets a caller take the
    /// parts of the state it needs without the parts it does not (the audit log), still from one consistent snapshot.
    /// </summary>
    Task<StoreSnapshot> ReadAsync(IReadOnlyList<string> prefixes, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads every item whose key starts with one of <paramref name="prefixes"/>, all as of one revision (which it returns),
    /// handing each to <paramref name="visit"/> as it is read instead of holding them all: for a caller that keeps only what
    /// it makes of the items. Within a prefix the items come in key order by UTF-8 bytes (code point order, which differs
    /// from <see cref="ReadAsync"/>'s UTF-16 order only beyond U+FFFF), the prefixes in the order given; the prefixes must
    /// not overlap. The spans are valid only during the call. An exception thrown by <paramref name="visit"/> ends the read
    /// and is thrown to the caller. A store without a streamed read reads the snapshot and hands over its items.
    /// </summary>
    /// <exception cref="ArgumentException">One prefix starts with another.</exception>
    async Task<long> ReadEachAsync(IReadOnlyList<string> prefixes, StoredItemVisitor visit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(visit);
        StoreKeys.ThrowIfOverlapping(prefixes);
        var snapshot = await ReadAsync(prefixes, cancellationToken).ConfigureAwait(false);
        var items = snapshot.Items.ToArray();
        Array.Sort(items, static (a, b) => StoreKeys.CompareCodePoints(a.Key, b.Key));
        foreach (var prefix in prefixes)
        {
            foreach (var item in items)
            {
                if (item.Key.StartsWith(prefix, StringComparison.Ordinal))
                {
                    visit(System.Text.Encoding.UTF8.GetBytes(item.Key), item.Value, item.Revision);
                }
            }
        }

        return snapshot.Revision;
    }

    /// <summary>
    /// The store's current revision without reading any item: what a watcher polls to notice another writer's commit.
    /// A store without a cheaper way reads a prefix that holds nothing.
    /// </summary>
    async Task<long> ReadRevisionAsync(CancellationToken cancellationToken = default) =>
        (await ReadAsync(["\u0001revision/"], cancellationToken).ConfigureAwait(false)).Revision;

    /// <summary>
    /// The store's revisions as commits make them visible, for a caller that follows the state (a live view): first the
    /// current revision, then each later one, in rising order, until <paramref name="cancellationToken"/> ends the feed with
    /// an <see cref="OperationCanceledException"/>. A store without a change feed of its own polls
    /// <see cref="ReadRevisionAsync"/> every <paramref name="pollInterval"/> and yields each revision that differs from the
    /// last one yielded (commits between two polls show as one); a store with one (etcd: a watch) yields every commit's
    /// revision as it happens. A failure to read the revision ends the feed with that exception.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The poll interval is not positive.</exception>
    async IAsyncEnumerable<long> WatchRevisionsAsync(TimeSpan pollInterval, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(pollInterval, TimeSpan.Zero);
        var last = await ReadRevisionAsync(cancellationToken).ConfigureAwait(false);
        yield return last;
        while (true)
        {
            await Task.Delay(pollInterval, cancellationToken).ConfigureAwait(false);
            var revision = await ReadRevisionAsync(cancellationToken).ConfigureAwait(false);
            if (revision != last)
            {
                last = revision;
                yield return revision;
            }
        }
    }

    /// <summary>
    /// Applies all operations if every condition holds, else none. A <see cref="TxnOperation.Create"/>
    /// on a key that exists fails the whole transaction as a conflict, never partially.
    /// </summary>
    Task<CommitResult> CommitAsync(StoreTransaction transaction, CancellationToken cancellationToken = default);
}

/// <summary>One item of a streamed read (<see cref="IStateStore.ReadEachAsync"/>): its key as UTF-8, its value, its revision; the spans are valid only during the call.</summary>
public delegate void StoredItemVisitor(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long revision);

/// <summary>Reads of the one-prefix kind, which every caller that needs one part of the state uses.</summary>
public static class StateStoreReads
{
    /// <summary>Reads every item whose key starts with <paramref name="prefix"/>, as of one revision.</summary>
    public static Task<StoreSnapshot> ReadAsync(this IStateStore store, string prefix, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(prefix);
        return store.ReadAsync([prefix], cancellationToken);
    }
}
