using Trellis.Storage;

namespace Trellis.TestSupport;

/// <summary>A store whose token source is cancelled right after a number of successful commits, as Ctrl-C landing there would.</summary>
public sealed class CancelAfterCommit(IStateStore inner, CancellationTokenSource ctrlC, int commitsBeforeCancel = 1) : IStateStore
{
    private int _commits;

    public Task<StoreSnapshot> ReadAsync(IReadOnlyList<string> prefixes, CancellationToken cancellationToken = default) => inner.ReadAsync(prefixes, cancellationToken);

    public async Task<CommitResult> CommitAsync(StoreTransaction transaction, CancellationToken cancellationToken = default)
    {
        var result = await inner.CommitAsync(transaction, cancellationToken);
        if (result.Succeeded && Interlocked.Increment(ref _commits) >= commitsBeforeCancel)
        {
            await ctrlC.CancelAsync();
        }

        return result;
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
