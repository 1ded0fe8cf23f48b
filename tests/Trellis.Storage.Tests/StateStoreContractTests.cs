using System.Collections.Concurrent;
using static Trellis.Storage.Tests.StoreText;

namespace Trellis.Storage.Tests;

/// <summary>
/// What every <see cref="IStateStore"/> does, whatever keeps the state: run unchanged against each backend by a class that
/// says how to open one. Revisions are compared with the revisions commits return, never with numbers: SQLite counts commits
/// 1, 2, 3…, etcd's revisions are the cluster's, shared by every keyspace.
/// </summary>
public abstract class StateStoreContractTests
{
    /// <summary>A new, empty store: its own keyspace.</summary>
    protected abstract Task<IStateStore> OpenNewAsync();

    /// <summary>Another instance of the store <paramref name="store"/> (another connection, as another process would open it).</summary>
    protected abstract Task<IStateStore> OpenAgainAsync(IStateStore store);

    /// <summary>How many writers race in the concurrency tests.</summary>
    protected virtual int Writers => 4;

    [Fact]
    public async Task Read_NewStore_IsEmptyAtRevisionZero()
    {
        await using var store = await OpenNewAsync();

        var snapshot = await store.ReadAsync("");

        Assert.Equal(0, snapshot.Revision);
        Assert.Empty(snapshot.Items);
        Assert.Equal(0, await store.ReadRevisionAsync());
    }

    [Fact]
    public async Task Commit_AllOperationsOfOneCommit_ShareTheNextRevision()
    {
        await using var store = await OpenNewAsync();

        var first = await store.CommitAsync(Ops(Create("a"), Put("b")));
        var second = await store.CommitAsync(Ops(Put("c"), Put("d")));

        Assert.True(first.Succeeded && second.Succeeded);
        Assert.InRange(first.Revision, 1, second.Revision - 1);
        var snapshot = await store.ReadAsync("");
        Assert.Equal(second.Revision, snapshot.Revision);
        Assert.Equal(second.Revision, await store.ReadRevisionAsync());
        Assert.Equal([("a", first.Revision), ("b", first.Revision), ("c", second.Revision), ("d", second.Revision)], snapshot.Items.Select(i => (i.Key, i.Revision)));
    }

    [Fact]
    public async Task Commit_PutOnExistingKey_ReplacesValueAndRevision()
    {
        await using var store = await OpenNewAsync();
        var first = await store.CommitAsync(Ops(Create("a", "old"), Create("b")));

        var result = await store.CommitAsync(Ops(Put("a", "new")));

        Assert.True(result.Succeeded);
        Assert.True(result.Revision > first.Revision);
        var items = (await store.ReadAsync("")).Items;
        Assert.Equal([("a", "new", result.Revision), ("b", "v", first.Revision)], items.Select(i => (i.Key, Text(i), i.Revision)));
    }

    [Fact]
    public async Task Commit_NoOperations_SucceedsWithoutBumpingRevision()
    {
        await using var store = await OpenNewAsync();
        var first = await store.CommitAsync(Ops(Create("a")));

        var result = await store.CommitAsync(When([At("a", first.Revision)]));

        Assert.Equal(new CommitResult(true, first.Revision, null), result);
        Assert.Equal(first.Revision, (await store.ReadAsync("")).Revision);
    }

    [Fact]
    public async Task Commit_Delete_RemovesTheKeyAtTheNextRevision()
    {
        await using var store = await OpenNewAsync();
        var first = await store.CommitAsync(Ops(Create("a"), Create("b")));

        var result = await store.CommitAsync(Ops(Delete("a")));

        Assert.True(result.Succeeded);
        Assert.True(result.Revision > first.Revision);
        var snapshot = await store.ReadAsync("");
        Assert.Equal(result.Revision, snapshot.Revision);
        Assert.Equal(["b"], snapshot.Items.Select(i => i.Key));
    }

    [Fact]
    public async Task Commit_DeleteOfAbsentKeysOnly_ChangesNothingAndKeepsRevision()
    {
        await using var store = await OpenNewAsync();
        var first = await store.CommitAsync(Ops(Create("a")));

        var result = await store.CommitAsync(Ops(Delete("x"), Delete("y")));

        Assert.Equal(new CommitResult(true, first.Revision, null), result);
        Assert.Equal(first.Revision, (await store.ReadAsync("")).Revision);
    }

