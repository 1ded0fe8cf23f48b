using Microsoft.Data.Sqlite;
using Trellis.Storage.Sqlite;
using static Trellis.Storage.Tests.Sqlite.StoreText;

namespace Trellis.Storage.Tests.Sqlite;

public sealed class SqliteStateStoreTests : IDisposable
{
    private readonly TempDirectory directory = new();

    private string StatePath => directory.File("state.db");

    public void Dispose() => directory.Dispose();

    [Fact]
    public async Task Read_NewStore_IsEmptyAtRevisionZero()
    {
        await using var store = SqliteStateStore.Open(StatePath);

        var snapshot = await store.ReadAsync("");

        Assert.Equal(0, snapshot.Revision);
        Assert.Empty(snapshot.Items);
    }

    [Fact]
    public async Task Commit_AllOperationsOfOneCommit_ShareTheNextRevision()
    {
        await using var store = SqliteStateStore.Open(StatePath);

        var first = await store.CommitAsync(Ops(Create("a"), Put("b")));
        var second = await store.CommitAsync(Ops(Put("c"), Put("d")));

        Assert.Equal(new CommitResult(true, 1, null), first);
        Assert.Equal(new CommitResult(true, 2, null), second);
        var snapshot = await store.ReadAsync("");
        Assert.Equal(2, snapshot.Revision);
        Assert.Equal([("a", 1L), ("b", 1L), ("c", 2L), ("d", 2L)], snapshot.Items.Select(i => (i.Key, i.Revision)));
    }

    [Fact]
    public async Task Commit_PutOnExistingKey_ReplacesValueAndRevision()
    {
        await using var store = SqliteStateStore.Open(StatePath);
        await store.CommitAsync(Ops(Create("a", "old"), Create("b")));

        var result = await store.CommitAsync(Ops(Put("a", "new")));

        Assert.Equal(new CommitResult(true, 2, null), result);
        var items = (await store.ReadAsync("")).Items;
        Assert.Equal([("a", "new", 2L), ("b", "v", 1L)], items.Select(i => (i.Key, Text(i), i.Revision)));
    }

    [Fact]
    public async Task Commit_NoOperations_SucceedsWithoutBumpingRevision()
    {
        await using var store = SqliteStateStore.Open(StatePath);
        await store.CommitAsync(Ops(Create("a")));

        var result = await store.CommitAsync(When([At("a", 1)]));

        Assert.Equal(new CommitResult(true, 1, null), result);
        Assert.Equal(1, (await store.ReadAsync("")).Revision);
    }

    [Fact]
    public async Task Commit_Delete_RemovesTheKeyAtTheNextRevision()
    {
        await using var store = SqliteStateStore.Open(StatePath);
        await store.CommitAsync(Ops(Create("a"), Create("b")));

        var result = await store.CommitAsync(Ops(Delete("a")));

        Assert.Equal(new CommitResult(true, 2, null), result);
        var snapshot = await store.ReadAsync("");
        Assert.Equal(2, snapshot.Revision);
        Assert.Equal(["b"], snapshot.Items.Select(i => i.Key));
    }

    [Fact]
    public async Task Commit_DeleteOfAbsentKeysOnly_ChangesNothingAndKeepsRevision()
    {
        await using var store = SqliteStateStore.Open(StatePath);
        await store.CommitAsync(Ops(Create("a")));

        var result = await store.CommitAsync(Ops(Delete("x"), Delete("y")));

        Assert.Equal(new CommitResult(true, 1, null), result);
        Assert.Equal(1, (await store.ReadAsync("")).Revision);
    }

    [Fact]
    public async Task Commit_ConditionOnCurrentRevision_Holds()
    {
        await using var store = SqliteStateStore.Open(StatePath);
        await store.CommitAsync(Ops(Create("a")));
        await store.CommitAsync(Ops(Create("b")));

        var result = await store.CommitAsync(When([At("a", 1), At("b", 2), At("absent", 0)], Put("a", "x")));

        Assert.Equal(new CommitResult(true, 3, null), result);
    }

    [Fact]
    public async Task Commit_ConditionOnStaleRevision_FailsNamingTheKeyAndWritesNothing()
    {
        await using var store = SqliteStateStore.Open(StatePath);
        await store.CommitAsync(Ops(Create("a")));
        await store.CommitAsync(Ops(Put("a", "changed")));

        var result = await store.CommitAsync(When([At("a", 1)], Put("a", "lost update"), Create("b")));

        Assert.Equal(new CommitResult(false, 2, "a"), result);
        var snapshot = await store.ReadAsync("");
        Assert.Equal(2, snapshot.Revision);
        Assert.Equal([("a", "changed")], snapshot.Items.Select(i => (i.Key, Text(i))));
    }

