using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Trellis.Storage.Sqlite;
using static Trellis.Storage.Tests.StoreText;

namespace Trellis.Storage.Tests.Sqlite;

/// <summary>Issue 9 item 9: reads never create or convert, a foreign or damaged file is refused, a read-only one still serves reads.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SqliteStateFileSafetyTests : IDisposable
{
    private readonly TempDirectory directory = new();

    private string StatePath => directory.File("state.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        directory.Dispose();
    }

    private static void Sql(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private async Task WriteTwoRevisions()
    {
        await using var store = SqliteStateStore.Open(StatePath);
        await store.CommitAsync(Ops(Create("a")));
        await store.CommitAsync(Ops(Put("b")));
    }

    [Fact]
    public async Task OpenReadOnly_OfAMissingFile_ReadsEmpty_AndCreatesNothing()
    {
        var path = directory.File("sub/state.db");

        await using var store = SqliteStateStore.OpenReadOnly(path);
        var snapshot = await store.ReadAsync("");

        Assert.Equal(0, snapshot.Revision);
        Assert.Empty(snapshot.Items);
        Assert.False(Directory.Exists(directory.File("sub")));
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.CommitAsync(Ops(Create("a"))));
    }

    [Fact]
    public async Task OpenReadOnly_OfAStore_ReadsIt_AndRefusesCommits()
    {
        await WriteTwoRevisions();

        await using var store = SqliteStateStore.OpenReadOnly(StatePath);

        Assert.Equal(2, (await store.ReadAsync("")).Revision);
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.CommitAsync(Ops(Create("c"))));
    }

    [Fact]
    public async Task OpenReadOnly_InAReadOnlyFolder_StillServesReads()
    {
        await WriteTwoRevisions();
        SqliteConnection.ClearAllPools();
        using var readOnly = ReadOnlyFolder.Make(directory.Path);

        await using (var store = SqliteStateStore.OpenReadOnly(StatePath))
        {
            var snapshot = await store.ReadAsync("");
            Assert.Equal(2, snapshot.Revision);
            Assert.Equal(["a", "b"], snapshot.Items.Select(i => i.Key));
        }

        var write = Assert.Throws<StoreException>(() => SqliteStateStore.Open(StatePath));
        Assert.Contains(StatePath, write.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_OfAnotherProgramsDatabase_IsRefused_AndLeavesItAsItWas()
    {
        var path = directory.File("theirs.db");
        Sql(path, "CREATE TABLE people (name TEXT); INSERT INTO people VALUES ('x');");
        var before = File.ReadAllBytes(path);

        var open = Assert.Throws<StoreException>(() => SqliteStateStore.Open(path));
        var read = Assert.Throws<StoreException>(() => SqliteStateStore.OpenReadOnly(path));

        Assert.Contains("another program", open.Message, StringComparison.Ordinal);
        Assert.Contains("another program", read.Message, StringComparison.Ordinal);
        SqliteConnection.ClearAllPools();
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.False(File.Exists(path + "-wal"));
    }

    [Fact]
    public async Task Open_AfterTheMetaTableWasDropped_IsAStoreError_NeverAResetToRevisionZero()
    {
        await WriteTwoRevisions();
        Sql(StatePath, "DROP TABLE meta;");

        var open = Assert.Throws<StoreException>(() => SqliteStateStore.Open(StatePath));
        Assert.Contains("meta", open.Message, StringComparison.Ordinal);
        Assert.Throws<StoreException>(() => SqliteStateStore.OpenReadOnly(StatePath));

        // Nothing was re-created behind the operator's back: the meta table is still missing and the data is there.
        Sql(StatePath, "CREATE TABLE probe (x); DROP TABLE probe;");
        using var connection = new SqliteConnection($"Data Source={StatePath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_schema WHERE name = 'meta';";
        Assert.Equal(0L, command.ExecuteScalar());
        command.CommandText = "SELECT count(*) FROM kv;";
        Assert.Equal(2L, command.ExecuteScalar());
    }

    [Fact]
    public async Task Read_WhenTheMetaRowVanishesWhileOpen_IsAStoreError()
    {
        await using var store = SqliteStateStore.Open(StatePath);
        await store.CommitAsync(Ops(Create("a")));
        Sql(StatePath, "DELETE FROM meta;");

        await Assert.ThrowsAsync<StoreException>(() => store.ReadAsync(""));
        await Assert.ThrowsAsync<StoreException>(() => store.ReadEachAsync([""], (_, _, _) => { }));
        await Assert.ThrowsAsync<StoreException>(() => store.CommitAsync(Ops(Create("b"))));
    }

    [Fact]
    public async Task StreamedRead_EndsWithTheVisitorsException_AndLeavesTheStoreUsable()
    {
        await using var store = SqliteStateStore.Open(StatePath);
        await store.CommitAsync(Ops(Create("a"), Create("b"), Create("c")));
        var seen = new List<string>();

        var thrown = await Assert.ThrowsAsync<StoreException>(() => store.ReadEachAsync([""], (key, _, _) =>
        {
            seen.Add(System.Text.Encoding.UTF8.GetString(key));
            throw new StoreException($"'{seen[^1]}' is damaged");
        }));

        Assert.Equal("'a' is damaged", thrown.Message);
        Assert.Equal(["a"], seen);
        Assert.True((await store.CommitAsync(Ops(Create("d")))).Succeeded);
        seen.Clear();
        Assert.Equal(2, await store.ReadEachAsync([""], (key, _, _) => seen.Add(System.Text.Encoding.UTF8.GetString(key))));
        Assert.Equal(["a", "b", "c", "d"], seen);
    }
}

/// <summary>
/// Makes a folder read-only for this process for real: a read-only bind mount when running as root (root ignores file
/// modes), else file modes. Undone on dispose.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class ReadOnlyFolder : IDisposable
{
    private readonly string path;
    private readonly bool mounted;

    private ReadOnlyFolder(string path, bool mounted)
    {
        this.path = path;
        this.mounted = mounted;
    }

    public static ReadOnlyFolder Make(string path)
    {
        if (Environment.UserName == "root")
        {
            Run("mount", "--bind", path, path);
            Run("mount", "-o", "remount,bind,ro", path);
            return new ReadOnlyFolder(path, mounted: true);
        }

        foreach (var file in Directory.GetFiles(path))
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        return new ReadOnlyFolder(path, mounted: false);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (mounted)
        {
            Run("umount", path);
            return;
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (var file in Directory.GetFiles(path))
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    private static void Run(string program, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed: {error}");
        }
    }
}