    [Fact]
    public async Task Commit_ConditionOnCurrentRevision_Holds()
    {
        await using var store = await OpenNewAsync();
        var a = await store.CommitAsync(Ops(Create("a")));
        var b = await store.CommitAsync(Ops(Create("b")));

        var result = await store.CommitAsync(When([At("a", a.Revision), At("b", b.Revision), At("absent", 0)], Put("a", "x")));

        Assert.True(result.Succeeded);
        Assert.True(result.Revision > b.Revision);
        Assert.Null(result.ConflictKey);
    }

    [Fact]
    public async Task Commit_ConditionOnStaleRevision_FailsNamingTheKeyAndWritesNothing()
    {
        await using var store = await OpenNewAsync();
        var first = await store.CommitAsync(Ops(Create("a")));
        var changed = await store.CommitAsync(Ops(Put("a", "changed")));

        var result = await store.CommitAsync(When([At("a", first.Revision)], Put("a", "lost update"), Create("b")));

        Assert.Equal(new CommitResult(false, changed.Revision, "a"), result);
        var snapshot = await store.ReadAsync("");
        Assert.Equal(changed.Revision, snapshot.Revision);
        Assert.Equal([("a", "changed")], snapshot.Items.Select(i => (i.Key, Text(i))));
    }

    [Theory]
    [InlineData("present", 0, false)]
    [InlineData("absent", 0, true)]
    [InlineData("absent", 1, false)]
    public async Task Commit_ConditionRevisionZero_MeansTheKeyIsAbsent(string key, long revision, bool holds)
    {
        await using var store = await OpenNewAsync();
        await store.CommitAsync(Ops(Create("present")));

        var result = await store.CommitAsync(When([At(key, revision)], Put("z")));

        Assert.Equal(holds, result.Succeeded);
        Assert.Equal(holds ? null : key, result.ConflictKey);
    }

    [Fact]
    public async Task Commit_FailingConditions_ReportTheFirstFailingKey()
    {
        await using var store = await OpenNewAsync();
        var first = await store.CommitAsync(Ops(Create("a"), Create("b")));

        var result = await store.CommitAsync(When([At("a", first.Revision), At("b", first.Revision + 7), At("c", 7)], Put("d")));

        Assert.Equal("b", result.ConflictKey);
    }

    [Fact]
    public async Task Commit_CreateOnExistingKey_FailsWholeTransaction()
    {
        await using var store = await OpenNewAsync();
        var first = await store.CommitAsync(Ops(Create("alloc/vip/172.16.0.150", "cluster/payments/api-server"), Create("keep")));

        var result = await store.CommitAsync(Ops(
            Put("keep", "overwritten"),
            Delete("keep"),
            Create("alloc/vip/172.16.0.151", "service/shop/web"),
            Create("alloc/vip/172.16.0.150", "service/shop/db"),
            Create("after")));

        Assert.Equal(new CommitResult(false, first.Revision, "alloc/vip/172.16.0.150"), result);
        var snapshot = await store.ReadAsync("");
        Assert.Equal(first.Revision, snapshot.Revision);
        Assert.Equal(
            [("alloc/vip/172.16.0.150", "cluster/payments/api-server", first.Revision), ("keep", "v", first.Revision)],
            snapshot.Items.Select(i => (i.Key, Text(i), i.Revision)));
    }

    [Fact]
    public async Task Commit_SameKeyCreatedTwiceInOneTransaction_Conflicts()
    {
        await using var store = await OpenNewAsync();

        var result = await store.CommitAsync(Ops(Create("a"), Create("a")));

        Assert.Equal(new CommitResult(false, 0, "a"), result);
        Assert.Empty((await store.ReadAsync("")).Items);
    }

    [Fact]
    public async Task Commit_OperationsApplyInOrder_CreateAfterDeleteOfSameKeySucceeds()
    {
        await using var store = await OpenNewAsync();
        await store.CommitAsync(Ops(Create("a", "first")));

        var result = await store.CommitAsync(Ops(Delete("a"), Create("a", "second")));

        Assert.True(result.Succeeded);
        Assert.Equal([("a", "second", result.Revision)], (await store.ReadAsync("")).Items.Select(i => (i.Key, Text(i), i.Revision)));
    }

    [Fact]
    public async Task Commit_EmptyValue_RoundTrips()
    {
        await using var store = await OpenNewAsync();

        await store.CommitAsync(new StoreTransaction([], [new TxnOperation.Create("empty", [])]));

        Assert.Empty(Assert.Single((await store.ReadAsync("")).Items).Value);
    }