    [Theory]
    [InlineData("present", 0, false)]
    [InlineData("absent", 0, true)]
    [InlineData("absent", 1, false)]
    public async Task Commit_ConditionRevisionZero_MeansTheKeyIsAbsent(string key, long revision, bool holds)
    {
        await using var store = SqliteStateStore.Open(StatePath);
        await store.CommitAsync(Ops(Create("present")));

        var result = await store.CommitAsync(When([At(key, revision)], Put("z")));

        Assert.Equal(holds, result.Succeeded);
        Assert.Equal(holds ? null : key, result.ConflictKey);
    }

    [Fact]
    public async Task Commit_FailingConditions_ReportTheFirstFailingKey()
    {
        await using var store = SqliteStateStore.Open(StatePath);
        await store.CommitAsync(Ops(Create("a"), Create("b")));

        var result = await store.CommitAsync(When([At("a", 1), At("b", 7), At("c", 7)], Put("d")));

        Assert.Equal("b", result.ConflictKey);
    }

    [Fact]
    public async Task Commit_CreateOnExistingKey_FailsWholeTransaction()
    {
        await using var store = SqliteStateStore.Open(StatePath);
        await store.CommitAsync(Ops(Create("alloc/vip/172.16.0.150", "cluster/payments/api-server"), Create("keep")));

        var result = await store.CommitAsync(Ops(
            Put("keep", "overwritten"),
            Delete("keep"),
            Create("alloc/vip/172.16.0.151", "service/shop/web"),
            Create("alloc/vip/172.16.0.150", "service/shop/db"),
            Create("after")));

        Assert.Equal(new CommitResult(false, 1, "alloc/vip/172.16.0.150"), result);
        var snapshot = await store.ReadAsync("");
        Assert.Equal(1, snapshot.Revision);
        Assert.Equal(
            [("alloc/vip/172.16.0.150", "cluster/payments/api-server", 1L), ("keep", "v", 1L)],
            snapshot.Items.Select(i => (i.Key, Text(i), i.Revision)));
    }

    [Fact]
    public async Task Commit_SameKeyCreatedTwiceInOneTransaction_Conflicts()
    {
        await using var store = SqliteStateStore.Open(StatePath);

        var result = await store.CommitAsync(Ops(Create("a"), Create("a")));

        Assert.Equal(new CommitResult(false, 0, "a"), result);
        Assert.Empty((await store.ReadAsync("")).Items);
    }

    [Fact]
    public async Task Commit_OperationsApplyInOrder_CreateAfterDeleteOfSameKeySucceeds()
    {
        await using var store = SqliteStateStore.Open(StatePath);
        await store.CommitAsync(Ops(Create("a", "first")));

        var result = await store.CommitAsync(Ops(Delete("a"), Create("a", "second")));

        Assert.Equal(new CommitResult(true, 2, null), result);
        Assert.Equal([("a", "second", 2L)], (await store.ReadAsync("")).Items.Select(i => (i.Key, Text(i), i.Revision)));
    }

    [Fact]
    public async Task Commit_EmptyValue_RoundTrips()
    {
        await using var store = SqliteStateStore.Open(StatePath);

        await store.CommitAsync(new StoreTransaction([], [new TxnOperation.Create("empty", [])]));

        Assert.Empty(Assert.Single((await store.ReadAsync("")).Items).Value);
    }

    [Fact]
    public async Task Commit_EmptyOrMalformedKey_IsRejectedAsABug()
    {
        await using var store = SqliteStateStore.Open(StatePath);

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
        await using var store = SqliteStateStore.Open(StatePath);

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
        await using var store = SqliteStateStore.Open(StatePath);
        await store.CommitAsync(Ops(
            [.. new[] { "allocz", "alloc/b", "alloc/ab/1", "alloc/a/2", "alloc0", "alloc/ab", "alloc/a", "alloc/a/1" }
                .Select(k => Create(k))]));

        var snapshot = await store.ReadAsync(prefix);

        Assert.Equal(expected, snapshot.Items.Select(i => i.Key));
        Assert.Equal(1, snapshot.Revision);
    }

    [Theory]
    [InlineData("k\uD7FF", new[] { "k\uD7FF", "k\uD7FFx" })]
    [InlineData("k\uFFFF", new[] { "k\uFFFF" })]
    [InlineData("k\U0010FFFF", new[] { "k\U0010FFFF", "k\U0010FFFF\U0010FFFF" })]
    [InlineData("k\U0010FFFF\U0010FFFF", new[] { "k\U0010FFFF\U0010FFFF" })]
    public async Task Read_PrefixEndingInEdgeCharacters_StopsAtTheNextCodePoint(string prefix, string[] expected)
    {
        await using var store = SqliteStateStore.Open(StatePath);
        await store.CommitAsync(Ops(
            [.. new[] { "k\uD7FF", "k\uD7FFx", "k\uE000", "k\uFFFF", "k\U00010000", "k\U0010FFFF", "k\U0010FFFF\U0010FFFF", "l" }
                .Select(k => Create(k))]));

        var snapshot = await store.ReadAsync(prefix);

        Assert.Equal(expected, snapshot.Items.Select(i => i.Key));
    }

