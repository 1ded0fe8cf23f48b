using System.Collections.Concurrent;
using Trellis.Storage.Etcd;
using static Trellis.Storage.Tests.StoreText;

namespace Trellis.Storage.Tests.Etcd;

/// <summary>
/// Commits beyond one etcd transaction (128 operations, 1.5 MiB): all or nothing, invisible to readers until done, and a
/// writer that dies midway leaves nothing visible and is undone by the next writer.
/// </summary>
[Collection(EtcdCollection.Name)]
public sealed class EtcdLargeCommitTests(EtcdFixture etcd)
{
    // 10,000 values of 200 bytes: 2 MB, over etcd's 1.5 MiB request limit and far over its 128 operations.
    private static readonly string Payload = new('p', 200);

    private static TxnOperation[] Creates(int count, string value, string prefix = "alloc/node/") =>
        [.. Enumerable.Range(0, count).Select(i => Create($"{prefix}{i:D5}", value))];

    [Fact]
    public async Task Commit_TenThousandOperations_AllOrNothingAndNoReaderEverSeesPartOfIt()
    {
        await using var store = etcd.OpenNew();
        var before = await store.CommitAsync(Ops(Create("site/generation", "1")));
        using var done = new CancellationTokenSource();
        var counts = new ConcurrentBag<(int Items, long Revision)>();
        var reader = Task.Run(async () =>
        {
            await using var other = etcd.Open(store.KeyPrefix);
            while (!done.IsCancellationRequested)
            {
                var snapshot = await other.ReadAsync(["alloc/", "site/"]);
                counts.Add((snapshot.Items.Count, snapshot.Revision));
                Assert.All(snapshot.Items, i => Assert.True(i.Revision <= snapshot.Revision));
                var streamed = 0;
                await other.ReadEachAsync(["alloc/"], (_, _, _) => streamed++);
                Assert.True(streamed is 0 or 10_000, $"A streamed read saw {streamed} of 10,000 items.");
            }
        });

        var result = await store.CommitAsync(new StoreTransaction(
            [At("site/generation", before.Revision)],
            [Put("site/generation", "2"), .. Creates(10_000, Payload)]));
        await Task.Delay(200);
        await done.CancelAsync();
        await reader;

        Assert.True(result.Succeeded);
        var snapshot = await store.ReadAsync("alloc/");
        Assert.Equal(result.Revision, snapshot.Revision);
        Assert.Equal(10_000, snapshot.Items.Count);
        Assert.All(snapshot.Items, i => Assert.Equal(Payload, Text(i)));
        Assert.All(counts, c => Assert.True(c.Items is 1 or 10_001, $"A reader saw {c.Items} items at revision {c.Revision}."));
        Assert.Contains(counts, c => c.Items == 1);
        var generation = Assert.Single((await store.ReadAsync("site/")).Items);
        Assert.Equal("2", Text(generation));
        Assert.InRange(generation.Revision, before.Revision + 1, result.Revision);
    }

    [Fact]
    public async Task Commit_CreateOfAnExistingKeyAmongThousands_FailsTheWholeCommit()
    {
        await using var store = etcd.OpenNew();
        var taken = await store.CommitAsync(Ops(Create("alloc/node/07000", "cluster/payments"), Create("keep", "old")));

        var result = await store.CommitAsync(Ops([Put("keep", "new"), .. Creates(10_000, Payload)]));

        Assert.Equal(new CommitResult(false, taken.Revision, "alloc/node/07000"), result);
        var snapshot = await store.ReadAsync("");
        Assert.Equal(taken.Revision, snapshot.Revision);
        Assert.Equal([("alloc/node/07000", "cluster/payments"), ("keep", "old")], snapshot.Items.Select(i => (i.Key, Text(i))));

        // Nothing is left held: a small commit goes straight through.
        Assert.True((await store.CommitAsync(Ops(Put("keep", "next")))).Succeeded);
    }

