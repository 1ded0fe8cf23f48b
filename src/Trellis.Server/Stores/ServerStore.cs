using Trellis.Engine;

namespace Trellis.Server.Stores;

/// <summary>
/// Where a server keeps its fleet: the <c>Store</c> setting (<c>--store</c>, else <c>TRELLIS_STORE</c>), the same text as the
/// CLI's <c>--store</c> without a site (a server serves every site of the store); none: SQLite files in the data folder.
/// </summary>
public static class ServerStore
{
    /// <summary>The environment variable the CLI reads too.</summary>
    public const string Variable = "TRELLIS_STORE";

    /// <summary>
    /// The store named by <paramref name="option"/> (from <c>--store</c>), else by <see cref="Variable"/>; null when neither
    /// is given (the data folder's SQLite files).
    /// </summary>
    /// <exception cref="StoreLocationException">The text is not a store a server can serve; the message says what to write.</exception>
    public static StoreLocation? Read(string? option, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var (text, source) = option is not null ? (option, "--store") : (environment(Variable), Variable);
        if (text is null)
        {
            return null;
        }

        var location = StoreLocation.Parse(text, source, environment);
        return Refusal(location, source) is { } refusal ? throw new StoreLocationException(refusal) : location;
    }

    /// <summary>Why <paramref name="location"/> cannot be a server's store, or null when it can.</summary>
    public static string? Refusal(StoreLocation location, string source = "Store") => location switch
    {
        EtcdLocation { Site: { } site } etcd =>
            $"{source} names the site '{site}', but a server serves every site of the store and names them itself: write the members without a site ({etcd with { Site = null }}).",
        SqliteLocation { Path: var path } when File.Exists(path) =>
            $"{source} names the file '{path}', but a server's SQLite store is a folder (sites/<name>.db per site): name the folder, or give etcd://HOST:PORT.",
        _ => null,
    };
}
