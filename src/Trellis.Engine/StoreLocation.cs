using System.Globalization;
using System.Text.RegularExpressions;

namespace Trellis.Engine;

/// <summary>
/// Where a state is kept: a SQLite file (the default), or a keyspace on an etcd cluster. Written as <c>--store</c>,
/// <c>TRELLIS_STORE</c> and the server's <c>Store</c> setting take it (docs/etcd.md, "Choosing the store"):
/// <c>sqlite:PATH</c> or a plain path; <c>etcd://HOST:PORT[,HOST:PORT…][/SITE][?OPTIONS]</c>, or <c>etcds://</c> for TLS.
/// </summary>
public abstract partial record StoreLocation
{
    /// <summary>What environment variable may hold an etcd user's password (never the URL, which ends up in logs and shell history).</summary>
    public const string PasswordVariable = "TRELLIS_ETCD_PASSWORD";

    /// <summary>
    /// Reads a store location. <paramref name="environment"/> gives <see cref="PasswordVariable"/>; <paramref name="source"/>
    /// names where the text came from in messages (<c>--store</c>, <c>TRELLIS_STORE</c>).
    /// </summary>
    /// <exception cref="StoreLocationException">The text is not a store location; the message says what to write.</exception>
    public static StoreLocation Parse(string text, string source, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(environment);
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new StoreLocationException($"{source} is empty: give a state file's path, sqlite:PATH, or etcd://HOST:PORT/SITE.");
        }

        if (text.StartsWith("sqlite:", StringComparison.Ordinal))
        {
            var path = text["sqlite:".Length..];
            return path.Length > 0 ? new SqliteLocation(path) : throw new StoreLocationException($"{source}: 'sqlite:' needs the state file's path after it (sqlite:.trellis/state.db).");
        }

        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0)
        {
            return new SqliteLocation(text);
        }

        return text[..scheme] switch
        {
            "etcd" => EtcdLocation.Read(text[(scheme + 3)..], tls: false, source, environment),
            "etcds" => EtcdLocation.Read(text[(scheme + 3)..], tls: true, source, environment),
            var other => throw new StoreLocationException($"{source}: '{other}://' is not a store Trellis knows; use etcd:// (or etcds:// for TLS), sqlite:PATH, or a state file's path."),
        };
    }

    /// <summary>A site's name in a store: a DNS-1123 label (lowercase letters, digits and '-', 1–63 characters), like the spec's names.</summary>
    public static bool IsValidSiteName(string? name) => name is { Length: > 0 and <= 63 } && SiteName().IsMatch(name);

    public const string SiteNameRule = "a site name is 1–63 lowercase letters, digits and '-', starting and ending with a letter or digit";

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex SiteName();

    private protected static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>An embedded SQLite state file at <paramref name="Path"/> (relative to the current directory).</summary>
public sealed record SqliteLocation(string Path) : StoreLocation
{
    public override string ToString() => "sqlite:" + Path;
}

/// <summary>A store location that cannot be read; its message names where it came from and what to write.</summary>
public sealed class StoreLocationException(string message) : Exception(message);
