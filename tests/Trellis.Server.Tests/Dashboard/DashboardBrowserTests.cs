using System.Globalization;
using Trellis.Engine;
using Trellis.Engine.Contracts;
using Trellis.Server.Tests.Infrastructure;

namespace Trellis.Server.Tests.Dashboard;

/// <summary>
/// The dashboard in a real Chromium: sign in with a token, the fleet, a site's pool bars and address map as the Engine
/// counts them, an allocation made by another writer of the site's file appearing without a reload, on a laptop's screen
/// and a phone's, under the page's strict Content-Security-Policy (a refused script or style is a console error).
/// </summary>
public sealed class DashboardBrowserTests
{
    private static readonly Dictionary<string, string> Sites = new() { ["worked"] = "worked-example.yaml", ["dhcp"] = "dhcp-site.yaml" };

    private static Task<TestServer> StartAsync() => TestServer.StartAsync(Sites, o => o with { PollInterval = TimeSpan.FromMilliseconds(100) });

    private static string StatePath(TestServer server, string site) => Path.Combine(server.DataDirectory, "sites", site + ".db");

    private static async Task<(IReadOnlyList<PoolRow> Pools, IReadOnlyList<Allocation> Allocations)> EngineViewAsync(TestServer server, string site)
    {
        await using var session = EngineSession.OpenSqlite(StatePath(server, site), write: false);
        var state = await session.Engine.ReadAsync();
        return (SiteViews.Pools(state), SiteViews.Allocations(state, null));
    }

