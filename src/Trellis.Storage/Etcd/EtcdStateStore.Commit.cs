using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Mvccpb;

namespace Trellis.Storage.Etcd;

/// <summary>Commits: one etcd transaction when the change fits in one, else chunks under the write lock (docs/etcd.md).</summary>
public sealed partial class EtcdStateStore
{
    /// <summary>A margin for the bytes of a transaction besides its keys and values (protobuf framing, compares, the head key).</summary>
    private const int Overhead = 64;

    /// <inheritdoc />
    public async Task<CommitResult> CommitAsync(StoreTransaction transaction, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        var plan = EtcdCommitPlan.Of(transaction);
        var keys = plan.StateKeys.Concat(plan.NetWrites.Select(w => w.Key)).Distinct(StringComparer.Ordinal).ToDictionary(k => k, DataKeyBytes, StringComparer.Ordinal);
        cancellationToken.ThrowIfCancellationRequested();
        if (!FitsOneTransaction(plan, keys))
        {
            return await CommitLargeAsync(plan, keys, cancellationToken).ConfigureAwait(false);
        }

        // One id and one floor for every attempt: an attempt the client library sent again and etcd applied is found by its id
        // when a later attempt meets the commit's own writes.
        var commitId = ByteString.CopyFrom(Guid.NewGuid().ToByteArray());
        var floor = Interlocked.Read(ref observedRevision);
        for (var attempt = 1; ; attempt++)
        {
            var outcome = await TryCommitOnceAsync(plan, keys, commitId, floor, cancellationToken).ConfigureAwait(false);
            if (outcome is { } result)
            {
                return result;
            }

            if (attempt >= options.Attempts * 4)
            {
                throw new StoreException($"A commit to etcd ({options.Endpoints}) under '{options.KeyPrefix}' kept meeting concurrent changes (of the keys it deletes, or large commits under way); nothing was written. Try again.");
            }

            await Task.Delay(Backoff(Math.Min(attempt, 3)), cancellationToken).ConfigureAwait(false);
        }
    }

    private bool FitsOneTransaction(EtcdCommitPlan plan, Dictionary<string, ByteString> keys)
    {
        var compares = plan.Transaction.Conditions.Count + plan.Creates.Count + plan.Deletes.Count + 1;
        var bytes = Overhead + headKey.Length + pendingKey.Length
            + plan.NetWrites.Sum(w => keys[w.Key].Length + (w.Value?.Length ?? 0) + 8)
            + plan.Transaction.Conditions.Sum(c => keys[c.Key].Length + 16)
            + (2 * plan.StateKeys.Sum(k => keys[k].Length + 16));
        return compares <= options.MaxTxnOperations
            && plan.NetWrites.Count + 1 <= options.MaxTxnOperations
            && plan.StateKeys.Count + 2 <= options.MaxTxnOperations
            && bytes <= options.MaxTxnBytes;
    }

