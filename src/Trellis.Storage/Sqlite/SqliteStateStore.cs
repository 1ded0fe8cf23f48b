using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Trellis.Storage.Sqlite;

/// <summary>
/// The embedded state store: one SQLite file in WAL mode. Every call opens its own (pooled) connection,
/// so one instance serves concurrent callers, and SQLite's file locks let several processes share the file.
/// </summary>
public sealed class SqliteStateStore : IStateStore
{
    private readonly string connectionString;
    private readonly bool readOnly;
    private int disposed;

    private SqliteStateStore(string filePath, SqliteOpenMode mode = SqliteOpenMode.ReadWriteCreate, string? dataSource = null)
    {
        FilePath = filePath;
        readOnly = mode == SqliteOpenMode.ReadOnly;
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = dataSource ?? filePath,
            Mode = mode,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        Enter(connectionString);
    }

    // Stores of one file (one connection string) share one connection pool. Its idle connections are closed when the last of
    // them closes, not each time one does: clearing the pool under another open store of the same file could hand that
    // store a connection whose handle was just disposed (a server opens and closes a store per request).
    private static readonly Dictionary<string, int> OpenStores = new(StringComparer.Ordinal);
    private static readonly Lock PoolLock = new();

    private static void Enter(string connectionString)
    {
        lock (PoolLock)
        {
            OpenStores[connectionString] = OpenStores.GetValueOrDefault(connectionString) + 1;
        }
    }

    /// <summary>This store no longer uses the pool; the last store of its file to leave closes the pool's idle connections.</summary>
    private void Leave()
    {
        lock (PoolLock)
        {
            var left = OpenStores[connectionString] - 1;
            if (left > 0)
            {
                OpenStores[connectionString] = left;
                return;
            }

            OpenStores.Remove(connectionString);
            using var connection = new SqliteConnection(connectionString);
            SqliteConnection.ClearPool(connection);
        }
    }

    /// <summary>The full path of the database file.</summary>
    public string FilePath { get; }

