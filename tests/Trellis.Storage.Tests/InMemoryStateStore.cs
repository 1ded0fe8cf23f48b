namespace Trellis.Storage.Tests;

/// <summary>
/// The reference model of <see cref="IStateStore"/>: a dictionary and a counter, as plain as the contract.
/// Backends are checked against it.
/// </summary>
public sealed class InMemoryStateStore : IStateStore
{
    private readonly Lock gate = new();
    private Dictionary<string, StoredItem> items = new(StringComparer.Ordinal);
    private long revision;

    public Task<StoreSnapshot> ReadAsync(IReadOnlyList<string> prefixes, CancellationToken cancellationToken = default)
    {
        lock (gate)
        {
            var found = items.Values
                .Where(item => prefixes.Any(prefix => item.Key.StartsWith(prefix, StringComparison.Ordinal)))
                .OrderBy(item => item.Key, StringComparer.Ordinal)
                .ToList();
            return Task.FromResult(new StoreSnapshot(revision, found));
        }
    }

    public Task<CommitResult> CommitAsync(StoreTransaction transaction, CancellationToken cancellationToken = default)
    {
        lock (gate)
        {
            foreach (var condition in transaction.Conditions)
            {
                var equals = (TxnCondition.RevisionEquals)condition;
                var actual = items.TryGetValue(equals.Key, out var item) ? item.Revision : 0;
                if (actual != equals.Revision)
                {
                    return Task.FromResult(new CommitResult(false, revision, condition.Key));
                }
            }

            var next = revision + 1;
            var changed = false;
            var working = new Dictionary<string, StoredItem>(items, StringComparer.Ordinal);
            foreach (var operation in transaction.Operations)
            {
                switch (operation)
                {
                    case TxnOperation.Create create when working.ContainsKey(create.Key):
                        return Task.FromResult(new CommitResult(false, revision, create.Key));
                    case TxnOperation.Create create:
                        working[create.Key] = new StoredItem(create.Key, [.. create.Value], next);
                        changed = true;
                        break;
                    case TxnOperation.Put put:
                        working[put.Key] = new StoredItem(put.Key, [.. put.Value], next);
                        changed = true;
                        break;
                    case TxnOperation.Delete delete:
                        changed |= working.Remove(delete.Key);
                        break;
                }
            }

            if (changed)
            {
                items = working;
                revision = next;
            }

            return Task.FromResult(new CommitResult(true, revision, null));
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
