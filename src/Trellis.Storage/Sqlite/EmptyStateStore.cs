namespace Trellis.Storage.Sqlite;

/// <summary>A state file that does not exist yet, opened for reading: empty at revision 0, and never created by a read.</summary>
internal sealed class EmptyStateStore(string filePath) : IStateStore
{
    public Task<StoreSnapshot> ReadAsync(IReadOnlyList<string> prefixes, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(new StoreSnapshot(0, []));
    }

    public Task<CommitResult> CommitAsync(StoreTransaction transaction, CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException($"'{filePath}' was opened for reading only.");

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