    /// <summary>
    /// One etcd transaction comparing the conditions, that every created key is absent and that no large commit is under way;
    /// its failure branch reads the keys that decide, so a conflict names its key without another request. Null: try again
    /// (a key to delete changed between looking and committing, or a large commit finished or was recovered meanwhile).
    /// </summary>
    private async Task<CommitResult?> TryCommitOnceAsync(EtcdCommitPlan plan, Dictionary<string, ByteString> keys, ByteString commitId, long floor, CancellationToken cancellationToken)
    {
        var request = new TxnRequest();
        foreach (var condition in plan.Transaction.Conditions.Cast<TxnCondition.RevisionEquals>())
        {
            request.Compare.Add(ModRevisionIs(keys[condition.Key], condition.Revision));
        }

        foreach (var create in plan.Creates)
        {
            request.Compare.Add(ModRevisionIs(keys[create], 0));
        }

        request.Compare.Add(ModRevisionIs(pendingKey, 0));
        if (plan.AlwaysConflicts)
        {
            // Nothing to write: a compare that never holds runs the failure branch, whose reads tell which key fails first.
            request.Compare.Clear();
            request.Compare.Add(ModRevisionIs(pendingKey, -1));
        }

        // A commit that only deletes changes the store (and moves head) only if a key it deletes exists: look, and compare on what was seen.
        // A delete conditioned on its key's revision (not 0) changes the store whenever the compares hold: no look needed.
        var changes = plan.Writes || plan.DeletesAnExistingKey;
        if (!changes && plan.Deletes.Count > 0)
        {
            var seen = await ReadRevisionsAsync(plan.Deletes, keys, 0, Step.Read, cancellationToken).ConfigureAwait(false);
            changes = plan.Changes(k => seen[k]);
            foreach (var key in plan.Deletes)
            {
                request.Compare.Add(ModRevisionIs(keys[key], seen[key]));
            }
        }

        if (changes)
        {
            foreach (var (key, value) in plan.NetWrites)
            {
                request.Success.Add(value is null ? DeleteOp(keys[key]) : PutOp(keys[key], ByteString.CopyFrom(value)));
            }

            request.Success.Add(PutOp(headKey, commitId));
        }
        else
        {
            request.Success.Add(Range(headKey, keysOnly: true));
        }

        foreach (var key in plan.StateKeys)
        {
            request.Failure.Add(Range(keys[key], keysOnly: true));
        }

        request.Failure.Add(Range(pendingKey, keysOnly: true));
        request.Failure.Add(Range(headKey));

        TxnResponse response;
        if (!changes)
        {
            // It writes nothing: a read in effect, tried again while etcd does not answer.
            response = await CallAsync(t => client.TransactionAsync(request, cancellationToken: t), Step.Read, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var (answer, applied) = await PublishAsync(request, commitId, floor, cancellationToken).ConfigureAwait(false);
            if (answer is null)
            {
                return new CommitResult(true, applied, null);
            }

            response = answer;
        }

        if (response.Succeeded)
        {
            return new CommitResult(true, changes ? response.Header.Revision : ModRevisionOf(response.Responses[0]), null);
        }

        var state = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < plan.StateKeys.Count; i++)
        {
            state[plan.StateKeys[i]] = ModRevisionOf(response.Responses[i]);
        }

        var head = ModRevisionOf(response.Responses[^1]);
        if (ModRevisionOf(response.Responses[^2]) != 0)
        {
            // A large commit's mark: the keys read now may hold its chunks (or a dead writer's), so they decide nothing. Wait
            // for it, or undo it, and try again on the state as it then is.
            await AwaitOrRecoverLargeCommitAsync(cancellationToken).ConfigureAwait(false);
            return null;
        }

        if (plan.FirstFailure(k => state[k]) is { } conflict)
        {
            // The client library may send a request again after a failure without an answer; if the first was applied, the
            // second meets the commit's own writes. Head above the floor may hold this commit's id: then it succeeded.
            return changes && head > floor && await DecideAsync(commitId, floor, cancellationToken).ConfigureAwait(false) is long applied
                ? new CommitResult(true, applied, null)
                : new CommitResult(false, head, conflict);
        }

        return null;
    }

    private static long ModRevisionOf(ResponseOp op) => op.ResponseRange.Kvs.FirstOrDefault()?.ModRevision ?? 0;

    /// <summary>The revision of each of <paramref name="names"/> as of <paramref name="revision"/> (0: now), read in transactions of etcd's size.</summary>
    /// <remarks>
    /// More keys than one transaction reads are looked up by whichever takes fewer requests: transactions of single-key
    /// reads, or a keys-only scan of the range from the least of them to the greatest (its size counted first). A large
    /// commit onto an empty or small keyspace decides all of its creates in two requests instead of one per 128 keys.
    /// </remarks>
    private async Task<Dictionary<string, long>> ReadRevisionsAsync(IReadOnlyList<string> names, Dictionary<string, ByteString> keys, long revision, Step step, CancellationToken cancellationToken)
    {
        if (names.Count > options.MaxTxnOperations && await ScanRevisionsAsync(names, keys, revision, step, cancellationToken).ConfigureAwait(false) is { } scanned)
        {
            return scanned;
        }

        var found = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var batch in names.Chunk(options.MaxTxnOperations))
        {
            var request = new TxnRequest();
            foreach (var name in batch)
            {
                request.Success.Add(Range(keys[name], revision, keysOnly: true));
            }

            var response = await CallAsync(t => client.TransactionAsync(request, cancellationToken: t), step, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < batch.Length; i++)
            {
                found[batch[i]] = ModRevisionOf(response.Responses[i]);
            }
        }

