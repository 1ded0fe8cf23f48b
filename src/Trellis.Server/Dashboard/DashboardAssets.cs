using System.Collections.Frozen;
using System.Security.Cryptography;

namespace Trellis.Server.Dashboard;

/// <summary>One file of the dashboard: its bytes, content type and entity tag (a hash of its bytes).</summary>
public sealed record DashboardAsset(string Name, byte[] Content, string ContentType, string ETag);

/// <summary>
/// The dashboard's static files, embedded in the server's own assembly (read once, AOT-safe: no file system, no reflection
/// beyond the manifest). Only these names are served: a request names one of them or nothing.
/// </summary>
public static class DashboardAssets
{
    private const string Prefix = "dashboard/";

    public static FrozenDictionary<string, DashboardAsset> All { get; } = Load();

    private static FrozenDictionary<string, DashboardAsset> Load()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        var assets = new Dictionary<string, DashboardAsset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            var name = resource[Prefix.Length..].Replace('\\', '/');
            assets[name] = new DashboardAsset(name, content, ContentTypeOf(name), $"\"{Convert.ToHexStringLower(SHA256.HashData(content))[..16]}\"");
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static string ContentTypeOf(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".ico" => "image/x-icon",
        _ => "application/octet-stream",
    };
}