    [Fact]
    public async Task Commit_FailingConditionOfALargeCommit_NamesItsKeyAndWritesNothing()
    {
        await using var store = etcd.OpenNew();
        var first = await store.CommitAsync(Ops(Create("site/generation", "1")));
        var second = await store.CommitAsync(Ops(Put("site/generation", "2")));

        var result = await store.CommitAsync(new StoreTransaction([At("site/generation", first.Revision)], Creates(500, Payload)));

        Assert.Equal(new CommitResult(false, second.Revision, "site/generation"), result);
        Assert.Empty((await store.ReadAsync("alloc/")).Items);
    }

    [Fact]
    public async Task Commit_WriterStoppedMidChunks_LeavesNothingVisibleAndTheNextCommitUndoesIt()
    {
        await using var store = etcd.OpenNew();
        var setup = await store.CommitAsync(Ops([.. Creates(100, "old"), Create("site/generation", "1")]));
        var before = await store.ReadAsync("");
        store.StopAfterChunks = 3;

        // Overwrites, deletes and creates, beyond one transaction: stopped after 3 of its chunks are written.
        await Assert.ThrowsAsync<EtcdStateStore.WriterStoppedException>(() => store.CommitAsync(Ops(
            [.. Enumerable.Range(0, 50).Select(i => Put($"alloc/node/{i:D5}", "new")),
             .. Enumerable.Range(50, 50).Select(i => Delete($"alloc/node/{i:D5}")),
             .. Creates(1_000, Payload, "alloc/extra/")])));

        await using var other = etcd.Open(store.KeyPrefix);
        AssertSameState(before, await other.ReadAsync(""));
        Assert.Equal(setup.Revision, await other.ReadRevisionAsync());

        // The next commit (small, from another client) finds the mark, undoes the chunks, and then commits.
        var next = await other.CommitAsync(When([At("site/generation", setup.Revision)], Put("site/generation", "2")));

        Assert.True(next.Succeeded);
        var after = await other.ReadAsync("");
        Assert.Equal(next.Revision, after.Revision);
        Assert.Equal(
            before.Items.Select(i => (i.Key, Text(i))).Where(i => i.Key != "site/generation").Append(("site/generation", "2")).Order(),
            after.Items.Select(i => (i.Key, Text(i))).Order());
        Assert.All(after.Items, i => Assert.True(i.Revision <= after.Revision));

        // And a large commit works again from there.
        store.StopAfterChunks = null;
        var large = await store.CommitAsync(Ops(Creates(1_000, Payload, "alloc/extra/")));
        Assert.True(large.Succeeded);
        Assert.Equal(1_000, (await other.ReadAsync("alloc/extra/")).Items.Count);
    }

    [Fact]
    public async Task Commit_SmallCommitOnKeysADeadWriterTouched_UndoesItAndCommitsInsteadOfConflicting()
    {
        await using var store = etcd.OpenNew();
        var setup = await store.CommitAsync(Ops(Create("site/generation", "1")));
        store.StopAfterChunks = 2;

        // The dead writer's first chunk moves site/generation and creates the addresses a small commit then creates.
        await Assert.ThrowsAsync<EtcdStateStore.WriterStoppedException>(() => store.CommitAsync(When([At("site/generation", setup.Revision)],
            [Put("site/generation", "dead"), .. Creates(1_000, Payload, "alloc/extra/")])));

        // What the Engine does: read the generation, commit on it with a create of an address the dead writer had written, and
        // on a conflict read and try again. The undo rewrites what the dead writer touched (new revisions), so one conflict
        // may come first; what must not happen is a conflict every time (reads at the mark, compares against the chunks).
        await using var other = etcd.Open(store.KeyPrefix);
        CommitResult next = new(false, 0, null);
        for (var attempt = 0; attempt < 3 && !next.Succeeded; attempt++)
        {
            var generation = (await other.ReadAsync("site/")).Items.Single().Revision;
            next = await other.CommitAsync(When([At("site/generation", generation)], Put("site/generation", "2"), Create("alloc/extra/00000", "small")));
        }

        Assert.True(next.Succeeded, $"{next}");
        var after = await other.ReadAsync("");
        Assert.Equal([("alloc/extra/00000", "small"), ("site/generation", "2")], after.Items.Select(i => (i.Key, Text(i))).Order());
    }

