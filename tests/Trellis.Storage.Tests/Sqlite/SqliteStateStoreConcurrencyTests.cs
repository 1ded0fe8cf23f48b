using System.Collections.Concurrent;
using Trellis.Storage.Sqlite;
using static Trellis.Storage.Tests.Sqlite.StoreText;

namespace Trellis.Storage.Tests.Sqlite;

/// <summary>Several writers on one file, each with its own store instance, as several Trellis processes would be.</summary>
public sealed class SqliteStateStoreConcurrencyTests : IDisposable
{
    private const int Writers = 8;
    private readonly TempDirectory directory = new();

    private string StatePath => directory.File("state.db");

    public void Dispose() => directory.Dispose();

    /// <summary>
    /// A server opens and closes a store per request: closing one store must not pull a pooled connection from under another
    /// store of the same file that is opening or reading (it did: ObjectDisposedException on 'SQLitePCL.sqlite3').
    /// </summary>
    [Fact]
    public async Task StoresOfOneFile_OpenedAndClosedConcurrently_NeverBreakEachOthersConnections()
    {
        await using (var first = SqliteStateStore.Open(StatePath))
        {
            await first.CommitAsync(Ops(Create("alloc/vip/172.16.0.1", "first")));
        }

        var failures = new ConcurrentBag<Exception>();
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(worker => Task.Run(async () =>
        {
            for (var i = 0; i < 400; i++)
            {
                try
                {
                    await using var store = worker % 2 == 0 ? SqliteStateStore.OpenReadOnly(StatePath) : SqliteStateStore.Open(StatePath);
                    Assert.Equal(1, await store.ReadRevisionAsync());
                }
                catch (Exception e)
                {
                    failures.Add(e);
                }
            }
        })));

        Assert.Empty(failures);
    }

    [Fact]
    public async Task Commit_StoresRacingToCreateTheSameAddresses_EachAddressIsWonExactlyOnce()
    {
        var addresses = Enumerable.Range(1, 60).Select(i => $"alloc/vip/172.16.0.{i}").ToArray();
        var wins = new ConcurrentDictionary<string, int>();

        await RunWritersAsync(async (store, writer) =>
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
        await using var reader = SqliteStateStore.Open(StatePath);
        var snapshot = await reader.ReadAsync("alloc/");
        Assert.Equal(addresses.Length, snapshot.Revision);
        Assert.Equal(addresses.Order(StringComparer.Ordinal), snapshot.Items.Select(i => i.Key));
        Assert.Equal(Enumerable.Range(1, addresses.Length).Select(r => (long)r), snapshot.Items.Select(i => i.Revision).Order());
    }

    [Fact]
    public async Task Commit_RacingMultiKeyCreates_AreNeverPartiallyApplied()
    {
        // Blocks of 4 addresses starting at every address: neighbouring blocks overlap, so most commits conflict.
        var winners = new ConcurrentBag<(int Start, long Revision)>();

        await RunWritersAsync(async (store, writer) =>
        {
            foreach (var start in Enumerable.Range(0, 40).OrderBy(_ => Random.Shared.Next()))
            {
                var result = await store.CommitAsync(Ops([.. Block(start).Select(key => Create(key, $"block-{start}"))]));
                if (result.Succeeded)
                {
                    winners.Add((start, result.Revision));
                }
            }
        });

        await using var reader = SqliteStateStore.Open(StatePath);
        var items = (await reader.ReadAsync("alloc/")).Items.ToDictionary(i => i.Key);
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
        await using (var setup = SqliteStateStore.Open(StatePath))
        {
            await setup.CommitAsync(Ops(Put("pair/a", "0"), Put("pair/b", "0")));
        }

        using var writing = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 2).Select(w => Task.Run(async () =>
        {
            await using var store = SqliteStateStore.Open(StatePath);
            for (var n = 1; n <= 150; n++)
            {
                await store.CommitAsync(Ops(Put("pair/a", $"{w}-{n}"), Put("unrelated", "x"), Put("pair/b", $"{w}-{n}")));
            }
        })).ToArray();

        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            await using var store = SqliteStateStore.Open(StatePath);
            var lastRevision = 0L;
            var reads = 0;
            while (!writing.IsCancellationRequested || reads == 0)
            {
                var snapshot = await store.ReadAsync("pair/");
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
    public async Task ReadOfSeveralPrefixes_WhileOthersWrite_SeesThemAllAtOneRevision()
    {
        await using (var setup = SqliteStateStore.Open(StatePath))
        {
            await setup.CommitAsync(Ops(Put("left/x", "0"), Put("right/y", "0")));
        }

        using var writing = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            await using var store = SqliteStateStore.Open(StatePath);
            for (var n = 1; n <= 200; n++)
            {
                await store.CommitAsync(Ops(Put("left/x", $"{n}"), Put("middle", "m"), Put("right/y", $"{n}")));
            }
        });

        var readers = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            await using var store = SqliteStateStore.Open(StatePath);
            var reads = 0;
            while (!writing.IsCancellationRequested || reads == 0)
            {
                var snapshot = await store.ReadAsync(["right/", "left/"]);
                Assert.Equal(["left/x", "right/y"], snapshot.Items.Select(i => i.Key));
                Assert.Equal(Text(snapshot.Items[0]), Text(snapshot.Items[1]));
                Assert.Equal(snapshot.Items[0].Revision, snapshot.Items[1].Revision);
                reads++;
            }
        })).ToArray();

        await writer;
        await writing.CancelAsync();
        await Task.WhenAll(readers);
    }

    [Fact]
    public async Task Commit_OneInstanceSharedByManyThreads_AppliesEveryCommitOnce()
    {
        await using var store = SqliteStateStore.Open(StatePath);

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            Task.Run(() => store.CommitAsync(Ops(Create($"node/{i:D3}"))))));

        Assert.All(results, r => Assert.True(r.Succeeded));
        Assert.Equal(Enumerable.Range(1, 200).Select(r => (long)r), results.Select(r => r.Revision).Order());
        var snapshot = await store.ReadAsync("node/");
        Assert.Equal(200, snapshot.Revision);
        Assert.Equal(200, snapshot.Items.Count);
    }

    private static IEnumerable<string> Block(int start) =>
        Enumerable.Range(start, 4).Select(i => $"alloc/node/10.0.0.{i}");

    private async Task RunWritersAsync(Func<SqliteStateStore, int, Task> write)
    {
        using var start = new Barrier(Writers);
        var writers = Enumerable.Range(0, Writers).Select(writer => Task.Factory.StartNew(
            async () =>
            {
                await using var store = SqliteStateStore.Open(StatePath);
                start.SignalAndWait();
                await write(store, writer);
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap());
        await Task.WhenAll(writers);
    }
}
