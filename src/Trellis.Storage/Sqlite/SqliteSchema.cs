using Microsoft.Data.Sqlite;

namespace Trellis.Storage.Sqlite;

/// <summary>The tables of a state file and the settings of every connection to it.</summary>
internal static class SqliteSchema
{
    public const long Version = 1;

    // busy_timeout: writers from other processes wait for the lock instead of failing.
    // synchronous=FULL: in WAL mode, a commit is on disk before it returns, so a killed process loses nothing committed.
    private const string ConnectionSettings =
        "PRAGMA busy_timeout = 30000; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;";

    // The primary key on kv.key is the unique key per (pool, address): two writers can never both create alloc/<pool>/<address>.
    private const string Tables = """
        CREATE TABLE IF NOT EXISTS kv (
            key TEXT PRIMARY KEY,
            value BLOB NOT NULL,
            create_revision INTEGER NOT NULL,
            mod_revision INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS meta (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            revision INTEGER NOT NULL,
            schema_version INTEGER NOT NULL
        );
        INSERT OR IGNORE INTO meta (id, revision, schema_version) VALUES (1, 0, 1);
        """;

    public static void ApplyConnectionSettings(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = ConnectionSettings;
        command.ExecuteNonQuery();
    }

    /// <summary>Switches the file to WAL and creates the tables if missing; throws when the file is of another schema version.</summary>
    public static void Ensure(SqliteConnection connection, string filePath)
    {
        using (var wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode = WAL;";
            var mode = wal.ExecuteScalar() as string;
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new StoreException($"The SQLite state store '{filePath}' refused WAL journal mode (it stays in '{mode}' mode).");
            }
        }

        using var transaction = connection.BeginTransaction(deferred: false);
        using (var create = connection.CreateCommand())
        {
            create.Transaction = transaction;
            create.CommandText = Tables;
            create.ExecuteNonQuery();
        }

        using var version = connection.CreateCommand();
        version.Transaction = transaction;
        version.CommandText = "SELECT schema_version FROM meta WHERE id = 1;";
        var found = Convert.ToInt64(version.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        transaction.Commit();
        if (found != Version)
        {
            throw new StoreException(
                $"The SQLite state store '{filePath}' has schema version {found}; this Trellis reads only version {Version}.");
        }
    }
}
