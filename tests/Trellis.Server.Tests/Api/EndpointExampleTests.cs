using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Trellis.Server.Tests.Infrastructure;

namespace Trellis.Server.Tests.Api;

/// <summary>Every endpoint under /api has an example (EndpointExamples), and every example succeeds on the worked example's site.</summary>
public sealed class EndpointExampleTests
{
    internal static IEnumerable<(string Method, string Route)> ApiEndpoints(TestServer server) =>
        server.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (m, e.RoutePattern.RawText!)));

    [Fact]
    public async Task Every_api_endpoint_has_an_example()
    {
        await using var server = await TestServer.StartAsync();
        var missing = ApiEndpoints(server).Where(e => EndpointExamples.For(e.Method, e.Route) is null).Select(e => $"{e.Method} {e.Route}").ToList();
        Assert.True(missing.Count == 0, "endpoints without an example in EndpointExamples: " + string.Join(", ", missing));
        Assert.All(EndpointExamples.All, e => Assert.Contains((e.Method, e.Route), ApiEndpoints(server)));
    }

    [Fact]
    public async Task Every_example_succeeds_twice_on_one_server()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string> { [EndpointExamples.Site] = EndpointExamples.SiteExample });
        using var client = server.Client();
        var failed = new List<string>();
        for (var round = 0; round < 2; round++)
        {
            foreach (var example in EndpointExamples.All)
            {
                using var request = await example.Request(new EndpointExamples.ExampleContext(server, client, client));
                using var response = await client.SendAsync(request);
                if (!response.IsSuccessStatusCode)
                {
                    failed.Add($"{example} (round {round + 1}): {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
            }
        }

        Assert.True(failed.Count == 0, string.Join("\n", failed));
    }
}
