namespace Trellis.Storage;

/// <summary>One stored value. <see cref="Revision"/> is the store revision of its last change (etcd's mod revision).</summary>
public sealed record StoredItem(string Key, byte[] Value, long Revision);

/// <summary>Items under a prefix, all as of store revision <see cref="Revision"/>, ordered by key (ordinal).</summary>
public sealed record StoreSnapshot(long Revision, IReadOnlyList<StoredItem> Items);

/// <summary>A condition of a transaction.</summary>
public abstract record TxnCondition(string Key)
{
    /// <summary>Holds when the key's revision equals <paramref name="Revision"/>; revision 0 means "the key is absent".</summary>
    public sealed record RevisionEquals(string Key, long Revision) : TxnCondition(Key);
}

/// <summary>An operation of a transaction.</summary>
public abstract record TxnOperation(string Key)
{
    /// <summary>Writes the value, creating the key or replacing it.</summary>
    public sealed record Put(string Key, byte[] Value) : TxnOperation(Key);

    /// <summary>Creates the key; the transaction fails as a conflict when it already exists.</summary>
    public sealed record Create(string Key, byte[] Value) : TxnOperation(Key);

    /// <summary>Removes the key if present.</summary>
    public sealed record Delete(string Key) : TxnOperation(Key);
}

public sealed record StoreTransaction(IReadOnlyList<TxnCondition> Conditions, IReadOnlyList<TxnOperation> Operations);

/// <summary>
/// The outcome of a commit. When <see cref="Succeeded"/> is false nothing was written and
/// <see cref="ConflictKey"/> names the first key whose condition or create failed.
/// </summary>
public sealed record CommitResult(bool Succeeded, long Revision, string? ConflictKey);

/// <summary>The store itself failed (I/O, corruption, unreachable): not a conflict, nothing was written.</summary>
public sealed class StoreException(string message, Exception? inner = null) : Exception(message, inner);
