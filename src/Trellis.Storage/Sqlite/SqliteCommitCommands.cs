using Microsoft.Data.Sqlite;

namespace Trellis.Storage.Sqlite;

/// <summary>
/// The statements of one write transaction, each prepared once on first use and re-bound per key,
/// so that a commit of many operations costs one parse per kind of statement.
/// </summary>
internal sealed class SqliteCommitCommands(SqliteConnection connection, SqliteTransaction transaction) : IDisposable
{
    private static readonly (string Name, SqliteType Type)[] Parameters =
        [("$key", SqliteType.Text), ("$value", SqliteType.Blob), ("$revision", SqliteType.Integer)];

    private SqliteCommand? modRevision;
    private SqliteCommand? create;
    private SqliteCommand? put;
    private SqliteCommand? delete;

    public async Task<long> ReadStoreRevisionAsync(CancellationToken cancellationToken)
    {
        using var command = Prepare("SELECT revision FROM meta WHERE id = 1;");
        return await command.ExecuteScalarAsync(cancellationToken) as long?
            ?? throw new StoreException("The Trellis state file is damaged: its meta row is missing, so its revision is unknown. Restore it from a backup.");
    }

    public async Task WriteStoreRevisionAsync(long revision, CancellationToken cancellationToken)
    {
        using var command = Prepare("UPDATE meta SET revision = $revision WHERE id = 1;");
        command.Parameters["$revision"].Value = revision;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The key's mod revision, or 0 when it is absent.</summary>
    public async Task<long> ModRevisionAsync(string key, CancellationToken cancellationToken)
    {
        modRevision ??= Prepare("SELECT mod_revision FROM kv WHERE key = $key;");
        modRevision.Parameters["$key"].Value = key;
        return await modRevision.ExecuteScalarAsync(cancellationToken) is long revision ? revision : 0;
    }

    /// <summary>Inserts the key; false when it already exists, which the primary key decides.</summary>
    public async Task<bool> TryCreateAsync(string key, byte[] value, long revision, CancellationToken cancellationToken)
    {
        create ??= Prepare(
            """
            INSERT INTO kv (key, value, create_revision, mod_revision) VALUES ($key, $value, $revision, $revision)
            ON CONFLICT (key) DO NOTHING;
            """);
        return await ExecuteAsync(create, key, value, revision, cancellationToken) == 1;
    }

    public async Task PutAsync(string key, byte[] value, long revision, CancellationToken cancellationToken)
    {
        put ??= Prepare(
            """
            INSERT INTO kv (key, value, create_revision, mod_revision) VALUES ($key, $value, $revision, $revision)
            ON CONFLICT (key) DO UPDATE SET value = excluded.value, mod_revision = excluded.mod_revision;
            """);
        await ExecuteAsync(put, key, value, revision, cancellationToken);
    }

    /// <summary>Removes the key; false when it was absent.</summary>
    public async Task<bool> DeleteAsync(string key, CancellationToken cancellationToken)
    {
        delete ??= Prepare("DELETE FROM kv WHERE key = $key;");
        delete.Parameters["$key"].Value = key;
        return await delete.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public void Dispose()
    {
        modRevision?.Dispose();
        create?.Dispose();
        put?.Dispose();
        delete?.Dispose();
    }

    private static Task<int> ExecuteAsync(
        SqliteCommand command, string key, byte[] value, long revision, CancellationToken cancellationToken)
    {
        command.Parameters["$key"].Value = key;
        command.Parameters["$value"].Value = value;
        command.Parameters["$revision"].Value = revision;
        return command.ExecuteNonQueryAsync(cancellationToken);
    }

    private SqliteCommand Prepare(string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, type) in Parameters)
        {
            if (sql.Contains(name, StringComparison.Ordinal))
            {
                command.Parameters.Add(name, type);
            }
        }

        command.Prepare();
        return command;
    }
}
