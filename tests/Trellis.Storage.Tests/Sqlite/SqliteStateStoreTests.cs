using Microsoft.Data.Sqlite;
using Trellis.Storage.Sqlite;
using static Trellis.Storage.Tests.StoreText;

namespace Trellis.Storage.Tests.Sqlite;

public sealed class SqliteStateStoreTests : IDisposable
{
    private readonly TempDirectory directory = new();

    private string StatePath => directory.File("state.db");

    public void Dispose() => directory.Dispose();

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
}
