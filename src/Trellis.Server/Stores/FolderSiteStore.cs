using Trellis.Engine;

namespace Trellis.Server.Stores;

/// <summary>
/// The fleet as SQLite files: each site <c>&lt;data&gt;/sites/&lt;name&gt;.db</c> (the CLI's <c>--state</c> opens the same
/// file), the fleet's own state <c>&lt;data&gt;/fleet.db</c>, beside the sites' folder so that it is never listed as a site.
/// </summary>
internal sealed class FolderSiteStore : ISiteStore
{
    private readonly string _fleetFile;

    public FolderSiteStore(string dataDirectory, string sitesDirectory)
    {
        SitesDirectory = sitesDirectory;
        _fleetFile = Path.Combine(dataDirectory, "fleet.db");
    }

    public string SitesDirectory { get; }

    public string Describe => $"the folder {SitesDirectory}";

    public Task<IReadOnlyList<string>> NamesAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([.. Directory.EnumerateFiles(SitesDirectory, "*.db").Select(Path.GetFileNameWithoutExtension).OfType<string>()
            .Where(Fleet.IsValidName).Order(StringComparer.Ordinal)]);

    public Task<bool> ExistsAsync(string name, CancellationToken cancellationToken) => Task.FromResult(File.Exists(PathOf(name)));

    public async Task<bool> CreateAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            // CreateNew: of two requests for one name, exactly one makes the file.
            await new FileStream(PathOf(name), FileMode.CreateNew, FileAccess.Write).DisposeAsync().ConfigureAwait(false);
            return true;
        }
        catch (IOException) when (File.Exists(PathOf(name)))
        {
            return false;
        }
    }

    public EngineSession Open(string name, bool write, TimeProvider time) => EngineSession.OpenSqlite(PathOf(name), write, time);

    public EngineSession OpenFleet(bool write, TimeProvider time) => EngineSession.OpenSqlite(_fleetFile, write || !File.Exists(_fleetFile), time);

    public string ManifestsName(string site, string cluster) => Path.Combine("sites", site + ".policies", cluster + ".json");

    public async Task<byte[]?> ReadManifestsAsync(string site, string cluster, CancellationToken cancellationToken)
    {
        var path = ManifestsPath(site, cluster);
        return File.Exists(path) ? await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false) : null;
    }

    public async Task WriteManifestsAsync(string site, string cluster, byte[] json, CancellationToken cancellationToken)
    {
        var path = ManifestsPath(site, cluster);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await OutputFiles.WriteAsync(path, System.Text.Encoding.UTF8.GetString(json), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>As large as a request may be: the file takes any size.</summary>
    public long MaxManifestBytes => long.MaxValue;

    private string PathOf(string name) => Path.Combine(SitesDirectory, name + ".db");

    /// <summary>Beside the site's state file, one JSON file per cluster (written to a temporary file and renamed).</summary>
    private string ManifestsPath(string site, string cluster) => Path.Combine(SitesDirectory, site + ".policies", cluster + ".json");
}