    /// <summary>Opens the store at <paramref name="path"/>, creating the directory, the file and the tables if missing.</summary>
    /// <exception cref="StoreException">The file cannot be created or opened, is not a state store, or has another schema version.</exception>
    public static SqliteStateStore Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var filePath = Path.GetFullPath(path);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(filePath)!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StoreException($"Cannot create the directory of the SQLite state store '{filePath}': {e.Message}", e);
        }

        return Checked(new SqliteStateStore(filePath), connection => SqliteSchema.Ensure(connection, filePath));
    }

    /// <summary>
    /// Opens the store at <paramref name="path"/> for reading only: nothing is created (a missing file reads as an empty
    /// store), nothing is converted, and a read-only file or folder serves reads. Commits are refused.
    /// </summary>
    /// <exception cref="StoreException">The file cannot be opened, is not a Trellis state store, or has another schema version.</exception>
    public static IStateStore OpenReadOnly(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var filePath = Path.GetFullPath(path);
        if (Directory.Exists(filePath))
        {
            throw new StoreException($"The state path '{filePath}' is a folder; give the path of a state file.");
        }

        if (!File.Exists(filePath))
        {
            return new EmptyStateStore(filePath);
        }

        try
        {
            return OpenReadOnlyAs(filePath, new SqliteStateStore(filePath, SqliteOpenMode.ReadOnly));
        }
        catch (StoreException e) when (e.InnerException is SqliteException { SqliteErrorCode: 14 or 8 })
        {
            // SQLITE_CANTOPEN / SQLITE_READONLY: a WAL file needs its shared-memory file, which a read-only folder cannot get.
            // Without a write-ahead log holding changes, the file alone is the whole state and may be read as immutable.
            if (new FileInfo(filePath + "-wal") is { Exists: true, Length: > 0 })
            {
                throw new StoreException($"The state file '{filePath}' has changes in its write-ahead log '{filePath}-wal' that cannot be read from a read-only folder. "
                    + "Make the folder writable once (any Trellis command then folds the log into the file), or copy the three files elsewhere.", e);
            }

            var uri = "file:" + Uri.EscapeDataString(filePath).Replace("%2F", "/", StringComparison.Ordinal) + "?immutable=1";
            return OpenReadOnlyAs(filePath, new SqliteStateStore(filePath, SqliteOpenMode.ReadOnly, uri));
        }
    }

    private static SqliteStateStore OpenReadOnlyAs(string filePath, SqliteStateStore store) =>
        Checked(store, connection => SqliteSchema.Verify(connection, filePath, SqliteSchema.Tables(connection)));

    /// <summary>The store once <paramref name="check"/> passed on a first connection; its pool is cleared when it fails.</summary>
    private static SqliteStateStore Checked(SqliteStateStore store, Action<SqliteConnection> check)
    {
        try
        {
            using var connection = store.Connect();
            check(connection);
            return store;
        }
        catch (SqliteException e)
        {
            store.Close();
            throw store.Failure("open", e);
        }
        catch (StoreException)
        {
            store.Close();
            throw;
        }
    }

    /// <inheritdoc />
    public async Task<StoreSnapshot> ReadAsync(IReadOnlyList<string> prefixes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefixes);
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        var ranges = prefixes.Select(p => (Low: p ?? throw new ArgumentNullException(nameof(prefixes), "A prefix is null."), High: StoreKeys.UpperBound(p))).ToList();
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            await using var connection = Connect();

            // A deferred transaction reads from one WAL snapshot, from its first SELECT to its end: every prefix at one revision.
            await using var transaction = connection.BeginTransaction(deferred: true);
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "SELECT revision FROM meta WHERE id = 1;";
            if (await command.ExecuteScalarAsync(cancellationToken) is not long revision)
            {
                throw new StoreException($"The Trellis state file '{FilePath}' is damaged: its meta row is missing, so its revision is unknown. Restore it from a backup.");
            }

            var items = new List<StoredItem>();
            // Only a prefix that starts with another can read a key twice; disjoint prefixes (the usual read) need no set of keys.
            var seen = StoreKeys.Overlap(prefixes) ? new HashSet<string>(StringComparer.Ordinal) : null;
            foreach (var (low, high) in ranges)
            {
                command.Parameters.Clear();
                command.CommandText = high is null
                    ? "SELECT key, value, mod_revision FROM kv WHERE key >= $low ORDER BY key;"
                    : "SELECT key, value, mod_revision FROM kv WHERE key >= $low AND key < $high ORDER BY key;";
                command.Parameters.AddWithValue("$low", low);
                if (high is not null)
                {
                    command.Parameters.AddWithValue("$high", high);
                }

                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    var key = reader.GetString(0);
                    if (seen?.Add(key) ?? true)
                    {
                        items.Add(new StoredItem(key, reader.GetFieldValue<byte[]>(1), reader.GetInt64(2)));
                    }
                }
            }

            await transaction.CommitAsync(cancellationToken);

            // SQLite orders by code point; the contract promises UTF-16 ordinal, which differs beyond U+FFFF.
            items.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            return new StoreSnapshot(revision, items);
        }
        catch (SqliteException e)
        {
            throw Failure("read", e);
        }
    }

    /// <inheritdoc />
    public async Task<long> ReadRevisionAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            await using var connection = Connect();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT revision FROM meta WHERE id = 1;";
            return await command.ExecuteScalarAsync(cancellationToken) is long revision
                ? revision
                : throw new StoreException($"The Trellis state file '{FilePath}' is damaged: its meta row is missing, so its revision is unknown. Restore it from a backup.");
        }
        catch (SqliteException e)
        {
            throw Failure("read", e);
        }
    }

    /// <inheritdoc />
    public Task<long> ReadEachAsync(IReadOnlyList<string> prefixes, StoredItemVisitor visit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(visit);
        StoreKeys.ThrowIfOverlapping(prefixes);
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            // SQLite answers at once, so the read runs here; its rows go to the visitor straight from SQLite's buffers
            // (no string per key, no array per value, no list of them all).
            using var connection = Connect();
            using var transaction = connection.BeginTransaction(deferred: true);
            var db = connection.Handle!;
            using var statement = new SqliteRows(db, "SELECT revision FROM meta WHERE id = 1;");
            if (!statement.Step() || raw.sqlite3_column_type(statement.Handle, 0) != raw.SQLITE_INTEGER)
            {
                throw new StoreException($"The Trellis state file '{FilePath}' is damaged: its meta row is missing, so its revision is unknown. Restore it from a backup.");
            }

            var revision = raw.sqlite3_column_int64(statement.Handle, 0);
            foreach (var prefix in prefixes)
            {
                var high = StoreKeys.UpperBound(prefix);
                using var rows = new SqliteRows(db, high is null
                    ? "SELECT key, value, mod_revision FROM kv WHERE key >= ?1 ORDER BY key;"
                    : "SELECT key, value, mod_revision FROM kv WHERE key >= ?1 AND key < ?2 ORDER BY key;");
                rows.Bind(1, prefix);
                if (high is not null)
                {
                    rows.Bind(2, high);
                }

                while (rows.Step())
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    visit(raw.sqlite3_column_blob(rows.Handle, 0), raw.sqlite3_column_blob(rows.Handle, 1), raw.sqlite3_column_int64(rows.Handle, 2));
                }
            }

            transaction.Commit();
            return Task.FromResult(revision);
        }
        catch (SqliteException e)
        {
            throw Failure("read", e);
        }
    }

    /// <inheritdoc />
    public async Task<CommitResult> CommitAsync(StoreTransaction transaction, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ObjectDisposedException.ThrowIf(disposed != 0, this);
        if (readOnly)
        {
            throw new InvalidOperationException("The store was opened for reading only.");
        }

        foreach (var key in transaction.Conditions.Select(c => c.Key).Concat(transaction.Operations.Select(o => o.Key)))
        {
            if (key is null || !StoreKeys.IsValid(key))
            {
                throw new ArgumentException($"A key must be non-empty, well-formed UTF-16; got '{key}'.", nameof(transaction));
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            await using var connection = Connect();

            // IMMEDIATE takes the write lock before the conditions are read, so nobody changes them before the writes.
            await using var sqlTransaction = connection.BeginTransaction(deferred: false);
            using var commands = new SqliteCommitCommands(connection, sqlTransaction);
            var current = await commands.ReadStoreRevisionAsync(cancellationToken);

            foreach (var condition in transaction.Conditions)
            {
                var holds = condition switch
                {
                    TxnCondition.RevisionEquals equals =>
                        await commands.ModRevisionAsync(equals.Key, cancellationToken) == equals.Revision,
                    _ => throw new ArgumentException($"Unknown condition {condition.GetType().Name}.", nameof(transaction)),
                };
                if (!holds)
                {
                    return new CommitResult(false, current, condition.Key);
                }
            }

            // etcd semantics: every change of one commit carries the same next revision.
            var next = current + 1;
            var changed = false;
            foreach (var operation in transaction.Operations)
            {
                cancellationToken.ThrowIfCancellationRequested();
                switch (operation)
                {
                    case TxnOperation.Create create:
                        if (!await commands.TryCreateAsync(create.Key, create.Value, next, cancellationToken))
                        {
                            return new CommitResult(false, current, create.Key);
                        }

                        changed = true;
                        break;
                    case TxnOperation.Put put:
                        await commands.PutAsync(put.Key, put.Value, next, cancellationToken);
                        changed = true;
                        break;
                    case TxnOperation.Delete delete:
                        changed |= await commands.DeleteAsync(delete.Key, cancellationToken);
                        break;
                    default:
                        throw new ArgumentException($"Unknown operation {operation.GetType().Name}.", nameof(transaction));
                }
            }

            if (!changed)
            {
                return new CommitResult(true, current, null);
            }

            await commands.WriteStoreRevisionAsync(next, cancellationToken);
            await sqlTransaction.CommitAsync(cancellationToken);
            return new CommitResult(true, next, null);
        }
        catch (SqliteException e)
        {
            throw Failure("commit", e);
        }
    }

    /// <summary>Closes the pooled connections to the file.</summary>
    public ValueTask DisposeAsync()
    {
        Close();
        return ValueTask.CompletedTask;
    }

    // Pooled, so opening is cheap; the settings are per connection, so they are applied on every open.
    private SqliteConnection Connect()
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            SqliteSchema.ApplyConnectionSettings(connection, readOnly);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Closes the store (once) and leaves the pool: a store that failed to open, or one disposed.</summary>
    private void Close()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            Leave();
        }
    }

    private StoreException Failure(string action, SqliteException e) =>
        new($"The SQLite state store '{FilePath}' failed to {action}: {e.Message} (SQLite error {e.SqliteExtendedErrorCode}).", e);
}
