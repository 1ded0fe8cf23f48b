using System.Collections.Concurrent;
using Etcdserverpb;
using Trellis.Storage.Etcd;
using static Trellis.Storage.Tests.StoreText;

namespace Trellis.Storage.Tests.Etcd;

/// <summary>
/// How many requests the store sends for the operations an allocation is made of, counted where they leave the client: a read
/// of a small site and a commit of one create or one conditioned release each take one, as a raw etcd client's would. And the
/// shortcuts keep the snapshot whole: a read longer than its first page reads on at the first page's revision.
/// </summary>
[Collection(EtcdCollection.Name)]
public sealed class EtcdRoundTripTests(EtcdFixture etcd)
{
    private static readonly string[] SitePrefixes = ["site/", "alloc/", "upgrade/"];

    [Fact]
    public async Task Read_OfASmallSite_IsOneRequestAndEqualsTheItemsRangeByRange()
    {
        var requests = new ConcurrentQueue<object>();
        await using var store = etcd.OpenFaulty(Counting(requests));
        await store.CommitAsync(Ops(Put("site/spec", "s"), Create("alloc/vip/10.0.0.1", "a"), Create("alloc/vip/10.0.0.2", "b"), Create("upgrade/k1", "u"), Put("audit/1", "x")));
        requests.Clear();

        var snapshot = await store.ReadAsync(SitePrefixes);

        Assert.Single(requests);
        Assert.Equal(["alloc/vip/10.0.0.1", "alloc/vip/10.0.0.2", "site/spec", "upgrade/k1"], snapshot.Items.Select(i => i.Key));
        Assert.Equal(["a", "b", "s", "u"], snapshot.Items.Select(Text));
        Assert.Equal(snapshot.Revision, await store.ReadRevisionAsync());
    }

    [Fact]
    public async Task ReadEach_OfASmallSite_IsOneRequest()
    {
        var requests = new ConcurrentQueue<object>();
        await using var store = etcd.OpenFaulty(Counting(requests));
        var written = await store.CommitAsync(Ops(Put("site/spec", "s"), Create("alloc/vip/10.0.0.1", "a")));
        requests.Clear();
        var keys = new List<string>();

        var revision = await store.ReadEachAsync(SitePrefixes, (key, _, _) => keys.Add(System.Text.Encoding.UTF8.GetString(key)));

        Assert.Single(requests);
        Assert.Equal(written.Revision, revision);
        Assert.Equal(["site/spec", "alloc/vip/10.0.0.1"], keys);
    }