    [Fact]
    public async Task Commit_LargeWriterStoppedTwice_TheNextLargeCommitUndoesBoth()
    {
        await using var store = etcd.OpenNew();
        await store.CommitAsync(Ops(Creates(200, "old")));
        var before = await store.ReadAsync("");
        store.StopAfterChunks = 1;
        await Assert.ThrowsAsync<EtcdStateStore.WriterStoppedException>(() => store.CommitAsync(Ops(Creates(600, "x", "alloc/a/"))));
        await Assert.ThrowsAsync<EtcdStateStore.WriterStoppedException>(() => store.CommitAsync(Ops(Creates(600, "y", "alloc/b/"))));
        AssertSameState(before, await store.ReadAsync(""));
        store.StopAfterChunks = null;

        var result = await store.CommitAsync(Ops([.. Enumerable.Range(0, 200).Select(i => Delete($"alloc/node/{i:D5}")), .. Creates(300, "z", "alloc/c/")]));

        Assert.True(result.Succeeded);
        var after = await store.ReadAsync("");
        Assert.Equal(Enumerable.Range(0, 300).Select(i => $"alloc/c/{i:D5}"), after.Items.Select(i => i.Key));
    }

    [Fact]
    public async Task Commit_TwoClientsRacingToCreateTheSameKeys_ExactlyOneWinsEach()
    {
        await using var first = etcd.OpenNew();
        await using var second = etcd.Open(first.KeyPrefix);
        await first.CommitAsync(Ops(Create("site/generation")));

        // Large commits of 400 addresses, and small ones of 4, overlapping: each address ends with one owner.
        var smallWins = new List<int>();
        var results = await Task.WhenAll(
            Task.Run(() => first.CommitAsync(Ops(Creates(400, "first", "alloc/vip/")))),
            Task.Run(() => second.CommitAsync(Ops(Creates(400, "second", "alloc/vip/")))),
            Task.Run(async () =>
            {
                var won = new List<CommitResult>();
                for (var i = 0; i < 100; i++)
                {
                    won.Add(await second.CommitAsync(Ops([.. Enumerable.Range(i * 4, 4).Select(n => Create($"alloc/vip/{n:D5}", $"small-{i}"))])));
                    if (won[^1].Succeeded)
                    {
                        smallWins.Add(i);
                    }
                }

                return !won.Any(r => r.Succeeded) ? new CommitResult(false, 0, null) : new CommitResult(true, 0, null);
            }));

        var items = (await first.ReadAsync("alloc/vip/")).Items;
        Assert.Equal(400, items.Count);
        var owners = items.Select(i => Text(i)).Distinct().ToList();
        // Every small commit told it won holds its 4 addresses: no large commit took them afterwards.
        var owner = items.ToDictionary(i => i.Key, i => Text(i));
        Assert.All(smallWins, i => Assert.All(Enumerable.Range(i * 4, 4), n => Assert.Equal($"small-{i}", owner[$"alloc/vip/{n:D5}"])));
        Assert.True(results[0].Succeeded ^ results[1].Succeeded || owners.All(o => o.StartsWith("small-", StringComparison.Ordinal)),
            $"Both large commits report {results[0].Succeeded}/{results[1].Succeeded}; owners: {string.Join(",", owners.Take(5))}");
        if (results[0].Succeeded || results[1].Succeeded)
        {
            Assert.Equal([results[0].Succeeded ? "first" : "second"], owners);
        }
        else
        {
            Assert.All(owners, o => Assert.StartsWith("small-", o, StringComparison.Ordinal));
        }
    }

    private static void AssertSameState(StoreSnapshot expected, StoreSnapshot actual)
    {
        Assert.Equal(expected.Revision, actual.Revision);
        Assert.Equal(expected.Items.Select(i => (i.Key, Text(i), i.Revision)), actual.Items.Select(i => (i.Key, Text(i), i.Revision)));
    }
}
