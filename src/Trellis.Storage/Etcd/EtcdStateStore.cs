using System.Text;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Mvccpb;

namespace Trellis.Storage.Etcd;

/// <summary>
/// The state store on etcd: one keyspace under <see cref="EtcdStoreOptions.KeyPrefix"/>, shared by any number of processes.
/// Every commit writes the <c>head</c> key; a read takes the items as of one etcd revision at which head is current, so a
/// commit too large for one etcd transaction (written in chunks under a lock) becomes visible all at once, when its last
/// transaction moves head. docs/etcd.md describes the key layout, the commit protocol and the recovery of a crashed writer.
/// </summary>
public sealed partial class EtcdStateStore : IStateStore
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly EtcdClient client;
    private readonly bool ownsClient;
    private readonly EtcdStoreOptions options;
    private readonly ByteString headKey;
    private readonly ByteString pendingKey;
    private readonly ByteString lockKey;
    private readonly ByteString dataPrefix;
    private long observedRevision;
    private int disposed;

    private EtcdStateStore(EtcdClient client, EtcdStoreOptions options, bool ownsClient = true)
    {
        this.client = client;
        this.ownsClient = ownsClient;
        this.options = options;
        headKey = ByteString.CopyFromUtf8(options.KeyPrefix + "head");
        pendingKey = ByteString.CopyFromUtf8(options.KeyPrefix + "pending");
        lockKey = ByteString.CopyFromUtf8(options.KeyPrefix + "lock");
        dataPrefix = ByteString.CopyFromUtf8(options.KeyPrefix + "kv/");
    }

    /// <summary>The prefix of every key of this store.</summary>
    public string KeyPrefix => options.KeyPrefix;

    /// <summary>For tests: after how many chunks of a large commit the writer stops as if its process had died (null: never).</summary>
    internal int? StopAfterChunks { get; set; }

    /// <summary>Connects to the cluster (no request is sent until the first read or commit).</summary>
    /// <exception cref="ArgumentException">The endpoints are missing, the prefix does not end in '/', a limit is not positive, or the security options are incomplete.</exception>
    /// <exception cref="StoreException">A certificate or key file cannot be read.</exception>
    public static EtcdStateStore Open(EtcdStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Endpoints);
        if (string.IsNullOrEmpty(options.KeyPrefix) || !options.KeyPrefix.EndsWith('/') || !StoreKeys.IsValid(options.KeyPrefix))
        {
            throw new ArgumentException($"The etcd key prefix must be well-formed and end in '/'; got '{options.KeyPrefix}'.", nameof(options));
        }

        options.Validate();
        return new EtcdStateStore(EtcdClients.Create(options), options);
    }

    /// <summary>
    /// A store on a connection the caller keeps open for many stores (a server's, whose every request opens a site): no
    /// channel, TLS handshake or sign-in per store. The client must have been made by <see cref="EtcdClients.Create"/> with
    /// the same endpoints and security as <paramref name="options"/>; disposing the store leaves it open.
    /// </summary>
    /// <exception cref="ArgumentException">As <see cref="Open(EtcdStoreOptions)"/>.</exception>
    public static EtcdStateStore OpenShared(EtcdStoreOptions options, EtcdClient client)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Endpoints);
        if (string.IsNullOrEmpty(options.KeyPrefix) || !options.KeyPrefix.EndsWith('/') || !StoreKeys.IsValid(options.KeyPrefix))
        {
            throw new ArgumentException($"The etcd key prefix must be well-formed and end in '/'; got '{options.KeyPrefix}'.", nameof(options));
        }

        options.Validate();
        return new EtcdStateStore(client, options, ownsClient: false);
    }

    /// <inheritdoc />
    public async Task<StoreSnapshot> ReadAsync(IReadOnlyList<string> prefixes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefixes);
        var ranges = prefixes.Select(p => PrefixRange(p ?? throw new ArgumentNullException(nameof(prefixes), "A prefix is null."))).ToList();
        var items = new List<StoredItem>();
        var seen = StoreKeys.Overlap(prefixes) ? new HashSet<string>(StringComparer.Ordinal) : null;
        var revision = await ReadItemsAsync(ranges, kv =>
        {
            var key = DataKey(kv.Key.Span);
            if (seen?.Add(key) ?? true)
            {
                items.Add(new StoredItem(key, kv.Value.ToByteArray(), kv.ModRevision));
            }
        }, cancellationToken).ConfigureAwait(false);

        // etcd orders by bytes (code points); the contract promises UTF-16 ordinal, which differs beyond U+FFFF.
        items.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return new StoreSnapshot(revision, items);
    }

    /// <inheritdoc />
    public async Task<long> ReadEachAsync(IReadOnlyList<string> prefixes, StoredItemVisitor visit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(visit);
        StoreKeys.ThrowIfOverlapping(prefixes);
        var skip = dataPrefix.Length;
        return await ReadItemsAsync([.. prefixes.Select(PrefixRange)], kv => visit(kv.Key.Span[skip..], kv.Value.Span, kv.ModRevision), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<long> ReadRevisionAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        return (await ReadHeadRevisionAsync(cancellationToken).ConfigureAwait(false)).Head;
    }

    /// <summary>Closes the connection to the cluster (unless it is shared: <see cref="OpenShared"/>); a change feed still running ends with an <see cref="ObjectDisposedException"/>.</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            closing.Cancel();
            if (ownsClient)
            {
                client.Dispose();
            }

            closing.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Where the state stands: head's revision (the snapshot's), and the etcd revision to read the items at. That is the
    /// current one, unless a large commit is being written (or its writer died): then the revision at which it began, before
    /// its first chunk, which holds the same items as head's.
    /// </summary>
    private async Task<(long Revision, long ReadAt)> ReadHeadAsync(CancellationToken cancellationToken)
    {
        var request = new TxnRequest();
        request.Success.Add(Range(headKey));
        request.Success.Add(Range(pendingKey));
        var response = await CallAsync(t => client.TransactionAsync(request, cancellationToken: t), Step.Read, cancellationToken).ConfigureAwait(false);
        var head = response.Responses[0].ResponseRange.Kvs.FirstOrDefault();
        var pending = response.Responses[1].ResponseRange.Kvs.FirstOrDefault();
        return (head?.ModRevision ?? 0, pending?.ModRevision ?? response.Header.Revision);
    }

    /// <summary>
    /// The items of <paramref name="ranges"/>, range by range, all as of the revision at which head is current (see
    /// <see cref="ReadHeadAsync"/>); returns head's revision. Usually one request: head, the mark and the first page of every
    /// range (a share of <see cref="EtcdStoreOptions.ReadPageSize"/>) in one transaction, which etcd answers at one revision. When no large commit is under way that answer is the
    /// snapshot, and only ranges longer than a page are read on, at its revision; when one is, the ranges are read again as of
    /// its mark.
    /// </summary>
    private async Task<long> ReadItemsAsync(List<(ByteString Start, ByteString End)> ranges, Action<KeyValue> visit, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (ranges.Count + 2 > options.MaxTxnOperations)
        {
            var head = await ReadHeadAsync(cancellationToken).ConfigureAwait(false);
            if (head.Revision != 0)
            {
                foreach (var (start, end) in ranges)
                {
                    await ScanAsync(start, end, head.ReadAt, keysOnly: false, visit, cancellationToken).ConfigureAwait(false);
                }
            }

            return head.Revision;
        }

        // The first pages together hold no more than one page of a scan: a response no larger than a read's has always been.
        var firstPage = Math.Max(1, options.ReadPageSize / Math.Max(1, ranges.Count));
        var request = new TxnRequest();
        request.Success.Add(Range(headKey));
        request.Success.Add(Range(pendingKey));
        foreach (var (start, end) in ranges)
        {
            request.Success.Add(new RequestOp { RequestRange = new RangeRequest { Key = start, RangeEnd = end, Limit = firstPage } });
        }

        var response = await CallAsync(t => client.TransactionAsync(request, cancellationToken: t), Step.Read, cancellationToken).ConfigureAwait(false);
        var revision = ModRevisionOf(response.Responses[0]);
        var pending = ModRevisionOf(response.Responses[1]);
        if (revision == 0)
        {
            return 0;
        }

        var readAt = pending != 0 ? pending : response.Header.Revision;
        for (var i = 0; i < ranges.Count; i++)
        {
            var (start, end) = ranges[i];
            if (pending != 0)
            {
                // A large commit's chunks (or a dead writer's) may be in the page: read the range as of the mark instead.
                await ScanAsync(start, end, readAt, keysOnly: false, visit, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var page = response.Responses[i + 2].ResponseRange;
            foreach (var kv in page.Kvs)
            {
                cancellationToken.ThrowIfCancellationRequested();
                visit(kv);
            }

            if (page.More && page.Kvs.Count > 0)
            {
                await ScanAsync(After(page.Kvs[^1].Key), end, readAt, keysOnly: false, visit, cancellationToken).ConfigureAwait(false);
            }
        }

        return revision;
    }

    /// <summary>Every key in [start, end) as of <paramref name="revision"/> (0: now, all pages at the first page's revision), page by page in key order.</summary>
    private async Task ScanAsync(ByteString start, ByteString end, long revision, bool keysOnly, Action<KeyValue> visit, CancellationToken cancellationToken, Step step = Step.Read)
    {
        var from = start;
        while (true)
        {
            var request = new RangeRequest { Key = from, RangeEnd = end, Revision = revision, Limit = options.ReadPageSize, KeysOnly = keysOnly };
            var response = await CallAsync(t => client.GetAsync(request, cancellationToken: t), step, cancellationToken).ConfigureAwait(false);
            revision = revision == 0 ? response.Header.Revision : revision;
            foreach (var kv in response.Kvs)
            {
                cancellationToken.ThrowIfCancellationRequested();
                visit(kv);
            }

            if (!response.More || response.Kvs.Count == 0)
            {
                return;
            }

            from = After(response.Kvs[^1].Key);
        }
    }

    /// <summary>The least key above <paramref name="key"/>.</summary>
    private static ByteString After(ByteString key) => ByteString.CopyFrom([.. key.Span, 0]);

    /// <summary>The etcd key range of the items whose keys start with <paramref name="prefix"/>.</summary>
    /// <exception cref="ArgumentException">The prefix is not well-formed UTF-16.</exception>
    private (ByteString Start, ByteString End) PrefixRange(string prefix)
    {
        var start = Concat(dataPrefix, Encode(prefix, nameof(prefix)));
        return (start, RangeEnd(start));
    }

    private ByteString DataKeyBytes(string key) => Concat(dataPrefix, Encode(key, nameof(key)));

    private string DataKey(ReadOnlySpan<byte> etcdKey) => Encoding.UTF8.GetString(etcdKey[dataPrefix.Length..]);

    private static byte[] Encode(string text, string name)
    {
        try
        {
            return Strict.GetBytes(text);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException($"'{text}' is not well-formed UTF-16.", name, e);
        }
    }

    private static ByteString Concat(ByteString prefix, byte[] rest) => ByteString.CopyFrom([.. prefix.Span, .. rest]);

    /// <summary>The least key above every key that starts with <paramref name="prefix"/> (etcd's prefix range end).</summary>
    private static ByteString RangeEnd(ByteString prefix)
    {
        var bytes = prefix.ToByteArray();
        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            if (bytes[i] < 0xFF)
            {
                bytes[i]++;
                return ByteString.CopyFrom(bytes, 0, i + 1);
            }
        }

        return ByteString.CopyFrom(0);
    }

    private static RequestOp Range(ByteString key, long revision = 0, bool keysOnly = false) =>
        new() { RequestRange = new RangeRequest { Key = key, Revision = revision, KeysOnly = keysOnly } };

    private static RequestOp PutOp(ByteString key, ByteString value, long lease = 0) =>
        new() { RequestPut = new PutRequest { Key = key, Value = value, Lease = lease } };

    private static RequestOp DeleteOp(ByteString key) => new() { RequestDeleteRange = new DeleteRangeRequest { Key = key } };

    private static Compare ModRevisionIs(ByteString key, long revision) =>
        new() { Key = key, Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = revision };

    private static Compare CreateRevisionIs(ByteString key, long revision) =>
        new() { Key = key, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = revision };

    /// <summary>
    /// Calls etcd, trying again (with backoff) when it is unavailable, has no leader, or does not answer in time; a call that
    /// does not succeed within <see cref="EtcdStoreOptions.Attempts"/> ends in a <see cref="StoreException"/>. Only for calls
    /// that may be repeated: reads, and writes whose repetition is harmless.
    /// </summary>
    private async Task<T> CallAsync<T>(Func<CancellationToken, Task<T>> call, Step step, CancellationToken cancellationToken)
        where T : class
    {
        for (var attempt = 1; ; attempt++)
        {
            var (response, failure) = await CallOnceAsync(call, step, cancellationToken).ConfigureAwait(false);
            if (response is not null)
            {
                return response;
            }

            if (attempt >= options.Attempts)
            {
                throw Unavailable(step, failure);
            }

            await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Calls etcd once: the response, or null with the failure when the call failed in a way that may have passed (etcd
    /// unavailable, no leader, no answer in time): for a write, its outcome is then unknown. Other errors are a
    /// <see cref="StoreException"/>; the caller's cancellation is an <see cref="OperationCanceledException"/>.
    /// </summary>
    private async Task<(T? Response, Exception? Failure)> CallOnceAsync<T>(Func<CancellationToken, Task<T>> call, Step step, CancellationToken cancellationToken)
        where T : class
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.RequestTimeout);
        try
        {
            var response = await call(timeout.Token).ConfigureAwait(false);
            Observe(response);
            return (response, null);
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested && e is RpcException or OperationCanceledException)
        {
            throw new OperationCanceledException("The etcd request was cancelled.", e, cancellationToken);
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled or StatusCode.Internal or StatusCode.Unknown
                                      && !e.Status.Detail.Contains("compacted", StringComparison.Ordinal))
        {
            return (null, e);
        }
        catch (Exception e) when (e is OperationCanceledException or HttpRequestException)
        {
            return (null, e);
        }
        catch (RpcException e)
        {
            throw e.Status.Detail.Contains("compacted", StringComparison.Ordinal)
                ? new StoreException($"etcd ({options.Endpoints}) has compacted the history that {Describe(step)} '{options.KeyPrefix}' needs ({e.Status.Detail}). "
                    + "A large commit that did not finish needs the revision it began at; see docs/etcd.md on compaction.", e)
                : new StoreException($"etcd ({options.Endpoints}) refused {Describe(step)} '{options.KeyPrefix}': {e.Status.Detail} ({e.StatusCode}).", e);
        }
    }

    /// <summary>No member answered, <see cref="EtcdStoreOptions.Attempts"/> times: says so, with the endpoints and the time each attempt had, and what that leaves behind.</summary>
    private StoreException Unavailable(Step step, Exception? failure, int? attempts = null)
    {
        var seconds = $"{options.RequestTimeout.TotalSeconds:0.###} s";
        var cause = failure switch
        {
            RpcException { StatusCode: StatusCode.DeadlineExceeded } or OperationCanceledException =>
                $"no member answered within {seconds} (a member cut off from the majority of its cluster does not answer)",
            RpcException { StatusCode: StatusCode.Unavailable } e => $"no member could be reached ({e.Status.Detail})",
            RpcException e => $"{e.Status.Detail} ({e.StatusCode})",
            HttpRequestException e => $"no member could be reached ({e.Message})",
            _ => failure?.Message ?? "no answer",
        };
        return new($"etcd did not answer at {options.Endpoints}: {cause}; {attempts ?? options.Attempts} attempt(s) at {Describe(step)} '{options.KeyPrefix}', each given {seconds}. "
            + $"{Consequence(step)} Check that a majority of the members runs and that this machine reaches their client ports.", failure);
    }

    private static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(Math.Min(2000, 50 * (1 << Math.Min(attempt, 6))) + Random.Shared.Next(50));

    /// <summary>Keeps the highest revision etcd answered with: a revision every later commit is above.</summary>
    private void Observe<T>(T response)
    {
        var header = response switch
        {
            RangeResponse r => r.Header,
            TxnResponse t => t.Header,
            _ => null,
        };
        var revision = header?.Revision ?? 0;
        var seen = Interlocked.Read(ref observedRevision);
        while (revision > seen)
        {
            var was = Interlocked.CompareExchange(ref observedRevision, revision, seen);
            if (was == seen)
            {
                return;
            }

            seen = was;
        }
    }

    /// <summary>What a request to etcd is for: it names the request in messages and decides what a failure to get an answer leaves behind.</summary>
    private enum Step
    {
        /// <summary>A read (or a transaction that writes nothing).</summary>
        Read,

        /// <summary>The write lock taken (or checked) before anything of a large commit is written.</summary>
        Lock,

        /// <summary>A large commit's mark, its checks and its chunks: written under the lock, seen by no reader.</summary>
        Write,

        /// <summary>The undoing of a writer that died mid-commit.</summary>
        Recover,

        /// <summary>A commit's last transaction (the one that moves head), and the reads that decide whether it was applied.</summary>
        Publish,
    }

    private static string Describe(Step step) => step switch
    {
        Step.Read => "a read of",
        Step.Lock => "the write lock of",
        Step.Write => "a large commit to",
        Step.Recover => "the undoing of an unfinished commit in",
        _ => "a commit to",
    };

    /// <summary>What is true of the store after a request of <paramref name="step"/> that got no answer.</summary>
    private string Consequence(Step step) => step switch
    {
        Step.Read => "Nothing was changed.",
        Step.Lock => $"Nothing was written (a lock it may have taken expires within {options.LockTtl.TotalSeconds:0.###} s).",
        Step.Write => "Nothing of the commit is visible: readers see the state before it, and the next commit undoes what was written.",
        Step.Recover => "The unfinished commit is still not visible; the next commit undoes it.",
        _ => "The commit may or may not have been written: read the state again (its keys, or the store's revision) before retrying.",
    };

    /// <summary>For tests: a store on a client made by the test (one that injects failures), with the options checked as <see cref="Open"/> does.</summary>
    internal static EtcdStateStore Open(EtcdStoreOptions options, EtcdClient client)
    {
        options.Validate();
        return new EtcdStateStore(client, options);
    }
}