    [Fact]
    public async Task Read_LongerThanItsFirstPage_ReadsOnAtTheFirstPagesRevisionThoughACommitCameBetween()
    {
        var requests = new ConcurrentQueue<object>();
        var faults = Counting(requests);
        await using var store = etcd.OpenFaulty(faults, o => o with { ReadPageSize = 4 });
        await store.CommitAsync(Ops([.. Enumerable.Range(0, 10).Select(i => Create($"alloc/vip/10.0.0.{i:D2}", "old"))]));
        var before = await store.ReadRevisionAsync();
        await using var writer = etcd.Open(store.KeyPrefix);
        var interleaved = 0;
        requests.Clear();
        faults.Unary = async (request, send) =>
        {
            requests.Enqueue(request);
            var response = await send();
            if (request is TxnRequest && Interlocked.Exchange(ref interleaved, 1) == 0)
            {
                // After the first page and before the rest: a commit that changes, removes and adds items of the range.
                var changed = await writer.CommitAsync(Ops(Put("alloc/vip/10.0.0.00", "new"), Delete("alloc/vip/10.0.0.09"), Create("alloc/vip/10.0.0.10", "new")));
                Assert.True(changed.Succeeded);
            }

            return response;
        };

        var snapshot = await store.ReadAsync(["alloc/"]);

        Assert.Equal(1, interleaved);
        Assert.Equal(before, snapshot.Revision);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"alloc/vip/10.0.0.{i:D2}"), snapshot.Items.Select(i => i.Key));
        Assert.All(snapshot.Items, i => Assert.Equal("old", Text(i)));

        // One transaction (head, mark, the first 4), then the other 6 in pages of 4 at its revision.
        Assert.Equal(3, requests.Count);
        var pages = requests.OfType<RangeRequest>().ToList();
        Assert.Equal(2, pages.Count);
        Assert.All(pages, p => Assert.NotEqual(0, p.Revision));
    }

    [Fact]
    public async Task Read_OfSeveralRanges_SharesOnePageAndReadsOnOnlyTheLongOnes()
    {
        var requests = new ConcurrentQueue<object>();
        await using var store = etcd.OpenFaulty(Counting(requests), o => o with { ReadPageSize = 6 });
        await store.CommitAsync(Ops([
            Put("site/spec", "s"),
            .. Enumerable.Range(0, 7).Select(i => Create($"alloc/vip/10.0.0.{i}", "a")),
            Create("upgrade/k1", "u"),
        ]));
        requests.Clear();

        var snapshot = await store.ReadAsync(SitePrefixes);

        // 6 / 3 ranges: 2 items each in the transaction; alloc/ has 5 more, read in one page of 6.
        Assert.Equal(9, snapshot.Items.Count);
        Assert.Equal(2, requests.Count);
        var txn = Assert.IsType<TxnRequest>(requests.First());
        Assert.All(txn.Success.Skip(2), op => Assert.Equal(2, op.RequestRange.Limit));
        Assert.Equal(txn.Success[3].RequestRange.RangeEnd, Assert.IsType<RangeRequest>(requests.Last()).RangeEnd);
    }

    [Fact]
    public async Task Commit_OfOneCreate_IsOneRequest()
    {
        var requests = new ConcurrentQueue<object>();
        await using var store = etcd.OpenFaulty(Counting(requests));
        await store.CommitAsync(Ops(Put("site/spec", "s")));
        requests.Clear();

        var result = await store.CommitAsync(Ops(Create("alloc/vip/10.0.0.1", "a")));

        Assert.True(result.Succeeded);
        Assert.Single(requests);
    }

    [Fact]
    public async Task Release_ConditionedOnItsRevision_IsOneRequestAndMovesTheRevision()
    {
        var requests = new ConcurrentQueue<object>();
        await using var store = etcd.OpenFaulty(Counting(requests));
        var taken = await store.CommitAsync(Ops(Create("alloc/vip/10.0.0.1", "a")));
        requests.Clear();

        var released = await store.CommitAsync(When([At("alloc/vip/10.0.0.1", taken.Revision)], Delete("alloc/vip/10.0.0.1")));

        Assert.True(released.Succeeded);
        Assert.True(released.Revision > taken.Revision);
        Assert.Single(requests);
        var snapshot = await store.ReadAsync("");
        Assert.Empty(snapshot.Items);
        Assert.Equal(released.Revision, snapshot.Revision);
    }

    [Fact]
    public async Task Release_OfAKeyThatMovedOn_IsOneRequestAndNamesTheKey()
    {
        var requests = new ConcurrentQueue<object>();
        await using var store = etcd.OpenFaulty(Counting(requests));
        var taken = await store.CommitAsync(Ops(Create("alloc/vip/10.0.0.1", "a")));
        var retaken = await store.CommitAsync(Ops(Put("alloc/vip/10.0.0.1", "b")));
        requests.Clear();

        var released = await store.CommitAsync(When([At("alloc/vip/10.0.0.1", taken.Revision)], Delete("alloc/vip/10.0.0.1")));

        Assert.Equal(new CommitResult(false, retaken.Revision, "alloc/vip/10.0.0.1"), released);
        Assert.Single(requests);
        Assert.Equal("b", Text(Assert.Single((await store.ReadAsync("alloc/")).Items)));
    }

    [Fact]
    public async Task Delete_WithoutACondition_StillLooksFirst_AndOfAnAbsentKeyChangesNothing()
    {
        var requests = new ConcurrentQueue<object>();
        await using var store = etcd.OpenFaulty(Counting(requests));
        var written = await store.CommitAsync(Ops(Create("alloc/vip/10.0.0.1", "a")));
        requests.Clear();

        var result = await store.CommitAsync(Ops(Delete("alloc/vip/10.0.0.2")));

        Assert.Equal(new CommitResult(true, written.Revision, null), result);
        Assert.Equal(2, requests.Count);
        Assert.Equal(written.Revision, await store.ReadRevisionAsync());
    }

    [Fact]
    public async Task LargeCommit_OntoAnEmptyKeyspace_ChecksItsCreatesByOneCountNotATransactionPer128Keys()
    {
        var requests = new ConcurrentQueue<object>();
        await using var store = etcd.OpenFaulty(Counting(requests));

        var result = await store.CommitAsync(Ops([.. Enumerable.Range(0, 1000).Select(i => Create($"alloc/vip/{i:D4}", "a"))]));

        Assert.True(result.Succeeded);
        Assert.Single(requests, r => r is RangeRequest { CountOnly: true });
        Assert.DoesNotContain(requests, IsLookup);
        Assert.Equal(1000, (await store.ReadAsync("alloc/")).Items.Count);
    }

    [Fact]
    public async Task LargeCommit_CreateOfAKeyTakenAmongMany_FoundByTheScanOrByLookups_WhicheverIsFewerRequests()
    {
        var requests = new ConcurrentQueue<object>();
        await using var store = etcd.OpenFaulty(Counting(requests), o => o with { ReadPageSize = 10 });
        var creates = Enumerable.Range(0, 300).Select(i => Create($"alloc/vip/{i:D4}", "b")).ToArray();

        // 3 keys in the range: one page of a keys-only scan, against 3 transactions of 128 lookups.
        var few = await store.CommitAsync(Ops(Create("alloc/vip/0000", "a"), Create("alloc/vip/0150", "a"), Create("alloc/vip/0299", "a")));
        requests.Clear();
        Assert.Equal(new CommitResult(false, few.Revision, "alloc/vip/0000"), await store.CommitAsync(Ops(creates)));
        Assert.DoesNotContain(requests, IsLookup);
        Assert.Contains(requests, r => r is RangeRequest { KeysOnly: true, CountOnly: false });

        // 300 keys in the range: 30 pages of 10, against 3 transactions of lookups.
        await store.CommitAsync(Ops([.. Enumerable.Range(0, 300).Where(i => i is not 0 and not 150 and not 299).Select(i => Create($"alloc/vip/{i:D4}", "a"))]));
        await store.CommitAsync(When([At("alloc/vip/0000", few.Revision)], Delete("alloc/vip/0000")));
        requests.Clear();
        var again = await store.CommitAsync(Ops(creates));
        Assert.Equal("alloc/vip/0001", again.ConflictKey);
        Assert.Equal(3, requests.Count(IsLookup));
        Assert.DoesNotContain(requests, r => r is RangeRequest { KeysOnly: true, CountOnly: false });
        Assert.Equal(299, (await store.ReadAsync("alloc/")).Items.Count);
    }

    [Fact]
    public async Task SharedClient_StoresOfSeveralKeyspaces_UseOneConnection_AndDisposingOneLeavesItOpen()
    {
        var requests = new ConcurrentQueue<object>();
        var prefix = $"/trellis-tests/{Guid.NewGuid():N}/";
        using var client = new dotnet_etcd.EtcdClient(etcd.Cluster.Endpoints, interceptors: [Counting(requests)]);
        var first = EtcdStateStore.OpenShared(new EtcdStoreOptions { Endpoints = etcd.Cluster.Endpoints, KeyPrefix = prefix + "a/" }, client);
        await using var second = EtcdStateStore.OpenShared(new EtcdStoreOptions { Endpoints = etcd.Cluster.Endpoints, KeyPrefix = prefix + "b/" }, client);

        Assert.True((await first.CommitAsync(Ops(Create("alloc/vip/10.0.0.1", "a")))).Succeeded);
        await first.DisposeAsync();
        Assert.True((await second.CommitAsync(Ops(Create("alloc/vip/10.0.0.1", "b")))).Succeeded);

        // Both went through the one client; each keyspace holds its own.
        Assert.Equal(2, requests.Count);
        Assert.Equal("b", Text(Assert.Single((await second.ReadAsync("alloc/")).Items)));
        await using var reopened = etcd.Open(prefix + "a/");
        Assert.Equal("a", Text(Assert.Single((await reopened.ReadAsync("alloc/")).Items)));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => first.ReadAsync("alloc/"));
    }

    /// <summary>A transaction of keys-only reads of single keys: the lookup of the keys that decide a commit.</summary>
    private static bool IsLookup(object request) =>
        request is TxnRequest { Compare.Count: 0 } txn && txn.Success.Count > 2 && txn.Success.All(op => op.RequestRange is { KeysOnly: true, RangeEnd.IsEmpty: true });

    /// <summary>An injector that records every unary request and sends it on.</summary>
    private static EtcdFaultInjector Counting(ConcurrentQueue<object> requests) => new()
    {
        Unary = async (request, send) =>
        {
            requests.Enqueue(request);
            return await send();
        },
    };
}
