using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Trellis.Server.Tests.Infrastructure;
using Trellis.TestSupport;

namespace Trellis.Server.Tests.Dashboard;

/// <summary>
/// A cluster's policy page in a real Chromium: the heatmap page of the manifests stored for the cluster runs in its frame under
/// the dashboard's policy (its inline style and script admitted by hash: a refusal would be a console error), and a trace is
/// drawn hop by hop as the API answers it.
/// </summary>
public sealed class PolicyPageBrowserTests
{
    private static readonly Dictionary<string, string> Worked = new() { ["worked"] = "worked-example.yaml" };

    private static async Task StoreShopAsync(TestServer server)
    {
        var text = await File.ReadAllTextAsync(Path.Combine(ExampleState.ExamplesDirectory, "manifests", "shop.yaml"));
        var body = new JsonObject { ["manifests"] = new JsonArray(new JsonObject { ["name"] = "shop.yaml", ["text"] = text }) };
        using var client = server.Client();
        using var response = await client.PutAsync(new Uri("api/v1/sites/worked/clusters/a/policies", UriKind.Relative),
            new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_heatmap_of_the_stored_manifests_runs_in_its_frame_and_a_trace_is_drawn_hop_by_hop()
    {
        await using var server = await TestServer.StartAsync(Worked);
        await StoreShopAsync(server);
        var reader = TestTokens.Reader(server);
        using var api = server.Client(reader);
        var expected = JsonNode.Parse(await api.GetStringAsync(new Uri("api/v1/sites/worked/clusters/a/policy/matrix", UriKind.Relative)))!;

        await using var browser = await DashboardBrowser.OpenAsync(server.Address, DashboardBrowser.Laptop);
        await browser.SignInAsync(reader);
        var page = browser.Page;
        await page.GotoAsync("/#/sites/worked/clusters/a/policy");
        var frame = page.FrameLocator("#heatmap iframe");
        await frame.Locator("#heat").WaitForAsync();
        var rows = await frame.Locator("#heat tbody tr").CountAsync();
        // The Windows pod of the manifests finds no Windows node in cluster a: the warning the CLI prints beside the matrix is named.
        Assert.Contains("PodsExceedMaxPodCount", await page.TextContentAsync("#heatmap-findings"), StringComparison.Ordinal);
        Assert.True(rows > 1, $"{rows} rows");
        Assert.Equal(expected.AsArray().Count, await frame.Locator("#list tbody tr").CountAsync());

        // The heatmap's own script runs: hovering a cell highlights its row and column.
        await frame.Locator("#heat tbody tr").Nth(1).Locator("td").Nth(2).HoverAsync();
        Assert.Equal(2 * rows - 1, await frame.Locator("#heat td.hl").CountAsync());
        await browser.ScreenshotAsync("policy-heatmap");

        var trace = JsonNode.Parse(await (await api.PostAsync(new Uri("api/v1/sites/worked/clusters/a/policy/trace", UriKind.Relative),
            new StringContent("""{"from":"shop/web","to":"shop/db","port":"tcp/5432"}""", Encoding.UTF8, "application/json"))).Content.ReadAsStringAsync())!;
        await page.FillAsync("#trace-from", "shop/web");
        await page.FillAsync("#trace-to", "shop/db");
        await page.FillAsync("#trace-port", "tcp/5432");
        await page.ClickAsync("#trace-form button[type=submit]");
        await page.WaitForSelectorAsync("#trace-hops");
        Assert.Equal(trace["hops"]!.AsArray().Select(h => h!["where"]!.GetValue<string>()),
            await page.Locator("#trace-hops .hop").EvaluateAllAsync<string[]>("hops => hops.map(h => h.dataset.where)"));
        Assert.Equal(trace["delivered"]!.GetValue<bool>() ? "true" : "false", await page.GetAttributeAsync("#trace-verdict", "data-delivered"));
        await browser.ScreenshotAsync("policy-trace");
        // The page watches no stream, so the live badge is not shown (it would read "offline").
        Assert.False(await page.IsVisibleAsync("#live"));
        Assert.Empty(browser.Errors);
    }

    [Fact]
    public async Task A_cluster_without_stored_manifests_says_so()
    {
        await using var server = await TestServer.StartAsync(Worked);
        await using var browser = await DashboardBrowser.OpenAsync(server.Address, DashboardBrowser.Laptop);
        await browser.SignInAsync(TestTokens.Reader(server));
        browser.Errors.Clear();
        await browser.Page.GotoAsync("/#/sites/worked/clusters/b/policy");
        await browser.Page.WaitForSelectorAsync("#heatmap p");
        Assert.Equal(0, await browser.Page.Locator("#heatmap iframe").CountAsync());
        Assert.Contains("No workloads", await browser.Page.TextContentAsync("#heatmap p"), StringComparison.Ordinal);
        Assert.All(browser.Errors, e => Assert.Contains("422", e, StringComparison.Ordinal));
    }
}