    [Fact]
    public async Task Commit_EmptyOrMalformedKey_IsRejectedAsABug()
    {
        await using var store = await OpenNewAsync();

        // A lone surrogate would be stored as U+FFFD and alias another key.
        foreach (var key in new[] { "", "lone\uD800surrogate", "trailing\uDC00" })
        {
            await Assert.ThrowsAsync<ArgumentException>(() => store.CommitAsync(Ops(Create(key))));
            await Assert.ThrowsAsync<ArgumentException>(() => store.CommitAsync(When([At(key, 0)])));
        }

        Assert.Equal(0, (await store.ReadAsync("")).Revision);
    }

    [Fact]
    public async Task Read_MalformedPrefix_IsRejectedAsABug()
    {
        await using var store = await OpenNewAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => store.ReadAsync("k/\uD83D"));
    }

    [Theory]
    [InlineData("alloc/a", new[] { "alloc/a", "alloc/a/1", "alloc/a/2", "alloc/ab", "alloc/ab/1" })]
    [InlineData("alloc/a/", new[] { "alloc/a/1", "alloc/a/2" })]
    [InlineData("alloc/ab/", new[] { "alloc/ab/1" })]
    [InlineData("alloc/", new[] { "alloc/a", "alloc/a/1", "alloc/a/2", "alloc/ab", "alloc/ab/1", "alloc/b" })]
    [InlineData("alloc/c", new string[0])]
    [InlineData("", new[] { "alloc/a", "alloc/a/1", "alloc/a/2", "alloc/ab", "alloc/ab/1", "alloc/b", "alloc0", "allocz" })]
    public async Task Read_Prefix_ReturnsExactlyTheKeysStartingWithIt(string prefix, string[] expected)
    {
        await using var store = await OpenNewAsync();
        var written = await store.CommitAsync(Ops(
            [.. new[] { "allocz", "alloc/b", "alloc/ab/1", "alloc/a/2", "alloc0", "alloc/ab", "alloc/a", "alloc/a/1" }
                .Select(k => Create(k))]));

        var snapshot = await store.ReadAsync(prefix);

        Assert.Equal(expected, snapshot.Items.Select(i => i.Key));
        Assert.Equal(written.Revision, snapshot.Revision);
    }

    [Theory]
    [InlineData("k\uD7FF", new[] { "k\uD7FF", "k\uD7FFx" })]
    [InlineData("k\uFFFF", new[] { "k\uFFFF" })]
    [InlineData("k\U0010FFFF", new[] { "k\U0010FFFF", "k\U0010FFFF\U0010FFFF" })]
    [InlineData("k\U0010FFFF\U0010FFFF", new[] { "k\U0010FFFF\U0010FFFF" })]
    public async Task Read_PrefixEndingInEdgeCharacters_StopsAtTheNextCodePoint(string prefix, string[] expected)
    {
        await using var store = await OpenNewAsync();
        await store.CommitAsync(Ops(
            [.. new[] { "k\uD7FF", "k\uD7FFx", "k\uE000", "k\uFFFF", "k\U00010000", "k\U0010FFFF", "k\U0010FFFF\U0010FFFF", "l" }
                .Select(k => Create(k))]));

        var snapshot = await store.ReadAsync(prefix);

        Assert.Equal(expected, snapshot.Items.Select(i => i.Key));
    }

    [Fact]
    public async Task Read_Items_AreInOrdinalOrderEvenBeyondTheBasicPlane()
    {
        await using var store = await OpenNewAsync();
        await store.CommitAsync(Ops(Create("k\uFFFD"), Create("k\U0001F600"), Create("k\uE000"), Create("ka")));

        var keys = (await store.ReadAsync("k")).Items.Select(i => i.Key).ToList();

        Assert.Equal(keys.Order(StringComparer.Ordinal), keys);
        Assert.Equal(4, keys.Count);
    }

    [Fact]
    public async Task ReadEach_StreamsEachPrefixInCodePointOrderAtTheSnapshotRevision()
    {
        await using var store = await OpenNewAsync();
        var written = await store.CommitAsync(Ops(Create("k/\uFFFD", "1"), Create("k/\U0001F600", "2"), Create("a/x", "3"), Create("z")));
        var seen = new List<(string, string, long)>();

        var revision = await store.ReadEachAsync(["k/", "a/"], (key, value, itemRevision) =>
            seen.Add((System.Text.Encoding.UTF8.GetString(key), System.Text.Encoding.UTF8.GetString(value), itemRevision)));

        Assert.Equal(written.Revision, revision);
        Assert.Equal([("k/\uFFFD", "1", revision), ("k/\U0001F600", "2", revision), ("a/x", "3", revision)], seen);
        await Assert.ThrowsAsync<ArgumentException>(() => store.ReadEachAsync(["k/", "k/x"], (_, _, _) => { }));
    }

    [Fact]
    public async Task Open_AgainElsewhere_SeesTheSameDataAndRevision()
    {
        await using var store = await OpenNewAsync();
        await store.CommitAsync(Ops(Create("a", "1"), Create("b", "2")));
        var second = await store.CommitAsync(Ops(Delete("a"), Put("c", "3")));

        await using var again = await OpenAgainAsync(store);
        var snapshot = await again.ReadAsync("");

        Assert.Equal(second.Revision, snapshot.Revision);
        Assert.Equal(["b", "c"], snapshot.Items.Select(i => i.Key));
        var third = await again.CommitAsync(Ops(Put("d")));
        Assert.True(third.Succeeded && third.Revision > second.Revision);
        Assert.Equal(third.Revision, await store.ReadRevisionAsync());
    }

    [Fact]
    public async Task Commit_AlreadyCancelled_WritesNothing()
    {
        await using var store = await OpenNewAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => store.CommitAsync(Ops(Create("a")), new CancellationToken(canceled: true)));

        Assert.Empty((await store.ReadAsync("")).Items);
    }

    [Fact]
    public async Task Commit_AfterDispose_ThrowsObjectDisposed()
    {
        var store = await OpenNewAsync();
        await store.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.CommitAsync(Ops(Create("a"))));
    }

    [Fact]
    public async Task Commit_TwentyThousandCreatesInOneTransaction_AllLandAboveThePreviousRevision()
    {
        // Its speed is measured by ApplyBenchmarks (docs/benchmarks.md), not by a timer in a unit test.
        await using var store = await OpenNewAsync();
        var before = await store.CommitAsync(Ops(Create("before")));
        var creates = Enumerable.Range(0, 20_000)
            .Select(i => Create($"alloc/node/10.{i / 65536}.{i / 256 % 256}.{i % 256}", "cluster/payments/pod"))
            .ToArray();

        var result = await store.CommitAsync(Ops(creates));

        Assert.True(result.Succeeded);
        var read = await store.ReadAsync("alloc/node/");
        Assert.Equal(result.Revision, read.Revision);
        Assert.Equal(20_000, read.Items.Count);
        Assert.All(read.Items, i => Assert.InRange(i.Revision, before.Revision + 1, result.Revision));
    }

    [Fact]
    public async Task Commit_StoresRacingToCreateTheSameAddresses_EachAddressIsWonExactlyOnce()
    {
        await using var first = await OpenNewAsync();
        var addresses = Enumerable.Range(1, 40).Select(i => $"alloc/vip/172.16.0.{i}").ToArray();
        var wins = new ConcurrentDictionary<string, int>();

        await RunWritersAsync(first, Writers, async (store, writer) =>
        {
            foreach (var address in addresses.OrderBy(_ => Random.Shared.Next()))
            {
                var result = await store.CommitAsync(Ops(Create(address, $"writer-{writer}")));
                if (result.Succeeded)
                {
                    wins.AddOrUpdate(address, 1, (_, n) => n + 1);
                }
                else
                {
                    Assert.Equal(address, result.ConflictKey);
                }
            }
        });

        Assert.All(addresses, address => Assert.Equal(1, wins.GetValueOrDefault(address)));
        var snapshot = await first.ReadAsync("alloc/");
        Assert.Equal(addresses.Order(StringComparer.Ordinal), snapshot.Items.Select(i => i.Key));
        Assert.Equal(addresses.Length, snapshot.Items.Select(i => i.Revision).Distinct().Count());
    }

    [Fact]
    public async Task Commit_RacingMultiKeyCreates_AreNeverPartiallyApplied()
    {
        // Blocks of 4 addresses starting at every address: neighbouring blocks overlap, so most commits conflict.
        await using var first = await OpenNewAsync();
        var winners = new ConcurrentBag<(int Start, long Revision)>();

        await RunWritersAsync(first, Writers, async (store, writer) =>
        {
            foreach (var start in Enumerable.Range(0, 30).OrderBy(_ => Random.Shared.Next()))
            {
                var result = await store.CommitAsync(Ops([.. Block(start).Select(key => Create(key, $"block-{start}"))]));
                if (result.Succeeded)
                {
                    winners.Add((start, result.Revision));
                }
            }
        });

        var items = (await first.ReadAsync("alloc/")).Items.ToDictionary(i => i.Key);
        Assert.Equal(winners.Count * 4, items.Count);
        foreach (var (start, revision) in winners)
        {
            Assert.All(Block(start), key =>
            {
                Assert.Equal($"block-{start}", Text(items[key]));
                Assert.Equal(revision, items[key].Revision);
            });
        }
    }

    [Fact]
    public async Task Read_WhileOthersWrite_SeesOneConsistentSnapshot()
    {
        await using var first = await OpenNewAsync();
        await first.CommitAsync(Ops(Put("pair/a", "0"), Put("pair/b", "0")));

        using var writing = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 2).Select(w => Task.Run(async () =>
        {
            await using var store = await OpenAgainAsync(first);
            for (var n = 1; n <= 60; n++)
            {
                await store.CommitAsync(Ops(Put("pair/a", $"{w}-{n}"), Put("unrelated", "x"), Put("pair/b", $"{w}-{n}")));
            }
        })).ToArray();

        var readers = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            await using var store = await OpenAgainAsync(first);
            var lastRevision = 0L;
            var reads = 0;
            while (!writing.IsCancellationRequested || reads == 0)
            {
                var snapshot = await store.ReadAsync(["right/", "pair/"]);
                var (a, b) = (snapshot.Items[0], snapshot.Items[1]);
                Assert.Equal(Text(a), Text(b));
                Assert.Equal(snapshot.Revision, a.Revision);
                Assert.Equal(a.Revision, b.Revision);
                Assert.True(snapshot.Revision >= lastRevision);
                lastRevision = snapshot.Revision;
                reads++;
            }
        })).ToArray();

        await Task.WhenAll(writers);
        await writing.CancelAsync();
        await Task.WhenAll(readers);
    }

    [Fact]
    public async Task Commit_OneInstanceSharedByManyThreads_AppliesEveryCommitOnce()
    {
        await using var store = await OpenNewAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(i =>
            Task.Run(() => store.CommitAsync(Ops(Create($"node/{i:D3}"))))));

        Assert.All(results, r => Assert.True(r.Succeeded));
        Assert.Equal(100, results.Select(r => r.Revision).Distinct().Count());
        var snapshot = await store.ReadAsync("node/");
        Assert.Equal(results.Max(r => r.Revision), snapshot.Revision);
        Assert.Equal(100, snapshot.Items.Count);
    }

    [Fact]
    public async Task WatchRevisions_YieldsTheCurrentRevisionThenEachCommitOfAnotherInstance_UntilCancelled()
    {
        await using var store = await OpenNewAsync();
        var first = await store.CommitAsync(Ops(Create("a")));
        await using var other = await OpenAgainAsync(store);
        using var cancel = new CancellationTokenSource();
        var feed = store.WatchRevisionsAsync(TimeSpan.FromMilliseconds(20), cancel.Token).GetAsyncEnumerator(cancel.Token);
        try
        {
            Assert.Equal(first.Revision, await NextAsync(feed));
            for (var i = 0; i < 5; i++)
            {
                var commit = await other.CommitAsync(Ops(Put("a", $"{i}")));
                Assert.Equal(commit.Revision, await NextAsync(feed));
            }

            var waiting = feed.MoveNextAsync().AsTask();
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        }
        finally
        {
            await feed.DisposeAsync();
        }
    }

    [Fact]
    public async Task WatchRevisions_PollIntervalNotPositive_IsRefused()
    {
        await using var store = await OpenNewAsync();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
        {
            await foreach (var _ in store.WatchRevisionsAsync(TimeSpan.Zero))
            {
            }
        });
    }

    /// <summary>The feed's next revision, within 20 s.</summary>
    protected static async Task<long> NextAsync(IAsyncEnumerator<long> feed)
    {
        Assert.True(await feed.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20)), "The change feed ended.");
        return feed.Current;
    }

    private static IEnumerable<string> Block(int start) =>
        Enumerable.Range(start, 4).Select(i => $"alloc/node/10.0.0.{i}");

    /// <summary>Writers, each with its own instance of <paramref name="store"/>'s state, started together.</summary>
    private async Task RunWritersAsync(IStateStore store, int count, Func<IStateStore, int, Task> write)
    {
        using var start = new Barrier(count);
        var writers = Enumerable.Range(0, count).Select(writer => Task.Factory.StartNew(
            async () =>
            {
                await using var own = await OpenAgainAsync(store);
                start.SignalAndWait();
                await write(own, writer);
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap());
        await Task.WhenAll(writers);
    }
}
