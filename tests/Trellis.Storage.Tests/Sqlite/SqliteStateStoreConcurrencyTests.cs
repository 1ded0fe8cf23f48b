using System.Collections.Concurrent;
using Trellis.Storage.Sqlite;
using static Trellis.Storage.Tests.StoreText;

namespace Trellis.Storage.Tests.Sqlite;

/// <summary>Stores of one file opened and closed by many threads (the racing writers are in the shared contract, <see cref="StateStoreContractTests"/>).</summary>
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
}
