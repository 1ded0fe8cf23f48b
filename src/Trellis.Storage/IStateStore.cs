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
    /// Applies all operations if every condition holds, else none. A <see cref="TxnOperation.Create"/>
    /// on a key that exists fails the whole transaction as a conflict, never partially.
    /// </summary>
    Task<CommitResult> CommitAsync(StoreTransaction transaction, CancellationToken cancellationToken = default);
}

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
