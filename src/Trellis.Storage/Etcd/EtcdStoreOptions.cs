namespace Trellis.Storage.Etcd;

/// <summary>Where an <see cref="EtcdStateStore"/> keeps its state and how it talks to etcd. docs/etcd.md explains each choice.</summary>
public sealed record EtcdStoreOptions
{
    /// <summary>The members' client URLs, comma-separated (<c>http://10.0.0.1:2379,http://10.0.0.2:2379</c>).</summary>
    public required string Endpoints { get; init; }

    /// <summary>TLS and authentication; none by default.</summary>
    public EtcdSecurity Security { get; init; } = new();

    /// <summary>The prefix of every key of this store: one store is one keyspace (<c>/trellis/sites/&lt;name&gt;/</c>). It ends in '/'.</summary>
    public string KeyPrefix { get; init; } = "/trellis/";

    /// <summary>etcd's <c>--max-txn-ops</c> (128 by default): no transaction sent has more compares, or more operations in a branch.</summary>
    public int MaxTxnOperations { get; init; } = 128;

    /// <summary>The most bytes of keys and values one transaction carries: well under etcd's <c>--max-request-bytes</c> (1.5 MiB by default).</summary>
    public int MaxTxnBytes { get; init; } = 1024 * 1024;

    /// <summary>How long one request to etcd may take before it counts as failed (and a read is tried again).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a failed read, or a write whose failure leaves nothing written, is tried in all.</summary>
    public int Attempts { get; init; } = 6;

    /// <summary>The time to live of the write lock's lease: how long a crashed writer of a large commit holds up the others.</summary>
    public TimeSpan LockTtl { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a commit waits for another writer's lock before it gives up with a <see cref="StoreException"/>.</summary>
    public TimeSpan LockWait { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How many keys one read request returns at most (a read of more pages through them at one revision).</summary>
    public int ReadPageSize { get; init; } = 1000;
}