    [Fact]
    public async Task Read_Items_AreInOrdinalOrderEvenBeyondTheBasicPlane()
    {
        await using var store = SqliteStateStore.Open(StatePath);
        await store.CommitAsync(Ops(Create("k\uFFFD"), Create("k\U0001F600"), Create("k\uE000"), Create("ka")));

        var keys = (await store.ReadAsync("k")).Items.Select(i => i.Key).ToList();

        Assert.Equal(keys.Order(StringComparer.Ordinal), keys);
        Assert.Equal(4, keys.Count);
    }

    [Fact]
    public async Task Open_ExistingFile_SeesTheSameDataAndRevision()
    {
        await using (var store = SqliteStateStore.Open(StatePath))
        {
            await store.CommitAsync(Ops(Create("a", "1"), Create("b", "2")));
            await store.CommitAsync(Ops(Delete("a"), Put("c", "3")));
        }

        await using var reopened = SqliteStateStore.Open(StatePath);
        var snapshot = await reopened.ReadAsync("");

        Assert.Equal(2, snapshot.Revision);
        Assert.Equal([("b", "2", 1L), ("c", "3", 2L)], snapshot.Items.Select(i => (i.Key, Text(i), i.Revision)));
        Assert.Equal(new CommitResult(true, 3, null), await reopened.CommitAsync(Ops(Put("d"))));
    }

    [Fact]
    public async Task Open_MissingDirectories_AreCreated()
    {
        var path = directory.File(Path.Combine("nested", "deeper", "state.db"));

        await using var store = SqliteStateStore.Open(path);

        Assert.True(File.Exists(path));
        Assert.Equal(path, store.FilePath);
    }

    [Fact]
    public async Task Open_NewFile_IsInWalJournalMode()
    {
        await using var store = SqliteStateStore.Open(StatePath);

        using var connection = new SqliteConnection($"Data Source={StatePath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", command.ExecuteScalar());
    }

    [Fact]
    public async Task Open_FileThatIsNotADatabase_ThrowsStoreExceptionNamingTheFile()
    {
        await File.WriteAllTextAsync(StatePath, new string('x', 4096));

        var error = Assert.Throws<StoreException>(() => SqliteStateStore.Open(StatePath));

        Assert.Contains(StatePath, error.Message, StringComparison.Ordinal);
        Assert.IsType<SqliteException>(error.InnerException);
    }

    [Fact]
    public async Task Open_FileOfAnotherSchemaVersion_ThrowsStoreException()
    {
        await using (SqliteStateStore.Open(StatePath))
        {
        }

        using (var connection = new SqliteConnection($"Data Source={StatePath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE meta SET schema_version = 2;";
            command.ExecuteNonQuery();
        }

        var error = Assert.Throws<StoreException>(() => SqliteStateStore.Open(StatePath));

        Assert.Contains("schema version 2", error.Message, StringComparison.Ordinal);
        Assert.Contains(StatePath, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Commit_WhileAnotherConnectionHoldsTheWriteLock_WaitsInsteadOfFailing()
    {
        await using var store = SqliteStateStore.Open(StatePath);
        using var other = new SqliteConnection($"Data Source={StatePath};Pooling=False");
        other.Open();
        var lockHeld = other.BeginTransaction(deferred: false);

        var commit = Task.Run(() => store.CommitAsync(Ops(Create("a"))));
        await Task.Delay(300);
        Assert.False(commit.IsCompleted);
        lockHeld.Commit();

        Assert.Equal(new CommitResult(true, 1, null), await commit);
    }

    [Fact]
    public async Task Commit_AlreadyCancelled_WritesNothing()
    {
        await using var store = SqliteStateStore.Open(StatePath);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => store.CommitAsync(Ops(Create("a")), new CancellationToken(canceled: true)));

        Assert.Empty((await store.ReadAsync("")).Items);
    }

    [Fact]
    public async Task Commit_AfterDispose_ThrowsObjectDisposed()
    {
        var store = SqliteStateStore.Open(StatePath);
        await store.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.CommitAsync(Ops(Create("a"))));
    }

    [Fact]
    public async Task Commit_TwentyThousandCreatesInOneTransaction_AllLandAtOneRevision()
    {
        // Its speed is measured by ApplyBenchmarks (docs/benchmarks.md), not by a timer in a unit test.
        await using var store = SqliteStateStore.Open(StatePath);
        var creates = Enumerable.Range(0, 20_000)
            .Select(i => Create($"alloc/node/10.{i / 65536}.{i / 256 % 256}.{i % 256}", "cluster/payments/pod"))
            .ToArray();

        var result = await store.CommitAsync(Ops(creates));

        Assert.True(result.Succeeded);
        var read = await store.ReadAsync("alloc/node/");
        Assert.Equal(20_000, read.Items.Count);
        Assert.All(read.Items, i => Assert.Equal(result.Revision, i.Revision));
    }
}