    [Theory]
    [InlineData("laptop")]
    [InlineData("phone")]
    public async Task Sign_in_then_a_sites_pool_bars_and_address_map_are_the_engines(string screen)
    {
        await using var server = await StartAsync();
        await using var browser = await DashboardBrowser.OpenAsync(server.Address, screen == "phone" ? DashboardBrowser.Phone : DashboardBrowser.Laptop);
        await browser.SignInAsync(TestTokens.Reader(server));
        var page = browser.Page;
        Assert.Equal(["dhcp", "worked"], await page.Locator("#sites .site").EvaluateAllAsync<string[]>("cards => cards.map(c => c.dataset.site)"));
        Assert.Equal("Critical", await page.Locator(".site[data-site=worked] h2 .badge").GetAttributeAsync("data-level"));
        await browser.ScreenshotAsync($"fleet-{screen}");

        await page.ClickAsync(".site[data-site=worked] h2 a");
        await page.WaitForSelectorAsync("#site");
        var (pools, allocations) = await EngineViewAsync(server, "worked");
        foreach (var pool in pools)
        {
            var bar = page.Locator($"#pools .pool[data-pool=\"{pool.Pool}\"]");
            Assert.Equal($"{pool.Allocated} / {pool.Size}", await bar.Locator(".count").InnerTextAsync());
            Assert.Equal(pool.Allocated.ToString(CultureInfo.InvariantCulture), await bar.Locator(".bar").GetAttributeAsync("aria-valuenow"));
        }

        // The address map: one cell per address of the node IP and VIP pools, each held one naming its holder.
        foreach (var poolId in new[] { "net/mgmtvnet/nodes", "net/mgmtvnet/vips" })
        {
            var pool = pools.Single(p => p.Pool == poolId);
            var map = page.Locator($"#address-map .addrmap[data-pool=\"{poolId}\"]");
            Assert.Equal(pool.Size, await map.Locator(".addr").CountAsync());
            var held = await map.Locator(".addr.held").EvaluateAllAsync<string[][]>("cells => cells.map(c => [c.dataset.address, c.dataset.owner])");
            Assert.Equal(allocations.Where(a => a.Pool == poolId).Select(a => (a.Address, a.Owner)).Order(),
                held.Select(c => (c[0], c[1])).Order());
        }

        // A tap on an address says who holds it (a phone has no hover).
        var vip = allocations.First(a => a.Pool == "net/mgmtvnet/vips");
        await page.ClickAsync($".addr[data-address=\"{vip.Address}\"]");
        Assert.Contains(vip.Owner, await page.InnerTextAsync("#addr-detail"), StringComparison.Ordinal);
        Assert.Contains("net/mgmtvnet/vips", await page.InnerTextAsync("#alerts"), StringComparison.Ordinal);

        // Nothing wider than the screen but the tables and maps, which scroll inside their cards.
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "The page scrolls sideways.");
        await browser.ScreenshotAsync($"site-{screen}");
        Assert.Empty(browser.Errors);
    }

    [Fact]
    public async Task A_change_by_another_writer_of_the_site_file_appears_without_a_reload()
    {
        await using var server = await StartAsync();
        await using var browser = await DashboardBrowser.OpenAsync(server.Address, DashboardBrowser.Laptop);
        await browser.SignInAsync(TestTokens.Reader(server));
        var page = browser.Page;
        await page.GotoAsync("/#/sites/worked");
        await page.WaitForSelectorAsync("#site");
        await page.WaitForSelectorAsync("#live.on");
        await page.EvaluateAsync("window.__sameDocument = true");
        const string VipMap = "#address-map .addrmap[data-pool=\"net/mgmtvnet/vips\"] .addr.held";
        Assert.Equal(5, await page.Locator(VipMap).CountAsync());

        // As `trellis delete service` in another process would: another session on the same state file.
        long revision;
        await using (var session = EngineSession.OpenSqlite(StatePath(server, "worked"), write: true))
        {
            var outcome = (await session.Engine.ExecuteAsync(new DeleteService("a", "shop", "web3"))).Outcome();
            Assert.False(outcome.HasErrors);
            revision = outcome.Revision;
        }

        await page.WaitForSelectorAsync($"#site[data-revision=\"{revision}\"]");
        Assert.Equal(4, await page.Locator(VipMap).CountAsync());
        Assert.Equal("4 / 5", await page.Locator("#pools .pool[data-pool=\"net/mgmtvnet/vips\"] .count").InnerTextAsync());
        Assert.True(await page.EvaluateAsync<bool>("window.__sameDocument === true"), "The page was reloaded.");
        await browser.ScreenshotAsync("site-after-live-update");
        Assert.Empty(browser.Errors);
    }

    [Fact]
    public async Task The_audit_log_lists_every_change_newest_first()
    {
        await using var server = await StartAsync();
        await using (var session = EngineSession.OpenSqlite(StatePath(server, "worked"), write: true))
        {
            Assert.False((await session.Engine.ExecuteAsync(new ScaleNodePool("b", "linuxpool", 2), new CommandOptions(Actor: "token:ops", Plan: "p-7f3a"))).Outcome().HasErrors);
        }

        await using var browser = await DashboardBrowser.OpenAsync(server.Address, DashboardBrowser.Laptop);
        await browser.SignInAsync(TestTokens.Reader(server));
        await browser.Page.GotoAsync("/#/sites/worked/audit");
        var rows = browser.Page.Locator("#audit-log tbody tr");
        await rows.First.WaitForAsync();
        Assert.Equal(2, await rows.CountAsync());
        Assert.Equal("2", await rows.First.Locator("td").First.InnerTextAsync());
        Assert.Contains("token:ops", await rows.First.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("p-7f3a", await rows.First.InnerTextAsync(), StringComparison.Ordinal);
        await browser.ScreenshotAsync("audit");
        Assert.Empty(browser.Errors);
    }

    [Fact]
    public async Task Signing_out_forgets_the_token()
    {
        await using var server = await StartAsync();
        await using var browser = await DashboardBrowser.OpenAsync(server.Address, DashboardBrowser.Laptop);
        var token = TestTokens.Reader(server);
        await browser.SignInAsync(token);
        Assert.Equal(token, await browser.Page.EvaluateAsync<string>("sessionStorage.getItem('trellis.token')"));
        await browser.Page.ClickAsync("#signout");
        await browser.Page.WaitForSelectorAsync("#signin-view:not([hidden])");
        Assert.Null(await browser.Page.EvaluateAsync<string?>("sessionStorage.getItem('trellis.token')"));
        Assert.Empty(browser.Errors);
    }
}
