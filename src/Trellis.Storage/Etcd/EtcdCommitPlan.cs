namespace Trellis.Storage.Etcd;

/// <summary>
/// What a transaction needs of etcd and does to it: the keys whose state decides it (its conditions', its creates' and its
/// deletes'), and its net effect, one write per key (etcd refuses a transaction that names a key twice). The operations apply
/// in order, as on SQLite: a create after a delete of the same key succeeds, a create after a put or create of it conflicts.
/// </summary>
internal sealed class EtcdCommitPlan
{
    private EtcdCommitPlan(StoreTransaction transaction)
    {
        Transaction = transaction;
        var writes = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
        var decided = new HashSet<string>(StringComparer.Ordinal);
        var creates = new List<string>();
        var deletes = new List<string>();
        foreach (var operation in transaction.Operations)
        {
            switch (operation)
            {
                case TxnOperation.Create create:
                    AlwaysConflicts |= writes.TryGetValue(create.Key, out var before) && before is not null;
                    if (decided.Add(create.Key))
                    {
                        creates.Add(create.Key);
                    }

                    writes[create.Key] = create.Value;
                    Writes = true;
                    break;
                case TxnOperation.Put put:
                    decided.Add(put.Key);
                    writes[put.Key] = put.Value;
                    Writes = true;
                    break;
                case TxnOperation.Delete delete:
                    if (decided.Add(delete.Key))
                    {
                        deletes.Add(delete.Key);
                    }

                    writes[delete.Key] = null;
                    break;
                default:
                    throw new ArgumentException($"Unknown operation {operation.GetType().Name}.", nameof(transaction));
            }
        }

        var conditioned = transaction.Conditions.Cast<TxnCondition.RevisionEquals>().Where(c => c.Revision != 0).Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
        DeletesAnExistingKey = deletes.Any(conditioned.Contains);
        Creates = creates;
        Deletes = deletes;
        NetWrites = [.. writes];
        StateKeys = [.. transaction.Conditions.Select(c => c.Key).Concat(creates).Concat(deletes).Distinct(StringComparer.Ordinal)];
    }

    public StoreTransaction Transaction { get; }

    /// <summary>Keys whose first operation is a create: they must be absent before the commit.</summary>
    public IReadOnlyList<string> Creates { get; }

    /// <summary>Keys whose first operation is a delete: whether they exist decides whether a commit of deletes only changes anything.</summary>
    public IReadOnlyList<string> Deletes { get; }

    /// <summary>The final value of every key written (null: deleted), in the order of first mention.</summary>
    public IReadOnlyList<KeyValuePair<string, byte[]?>> NetWrites { get; }

    /// <summary>Every key whose state the outcome depends on, once.</summary>
    public IReadOnlyList<string> StateKeys { get; }

    /// <summary>Whether a create follows a put or create of its key: the transaction conflicts whatever the state.</summary>
    public bool AlwaysConflicts { get; }

    /// <summary>Whether a key the transaction deletes first has a condition that it exists (a revision not 0): then, unless it conflicts, it changes the store.</summary>
    public bool DeletesAnExistingKey { get; }

    /// <summary>Whether the transaction puts or creates anything: then, unless it conflicts, it changes the store.</summary>
    public bool Writes { get; }

    /// <exception cref="ArgumentException">A key is empty or not well-formed UTF-16, or a condition or operation is of an unknown kind.</exception>
    public static EtcdCommitPlan Of(StoreTransaction transaction)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        foreach (var key in transaction.Conditions.Select(c => c.Key).Concat(transaction.Operations.Select(o => o.Key)))
        {
            if (key is null || !StoreKeys.IsValid(key))
            {
                throw new ArgumentException($"A key must be non-empty, well-formed UTF-16; got '{key}'.", nameof(transaction));
            }
        }

        foreach (var condition in transaction.Conditions)
        {
            if (condition is not TxnCondition.RevisionEquals)
            {
                throw new ArgumentException($"Unknown condition {condition.GetType().Name}.", nameof(transaction));
            }
        }

        return new EtcdCommitPlan(transaction);
    }

    /// <summary>
    /// The first key whose condition or create fails against a state (each key's revision, 0 when absent), in SQLite's order:
    /// the conditions in order, then the operations in order; null when the transaction holds.
    /// </summary>
    public string? FirstFailure(Func<string, long> revisionOf)
    {
        foreach (var condition in Transaction.Conditions.Cast<TxnCondition.RevisionEquals>())
        {
            if (revisionOf(condition.Key) != condition.Revision)
            {
                return condition.Key;
            }
        }

        var present = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var operation in Transaction.Operations)
        {
            if (operation is TxnOperation.Create && (present.TryGetValue(operation.Key, out var known) ? known : revisionOf(operation.Key) != 0))
            {
                return operation.Key;
            }

            present[operation.Key] = operation is not TxnOperation.Delete;
        }

        return null;
    }

    /// <summary>Whether the transaction, holding, changes the state: it writes, or it deletes a key that exists.</summary>
    public bool Changes(Func<string, long> revisionOf) => Writes || Deletes.Any(key => revisionOf(key) != 0);
}
