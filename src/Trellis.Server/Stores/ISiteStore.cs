using Trellis.Engine;

namespace Trellis.Server.Stores;

/// <summary>Where a fleet's sites and its own state are kept: SQLite files in a folder, or keyspaces on an etcd cluster.</summary>
internal interface ISiteStore
{
    /// <summary>What the store is, for messages and logs (never a password).</summary>
    string Describe { get; }

    /// <summary>The sites there are, by name (ordinal order).</summary>
    Task<IReadOnlyList<string>> NamesAsync(CancellationToken cancellationToken);

    /// <summary>Whether site <paramref name="name"/> (a valid name) is there.</summary>
    Task<bool> ExistsAsync(string name, CancellationToken cancellationToken);

    /// <summary>Makes site <paramref name="name"/> (a valid name), empty; false when it is there already (of two callers, one makes it).</summary>
    Task<bool> CreateAsync(string name, CancellationToken cancellationToken);

    /// <summary>A session on a site's state: for writing, or for reading only.</summary>
    EngineSession Open(string name, bool write, TimeProvider time);

    /// <summary>A session on the fleet's own state (its governance), which is never listed as a site.</summary>
    EngineSession OpenFleet(bool write, TimeProvider time);

    /// <summary>Where the manifests stored for a cluster are kept (a file, or a key), for messages.</summary>
    string ManifestsName(string site, string cluster);

    /// <summary>The manifests stored for a cluster of a site (the server's JSON), or null when none are.</summary>
    Task<byte[]?> ReadManifestsAsync(string site, string cluster, CancellationToken cancellationToken);

    /// <summary>Replaces the manifests stored for a cluster of a site, at once (a reader sees the old ones or the new).</summary>
    Task WriteManifestsAsync(string site, string cluster, byte[] json, CancellationToken cancellationToken);

    /// <summary>The most bytes of stored manifests the store takes for one cluster.</summary>
    long MaxManifestBytes { get; }
}
