using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;
using Trellis.Server.Dashboard;
using Trellis.Server.Endpoints;
using Trellis.Server.Live;
using Trellis.Server.Monitoring;
using Trellis.Server.Security;
using Trellis.Server.Stores;
using Trellis.Engine;

namespace Trellis.Server;

/// <summary>The Trellis server: a REST API and dashboard over the Engine for a fleet of sites. No networking logic of its own.</summary>
public static class ServerHost
{
    public static WebApplication Build(ServerOptions options)
    {
        if (ListenRules.Check(options) is { } refusal)
        {
            throw new ArgumentException(refusal, nameof(options));
        }

        if (options.Store is { } store && ServerStore.Refusal(store) is { } wrongStore)
        {
            throw new ArgumentException(wrongStore, nameof(options));
        }

        if (options.Store is SqliteLocation sqlite)
        {
            // A SQLite store is the fleet's folder.
            options = options with { DataDirectory = sqlite.Path, Store = null };
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls([.. options.Urls]);
        if (options.Certificate is not null)
        {
            builder.WebHost.UseKestrelHttpsConfiguration();
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            if (options.Certificate is { } certificate)
            {
                kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate);
            }
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
        options.ConfigureLogging?.Invoke(builder.Logging);
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ServerJson.Default));
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(1, AccessJson.Default));
        builder.Services.AddSingleton(options);
        var etcd = options.Store is EtcdLocation location ? new EtcdConnection(location) : null;
        if (etcd is not null)
        {
            // The container closes the connection when the server is disposed.
            builder.Services.AddSingleton(_ => etcd);
        }

        // On etcd: registered at start (a store that does not answer fails the start), kept alive, revoked at stop.
        builder.Services.AddSingleton<ReplicaRegistry>();
        builder.Services.AddHostedService(s => s.GetRequiredService<ReplicaRegistry>());

        builder.Services.AddSingleton(_ => new Fleet(options, etcd));
        builder.Services.AddSingleton<FleetGovernance>();
        // What a crash between a change of the fleet's governance and its copies left behind is copied once the server runs.
        builder.Services.AddHostedService<FleetGovernanceAtStart>();
        builder.Services.AddSingleton<SiteWatchers>();
        builder.Services.AddSingleton<SiteMonitor>();
        builder.Services.AddSingleton<ServerMetrics>();
        builder.Services.AddSingleton<PlanRegistry>();
        builder.Services.AddApiReference();
        builder.Services.AddAccessControl(options, etcd);

        var app = builder.Build();

        // The fleet's folder is made (or found unusable) at start, not at the first request.
        _ = app.Services.GetRequiredService<Fleet>();
        app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = WriteExceptionAsync });
        app.UseStatusCodePages(WriteStatusAsync);
        var metrics = app.Services.GetRequiredService<ServerMetrics>();
        app.Use(metrics.ObserveAsync);
        app.UseAccessControl();

        app.MapGet("/healthz", () => TypedResults.Json(new Health("ok"), ServerJson.Default.Health));
        app.MapGet("/readyz", ReadinessChecks.AnswerAsync);
        // Every site's name and pools, fleet-wide: an Admin's token (docs/server.md, "Monitoring").
        app.MapMetrics("/metrics", metrics.Registry).Requires(AccessRole.Admin).WithName("Metrics");
        DashboardEndpoints.Map(app);
        var api = app.MapGroup("/api/v1");
        SiteEndpoints.Map(api);
        ViewEndpoints.Map(api);
        AlertEndpoints.Map(api);
        EventEndpoints.Map(api);
        Commands.Map(api);
        PolicyEndpoints.Map(api);
        GovernanceEndpoints.Map(api);
        app.MapApiReference();
        TokenEndpoints.Map(api);
        ReplicaEndpoints.Map(api);
        return app;
    }

    /// <summary>An exception no endpoint answered: a problem document, never a stack trace.</summary>
    private static async Task WriteExceptionAsync(HttpContext context)
    {
        var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        var problem = error is null ? Problems.ForException(new InvalidOperationException()) : Problems.ForException(error);
        context.Response.StatusCode = problem.Status;
        context.Response.ContentType = Problems.ContentType;
        await System.Text.Json.JsonSerializer.SerializeAsync(context.Response.Body, problem, ServerJson.Default.Problem, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>A bare status (no route, wrong method, a body over the limit): a problem document that says which.</summary>
    private static async Task WriteStatusAsync(StatusCodeContext status)
    {
        var response = status.HttpContext.Response;
        var (title, detail) = response.StatusCode switch
        {
            404 => ("Not found", $"No endpoint at {status.HttpContext.Request.Path}. The API is under /api/v1; /openapi/v1.json describes it."),
            405 => ("Method not allowed", $"{status.HttpContext.Request.Method} is not allowed on {status.HttpContext.Request.Path}."),
            413 => ("Request too large", "The request body is larger than the server accepts; nothing was stored."),
            415 => ("Unsupported media type", $"This endpoint does not take a body of type '{status.HttpContext.Request.ContentType ?? "none"}' (JSON: application/json; a site spec: application/yaml); nothing was stored."),
            _ => (ReasonPhrases.GetReasonPhrase(response.StatusCode), ReasonPhrases.GetReasonPhrase(response.StatusCode)),
        };
        response.ContentType = Problems.ContentType;
        await System.Text.Json.JsonSerializer.SerializeAsync(response.Body,
            new Problem(Problems.TypeOf(response.StatusCode), title, response.StatusCode, detail), ServerJson.Default.Problem,
            status.HttpContext.RequestAborted).ConfigureAwait(false);
    }
}
