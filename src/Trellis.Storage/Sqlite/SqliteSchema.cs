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
    private const string CreateTables = """
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

    // mmap_size, for connections that only read: pages are read from the file's mapping instead of being copied into
    // SQLite's page cache (a read of a large state faults in a few mapped pages at a time, not every cached page). Trellis
    // never shrinks the file (no VACUUM), and writes go to the write-ahead log, so a mapping is never cut short under a reader.
    private const string ReadOnlySettings = " PRAGMA mmap_size = 268435456;";

    public static void ApplyConnectionSettings(SqliteConnection connection, bool readOnly = false)
    {
        using var command = connection.CreateCommand();
        command.CommandText = readOnly ? ConnectionSettings + ReadOnlySettings : ConnectionSettings;
        command.ExecuteNonQuery();
    }

    private static readonly string[] KvColumns = ["key", "value", "create_revision", "mod_revision"];
    private static readonly string[] MetaColumns = ["id", "revision", "schema_version"];

    /// <summary>
    /// Switches the file to WAL and creates the tables when the file holds no tables at all; throws when it holds anything
    /// else than a Trellis state store of this schema version (another program's tables are never touched).
    /// </summary>
    public static void Ensure(SqliteConnection connection, string filePath)
    {
        var tables = Tables(connection);
        if (tables.Count > 0)
        {
            Verify(connection, filePath, tables);
        }

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
            create.CommandText = CreateTables;
            create.ExecuteNonQuery();
        }

        transaction.Commit();
        Verify(connection, filePath, Tables(connection));
    }

    /// <summary>
    /// Throws unless the file holds exactly the tables of a Trellis state store, with their columns, the one meta row and
    /// this schema version: a foreign database is refused, and a damaged one is never silently re-initialized.
    /// </summary>
    public static void Verify(SqliteConnection connection, string filePath, IReadOnlyDictionary<string, IReadOnlyList<string>> tables)
    {
        var foreign = tables.Keys.Where(t => t is not ("kv" or "meta")).Order(StringComparer.Ordinal).ToList();
        if (foreign.Count > 0 || !tables.ContainsKey("kv"))
        {
            throw new StoreException($"'{filePath}' is an SQLite database of another program (tables: {string.Join(", ", tables.Keys.Order(StringComparer.Ordinal))}), not a Trellis state file; it was not changed.");
        }

        if (!tables.TryGetValue("meta", out var meta) || !meta.SequenceEqual(MetaColumns) || !tables["kv"].SequenceEqual(KvColumns))
        {
            throw new StoreException($"The Trellis state file '{filePath}' is damaged: its {(meta is null ? "meta table is missing" : "tables do not have their columns")}, so its revision is unknown. It was not changed; restore it from a backup.");
        }

        using var version = connection.CreateCommand();
        version.CommandText = "SELECT schema_version FROM meta WHERE id = 1;";
        if (version.ExecuteScalar() is not long found)
        {
            throw new StoreException($"The Trellis state file '{filePath}' is damaged: its meta row is missing, so its revision is unknown. It was not changed; restore it from a backup.");
        }

        if (found != Version)
        {
            throw new StoreException(
                $"The SQLite state store '{filePath}' has schema version {found}; this Trellis reads only version {Version}.");
        }
    }

    /// <summary>The tables of the database and their columns in order; SQLite's own tables left out.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Tables(SqliteConnection connection)
    {
        var tables = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\';";
        var names = new List<string>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                names.Add(reader.GetString(0));
            }
        }

        foreach (var name in names)
        {
            command.CommandText = "SELECT name FROM pragma_table_info($table) ORDER BY cid;";
            command.Parameters.Clear();
            command.Parameters.AddWithValue("$table", name);
            var columns = new List<string>();
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    columns.Add(reader.GetString(0));
                }
            }

            tables[name] = columns;
        }

        return tables;
    }
}
