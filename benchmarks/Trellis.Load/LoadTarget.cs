namespace Trellis.Load;

/// <summary>One change a client makes: a new LoadBalancer service (a VIP, a ClusterIP, a NodePort), or a node pool's count.</summary>
public abstract record LoadWrite(string Cluster);

public sealed record AddServiceWrite(string Cluster, string Namespace, string Name) : LoadWrite(Cluster);

public sealed record ScaleWrite(string Cluster, string NodePool, int Count) : LoadWrite(Cluster);

public enum WriteStatus
{
    Committed,

    /// <summary>The site was no longer at the revision the client decided on (412, StateChanged): read again and retry.</summary>
    Stale,

    /// <summary>Refused for its content (422): a full pool, say.</summary>
    Refused,

    /// <summary>Anything else: a 5xx, an unexpected status. Never expected.</summary>
    Failed,
}

/// <param name="Revision">Committed: the revision written; Stale: the site's revision now, when the answer said (else null).</param>
public sealed record WriteOutcome(WriteStatus Status, long? Revision, string Detail = "");

public enum ReadKind
{
    Allocations,
    Pools,
    Revision,
}

/// <summary>Where the load goes: the server over HTTP, or the Engine in-process doing what the server does for each request.</summary>
public interface ILoadTarget : IAsyncDisposable
{
    /// <summary>A read; false when it failed (the detail says how).</summary>
    Task<(bool Ok, string Detail)> ReadAsync(ReadKind kind, string cluster, CancellationToken ct);

    Task<long> RevisionAsync(CancellationToken ct);

    /// <summary>Writes only if the site is still at <paramref name="expectedRevision"/> (If-Match).</summary>
    Task<WriteOutcome> WriteAsync(LoadWrite write, long expectedRevision, CancellationToken ct);
}

/// <summary>
/// How a client's writes name the state they were decided on: <see cref="Latest"/> (If-Match: *, for changes that hold
/// whatever the revision: add this service, scale to 3), or <see cref="Decided"/> (If-Match: the revision the client last
/// saw, retried on 412).
/// </summary>
public enum WriteMode
{
    Latest,
    Decided,
}
