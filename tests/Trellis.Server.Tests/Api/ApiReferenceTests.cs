using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Trellis.Server.Tests.Infrastructure;
using static Trellis.Server.Tests.Api.ViewTests;

namespace Trellis.Server.Tests.Api;

/// <summary>The OpenAPI document describes every endpoint of the API, and the reference page is served from the server itself.</summary>
public sealed partial class ApiReferenceTests
{
    [Fact]
    public async Task The_openapi_document_describes_every_api_endpoint_and_its_bodies()
    {
        await using var server = await TestServer.StartAsync();
        using var client = server.Client();
        var response = await client.GetAsync(At("openapi/v1.json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var document = JsonNode.Parse(text)!;
        Assert.Equal("Trellis", document["info"]!["title"]!.GetValue<string>());

        var paths = document["paths"]!.AsObject();
        var missing = EndpointExampleTests.ApiEndpoints(server)
            .Where(e => paths[e.Route] is not JsonObject path || path[e.Method.ToLowerInvariant()] is null)
            .Select(e => $"{e.Method} {e.Route}").ToList();
        Assert.True(missing.Count == 0, "not in the OpenAPI document: " + string.Join(", ", missing));

        var scale = paths["/api/v1/sites/{site}/commands/scale"]!["post"]!;
        Assert.NotNull(scale["requestBody"]!["content"]!["application/json"]);
        var schemas = document["components"]!["schemas"]!.AsObject();
        Assert.Contains("ScaleRequest", schemas.Select(s => s.Key));
        Assert.Contains("count", schemas["ScaleRequest"]!["properties"]!.AsObject().Select(p => p.Key));
        Assert.NotNull(paths["/api/v1/sites/{site}/spec"]!["put"]!["requestBody"]!["content"]!["application/yaml"]);
    }

    [GeneratedRegex("""<script[^>]*src="([^"]+)"|<link[^>]*href="([^"]+)""")]
    private static partial Regex Assets();

    [Fact]
    public async Task The_reference_page_is_served_with_its_script_from_the_server()
    {
        await using var server = await TestServer.StartAsync();
        using var client = server.Client();
        var response = await client.GetAsync(At("scalar"));
        var page = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, page);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("openapi/v1.json", page, StringComparison.Ordinal);

        var assets = Assets().Matches(page).Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value).ToList();
        Assert.NotEmpty(assets);
        foreach (var asset in assets)
        {
            Assert.False(asset.StartsWith("http", StringComparison.OrdinalIgnoreCase) || asset.StartsWith("//", StringComparison.Ordinal), $"the page loads {asset} from elsewhere");
            var served = await client.GetAsync(new Uri(new Uri(server.Address, "scalar/"), asset));
            Assert.True(served.IsSuccessStatusCode, $"{asset}: {(int)served.StatusCode}");
        }
    }

    [GeneratedRegex(@"<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)</script>")]
    private static partial Regex InlineScript();

    [Fact]
    public async Task The_reference_pages_policy_admits_its_inline_script_by_hash_and_no_other_inline_script()
    {
        await using var server = await TestServer.StartAsync();
        using var client = server.Client();
        var response = await client.GetAsync(new Uri(server.Address, "scalar/"));
        var page = await response.Content.ReadAsStringAsync();
        var policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        var scriptSrc = policy.Split(';').Select(d => d.Trim()).Single(d => d.StartsWith("script-src ", StringComparison.Ordinal));
        Assert.DoesNotContain("unsafe-inline", scriptSrc, StringComparison.Ordinal);
        var inline = InlineScript().Matches(page).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(inline);
        foreach (var script in inline)
        {
            var hash = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(script)));
            Assert.Contains($"'sha256-{hash}'", scriptSrc, StringComparison.Ordinal);
        }

        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
    }
}
