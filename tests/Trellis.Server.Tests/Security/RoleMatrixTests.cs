using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Trellis.Server.Security;
using Trellis.Server.Tests.Infrastructure;

namespace Trellis.Server.Tests.Security;

/// <summary>
/// The one authorization table (each endpoint's <see cref="RequiredAccess"/>) against every endpoint the app maps: no token
/// 401, a token without the role on the site (or granted another site only) 403, every role that has it 2xx.
/// </summary>
public sealed class RoleMatrixTests
{
    private static readonly AccessRole[] SiteRoles = [AccessRole.Reader, AccessRole.Operator, AccessRole.NetworkAdmin];

    /// <summary>Endpoints with a role outside /api (EndpointExamples holds the API's).</summary>
    private static readonly EndpointExamples.Example[] OutsideApi =
    [
        new("GET", "/metrics", _ => Task.FromResult(new HttpRequestMessage(HttpMethod.Get, new Uri("metrics", UriKind.Relative)))),
    ];

    private static IReadOnlyList<(string Method, string Pattern, RequiredAccess? Access)> Endpoints(TestServer server) =>
        [.. server.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(m => (m, e.RoutePattern.RawText!, e.Metadata.GetMetadata<RequiredAccess>())))];

    [Fact]
    public async Task Every_api_endpoint_requires_a_role_and_every_site_scoped_one_names_its_site()
    {
        await using var server = await TestServer.StartAsync();
        var api = Endpoints(server).Where(e => e.Pattern.StartsWith("/api", StringComparison.Ordinal)).ToList();

        Assert.NotEmpty(api);
        Assert.Empty(api.Where(e => e.Access is null).Select(e => $"{e.Method} {e.Pattern}"));
        Assert.Empty(Endpoints(server).Where(e => e.Access is { SiteScoped: true } && !e.Pattern.Contains("{site}", StringComparison.Ordinal))
            .Select(e => $"{e.Method} {e.Pattern}"));
    }

    [Fact]
    public async Task Every_role_against_every_endpoint_allowed_succeeds_others_403_none_401()
    {
        // Hundreds of requests in a few seconds from one client: the rate limit is AccessTests' subject, not this one's.
        await using var server = await TestServer.StartAsync(new Dictionary<string, string> { [EndpointExamples.Site] = EndpointExamples.SiteExample },
            o => o with { RateLimit = RateLimit.Off });
        using var admin = server.Client();
        var tokens = SiteRoles.ToDictionary(r => r, r => server.Token(r, EndpointExamples.Site));
        tokens[AccessRole.Admin] = server.AdminToken;
        var otherSite = server.Token(AccessRole.NetworkAdmin, "elsewhere");
        var failures = new List<string>();
        var endpoints = Endpoints(server).Where(e => e.Access is not null).ToList();

        foreach (var (method, pattern, access) in endpoints)
        {
            if ((EndpointExamples.For(method, pattern) ?? OutsideApi.FirstOrDefault(x => x.Method == method && x.Route == pattern)) is not { } example)
            {
                failures.Add($"{method} {pattern} has no row in EndpointExamples");
                continue;
            }

            await Expect(null, 401, "no token");
            foreach (var role in SiteRoles.Append(AccessRole.Admin))
            {
                var allowed = role == AccessRole.Admin || access!.Role != AccessRole.Admin && (!access.SiteScoped || role >= access.Role);
                await Expect(tokens[role], allowed ? 200 : 403, $"{role} on the site");
            }

            await Expect(otherSite, access!.SiteScoped || access.Role == AccessRole.Admin ? 403 : 200, "NetworkAdmin on another site only");

            async Task Expect(string? token, int status, string who)
            {
                using var client = token is null ? server.Anonymous() : server.Client(token);
                using var request = await example.Request(new EndpointExamples.ExampleContext(server, client, admin));
                using var response = await client.SendAsync(request);
                var got = (int)response.StatusCode;
                if (status == 200 ? got is < 200 or > 299 : got != status)
                {
                    failures.Add($"{method} {pattern} as {who}: expected {(status == 200 ? "2xx" : status)}, got {got} {Shorten(await response.Content.ReadAsStringAsync())}");
                }
            }
        }

        Assert.True(endpoints.Count >= 6, $"only {endpoints.Count} endpoints with a required role: has the mapping changed?");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static string Shorten(string text) => text.Length > 300 ? text[..300] + "…" : text;
}
