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

/// <summary>
/// A store that fails every commit after a number of successful ones: as a crash or a lost disk between two transactions
/// would (a store failure), or with <paramref name="conflict"/> as a busy shared store would for longer than the retries last
/// (every commit meets a concurrent writer: its condition fails and nothing is written).
/// </summary>
public sealed class FailingStore(IStateStore inner, int commitsBeforeFailure, bool conflict = false) : IStateStore
{
    private int _commits;

    public Task<StoreSnapshot> ReadAsync(IReadOnlyList<string> prefixes, CancellationToken cancellationToken = default) => inner.ReadAsync(prefixes, cancellationToken);

    public Task<CommitResult> CommitAsync(StoreTransaction transaction, CancellationToken cancellationToken = default) =>
        Interlocked.Increment(ref _commits) <= commitsBeforeFailure ? inner.CommitAsync(transaction, cancellationToken)
        : conflict ? Task.FromResult(new CommitResult(false, 0, transaction.Conditions[0].Key))
        : throw new StoreException("simulated crash");

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
