using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Etcdserverpb;
using Grpc.Core;
using Mvccpb;

namespace Trellis.Storage.Etcd;

/// <summary>The change feed: an etcd watch on head, which every commit that becomes visible puts (docs/etcd.md, "Change feed").</summary>
public sealed partial class EtcdStateStore
{
    private readonly CancellationTokenSource closing = new();

    /// <summary>For tests: runs between the feed's first read of head and the start of its watch.</summary>
    internal Func<Task>? BeforeWatch { get; set; }

    /// <summary>
    /// The store's revisions as commits make them visible, from an etcd watch on <c>head</c>: first head's revision when the
    /// feed starts, then the mod revision of each later put of head, in order: one per commit, whatever its size (a large
    /// commit's chunks do not touch head). The watch starts just after the revision of the first read, so no commit between
    /// that read and the watch is missed. A watch stream that breaks (a member killed, a leader change) is opened again by the
    /// client library from the revision after the last one it delivered, through a member that answers; a watch etcd cancels
    /// because that revision was compacted is opened again at the current revision, which is yielded if it is new.
    /// <paramref name="pollInterval"/> is checked but not used: nothing is polled.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The poll interval is not positive.</exception>
    /// <exception cref="StoreException">etcd did not answer the first read or the start of the watch, or refused or cancelled the watch.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed, before or while the feed ran.</exception>
    public async IAsyncEnumerable<long> WatchRevisionsAsync(TimeSpan pollInterval, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(pollInterval, TimeSpan.Zero);
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        using var feed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, closing.Token);
        var responses = Channel.CreateUnbounded<(int Watch, WatchResponse Response)>(new UnboundedChannelOptions { SingleReader = true });
        var (last, now) = await ReadHeadRevisionAsync(feed.Token).ConfigureAwait(false);
        yield return last;

        var generation = 0;
        long? watch = null;
        try
        {
            await (BeforeWatch?.Invoke() ?? Task.CompletedTask).ConfigureAwait(false);
            watch = await StartWatchAsync(now + 1, ++generation, responses.Writer, feed.Token).ConfigureAwait(false);
            while (true)
            {
                var (from, response) = await NextAsync(responses.Reader, feed.Token, cancellationToken).ConfigureAwait(false);
                if (from != generation)
                {
                    continue;
                }

                if (response.Canceled)
                {
                    StopWatch(watch);
                    watch = null;
                    if (response.CompactRevision == 0)
                    {
                        throw new StoreException($"etcd ({options.Endpoints}) cancelled the watch of '{options.KeyPrefix}head': {response.CancelReason}.");
                    }

                    // The revisions the watch would resume from were compacted: where head is now is all that can be told.
                    (var head, now) = await ReadHeadRevisionAsync(feed.Token).ConfigureAwait(false);
                    if (head > last)
                    {
                        last = head;
                        yield return head;
                    }

                    watch = await StartWatchAsync(now + 1, ++generation, responses.Writer, feed.Token).ConfigureAwait(false);
                    continue;
                }

                foreach (var change in response.Events)
                {
                    if (change.Type == Event.Types.EventType.Put && change.Kv.ModRevision > last)
                    {
                        last = change.Kv.ModRevision;
                        yield return last;
                    }
                }
            }
        }
        finally
        {
            StopWatch(watch);
        }
    }

    /// <summary>Head's mod revision (the store's revision; 0: no commit yet) and the revision etcd answered at.</summary>
    private async Task<(long Head, long Now)> ReadHeadRevisionAsync(CancellationToken cancellationToken)
    {
        var response = await CallAsync(t => client.GetAsync(new RangeRequest { Key = headKey, KeysOnly = true }, cancellationToken: t), Step.Read, cancellationToken).ConfigureAwait(false);
        return (response.Kvs.Count == 0 ? 0 : response.Kvs[0].ModRevision, response.Header.Revision);
    }

    /// <summary>A watch of head from <paramref name="from"/> whose responses go to <paramref name="responses"/> tagged with <paramref name="generation"/>; tried again as a read is.</summary>
    private async Task<long> StartWatchAsync(long from, int generation, ChannelWriter<(int, WatchResponse)> responses, CancellationToken cancellationToken)
    {
        var request = new WatchRequest { CreateRequest = new WatchCreateRequest { Key = headKey, StartRevision = from } };
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // The watch lives as long as the token given here: the feed's.
                return await client.WatchAsync(request, response => responses.TryWrite((generation, response)), cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition)
            {
                throw new StoreException($"etcd ({options.Endpoints}) refused to watch '{options.KeyPrefix}head': {e.Status.Detail}.", e);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is RpcException or OperationCanceledException or HttpRequestException)
            {
                if (attempt >= options.Attempts)
                {
                    throw Unavailable(Step.Read, e);
                }
            }

            await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The next response; the store's disposal while waiting is an <see cref="ObjectDisposedException"/>, the caller's cancellation an <see cref="OperationCanceledException"/>.</summary>
    private async Task<(int, WatchResponse)> NextAsync(ChannelReader<(int, WatchResponse)> reader, CancellationToken feed, CancellationToken caller)
    {
        try
        {
            return await reader.ReadAsync(feed).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!caller.IsCancellationRequested && disposed != 0)
        {
            throw new ObjectDisposedException(nameof(EtcdStateStore), "The store was disposed while its change feed ran.");
        }
    }

    private void StopWatch(long? watch)
    {
        if (watch is long id && disposed == 0)
        {
            try
            {
                client.CancelWatch(id);
            }
            catch (ObjectDisposedException)
            {
                // Disposed meanwhile: its watches went with it.
            }
        }
    }
}
