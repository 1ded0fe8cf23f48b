using Etcdserverpb;
using Grpc.Core;
using Trellis.Storage.Etcd;
using static Trellis.Storage.Tests.StoreText;

namespace Trellis.Storage.Tests.Etcd;

/// <summary>
/// A commit whose outcome is open — cancelled while its last transaction was in flight, or whose lock release failed — is
/// reported by what etcd did, never as a bare cancellation nor as the release's failure.
/// </summary>
[Collection(EtcdCollection.Name)]
public sealed class EtcdUnknownOutcomeTests(EtcdFixture etcd)
{
    private static TxnOperation[] Creates(int count, string prefix) =>
        [.. Enumerable.Range(0, count).Select(i => Create($"{prefix}{i:D5}", new string('p', 200)))];

    [Fact]
    public async Task Commit_CancelledAfterEtcdAppliedItsLastTransaction_ReportsTheSuccessHeadShows()
    {
        var faults = new EtcdFaultInjector();
        await using var store = etcd.OpenFaulty(faults);
        using var cancel = new CancellationTokenSource();
        faults.Unary = AnswerLostToCancellation(store, cancel);

        var result = await store.CommitAsync(Ops(Create("alloc/vip/10.0.0.5", "owner")), cancel.Token);

        Assert.True(cancel.IsCancellationRequested);
        Assert.True(result.Succeeded);
        var snapshot = await store.ReadAsync("alloc/");
        Assert.Equal(snapshot.Revision, result.Revision);
        Assert.Equal("owner", Text(Assert.Single(snapshot.Items)));
    }

    [Fact]
    public async Task LargeCommit_CancelledAfterEtcdAppliedItsPublish_ReportsTheSuccessHeadShows()
    {
        var faults = new EtcdFaultInjector();
        await using var store = etcd.OpenFaulty(faults);
        using var cancel = new CancellationTokenSource();
        faults.Unary = AnswerLostToCancellation(store, cancel);

        var result = await store.CommitAsync(Ops(Creates(600, "alloc/node/")), cancel.Token);

        Assert.True(cancel.IsCancellationRequested);
        Assert.True(result.Succeeded);
        var snapshot = await store.ReadAsync("alloc/");
        Assert.Equal(snapshot.Revision, result.Revision);
        Assert.Equal(600, snapshot.Items.Count);
    }

    [Fact]
    public async Task Commit_CancelledWhileItsLastTransactionWasInFlightAndHeadDoesNotShowIt_SaysItMayOrMayNotBeWritten()
    {
        var faults = new EtcdFaultInjector();
        await using var store = etcd.OpenFaulty(faults);
        using var cancel = new CancellationTokenSource();

        // The caller cancels while the transaction is on its way; etcd never gets it, but the store cannot know that.
        faults.Unary = async (request, send) =>
        {
            if (EtcdFaultInjector.Puts(request, store.KeyPrefix + "head") && !cancel.IsCancellationRequested)
            {
                await cancel.CancelAsync();
                throw new OperationCanceledException(cancel.Token);
            }

            return await send();
        };

        var error = await Assert.ThrowsAsync<StoreException>(() => store.CommitAsync(Ops(Create("alloc/vip/10.0.0.5")), cancel.Token));

        Assert.Contains("cancelled while its last transaction was in flight", error.Message, StringComparison.Ordinal);
        Assert.Contains("may or may not have been written", error.Message, StringComparison.Ordinal);
        Assert.Contains("read the state again", error.Message, StringComparison.Ordinal);
        Assert.Empty((await store.ReadAsync("alloc/")).Items);
    }

    [Fact]
    public async Task Commit_CancelledInFlightAndEtcdThenSilent_SaysItMayOrMayNotBeWrittenWithinTheRequestTimeout()
    {
        var faults = new EtcdFaultInjector();
        await using var store = etcd.OpenFaulty(faults, o => o with { RequestTimeout = TimeSpan.FromSeconds(1), Attempts = 3 });
        using var cancel = new CancellationTokenSource();
        faults.Unary = async (request, send) =>
        {
            if (EtcdFaultInjector.Puts(request, store.KeyPrefix + "head") && !cancel.IsCancellationRequested)
            {
                await send();
                await cancel.CancelAsync();
                throw new OperationCanceledException(cancel.Token);
            }

            if (cancel.IsCancellationRequested)
            {
                throw new RpcException(new Status(StatusCode.Unavailable, "injected: no member answers"));
            }

            return await send();
        };
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<StoreException>(() => store.CommitAsync(Ops(Create("alloc/vip/10.0.0.5")), cancel.Token));

        Assert.Contains("may or may not have been written", error.Message, StringComparison.Ordinal);
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Commit_WhoseLockReleaseFailsUnexpectedly_ReportsItsOwnOutcome()
    {
        var faults = new EtcdFaultInjector
        {
            Unary = (request, send) => request is LeaseRevokeRequest ? throw new InvalidOperationException("injected: the lease revoke failed") : send(),
        };
        await using var store = etcd.OpenFaulty(faults);

        var written = await store.CommitAsync(Ops([Create("alloc/taken"), .. Creates(300, "alloc/node/")]));
        var conflict = await store.CommitAsync(Ops([.. Creates(300, "alloc/more/"), Create("alloc/taken")]));
        store.StopAfterChunks = 1;
        await Assert.ThrowsAsync<EtcdStateStore.WriterStoppedException>(() => store.CommitAsync(Ops(Creates(600, "alloc/dead/"))));

        Assert.True(written.Succeeded);
        Assert.Equal(new CommitResult(false, written.Revision, "alloc/taken"), conflict);
    }

    [Fact]
    public async Task LargeCommit_WhoseLockTakeGetsNoAnswer_SaysEtcdDidNotAnswerNotThatAnotherWriterHoldsIt()
    {
        var faults = new EtcdFaultInjector();
        await using var store = etcd.OpenFaulty(faults, o => o with { LockWait = TimeSpan.FromSeconds(1), RequestTimeout = TimeSpan.FromSeconds(1) });
        faults.Unary = (request, send) => EtcdFaultInjector.Puts(request, store.KeyPrefix + "lock")
            ? throw new RpcException(new Status(StatusCode.Unavailable, "injected: the member went away"))
            : send();

        var error = await Assert.ThrowsAsync<StoreException>(() => store.CommitAsync(Ops(Creates(600, "alloc/node/"))));

        Assert.DoesNotContain("Another writer", error.Message, StringComparison.Ordinal);
        Assert.Contains($"etcd did not answer at {etcd.Cluster.Endpoints}", error.Message, StringComparison.Ordinal);
        Assert.Contains("injected: the member went away", error.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing was written", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The store's last transaction reaches etcd and is applied; the answer is lost because the caller cancels meanwhile.</summary>
    private static Func<object, Func<Task<object>>, Task<object>> AnswerLostToCancellation(EtcdStateStore store, CancellationTokenSource cancel) =>
        async (request, send) =>
        {
            var answer = await send();
            if (EtcdFaultInjector.Puts(request, store.KeyPrefix + "head") && !cancel.IsCancellationRequested)
            {
                await cancel.CancelAsync();
                throw new OperationCanceledException(cancel.Token);
            }

            return answer;
        };
}
