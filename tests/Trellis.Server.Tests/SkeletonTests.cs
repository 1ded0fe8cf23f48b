using System.Net;
using System.Text.Json.Nodes;
using Trellis.Engine;
using Trellis.Server.Tests.Infrastructure;

namespace Trellis.Server.Tests;

/// <summary>The server's first endpoints on real Kestrel: health, the fleet list, a site's allocations in the CLI's shape.</summary>
public sealed class SkeletonTests
{
    private static readonly Dictionary<string, string> Sites = new() { ["worked"] = "worked-example.yaml", ["dhcp"] = "dhcp-site.yaml" };

    [Fact]
    public async Task Health_answers_ok()
    {
        await using var server = await TestServer.StartAsync();
        using var client = server.Client(server.AdminToken);
        var response = await client.GetAsync(new Uri("healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_fleet_lists_every_site_file_with_its_revision()
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var client = server.Client(server.AdminToken);
        var sites = JsonNode.Parse(await client.GetStringAsync(new Uri("api/v1/sites", UriKind.Relative)))!.AsArray();
        Assert.Equal(["dhcp", "worked"], sites.Select(s => s!["name"]!.GetValue<string>()));
        Assert.All(sites, s => Assert.Equal(1, s!["revision"]!.GetValue<long>()));
    }

    [Fact]
    public async Task Allocations_are_the_engines_in_the_cli_shape_with_the_revision_as_etag()
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var client = server.Client(server.AdminToken);
        var response = await client.GetAsync(new Uri("api/v1/sites/worked/allocations", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("\"1\"", response.Headers.ETag?.Tag);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray();

        await using var session = EngineSession.OpenSqlite(Path.Combine(server.DataDirectory, "sites", "worked.db"), write: false);
        var expected = (await session.Engine.ReadAllocationsAsync()).Allocations;
        Assert.Equal(expected.Count, body.Count);
        Assert.Equal(expected.Select(a => (a.Pool, a.Address, a.Owner)), body.Select(a => (a!["pool"]!.GetValue<string>(), a["address"]!.GetValue<string>(), a["owner"]!.GetValue<string>())));
    }

    [Theory]
    [InlineData("api/v1/sites/nosuch/allocations", 404)]
    [InlineData("api/v1/sites/..%2F..%2Fetc/allocations", 404)]
    [InlineData("api/v1/nothing-here", 404)]
    public async Task Unknown_sites_and_paths_are_problem_documents(string path, int status)
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var client = server.Client(server.AdminToken);
        var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(status, problem["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrWhiteSpace(problem["detail"]!.GetValue<string>()));
    }
}
