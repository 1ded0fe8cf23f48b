using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Trellis.Engine;
using Trellis.Presentation;
using Trellis.Server.Dashboard;
using Trellis.Server.Tests.Infrastructure;

namespace Trellis.Server.Tests.Dashboard;

/// <summary>
/// The dashboard's files: served from the binary with their content types, an ETag (304 when unchanged), revalidated on
/// each use, under a Content-Security-Policy without 'unsafe-inline' that admits the heatmap's two inline blocks by hash.
/// </summary>
public sealed partial class DashboardAssetTests
{
    [Theory]
    [InlineData("", "text/html")]
    [InlineData("ui/app.js", "text/javascript")]
    [InlineData("ui/app.css", "text/css")]
    [InlineData("ui/favicon.svg", "image/svg+xml")]
    public async Task Each_file_is_served_with_its_type_an_etag_and_the_pages_policy(string path, string type)
    {
        await using var server = await TestServer.StartAsync();
        using var client = server.Client();
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(["nosniff"], response.Headers.GetValues("X-Content-Type-Options"));
        Assert.True(response.Headers.CacheControl?.NoCache);
        var policy = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", policy, StringComparison.Ordinal);

        using var again = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        again.Headers.IfNoneMatch.Add(response.Headers.ETag!);
        using var cached = await client.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, cached.StatusCode);
    }

    [Theory]
    [InlineData("ui/nothing.js")]
    [InlineData("ui/..%2FTrellis.Server.csproj")]
    [InlineData("ui/%2Fetc%2Fpasswd")]
    public async Task Only_the_embedded_files_are_served(string path)
    {
        await using var server = await TestServer.StartAsync();
        using var client = server.Client();
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public void The_policy_admits_exactly_the_heatmaps_inline_style_and_script_by_hash()
    {
        var page = ConnectivityHeatmap.Write(NetworkPolicyService.Matrix(NetworkPolicyService.Load([new ManifestText("shop.yaml", ShopManifests())])), "shop");
        string HashOf(Regex block) => "'sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(block.Match(page).Groups[1].Value))) + "'";
        var policy = DashboardEndpoints.ContentSecurityPolicy;
        Assert.Contains($"style-src 'self' {HashOf(Style())}", policy, StringComparison.Ordinal);
        Assert.Contains($"script-src 'self' {HashOf(Script())}", policy, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_page_loads_scripts_and_styles_only_from_files()
    {
        await using var server = await TestServer.StartAsync();
        using var client = server.Client();
        var html = await client.GetStringAsync(new Uri("", UriKind.Relative));
        Assert.DoesNotMatch(@"<script>|<style|sstyle=|son[a-z]+=", html);
        Assert.Contains("<script src=\"/ui/app.js\"", html, StringComparison.Ordinal);
    }

    private static string ShopManifests() => File.ReadAllText(Path.Combine(Trellis.TestSupport.ExampleState.ExamplesDirectory, "manifests", "shop.yaml"));

    [GeneratedRegex("<style>(.*?)</style>", RegexOptions.Singleline)]
    private static partial Regex Style();

    [GeneratedRegex("<script>(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex Script();
}
