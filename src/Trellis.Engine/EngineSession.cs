using Trellis.Storage;
using Trellis.Storage.Etcd;
using Trellis.Storage.Sqlite;

namespace Trellis.Engine;

/// <summary>
/// An engine over an opened state store, which it closes when disposed: how a front end opens a site's state without
/// seeing the storage layer.
/// </summary>
public sealed class EngineSession : IAsyncDisposable
{
    private readonly IStateStore _store;

    private EngineSession(IStateStore store, TimeProvider? time, object? origin = null)
    {
        _store = store;
        Engine = new TrellisEngine(store, time ?? TimeProvider.System, origin: origin);
    }

    public TrellisEngine Engine { get; }

    /// <summary>The store under the engine, for moving a whole state between stores (<see cref="StateMigration"/>).</summary>
    internal IStateStore Store => _store;

    /// <summary>
    /// Opens the embedded SQLite state file at <paramref name="path"/>: for writing (created when missing), or for reading
    /// only (reads and plans: nothing is created, and a read-only file serves them).
    /// </summary>
    /// <exception cref="StoreException">The path is not a state file (a pipe, a device, a damaged database); <see cref="EngineFailures"/> classifies it.</exception>
    public static EngineSession OpenSqlite(string path, bool write, TimeProvider? time = null)
    {
        // SQLite would block opening a named pipe and read a device as a database: only a regular file can be a state file.
        if (InputFiles.FileType(path) is { } type and not ("regular file" or "folder"))
        {
            throw new StoreException($"The state path '{path}' is a {type}, not a state file.");
        }

        // Sessions on one file share its state: a plan made on a read-only session commits on a writing one.
        return new EngineSession(write ? SqliteStateStore.Open(path) : SqliteStateStore.OpenReadOnly(path), time, StateFile(path));
    }

    /// <summary>
    /// Opens the state at <paramref name="location"/>: a SQLite file (<see cref="OpenSqlite"/>), or a site's keyspace on etcd
    /// (the location must name the site). On etcd, reading and writing open the same way, and nothing is sent until the first
    /// read or commit.
    /// </summary>
    /// <exception cref="StoreLocationException">An etcd location names no site.</exception>
    /// <exception cref="StoreException">The SQLite path is not a state file, or an etcd certificate cannot be read.</exception>
    public static EngineSession Open(StoreLocation location, bool write, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(location);
        return location switch
        {
            SqliteLocation sqlite => OpenSqlite(sqlite.Path, write, time),
            EtcdLocation { Site: { } site } etcd => OpenEtcd(etcd, etcd.SitePrefix(site), time),
            _ => throw new StoreLocationException($"The etcd store {location} names no site: write it after the members, etcd://HOST:PORT/SITE."),
        };
    }

    /// <summary>Opens the keyspace <paramref name="keyPrefix"/> (a site's, or a server's fleet state) on the etcd cluster at <paramref name="location"/>.</summary>
    /// <exception cref="StoreException">A certificate or key file cannot be read.</exception>
    /// <param name="shared">
    /// A connection the caller keeps open for many sessions, made by <see cref="EtcdLocation.Connect"/> of the same
    /// location (a server's): the session uses it and leaves it open. Null: the session opens its own and closes it.
    /// </param>
    public static EngineSession OpenEtcd(EtcdLocation location, string keyPrefix, TimeProvider? time = null, dotnet_etcd.EtcdClient? shared = null)
    {
        ArgumentNullException.ThrowIfNull(location);
        var options = location.StoreOptions(keyPrefix);
        var store = shared is null ? EtcdStateStore.Open(options) : EtcdStateStore.OpenShared(options, shared);
        // Sessions on one keyspace of one cluster share its state: a plan made on one commits on another.
        return new EngineSession(store, time, "etcd:" + string.Join(",", location.Members.Order(StringComparer.Ordinal)) + keyPrefix);
    }

    /// <summary>
    /// An engine over a store the caller made (another store, or one wrapped by a test); the session owns it. With
    /// <paramref name="stateFile"/>, its plans are those of the SQLite state file at that path (the store wraps that file).
    /// </summary>
    internal static EngineSession Over(IStateStore store, TimeProvider? time = null, string? stateFile = null) =>
        new(store, time, stateFile is null ? null : StateFile(stateFile));

    /// <summary>What identifies a SQLite state file: its full path.</summary>
    private static string StateFile(string path) => "sqlite:" + Path.GetFullPath(path);

    public ValueTask DisposeAsync() => _store.DisposeAsync();
}

/// <summary>What kind of failure an exception from the Engine is, so that a front end can say so without knowing the layers' types.</summary>
public enum FailureKind
{
    /// <summary>The state store failed or holds what Trellis did not write; nothing of the command was written.</summary>
    Store,

    /// <summary>Every retry met a concurrent writer; nothing of the command was written.</summary>
    Conflict,
}

public static class EngineFailures
{
    /// <summary>The kind of an expected failure, or null for anything else (a defect to report).</summary>
    public static FailureKind? Classify(Exception e) => e switch
    {
        StoreException => FailureKind.Store,
        ConflictException => FailureKind.Conflict,
        _ => null,
    };
}