        return found;
    }

    /// <summary>
    /// The revision of each of <paramref name="names"/> as of <paramref name="revision"/> (0: now) from a keys-only scan of the
    /// range that holds them all, or null when counting its keys shows that the scan would take more requests than reading
    /// the keys in transactions of 128.
    /// </summary>
    private async Task<Dictionary<string, long>?> ScanRevisionsAsync(IReadOnlyList<string> names, Dictionary<string, ByteString> keys, long revision, Step step, CancellationToken cancellationToken)
    {
        var (least, greatest) = (keys[names[0]], keys[names[0]]);
        foreach (var name in names)
        {
            var key = keys[name];
            least = key.Span.SequenceCompareTo(least.Span) < 0 ? key : least;
            greatest = key.Span.SequenceCompareTo(greatest.Span) > 0 ? key : greatest;
        }

        var end = After(greatest);
        var counted = await CallAsync(t => client.GetAsync(new RangeRequest { Key = least, RangeEnd = end, Revision = revision, CountOnly = true }, cancellationToken: t), step, cancellationToken).ConfigureAwait(false);
        var pages = (counted.Count + options.ReadPageSize - 1) / options.ReadPageSize;
        var batches = (names.Count + options.MaxTxnOperations - 1) / options.MaxTxnOperations;
        if (pages >= batches)
        {
            return null;
        }

        var found = names.ToDictionary(n => n, _ => 0L, StringComparer.Ordinal);
        var wanted = names.ToDictionary(n => keys[n], n => n);
        if (counted.Count > 0)
        {
            // At the count's revision when reading "now": the scan's keys are then those counted.
            var at = revision == 0 ? counted.Header.Revision : revision;
            await ScanAsync(least, end, at, keysOnly: true, kv =>
            {
                if (wanted.TryGetValue(kv.Key, out var name))
                {
                    found[name] = kv.ModRevision;
                }
            }, cancellationToken, step).ConfigureAwait(false);
        }

        return found;
    }

    /// <summary>
    /// Sends a commit's last transaction, the one that moves head: its response, or, when none came (or the caller cancelled
    /// while it was in flight), the revision at which head shows the commit. Without an answer its outcome is open (etcd may
    /// have applied it). A transaction that excludes itself (<see cref="ExcludesItself"/>) is sent again, up to
    /// <see cref="EtcdStoreOptions.Attempts"/> times: if an earlier attempt was applied, the next fails its compares, and the
    /// caller finds the commit's id in head. Otherwise the outcome is decided by head (<see cref="DecideAsync"/>), and a commit
    /// head does not show is a <see cref="StoreException"/> saying it may or may not have been written: never reported as done,
    /// nor as cancelled.
    /// </summary>
    private async Task<(TxnResponse? Response, long Applied)> PublishAsync(TxnRequest request, ByteString commitId, long floor, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        bool? again = null;
        Exception? failure;
        for (var attempt = 1; ; attempt++)
        {
            TxnResponse? response;
            try
            {
                (response, failure) = await CallOnceAsync(t => client.TransactionAsync(request, cancellationToken: t), Step.Publish, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested)
            {
                (response, failure) = (null, e);
            }

            if (response is not null)
            {
                return (response, 0);
            }

            again ??= ExcludesItself(request);
            if (!again.Value || attempt >= options.Attempts || cancellationToken.IsCancellationRequested)
            {
                break;
            }

            try
            {
                await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
        }

        return await DecideAsync(commitId, floor, cancellationToken).ConfigureAwait(false) is long applied
            ? (null, applied)
            : throw Undecided(cancellationToken.IsCancellationRequested
                ? "was cancelled while its last transaction was in flight, and head does not show it"
                : $"got no answer to its last transaction ({Detail(failure)}), and head does not show it", failure);
    }

    /// <summary>
    /// Whether at most one of several sendings of <paramref name="request"/> can be applied: one of its compares is on a key it
    /// writes, so that once applied the compare no longer holds (a key compared absent that it puts, or a key compared at a
    /// revision that it puts or deletes).
    /// </summary>
    private static bool ExcludesItself(TxnRequest request)
    {
        var puts = request.Success.Where(op => op.RequestPut is not null).Select(op => op.RequestPut.Key).ToHashSet();
        var deletes = request.Success.Where(op => op.RequestDeleteRange is not null).Select(op => op.RequestDeleteRange.Key).ToHashSet();
        return request.Compare.Any(c => c.Target == Compare.Types.CompareTarget.Mod && c.Result == Compare.Types.CompareResult.Equal
            && (puts.Contains(c.Key) || (c.ModRevision != 0 && deletes.Contains(c.Key))));
    }

    /// <summary>
    /// Whether a commit whose last transaction may have been applied was: the revision at which head shows its id, or null.
    /// A caller's cancellation does not leave it open: the lookup then goes on, within one <see cref="EtcdStoreOptions.RequestTimeout"/>,
    /// and one that cannot finish is a <see cref="StoreException"/> saying the commit may or may not have been written.
    /// </summary>
    private async Task<long?> DecideAsync(ByteString commitId, long floor, CancellationToken cancellationToken)
    {
        if (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                return await FindCommitAsync(commitId, floor, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
        }

        using var deciding = new CancellationTokenSource(options.RequestTimeout);
        try
        {
            return await FindCommitAsync(commitId, floor, deciding.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (deciding.IsCancellationRequested)
        {
            throw Undecided($"was cancelled while its last transaction was in flight, and etcd did not tell within {options.RequestTimeout.TotalSeconds:0.###} s whether it was applied", e);
        }
    }

    /// <summary>
    /// Whether head held the commit's id at some revision above <paramref name="floor"/> (a revision etcd had answered with
    /// before the commit was sent): head's versions are walked back from the newest. Null: not applied (as far as etcd has
    /// applied anything; see docs/etcd.md).
    /// </summary>
    private async Task<long?> FindCommitAsync(ByteString commitId, long floor, CancellationToken cancellationToken)
    {
        var response = await CallAsync(t => client.GetAsync(new RangeRequest { Key = headKey }, cancellationToken: t), Step.Publish, cancellationToken).ConfigureAwait(false);
        for (var step = 0; step < 100_000; step++)
        {
            var head = response.Kvs.FirstOrDefault();
            if (head is null || head.ModRevision <= floor)
            {
                return null;
            }

            if (head.Value == commitId)
            {
                return head.ModRevision;
            }

            var before = head.ModRevision - 1;
            response = await CallAsync(t => client.GetAsync(new RangeRequest { Key = headKey, Revision = before }, cancellationToken: t), Step.Publish, cancellationToken).ConfigureAwait(false);
        }

        throw Undecided("was not answered, and head moved more than 100,000 times since", null);
    }

    private StoreException Undecided(string what, Exception? failure) =>
        new($"A commit under '{options.KeyPrefix}' on etcd ({options.Endpoints}) {what}: it is not reported as done, but etcd may still apply a request it had received. "
            + Consequence(Step.Publish), failure);

    private static string? Detail(Exception? failure) => (failure as Grpc.Core.RpcException)?.Status.Detail ?? failure?.Message;

    /// <summary>
    /// A commit too large for one etcd transaction: under the write lock, recover a crashed writer's chunks if any, mark the
    /// commit pending (which stops single-transaction commits and makes readers read as of that mark), check the conditions
    /// and creates, write the net changes in chunks that each compare the lock, and make them visible by one last transaction
    /// that moves head, clears the mark and releases the lock.
    /// </summary>
    private async Task<CommitResult> CommitLargeAsync(EtcdCommitPlan plan, Dictionary<string, ByteString> keys, CancellationToken cancellationToken)
    {
        await using var held = await AcquireLockAsync(cancellationToken).ConfigureAwait(false);
        if (held.PendingRevision != 0)
        {
            await RecoverAsync(held, cancellationToken).ConfigureAwait(false);
        }

        var mark = new TxnRequest();
        mark.Compare.Add(CreateRevisionIs(lockKey, held.LockRevision));
        mark.Compare.Add(ModRevisionIs(pendingKey, 0));
        mark.Success.Add(PutOp(pendingKey, held.Owner));
        mark.Success.Add(Range(headKey, keysOnly: true));
        var marked = await CallAsync(t => client.TransactionAsync(mark, cancellationToken: t), Step.Write, cancellationToken).ConfigureAwait(false);
        long pendingAt, head;
        if (marked.Succeeded)
        {
            (pendingAt, head) = (marked.Header.Revision, ModRevisionOf(marked.Responses[1]));
        }
        else
        {
            // Sent again after it was applied: the mark is this writer's.
            var check = new TxnRequest();
            check.Success.Add(Range(pendingKey));
            check.Success.Add(Range(headKey, keysOnly: true));
            var seen = await CallAsync(t => client.TransactionAsync(check, cancellationToken: t), Step.Write, cancellationToken).ConfigureAwait(false);
            var pending = seen.Responses[0].ResponseRange.Kvs.FirstOrDefault();
            if (pending is null || pending.Value != held.Owner)
            {
                throw LostLock();
            }

            (pendingAt, head) = (pending.ModRevision, ModRevisionOf(seen.Responses[1]));
        }

        var state = await ReadRevisionsAsync(plan.StateKeys, keys, pendingAt, Step.Write, cancellationToken).ConfigureAwait(false);
        var conflict = plan.FirstFailure(k => state[k]);
        if (conflict is not null || !plan.Changes(k => state[k]))
        {
            var unmark = new TxnRequest();
            unmark.Compare.Add(CreateRevisionIs(lockKey, held.LockRevision));
            unmark.Success.Add(DeleteOp(pendingKey));
            await CallAsync(t => client.TransactionAsync(unmark, cancellationToken: t), Step.Write, cancellationToken).ConfigureAwait(false);
            return new CommitResult(conflict is null, head, conflict);
        }

        await WriteChunksAsync(held, plan.NetWrites.Select(w => (keys[w.Key], w.Value is null ? null : ByteString.CopyFrom(w.Value))), Step.Write, cancellationToken).ConfigureAwait(false);

        var commitId = ByteString.CopyFrom(Guid.NewGuid().ToByteArray());
        var publish = new TxnRequest();
        publish.Compare.Add(CreateRevisionIs(lockKey, held.LockRevision));
        publish.Compare.Add(ModRevisionIs(headKey, head));
        publish.Compare.Add(ModRevisionIs(pendingKey, pendingAt));
        publish.Success.Add(PutOp(headKey, commitId));
        publish.Success.Add(DeleteOp(pendingKey));
        publish.Success.Add(DeleteOp(lockKey));
        var floor = Interlocked.Read(ref observedRevision);
        var (published, applied) = await PublishAsync(publish, commitId, floor, cancellationToken).ConfigureAwait(false);
        if (published is null || published.Succeeded)
        {
            return new CommitResult(true, published?.Header.Revision ?? applied, null);
        }

        // Sent again by the client library after it was applied: head holds its id.
        return await DecideAsync(commitId, floor, cancellationToken).ConfigureAwait(false) is long found
            ? new CommitResult(true, found, null)
            : throw LostLock();
    }

    /// <summary>Writes (or deletes, where the value is null) in transactions within etcd's limits, each only while the lock is still this writer's.</summary>
    private async Task WriteChunksAsync(HeldLock held, IEnumerable<(ByteString Key, ByteString? Value)> writes, Step step, CancellationToken cancellationToken)
    {
        var chunk = NewChunk(held);
        var bytes = Overhead;
        var written = 0;
        foreach (var (key, value) in writes)
        {
            var size = key.Length + (value?.Length ?? 0) + 8;
            if (chunk.Success.Count >= options.MaxTxnOperations || (chunk.Success.Count > 0 && bytes + size > options.MaxTxnBytes))
            {
                await SendChunkAsync(chunk, ++written, step, cancellationToken).ConfigureAwait(false);
                (chunk, bytes) = (NewChunk(held), Overhead);
            }

            chunk.Success.Add(value is null ? DeleteOp(key) : PutOp(key, value));
            bytes += size;
        }

        if (chunk.Success.Count > 0)
        {
            await SendChunkAsync(chunk, ++written, step, cancellationToken).ConfigureAwait(false);
        }
    }

    private TxnRequest NewChunk(HeldLock held)
    {
        var chunk = new TxnRequest();
        chunk.Compare.Add(CreateRevisionIs(lockKey, held.LockRevision));
        return chunk;
    }

    private async Task SendChunkAsync(TxnRequest chunk, int number, Step step, CancellationToken cancellationToken)
    {
        // A chunk may be sent again after a failure without an answer: its writes are the same, and nobody else writes meanwhile.
        var response = await CallAsync(t => client.TransactionAsync(chunk, cancellationToken: t), step, cancellationToken).ConfigureAwait(false);
        if (!response.Succeeded)
        {
            throw LostLock();
        }

        if (number >= StopAfterChunks)
        {
            throw new WriterStoppedException();
        }
    }

    private StoreException LostLock() =>
        new($"The write lock of '{options.KeyPrefix}' on etcd ({options.Endpoints}) expired during a large commit (its lease was not kept alive in time); "
            + "nothing of the commit is visible, and the next writer undoes what was written. Try again.");

    /// <summary>
    /// A single-transaction commit met a large commit's mark: wait for its writer (while it holds the lock), or, when the lock
    /// is free and the mark still there (its writer died), undo what it wrote.
    /// </summary>
    private async Task AwaitOrRecoverLargeCommitAsync(CancellationToken cancellationToken)
    {
        await using var held = await AcquireLockAsync(cancellationToken).ConfigureAwait(false);
        if (held.PendingRevision != 0)
        {
            await RecoverAsync(held, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Undoes a crashed large commit: every item written after its mark (at <see cref="HeldLock.PendingRevision"/>) gets back
    /// its value as of the mark, or is deleted if it did not exist then, and every item deleted since is put back. Then one
    /// transaction moves head (so that no item is newer than the snapshot's revision) and clears the mark.
    /// </summary>
    private async Task RecoverAsync(HeldLock held, CancellationToken cancellationToken)
    {
        var mark = held.PendingRevision;
        var (start, end) = (dataPrefix, RangeEnd(dataPrefix));
        var before = new Dictionary<ByteString, ByteString>();
        await ScanAsync(start, end, mark, keysOnly: false, kv => before[kv.Key] = kv.Value, cancellationToken, Step.Recover).ConfigureAwait(false);
        var now = new Dictionary<ByteString, long>();
        await ScanAsync(start, end, 0, keysOnly: true, kv => now[kv.Key] = kv.ModRevision, cancellationToken, Step.Recover).ConfigureAwait(false);
        var undo = now.Where(n => n.Value > mark).Select(n => (n.Key, before.GetValueOrDefault(n.Key)))
            .Concat(before.Keys.Where(k => !now.ContainsKey(k)).Select(k => (k, (ByteString?)before[k])))
            .ToList();
        await WriteChunksAsync(held, undo, Step.Recover, cancellationToken).ConfigureAwait(false);

        var clear = new TxnRequest();
        clear.Compare.Add(CreateRevisionIs(lockKey, held.LockRevision));
        clear.Compare.Add(ModRevisionIs(pendingKey, mark));
        clear.Success.Add(PutOp(headKey, ByteString.CopyFrom(Guid.NewGuid().ToByteArray())));
        clear.Success.Add(DeleteOp(pendingKey));
        var cleared = await CallAsync(t => client.TransactionAsync(clear, cancellationToken: t), Step.Recover, cancellationToken).ConfigureAwait(false);
        // Sent again by the client library after it was applied, the clear fails its compare on the mark it removed.
        if (!cleared.Succeeded && await ReadMarkAsync(cancellationToken).ConfigureAwait(false) == mark)
        {
            throw LostLock();
        }

        held.PendingRevision = 0;
    }

    /// <summary>The revision of a large commit's mark (0: none).</summary>
    private async Task<long> ReadMarkAsync(CancellationToken cancellationToken) =>
        (await CallAsync(t => client.GetAsync(new RangeRequest { Key = pendingKey, KeysOnly = true }, cancellationToken: t), Step.Recover, cancellationToken).ConfigureAwait(false))
            .Kvs.FirstOrDefault()?.ModRevision ?? 0;

    /// <summary>
    /// Takes the write lock: the key <c>lock</c>, created on a lease that is kept alive while held, so that a writer that
    /// dies gives it up after <see cref="EtcdStoreOptions.LockTtl"/>. Waits while another holds it, at most <see cref="EtcdStoreOptions.LockWait"/>.
    /// </summary>
    private async Task<HeldLock> AcquireLockAsync(CancellationToken cancellationToken)
    {
        var ttl = (long)Math.Max(1, Math.Ceiling(options.LockTtl.TotalSeconds));
        var lease = await CallAsync(t => client.LeaseGrantAsync(new LeaseGrantRequest { TTL = ttl }, cancellationToken: t), Step.Lock, cancellationToken).ConfigureAwait(false);
        var held = new HeldLock(this, lease.ID, ByteString.CopyFrom(Guid.NewGuid().ToByteArray()));
        try
        {
            var waited = System.Diagnostics.Stopwatch.StartNew();
            var take = new TxnRequest();
            take.Compare.Add(ModRevisionIs(lockKey, 0));
            take.Success.Add(PutOp(lockKey, held.Owner, lease.ID));
            take.Success.Add(Range(pendingKey, keysOnly: true));
            take.Failure.Add(Range(lockKey));
            take.Failure.Add(Range(pendingKey, keysOnly: true));
            var look = new TxnRequest();
            look.Success.Add(take.Failure);
            for (var attempt = 1; ; attempt++)
            {
                var (response, failure) = await CallOnceAsync(t => client.TransactionAsync(take, cancellationToken: t), Step.Lock, cancellationToken).ConfigureAwait(false);
                if (response is { Succeeded: true })
                {
                    held.LockRevision = response.Header.Revision;
                    held.PendingRevision = ModRevisionOf(response.Responses[1]);
                    return held;
                }

                // Held (by another writer, or by this one when the take was sent again after it was applied), or unanswered: the
                // lock's value says whose it is.
                var seen = response ?? await CallAsync(t => client.TransactionAsync(look, cancellationToken: t), Step.Lock, cancellationToken).ConfigureAwait(false);
                var holder = seen.Responses[0].ResponseRange.Kvs.FirstOrDefault();
                if (holder is not null && holder.Value == held.Owner)
                {
                    held.LockRevision = holder.CreateRevision;
                    held.PendingRevision = ModRevisionOf(seen.Responses[1]);
                    return held;
                }

                if (waited.Elapsed > options.LockWait)
                {
                    throw holder is null
                        ? Unavailable(Step.Lock, failure, attempt)
                        : new StoreException($"Another writer has held the write lock of '{options.KeyPrefix}' on etcd ({options.Endpoints}) for more than {options.LockWait.TotalSeconds:0.###} s "
                            + $"({nameof(EtcdStoreOptions.LockWait)}); nothing was written. Try again later.");
                }

                await Task.Delay(Backoff(Math.Min(attempt, 4)), cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await held.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The write lock while held: its lease (kept alive in the background) and the lock key's create revision, which every chunk compares.</summary>
    private sealed class HeldLock : IAsyncDisposable
    {
        private readonly EtcdStateStore store;
        private readonly CancellationTokenSource keepAlive = new();
        private readonly Task keeping;

        public HeldLock(EtcdStateStore store, long lease, ByteString owner)
        {
            this.store = store;
            Lease = lease;
            Owner = owner;
            keeping = Task.Run(() => KeepAliveAsync(store.client, lease, keepAlive.Token));
        }

        public long Lease { get; }

        public ByteString Owner { get; }

        public long LockRevision { get; set; }

        /// <summary>The revision of a large commit's mark found when the lock was taken (0: none).</summary>
        public long PendingRevision { get; set; }

        /// <summary>
        /// Stops keeping the lease alive and revokes it (which deletes the lock key at once, if the commit did not). Never
        /// throws: it runs after a commit's outcome is known (or while its exception propagates), which it must not replace,
        /// and a lease it cannot revoke expires by itself within <see cref="EtcdStoreOptions.LockTtl"/>.
        /// </summary>
        public async ValueTask DisposeAsync()
        {
            try
            {
                await keepAlive.CancelAsync().ConfigureAwait(false);
                await keeping.ConfigureAwait(false);
                using var timeout = new CancellationTokenSource(store.options.RequestTimeout);
                await store.client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = Lease }, cancellationToken: timeout.Token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Whatever failed, the lease expires by itself; the commit compared the lock's ownership where it mattered.
            }
            finally
            {
                keepAlive.Dispose();
            }
        }

        /// <summary>Keeps the lease alive until cancelled, through any member that answers: a failure of one stream is followed by another.</summary>
        private static async Task KeepAliveAsync(EtcdClient client, long lease, CancellationToken cancellationToken)
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await client.LeaseKeepAlive(lease, cancellationToken).ConfigureAwait(false);
                    return;
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception)
                {
                    // A member went away (or the stream failed otherwise): keep the lease alive through another. A lease lost
                    // meanwhile shows in the lock's compare of the next chunk.
                    await Task.Delay(200, CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>Thrown by the test hook <see cref="StopAfterChunks"/>: the writer stops as if its process had died.</summary>
    internal sealed class WriterStoppedException() : Exception("The writer stopped mid-commit (test hook).");
}
