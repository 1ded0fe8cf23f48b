using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Scalar.AspNetCore;

namespace Trellis.Server.Endpoints;

/// <summary>
/// The API's description: the OpenAPI document at <c>/openapi/v1.json</c> (every endpoint, its parameters, bodies and
/// answers, from the endpoints' metadata and ServerJson's contracts) and the interactive reference page at <c>/scalar</c>,
/// served from the package's own files (no CDN, no web fonts). Both are public: they describe the API, not a site.
/// </summary>
internal static class ApiReference
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
        app.MapScalarApiReference("/scalar", o => o.WithTitle("Trellis API").DisableDefaultFonts().DisableTelemetry().DisableAgent());
    }
}
