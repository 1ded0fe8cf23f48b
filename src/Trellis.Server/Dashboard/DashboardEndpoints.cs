using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;
using Trellis.Engine;
using Trellis.Presentation;

namespace Trellis.Server.Dashboard;

/// <summary>
/// The dashboard: <c>/</c> is its page, <c>/ui/{file}</c> its scripts and styles, all embedded in the binary and public (they
/// hold no site data; every view they show is read from the API with the signed-in token). The page's policy allows
/// scripts and styles from the server only, plus the two inline blocks of the connectivity heatmap, by their hashes.
/// </summary>
public static partial class DashboardEndpoints
{
    public const string Page = "index.html";

    /// <summary>The Content-Security-Policy of the dashboard's responses: no inline script or style but the heatmap's own.</summary>
    public static string ContentSecurityPolicy { get; } = BuildPolicy();

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpContext context) => Serve(context, Page)).ExcludeFromDescription();
        app.MapGet("/ui/{file}", (string file, HttpContext context) => Serve(context, file)).ExcludeFromDescription();
    }

    private static IResult Serve(HttpContext context, string name)
    {
        if (!DashboardAssets.All.TryGetValue(name, out var asset))
        {
            return Problems.Of(StatusCodes.Status404NotFound, "Not found", $"The dashboard has no file '{name}'.");
        }

        var headers = context.Response.Headers;
        headers.ETag = asset.ETag;
        // Revalidated on every use: a new server's files are seen at once, an unchanged one costs a 304.
        headers.CacheControl = "no-cache";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        if (context.Request.GetTypedHeaders().IfNoneMatch.Any(tag => tag.Tag == asset.ETag || tag == EntityTagHeaderValue.Any))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        return TypedResults.Bytes(asset.Content, asset.ContentType);
    }

    private static string BuildPolicy()
    {
        var (style, script) = HeatmapHashes();
        return "default-src 'self'; " +
               $"script-src 'self' '{script}'; " +
               $"style-src 'self' '{style}'; " +
               "img-src 'self' data:; connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    }

    /// <summary>
    /// The CSP hashes of the heatmap page's inline style and script (ConnectivityHeatmap writes the same two blocks into every
    /// page), so that the page shown in the dashboard's frame runs under the dashboard's policy without 'unsafe-inline'.
    /// </summary>
    public static (string Style, string Script) HeatmapHashes()
    {
        var page = ConnectivityHeatmap.Write(NetworkPolicyService.Matrix(NetworkPolicyService.Load([])), "");
        return (Hash(StyleBlock().Match(page).Groups[1].Value), Hash(ScriptBlock().Match(page).Groups[1].Value));

        static string Hash(string block) => "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(block)));
    }

    [GeneratedRegex("<style>(.*?)</style>", RegexOptions.Singleline)]
    private static partial Regex StyleBlock();

    [GeneratedRegex("<script>(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex ScriptBlock();
}
