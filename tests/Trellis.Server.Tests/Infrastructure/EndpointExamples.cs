using System.Net.Http.Headers;
using System.Text;

namespace Trellis.Server.Tests.Infrastructure;

/// <summary>
/// For every endpoint of the API (method + route pattern, as the app's EndpointDataSource names it) a request that succeeds
/// (2xx) for a token with the endpoint's role, on the site <see cref="Site"/> seeded from worked-example.yaml. The role-matrix
/// test drives every endpoint from these; a test fails when an endpoint has none. A request may prepare what it needs first
/// (a plan to apply, the site's current ETag) through <see cref="ExampleContext.Admin"/>, a client that may do anything.
/// Examples may run in any order and more than once on the same server: each leaves the site able to serve the others.
/// </summary>
public static class EndpointExamples
{
    /// <summary>The site every example runs on: seed it as <c>new Dictionary&lt;string, string&gt; { [Site] = SiteExample }</c>.</summary>
    public const string Site = "worked";

    public const string SiteExample = "worked-example.yaml";

    /// <summary>What a request can use: the server, the client under test, and a client allowed everything to prepare with.</summary>
    public sealed record ExampleContext(TestServer Server, HttpClient Client, HttpClient Admin);

    /// <param name="Method">GET, POST, PUT, DELETE.</param>
    /// <param name="Route">The route pattern, e.g. /api/v1/sites/{site}/networks.</param>
    public sealed record Example(string Method, string Route, Func<ExampleContext, Task<HttpRequestMessage>> Request)
    {
        public override string ToString() => $"{Method} {Route}";
    }

    private static string Path(string route) => route.Replace("{site}", Site, StringComparison.Ordinal).TrimStart('/');

    /// <summary>A GET of <paramref name="route"/> (at <paramref name="at"/> when the route has more parameters than the site).</summary>
    private static Example Get(string route, string query = "", string? at = null) =>
        new("GET", route, _ => Task.FromResult(new HttpRequestMessage(HttpMethod.Get, new Uri(Path(at ?? route) + query, UriKind.Relative))));

    public static IReadOnlyList<Example> All { get; } =
    [
        Get("/api/v1/sites"),
        Get("/api/v1/sites/{site}"),
        Get("/api/v1/sites/{site}/allocations", "?cluster=a"),
        Get("/api/v1/sites/{site}/findings"),
        Get("/api/v1/sites/{site}/networks"),
        Get("/api/v1/sites/{site}/clusters"),
        Get("/api/v1/sites/{site}/nodepools"),
        Get("/api/v1/sites/{site}/services", "?cluster=a"),
        Get("/api/v1/sites/{site}/pools"),
        Get("/api/v1/sites/{site}/capacity", "?whatIf=scale-nodepool%20cluster%3Db%20name%3Dlinuxpool%20count%3D2"),
        Get("/api/v1/sites/{site}/audit", "?last=5"),
        Get("/api/v1/sites/{site}/host-config"),
        Get("/api/v1/sites/{site}/cluster-networks"),
        Get("/api/v1/sites/{site}/cluster-settings"),
        Get("/api/v1/sites/{site}/load-balancer-settings"),
        Get("/api/v1/sites/{site}/load-balancer-pools"),
        Get("/api/v1/sites/{site}/bgp-peers"),
        Get("/api/v1/sites/{site}/render/{component}", "?cluster=a", "/api/v1/sites/{site}/render/haproxy"),
        Get("/api/v1/sites/{site}/deploy-script"),
        Get("/api/v1/sites/{site}/spec"),
        Get("/api/v1/sites/{site}/alerts"),
        Get("/api/v1/alerts"),
        // The event stream's one-document form: the stream itself never ends on its own.
        new("GET", "/api/v1/sites/{site}/events", _ => Task.FromResult(new HttpRequestMessage(HttpMethod.Get, new Uri(Path("/api/v1/sites/{site}/events"), UriKind.Relative))
        {
            Headers = { Accept = { new MediaTypeWithQualityHeaderValue("application/json") } },
        })),
    ];

    /// <summary>The example of an endpoint, or null when it has none.</summary>
    public static Example? For(string method, string route) =>
        All.FirstOrDefault(e => e.Method == method && string.Equals(e.Route.TrimEnd('/'), route.TrimEnd('/'), StringComparison.Ordinal));

    /// <summary>A JSON body.</summary>
    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>The site's current ETag, read by <paramref name="client"/>.</summary>
    public static async Task<EntityTagHeaderValue> ETagAsync(HttpClient client)
    {
        using var response = await client.GetAsync(new Uri(Path("/api/v1/sites/{site}"), UriKind.Relative)).ConfigureAwait(false);
        return response.Headers.ETag ?? throw new InvalidOperationException($"GET site answered {(int)response.StatusCode} without an ETag.");
    }
}
