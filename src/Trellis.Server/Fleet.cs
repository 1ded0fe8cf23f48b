using System.Collections.Concurrent;
using Trellis.Engine;
using Trellis.Server.Stores;

namespace Trellis.Server;

/// <summary>
/// The sites a server manages, in its store (<see cref="ServerOptions.Store"/>): one SQLite state file each,
/// <c>&lt;data&gt;/sites/&lt;name&gt;.db</c>, or one keyspace each on etcd, <c>&lt;root&gt;sites/&lt;name&gt;/</c>, shared with
/// other servers and the CLI. A site's name in a URL is checked before it names a file or a key, so that no request can name
/// anything outside the fleet.
/// </summary>
public sealed class Fleet
{
    private readonly ServerOptions _options;
    private readonly ISiteStore _store;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _turns = new(StringComparer.Ordinal);

    internal Fleet(ServerOptions options, EtcdConnection? etcd)
    {
        _options = options;
        Directory.CreateDirectory(SitesDirectory);
        _store = etcd is null ? new FolderSiteStore(options.DataDirectory, SitesDirectory) : new EtcdSiteStore(etcd, options.Time);
    }

    /// <summary>
    /// The folder of what the server keeps per site on its own disk: on SQLite, the site's state files and the manifests
    /// stored per cluster (<c>&lt;site&gt;.policies/</c>); on etcd these are on the cluster.
    /// </summary>
    public string SitesDirectory => Path.Combine(_options.DataDirectory, "sites");

    /// <summary>What the fleet's store is, for messages and logs (never a password).</summary>
    public string Describe => _store.Describe;

    /// <summary>The sites there are, by name (ordinal order).</summary>
    public Task<IReadOnlyList<string>> NamesAsync(CancellationToken cancellationToken) => _store.NamesAsync(cancellationToken);

    public async Task<bool> ExistsAsync(string name, CancellationToken cancellationToken) =>
        IsValidName(name) && await _store.ExistsAsync(name, cancellationToken).ConfigureAwait(false);

    /// <summary>Makes site <paramref name="name"/>, empty; false when the fleet has it already (of two requests for one name, one makes it).</summary>
    public Task<bool> CreateAsync(string name, CancellationToken cancellationToken) => _store.CreateAsync(Checked(name), cancellationToken);

    /// <summary>A session on a site's state: for writing, or for reading only (nothing is created).</summary>
    public EngineSession Open(string name, bool write) => _store.Open(Checked(name), write, _options.Time);

    /// <summary>A session on the fleet's own state (its governance; made on first use).</summary>
    public EngineSession OpenFleetState(bool write) => _store.OpenFleet(write, _options.Time);

    /// <summary>Where the manifests stored for a cluster are kept, for messages: a file of the data folder, or an etcd key.</summary>
    public string ManifestsName(string site, string cluster) => _store.ManifestsName(Checked(site), cluster);

    /// <summary>The manifests stored for a cluster (the server's JSON), or null when none are.</summary>
    public Task<byte[]?> ReadManifestsAsync(string site, string cluster, CancellationToken cancellationToken) =>
        _store.ReadManifestsAsync(Checked(site), cluster, cancellationToken);

    /// <summary>Replaces the manifests stored for a cluster at once.</summary>
    public Task WriteManifestsAsync(string site, string cluster, byte[] json, CancellationToken cancellationToken) =>
        _store.WriteManifestsAsync(Checked(site), cluster, json, cancellationToken);

    /// <summary>The most bytes of stored manifests the fleet's store takes for one cluster.</summary>
    public long MaxManifestBytes => _store.MaxManifestBytes;

    private static string Checked(string name) => IsValidName(name) ? name : throw new ArgumentException($"'{name}' is not a site name.", nameof(name));

    /// <summary>
    /// Waits for this server's turn to write site <paramref name="name"/>, held until disposed. This server's writes to one
    /// site take turns, so that they do not each plan on the same revision only for all but one to find it gone and plan
    /// again; writes from other processes (the CLI, another server) are still caught by the Engine's revision check.
    /// </summary>
    public async Task<IDisposable> WriteTurnAsync(string name, CancellationToken cancellationToken)
    {
        var turn = _turns.GetOrAdd(name, _ => new SemaphoreSlim(1, 1));
        await turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Turn(turn);
    }

    private sealed class Turn(SemaphoreSlim turn) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                turn.Release();
            }
        }
    }

    /// <summary>A site's name: a DNS-1123 label (lowercase letters, digits and '-', 1–63 characters), like the spec's names.</summary>
    public static bool IsValidName(string? name) => StoreLocation.IsValidSiteName(name);

    public const string NameRule = StoreLocation.SiteNameRule;
}
