using CsCheck;
using Trellis.Storage.Sqlite;

namespace Trellis.Storage.Tests.Sqlite;

/// <summary>Random transaction sequences give the same results on SQLite as on <see cref="InMemoryStateStore"/>.</summary>
public sealed class SqliteStateStoreModelTests : IDisposable
{
    // Few keys, so that creates collide and conditions sometimes hold; siblings that share a prefix; and
    // characters where UTF-8 (SQLite) and UTF-16 ordinal (the contract) order differently.
    private static readonly string[] Keys =
        ["a", "ab", "alloc/a", "alloc/a/1", "alloc/ab", "alloc/b", "k/\uFFFD", "k/\U0001F600", "k/\uE000"];

    private static readonly string[] Prefixes = ["", "a", "alloc/", "alloc/a", "alloc/a/", "alloc/ab", "k/", "k/\U0001F600", "z"];

    // Several prefixes read at once, overlapping ones among them: each item once, in key order.
    private static readonly string[][] PrefixSets =
        [[], ["alloc/", "k/"], ["k/", "a"], ["a", "alloc/a"], ["", "k/"], ["alloc/a/", "alloc/a", "z"], ["k/\U0001F600", "ab"], ["k/", "k/"], ["alloc/a/1", "alloc/a/1", "alloc/"]];

    private static readonly Gen<string> Key = Gen.OneOfConst(Keys);

    private static readonly Gen<TxnCondition> Condition =
        Gen.Select(Key, Gen.Long[0, 4], (key, revision) => (TxnCondition)new TxnCondition.RevisionEquals(key, revision));

    private static readonly Gen<TxnOperation> Operation = Gen.Frequency(
        (3, Gen.Select(Key, Gen.Byte.Array[0, 3], (key, value) => (TxnOperation)new TxnOperation.Create(key, value))),
        (3, Gen.Select(Key, Gen.Byte.Array[0, 3], (key, value) => (TxnOperation)new TxnOperation.Put(key, value))),
        (2, Key.Select(key => (TxnOperation)new TxnOperation.Delete(key))));

    private static readonly Gen<StoreTransaction> Transaction = Gen.Select(
        Gen.Frequency((3, Gen.Const(Array.Empty<TxnCondition>())), (2, Condition.Array[1, 2])),
        Operation.Array[0, 4],
        (conditions, operations) => new StoreTransaction(conditions, operations));

    private readonly TempDirectory directory = new();

    public void Dispose() => directory.Dispose();

    [Fact]
    public Task Commit_RandomTransactionSequences_MatchTheInMemoryModel() =>
        Transaction.Array[1, 12].SampleAsync(
            async transactions =>
            {
                await using var model = new InMemoryStateStore();
                await using var store = SqliteStateStore.Open(directory.File($"{Guid.NewGuid():N}.db"));
                foreach (var transaction in transactions)
                {
                    Assert.Equal(await model.CommitAsync(transaction), await store.CommitAsync(transaction));
                }

                foreach (var prefix in Prefixes)
                {
                    AssertSameSnapshot(await model.ReadAsync(prefix), await store.ReadAsync(prefix));
                }

                foreach (var prefixes in PrefixSets)
                {
                    AssertSameSnapshot(await model.ReadAsync(prefixes), await store.ReadAsync(prefixes));
                    await AssertSameStreamAsync(model, store, prefixes);
                }

                foreach (var prefix in Prefixes)
                {
                    await AssertSameStreamAsync(model, store, [prefix]);
                }
            },
            iter: 150,
            print: Print);

    /// <summary>
    /// The streamed read of SQLite hands over what the model's (the interface's own, over its snapshot) does, in the same
    /// order: code points, by prefix. Prefixes of which one starts with another are refused by both.
    /// </summary>
    private static async Task AssertSameStreamAsync(IStateStore model, IStateStore store, IReadOnlyList<string> prefixes)
    {
        if (prefixes.Any(p => prefixes.Count(q => q.StartsWith(p, StringComparison.Ordinal)) > 1))
        {
            await Assert.ThrowsAsync<ArgumentException>(() => model.ReadEachAsync(prefixes, (_, _, _) => { }));
            await Assert.ThrowsAsync<ArgumentException>(() => store.ReadEachAsync(prefixes, (_, _, _) => { }));
            return;
        }

        var (expectedRevision, expected) = await StreamAsync(model, prefixes);
        var (revision, items) = await StreamAsync(store, prefixes);

        Assert.Equal(expectedRevision, revision);
        Assert.Equal(expected, items);
        Assert.Equal(View(await store.ReadAsync(prefixes)).Order(), items.Order());
    }

    private static async Task<(long Revision, List<(string, string, long)> Items)> StreamAsync(IStateStore store, IReadOnlyList<string> prefixes)
    {
        var items = new List<(string, string, long)>();
        var revision = await store.ReadEachAsync(prefixes, (key, value, revision) => items.Add((System.Text.Encoding.UTF8.GetString(key), Convert.ToHexString(value), revision)));
        return (revision, items);
    }

    private static void AssertSameSnapshot(StoreSnapshot expected, StoreSnapshot actual)
    {
        Assert.Equal(expected.Revision, actual.Revision);
        Assert.Equal(View(expected), View(actual));
    }

    private static IEnumerable<(string, string, long)> View(StoreSnapshot snapshot) =>
        snapshot.Items.Select(i => (i.Key, Convert.ToHexString(i.Value), i.Revision));

    private static string Print(StoreTransaction[] transactions) =>
        string.Join(Environment.NewLine, transactions.Select(t =>
            $"if [{string.Join(", ", t.Conditions)}] do [{string.Join(", ", t.Operations.Select(Print))}]"));

    private static string Print(TxnOperation operation) => operation switch
    {
        TxnOperation.Create c => $"Create {c.Key}={Convert.ToHexString(c.Value)}",
        TxnOperation.Put p => $"Put {p.Key}={Convert.ToHexString(p.Value)}",
        _ => $"Delete {operation.Key}",
    };
}
