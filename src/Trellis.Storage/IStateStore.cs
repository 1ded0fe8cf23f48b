namespace Trellis.Storage;

/// <summary>
/// A key-value store with conditional multi-key transactions: the one interface every backend
/// (embedded SQLite, etcd) implements. It knows nothing about networking.
/// </summary>
public interface IStateStore : IAsyncDisposable
{
    /// <summary>Reads every item whose key starts with <paramref name="prefix"/>, as of one revision.</summary>
    Task<StoreSnapshot> ReadAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies all operations if every condition holds, else none. A <see cref="TxnOperation.Create"/>
    /// on a key that exists fails the whole transaction as a conflict, never partially.
    /// </summary>
    Task<CommitResult> CommitAsync(StoreTransaction transaction, CancellationToken cancellationToken = default);
}
