using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Scalar.AspNetCore;

namespace Trellis.Server.Endpoints;

/// <summary>
/// The API's description: the OpenAPI document at <c>/openapi/v1.json</c> (every endpoint, its parameters, bodies and
/// answers, from the endpoints' metadata and ServerJson's contracts) and the interactive reference page at <c>/scalar</c>,
/// served from the package's own files (no CDN, no web fonts). Both are public: they describe the API, not a site.
/// </summary>
internal static partial class ApiReference
{
    public static IServiceCollection AddApiReference(this IServiceCollection services) =>
        services.AddOpenApi("v1", o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Trellis";
            document.Info.Description = "The Trellis server: every Engine command and view of a fleet of sites. Answers are the CLI's -o json documents; errors are application/problem+json with findings (code, path, message, hint). docs/server.md explains the API.";
            return Task.CompletedTask;
        }));

    public static void MapApiReference(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        app.Use(WithPagePolicyAsync);
        app.MapScalarApiReference("/scalar", o => o.WithTitle("Trellis API").DisableDefaultFonts().DisableTelemetry().DisableAgent());
    }

    /// <summary>
    /// The reference page starts itself with an inline module script: the page gets a Content-Security-Policy that admits
    /// exactly that script by its SHA-256 hash (never 'unsafe-inline' for scripts). Its user interface sets styles at run
    /// time, so styles inline are admitted on this page alone; it holds no site data and sends no token.
    /// </summary>
    private static async Task WithPagePolicyAsync(HttpContext context, RequestDelegate next)
    {
        if (!context.Request.Path.StartsWithSegments("/scalar", out var rest) || rest.Value is not ("/" or "/index.html"))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var body = context.Response.Body;
        using var page = new MemoryStream();
        context.Response.Body = page;
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            context.Response.Body = body;
        }

        if (context.Response.ContentType?.StartsWith("text/html", StringComparison.OrdinalIgnoreCase) == true)
        {
            context.Response.Headers.ContentSecurityPolicy = PagePolicy(Encoding.UTF8.GetString(page.GetBuffer(), 0, (int)page.Length));
        }

        context.Response.ContentLength = page.Length;
        page.Position = 0;
        await page.CopyToAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The reference page's policy: its own inline scripts by hash, everything else from this server only.</summary>
    public static string PagePolicy(string html)
    {
        var hashes = InlineScripts().Matches(html)
            .Select(m => $" 'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(m.Groups[1].Value)))}'");
        return $"default-src 'self'; script-src 'self'{string.Concat(hashes)}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
            + "base-uri 'none'; object-src 'none'; form-action 'self'; frame-ancestors 'none'";
    }

    [GeneratedRegex(@"<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)</script>", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScripts();
}
