using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;
using Trellis.Server.Stores;

namespace Trellis.Server.Security;

/// <summary>
/// Who a request is and what it may do: a bearer token (<see cref="ITokenStore"/>) checked against the endpoint's
/// <see cref="RequiredAccess"/>; none or an invalid one 401, a token without the role on the site 403, a token the store
/// could not be asked about 503. Requests are limited per token (per client address without one), and every response
/// carries the security headers.
/// </summary>
public static partial class AccessControl
{
    /// <summary>What the request presented: a valid token, or why not; <paramref name="Unavailable"/>: the store failed.</summary>
    private sealed record Presented(TokenInfo? Token, string? Refusal, string? Unavailable = null);

    /// <summary>The tokens in the fleet's store: on <paramref name="etcd"/> when the fleet is there, else in the data folder.</summary>
    public static IServiceCollection AddAccessControl(this IServiceCollection services, ServerOptions options, EtcdConnection? etcd)
    {
        services.AddSingleton(ITokenStore.For(options.DataDirectory, etcd, options.Time));
        services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                options.RateLimit.Permits <= 0
                    ? RateLimitPartition.GetNoLimiter("")
                    : RateLimitPartition.GetFixedWindowLimiter(PartitionOf(context), _ => new FixedWindowRateLimiterOptions
                    {
                        PermitLimit = options.RateLimit.Permits,
                        Window = options.RateLimit.Window,
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    }));
            limiter.OnRejected = (rejected, ct) =>
            {
                var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : 1;
                rejected.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                return new ValueTask(Problems.Of(StatusCodes.Status429TooManyRequests, "Too many requests",
                    $"This token (or client, without one) made more than {options.RateLimit.Permits} requests in {options.RateLimit.Window.TotalSeconds:0.#} s. Try again in {seconds} s.")
                    .ExecuteAsync(rejected.HttpContext));
            };
        });
        return services;
    }

    /// <summary>Security headers, authentication, the rate limit and authorization, in that order (after routing: it reads the endpoint).</summary>
    public static WebApplication UseAccessControl(this WebApplication app)
    {
        var store = app.Services.GetRequiredService<ITokenStore>();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Trellis.Server.Access");
        app.Use(async (context, next) =>
        {
            context.Response.OnStarting(AddSecurityHeaders, context);
            if (context.Request.Headers.Authorization is [{ } header] && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                try
                {
                    var (token, refusal) = await store.AuthenticateAsync(header["Bearer ".Length..].Trim(), context.RequestAborted).ConfigureAwait(false);
                    context.Features.Set(new Presented(token, refusal));
                    if (token is not null)
                    {
                        context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, token.Actor)], "Bearer"));
                    }
                }
                catch (FleetStoreException e)
                {
                    // Signed in as nobody: a public endpoint answers as to no token, any other 503.
                    LogStoreFailed(log, context.Request.Method, context.Request.Path, e.Message);
                    context.Features.Set(new Presented(null, null, e.Message));
                }
            }
            else if (context.Request.Headers.Authorization.Count > 0)
            {
                context.Features.Set(new Presented(null, "an Authorization header that is not a bearer token"));
            }

            await next(context).ConfigureAwait(false);
        });
        app.UseRateLimiter();
        app.Use((context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<RequiredAccess>() is not { } access)
            {
                return next(context);
            }

            var presented = context.Features.Get<Presented>();
            if (presented?.Unavailable is { } failure)
            {
                context.Response.Headers.RetryAfter = "1";
                return Problems.Of(StatusCodes.Status503ServiceUnavailable, "Tokens unavailable",
                    $"The token could not be checked, so the request was not let in: {failure} Nothing was done; try again.").ExecuteAsync(context);
            }

            if (presented?.Token is not { } token)
            {
                if (presented?.Refusal is { } refusal)
                {
                    LogUnauthenticated(log, context.Request.Method, context.Request.Path, refusal);
                }

                context.Response.Headers.WWWAuthenticate = presented is null ? "Bearer" : "Bearer error=\"invalid_token\"";
                return Problems.Of(StatusCodes.Status401Unauthorized, "Unauthenticated", presented is null
                    ? "This endpoint needs a token: send it as 'Authorization: Bearer trl_…'. An Admin makes one with 'trellis serve token create'."
                    : "The token is not valid: unknown, revoked or expired. Ask an Admin for a new one.").ExecuteAsync(context);
            }

            var site = access.SiteScoped ? context.Request.RouteValues["site"] as string : null;
            if (!token.Allows(access, site))
            {
                LogForbidden(log, context.Request.Method, context.Request.Path, token.Actor, access.Role);
                return Problems.Of(StatusCodes.Status403Forbidden, "Forbidden", access.Role == AccessRole.Admin
                    ? $"This needs an Admin token; {token.Actor} has {token.Roles}."
                    : $"This needs {access.Role} on site '{site}'; {token.Actor} has {token.Roles}.").ExecuteAsync(context);
            }

            return next(context);
        });
        return app;
    }

    /// <summary>The token the request was authenticated with (null on public endpoints without one).</summary>
    public static TokenInfo? Token(this HttpContext context) => context.Features.Get<Presented>()?.Token;

    private static string PartitionOf(HttpContext context) =>
        context.Token() is { } token ? "token:" + token.Id : "address:" + context.Connection.RemoteIpAddress;

    private static Task AddSecurityHeaders(object state)
    {
        var context = (HttpContext)state;
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        // A page that needs more (hashes of its inline script or style) sets its own policy, never 'unsafe-inline'.
        if (!headers.ContainsKey(HeaderNames.ContentSecurityPolicy))
        {
            headers.ContentSecurityPolicy = DefaultContentSecurityPolicy;
        }

        if (context.Request.Path.StartsWithSegments("/api") && !headers.ContainsKey(HeaderNames.CacheControl))
        {
            headers.CacheControl = "no-store";
        }

        if (context.Request.IsHttps)
        {
            headers.StrictTransportSecurity = "max-age=31536000";
        }

        return Task.CompletedTask;
    }

    // Never the token: its id and name say which one it was.
    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused {Method} {Path}: {Refusal}.")]
    private static partial void LogUnauthenticated(ILogger log, string method, PathString path, string refusal);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path}: the token could not be checked: {Reason}")]
    private static partial void LogStoreFailed(ILogger log, string method, PathString path, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused {Method} {Path} to {Actor}: it needs {Role}.")]
    private static partial void LogForbidden(ILogger log, string method, PathString path, string actor, AccessRole role);

    public const string DefaultContentSecurityPolicy = "default-src 'self'; base-uri 'none'; object-src 'none'; form-action 'self'; frame-ancestors 'none'";
}
