using dotnet_etcd;
using Etcdserverpb;
using Trellis.Storage.Etcd;
using static Trellis.Storage.Tests.StoreText;

namespace Trellis.Storage.Tests.Etcd;

/// <summary>
/// The etcd change feed (<see cref="EtcdStateStore.WatchRevisionsAsync"/>): every visible commit's revision once, in order,
/// from a watch on head that outlives the loss of the member it reads from, and of compacted history.
/// </summary>
[Collection(EtcdCollection.Name)]
public sealed class EtcdChangeFeedTests(EtcdFixture etcd)
{
    private static readonly TimeSpan Unused = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task WatchRevisions_CommitsOfSeveralOtherStores_ArriveOnceEachInOrder()
    {
        await using var watcher = etcd.OpenNew();
        var start = await watcher.CommitAsync(Ops(Create("site/generation")));
        await using var feed = watcher.WatchRevisionsAsync(Unused).GetAsyncEnumerator();
        Assert.Equal(start.Revision, await NextAsync(feed));

        var commits = await Task.WhenAll(Enumerable.Range(0, 3).Select(writer => Task.Run(async () =>
        {
            await using var store = etcd.Open(watcher.KeyPrefix);
            var revisions = new List<long>();
            for (var i = 0; i < 10; i++)
            {
                var result = await store.CommitAsync(Ops(Create($"alloc/vip/{writer}-{i}", "owner")));
                Assert.True(result.Succeeded);
                revisions.Add(result.Revision);
            }

            return revisions;
        })));

        var expected = commits.SelectMany(r => r).Order().ToList();
        Assert.Equal(expected, await TakeUntilAsync(feed, expected[^1]));
    }

    [Fact]
    public async Task WatchRevisions_LargeCommit_YieldsOnceAtItsRevisionNotPerChunk()
    {
        await using var watcher = etcd.OpenNew();
        await using var writer = etcd.Open(watcher.KeyPrefix);
        await using var feed = watcher.WatchRevisionsAsync(Unused).GetAsyncEnumerator();
        Assert.Equal(0, await NextAsync(feed));

        var large = await writer.CommitAsync(Ops([.. Enumerable.Range(0, 2_000).Select(i => Create($"alloc/node/{i:D5}", new string('p', 200)))]));
        var small = await writer.CommitAsync(Ops(Create("site/generation")));

        Assert.True(large.Succeeded && small.Succeeded);
        Assert.Equal([large.Revision, small.Revision], await TakeUntilAsync(feed, small.Revision));
    }

    [Fact]
    public async Task WatchRevisions_EachMemberKilledInTurn_StillReportsTheNextCommit()
    {
        await using var watcher = etcd.OpenNew();
        await using var writer = etcd.Open(watcher.KeyPrefix);
        var start = await writer.CommitAsync(Ops(Create("site/generation", "start")));
        await using var feed = watcher.WatchRevisionsAsync(Unused).GetAsyncEnumerator();
        Assert.Equal(start.Revision, await NextAsync(feed));

        // Whichever member the watch reads from, it is killed once (the leader too), and the feed reports the commit after it.
        foreach (var member in etcd.Cluster.Members)
        {
            await member.KillAsync();
            try
            {
                var commit = await writer.CommitAsync(Ops(Put("site/generation", member.Name)));
                Assert.True(commit.Succeeded);
                Assert.Equal([commit.Revision], await TakeUntilAsync(feed, commit.Revision));
            }
            finally
            {
                member.Start();
                await etcd.Cluster.WaitHealthyAsync(TimeSpan.FromSeconds(30));
            }
        }
    }

    [Fact]
    public async Task WatchRevisions_HistoryCompactedBeforeTheWatchStarts_YieldsTheCurrentRevisionAndGoesOn()
    {
        await using var watcher = etcd.OpenNew();
        await using var writer = etcd.Open(watcher.KeyPrefix);
        var commits = new List<CommitResult>();
        watcher.BeforeWatch = async () =>
        {
            commits.Add(await writer.CommitAsync(Ops(Create("a"))));
            commits.Add(await writer.CommitAsync(Ops(Create("b"))));
            using var client = new EtcdClient(etcd.Cluster.Endpoints);
            await client.CompactAsync(new CompactionRequest { Revision = commits[^1].Revision, Physical = true });
        };
        await using var feed = watcher.WatchRevisionsAsync(Unused).GetAsyncEnumerator();
        Assert.Equal(0, await NextAsync(feed));

        // The watch would start before the compaction: etcd cancels it, and the feed reports where head is now.
        var afterCompaction = await NextAsync(feed);
        Assert.Equal(commits[1].Revision, afterCompaction);
        var next = await writer.CommitAsync(Ops(Create("c")));
        Assert.Equal(next.Revision, await NextAsync(feed));
    }

    [Fact]
    public async Task WatchRevisions_Cancelled_EndsWithOperationCanceledAndTheStoreGoesOn()
    {
        await using var watcher = etcd.OpenNew();
        await using var writer = etcd.Open(watcher.KeyPrefix);
        using var cancel = new CancellationTokenSource();
        await using (var feed = watcher.WatchRevisionsAsync(Unused, cancel.Token).GetAsyncEnumerator())
        {
            Assert.Equal(0, await NextAsync(feed));
            var first = await writer.CommitAsync(Ops(Create("a")));
            Assert.Equal(first.Revision, await NextAsync(feed));

            var waiting = feed.MoveNextAsync().AsTask();
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(5)));
        }

        // A feed left early (the consumer breaks out) and a new one: both on the same store, which still commits.
        await foreach (var _ in watcher.WatchRevisionsAsync(Unused))
        {
            break;
        }

        var second = await writer.CommitAsync(Ops(Create("b")));
        await using var again = watcher.WatchRevisionsAsync(Unused).GetAsyncEnumerator();
        Assert.Equal(second.Revision, await NextAsync(again));
    }

    [Fact]
    public async Task WatchRevisions_StoreDisposedWhileTheFeedWaits_EndsWithObjectDisposed()
    {
        var watcher = etcd.OpenNew();
        await using var writer = etcd.Open(watcher.KeyPrefix);
        await using var feed = watcher.WatchRevisionsAsync(Unused).GetAsyncEnumerator();
        Assert.Equal(0, await NextAsync(feed));
        var first = await writer.CommitAsync(Ops(Create("a")));
        Assert.Equal(first.Revision, await NextAsync(feed));

        var waiting = feed.MoveNextAsync().AsTask();
        await watcher.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    private static async Task<long> NextAsync(IAsyncEnumerator<long> feed)
    {
        Assert.True(await feed.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20)), "The change feed ended.");
        return feed.Current;
    }

    /// <summary>The feed's revisions up to <paramref name="revision"/>.</summary>
    private static async Task<List<long>> TakeUntilAsync(IAsyncEnumerator<long> feed, long revision)
    {
        var seen = new List<long>();
        while (seen.Count == 0 || seen[^1] < revision)
        {
            seen.Add(await NextAsync(feed));
        }

        return seen;
    }
}
