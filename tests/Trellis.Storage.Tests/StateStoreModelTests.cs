using CsCheck;

namespace Trellis.Storage.Tests;

/// <summary>
/// Random transaction sequences give the same results on a store as on <see cref="InMemoryStateStore"/>, run unchanged on
/// each backend by a class that says how to open one. The model counts revisions 1, 2, 3…; a store's revisions need only
/// rise with every change, so they are compared through the correspondence the commits establish (each new store revision
/// is the next model revision), and a condition on a model revision is sent to the store with its store revision.
/// </summary>
public abstract class StateStoreModelTests
{
    // Few keys, so that creates collide and conditions sometimes hold; siblings that share a prefix; and
    // characters where UTF-8 (the stores) and UTF-16 ordinal (the contract) order differently.
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

    /// <summary>A new, empty store.</summary>
    protected abstract Task<IStateStore> OpenNewAsync();

    /// <summary>How many random sequences are tried.</summary>
    protected virtual int Iterations => 150;

    [Fact]
    public Task Commit_RandomTransactionSequences_MatchTheInMemoryModel() =>
        Transaction.Array[1, 12].SampleAsync(
            async transactions =>
            {
                await using var model = new InMemoryStateStore();
                await using var store = await OpenNewAsync();
                var revisions = new Revisions();
                foreach (var transaction in transactions)
                {
                    var expected = await model.CommitAsync(transaction);
                    var actual = await store.CommitAsync(revisions.ToStore(transaction));
                    Assert.Equal(expected, actual with { Revision = revisions.Learn(actual.Revision, expected.Revision) });
                }

                foreach (var prefix in Prefixes)
                {
                    AssertSameSnapshot(await model.ReadAsync(prefix), await store.ReadAsync(prefix), revisions);
                }

                foreach (var prefixes in PrefixSets)
                {
                    AssertSameSnapshot(await model.ReadAsync(prefixes), await store.ReadAsync(prefixes), revisions);
                    await AssertSameStreamAsync(model, store, prefixes, revisions);
                }

                foreach (var prefix in Prefixes)
                {
                    await AssertSameStreamAsync(model, store, [prefix], revisions);
                }
            },
            iter: Iterations,
            print: Print);

    /// <summary>
    /// The streamed read of the store hands over what the model's (the interface's own, over its snapshot) does, in the same
    /// order: code points, by prefix. Prefixes of which one starts with another are refused by both.
    /// </summary>
    private static async Task AssertSameStreamAsync(IStateStore model, IStateStore store, IReadOnlyList<string> prefixes, Revisions revisions)
    {
        if (prefixes.Any(p => prefixes.Count(q => q.StartsWith(p, StringComparison.Ordinal)) > 1))
        {
            await Assert.ThrowsAsync<ArgumentException>(() => model.ReadEachAsync(prefixes, (_, _, _) => { }));
            await Assert.ThrowsAsync<ArgumentException>(() => store.ReadEachAsync(prefixes, (_, _, _) => { }));
            return;
        }

        var (expectedRevision, expected) = await StreamAsync(model, prefixes, r => r);
        var (revision, items) = await StreamAsync(store, prefixes, revisions.ToModel);

        Assert.Equal(expectedRevision, revisions.ToModel(revision));
        Assert.Equal(expected, items);
        Assert.Equal(View(await store.ReadAsync(prefixes), revisions.ToModel).Order(), items.Order());
    }

    private static async Task<(long Revision, List<(string, string, long)> Items)> StreamAsync(IStateStore store, IReadOnlyList<string> prefixes, Func<long, long> map)
    {
        var items = new List<(string, string, long)>();
        var revision = await store.ReadEachAsync(prefixes, (key, value, revision) => items.Add((System.Text.Encoding.UTF8.GetString(key), Convert.ToHexString(value), revision)));
        return (revision, [.. items.Select(i => (i.Item1, i.Item2, map(i.Item3)))]);
    }

    private static void AssertSameSnapshot(StoreSnapshot expected, StoreSnapshot actual, Revisions revisions)
    {
        Assert.Equal(expected.Revision, revisions.ToModel(actual.Revision));
        Assert.Equal(View(expected, r => r), View(actual, revisions.ToModel));
    }

    private static IEnumerable<(string, string, long)> View(StoreSnapshot snapshot, Func<long, long> map) =>
        snapshot.Items.Select(i => (i.Key, Convert.ToHexString(i.Value), map(i.Revision)));

    private static string Print(StoreTransaction[] transactions) =>
        string.Join(Environment.NewLine, transactions.Select(t =>
            $"if [{string.Join(", ", t.Conditions)}] do [{string.Join(", ", t.Operations.Select(Print))}]"));

    private static string Print(TxnOperation operation) => operation switch
    {
        TxnOperation.Create c => $"Create {c.Key}={Convert.ToHexString(c.Value)}",
        TxnOperation.Put p => $"Put {p.Key}={Convert.ToHexString(p.Value)}",
        _ => $"Delete {operation.Key}",
    };

    /// <summary>The store's revisions and the model's, as the commits paired them: one to one, both rising.</summary>
    private sealed class Revisions
    {
        private readonly Dictionary<long, long> toModel = new() { [0] = 0 };
        private readonly Dictionary<long, long> toStore = new() { [0] = 0 };

        /// <summary>Pairs a commit's store revision with the model's; a store revision seen before must pair as before.</summary>
        public long Learn(long store, long model)
        {
            if (toModel.TryGetValue(store, out var known))
            {
                return known;
            }

            Assert.False(toStore.ContainsKey(model), $"Store revision {store} is new, but model revision {model} was paired before.");
            Assert.True(store > toModel.Keys.Max(), $"Store revision {store} does not rise above {toModel.Keys.Max()}.");
            toModel[store] = model;
            toStore[model] = store;
            return model;
        }

        public long ToModel(long store) =>
            toModel.TryGetValue(store, out var model) ? model : throw new Xunit.Sdk.XunitException($"Store revision {store} was returned by no commit.");

        /// <summary>The transaction with each condition's model revision replaced by the store's (one no key has, if the model never reached it).</summary>
        public StoreTransaction ToStore(StoreTransaction transaction) => transaction with
        {
            Conditions = [.. transaction.Conditions.Cast<TxnCondition.RevisionEquals>()
                .Select(c => c with { Revision = toStore.TryGetValue(c.Revision, out var store) ? store : long.MaxValue - c.Revision })],
        };
    }
}
