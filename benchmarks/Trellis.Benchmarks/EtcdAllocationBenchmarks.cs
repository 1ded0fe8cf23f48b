using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Trellis.Storage;
using Trellis.Storage.Etcd;
using Trellis.TestSupport.Etcd;

namespace Trellis.Benchmarks;

/// <summary>
/// Allocations on a real 3-member etcd cluster on loopback (started by the setup, removed by the cleanup), as Trellis makes
/// them: read the pool's held addresses, pick a free one, commit a create. Through <see cref="EtcdStateStore"/> (a read, then
/// <see cref="EtcdStateStore.CommitAsync"/>) against raw dotnet-etcd requests of the same shape in the same run: the same
/// range read, and the store's transaction (compare the address's and <c>pending</c>'s revisions with 0; put the address and
/// <c>head</c>; on failure read the address, <c>pending</c> and <c>head</c>). One allocator after another, and 8 at once on
/// one pool (a conflict is read again and retried, as the Engine does). A pool is filled to <see cref="PoolFill"/> of its
/// <see cref="PoolSize"/> addresses, then the next pool is used, so that every read returns 0–127 addresses whatever the
/// number of iterations. docs/benchmarks.md, section 9.
/// </summary>
[Config(typeof(BenchConfig))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class EtcdAllocationBenchmarks : IDisposable
{
    public const int PoolSize = 256;
    public const int PoolFill = 128;
    public const int Allocators = 8;
    public const int PerAllocator = 8;

    private static readonly byte[] Owner = Encoding.UTF8.GetBytes("{\"cluster\":\"k1\",\"kind\":\"vip\",\"owner\":\"shop/web\"}");
    private static readonly string[] Addresses = [.. Enumerable.Range(0, PoolSize).Select(i => $"10.1.{i / 256}.{i % 256}")];

    private EtcdCluster cluster = null!;
    private EtcdStateStore store = null!;
    private EtcdClient raw = null!;
    private long allocated;
    private long conflicts;

    [GlobalSetup]
    public void Setup()
    {
        cluster = EtcdCluster.StartAsync().GetAwaiter().GetResult();
        store = EtcdStateStore.Open(new EtcdStoreOptions { Endpoints = cluster.Endpoints, KeyPrefix = "/bench/trellis/" });
        raw = new EtcdClient(cluster.Endpoints);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Console.WriteLine($"// {allocated} allocations, {conflicts} conflicts retried.");
        store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Dispose();
        cluster.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        raw?.Dispose();
        GC.SuppressFinalize(this);
    }

    [BenchmarkCategory("one allocator"), Benchmark(Baseline = true, Description = "raw dotnet-etcd: range read + txn")]
    public Task Raw() => RawAllocateAsync("/bench/raw/", storeRead: false);

    [BenchmarkCategory("one allocator"), Benchmark(Description = "raw dotnet-etcd: the store's read (head, pending and the range in one txn) + txn")]
    public Task RawReadAsTheStore() => RawAllocateAsync("/bench/raw-store-read/", storeRead: true);

    [BenchmarkCategory("one allocator"), Benchmark(Description = "Trellis: EtcdStateStore.ReadAsync + CommitAsync")]
    public Task Trellis() => TrellisAllocateAsync();

    [BenchmarkCategory("8 allocators on one pool"), Benchmark(Baseline = true, OperationsPerInvoke = Allocators * PerAllocator, Description = "raw dotnet-etcd, 8 at once")]
    public Task RawConcurrent() => Concurrently(() => RawAllocateAsync("/bench/raw-concurrent/", storeRead: false));

    [BenchmarkCategory("8 allocators on one pool"), Benchmark(OperationsPerInvoke = Allocators * PerAllocator, Description = "Trellis, 8 at once")]
    public Task TrellisConcurrent() => Concurrently(TrellisAllocateAsync);

    private static async Task Concurrently(Func<Task> allocate) =>
        await Task.WhenAll(Enumerable.Range(0, Allocators).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < PerAllocator; i++)
            {
                await allocate().ConfigureAwait(false);
            }
        }))).ConfigureAwait(false);

    /// <summary>The pool being filled: the next one once <see cref="PoolFill"/> addresses were taken in this one.</summary>
    private string Pool => $"p{Interlocked.Read(ref allocated) / PoolFill}";

    private static string PickFree(IEnumerable<string> heldAddresses)
    {
        var held = heldAddresses.ToHashSet(StringComparer.Ordinal);
        var free = Addresses.Where(a => !held.Contains(a)).ToArray();
        return free[Random.Shared.Next(free.Length)];
    }

    private async Task TrellisAllocateAsync()
    {
        while (true)
        {
            var pool = $"alloc/{Pool}/";
            var snapshot = await store.ReadAsync(pool).ConfigureAwait(false);
            var address = PickFree(snapshot.Items.Select(i => i.Key[pool.Length..]));
            var result = await store.CommitAsync(new StoreTransaction([], [new TxnOperation.Create(pool + address, Owner)])).ConfigureAwait(false);
            if (Counted(result.Succeeded))
            {
                return;
            }
        }
    }

    private async Task RawAllocateAsync(string prefix, bool storeRead)
    {
        var head = ByteString.CopyFromUtf8(prefix + "head");
        var pending = ByteString.CopyFromUtf8(prefix + "pending");
        while (true)
        {
            var pool = $"{prefix}kv/alloc/{Pool}/";
            var start = ByteString.CopyFromUtf8(pool);
            var end = ByteString.CopyFromUtf8(pool[..^1] + "0");
            RangeResponse read;
            if (storeRead)
            {
                var where = new TxnRequest();
                where.Success.Add(Range(head));
                where.Success.Add(Range(pending));
                where.Success.Add(new RequestOp { RequestRange = new RangeRequest { Key = start, RangeEnd = end, Limit = 1000 } });
                read = (await raw.TransactionAsync(where).ConfigureAwait(false)).Responses[2].ResponseRange;
            }
            else
            {
                read = await raw.GetAsync(new RangeRequest { Key = start, RangeEnd = end, Limit = 1000 }).ConfigureAwait(false);
            }

            var address = PickFree(read.Kvs.Select(kv => kv.Key.ToStringUtf8()[pool.Length..]));
            var key = ByteString.CopyFromUtf8(pool + address);
            var txn = new TxnRequest();
            txn.Compare.Add(new Compare { Key = key, Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = 0 });
            txn.Compare.Add(new Compare { Key = pending, Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = 0 });
            txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = key, Value = ByteString.CopyFrom(Owner) } });
            txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = head, Value = ByteString.CopyFrom(Guid.NewGuid().ToByteArray()) } });
            txn.Failure.Add(Range(key, keysOnly: true));
            txn.Failure.Add(Range(pending, keysOnly: true));
            txn.Failure.Add(Range(head));
            var result = await raw.TransactionAsync(txn).ConfigureAwait(false);
            if (Counted(result.Succeeded))
            {
                return;
            }
        }
    }

    private bool Counted(bool succeeded)
    {
        Interlocked.Increment(ref succeeded ? ref allocated : ref conflicts);
        return succeeded;
    }

    private static RequestOp Range(ByteString key, bool keysOnly = false) => new() { RequestRange = new RangeRequest { Key = key, KeysOnly = keysOnly } };
}
