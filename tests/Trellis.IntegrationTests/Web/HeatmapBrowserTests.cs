using Microsoft.Playwright;
using Trellis.IntegrationTests.Infrastructure;
using Trellis.Engine;
using Trellis.Presentation;

namespace Trellis.IntegrationTests.Web;

/// <summary>
/// The connectivity heatmap page (`trellis netpol matrix -o html`) in a real Chromium, driven by Playwright: the page
/// runs without script errors, hovering a cell highlights its row and column, and the filter hides the connection lines
/// that do not match. Chromium runs inside a network namespace of the test's own with only a loopback device, so it
/// cannot send a packet anywhere; the page is a local file.
/// </summary>
public sealed class HeatmapBrowserTests
{
    private static string Shop => Path.Combine(ExampleState.ExamplesDirectory, "manifests", "shop.yaml");

    [Fact]
    public async Task Heatmap_RunsWithoutScriptErrors_HighlightsOnHover_AndFilters()
    {
        var report = ShopMatrix();
        await using var page = await BrowserPage.OpenAsync(ConnectivityHeatmap.Write(report, "shop"));

        Assert.Equal(report.Nodes.Count, await page.Page.Locator("#heat tbody tr").CountAsync());
        Assert.Equal(report.Lines.Count, await page.Page.Locator("#list tbody tr").CountAsync());

        // Hover the cell of row 2, column 3: every cell of that row and of that column is highlighted, no other.
        await page.Page.Locator("#heat tbody tr").Nth(1).Locator("td").Nth(2).HoverAsync();
        var highlighted = await page.Page.Locator("#heat td.hl").CountAsync();
        Assert.Equal(2 * report.Nodes.Count - 1, highlighted);

        await page.Page.FillAsync("#filter", "TCP 5432");
        var expected = report.Lines.Count(l => l.ToString().Contains("TCP 5432", StringComparison.OrdinalIgnoreCase));
        Assert.InRange(expected, 1, report.Lines.Count - 1);
        Assert.Equal(expected, await page.Page.Locator("#list tbody tr:visible").CountAsync());

        await page.Page.FillAsync("#filter", "");
        Assert.Equal(report.Lines.Count, await page.Page.Locator("#list tbody tr:visible").CountAsync());
        Assert.Empty(page.Errors);
    }

    [Fact]
    public async Task Heatmap_PerNamespace_RunsWithoutScriptErrors()
    {
        var report = ShopMatrix();
        var namespaces = report.Nodes.Where(n => !n.IsExternal).Select(n => n.Namespace).Distinct().Count();
        await using var page = await BrowserPage.OpenAsync(ConnectivityHeatmap.Write(report, "shop", maxWorkloadCells: 1, maxListedLines: 3));

        Assert.Equal(namespaces + report.Nodes.Count(n => n.IsExternal), await page.Page.Locator("#heat tbody tr").CountAsync());
        Assert.Equal(3, await page.Page.Locator("#list tbody tr").CountAsync());
        Assert.Contains("one row and one column per namespace", await page.Page.InnerTextAsync("body"), StringComparison.Ordinal);
        await page.Page.Locator("#heat tbody tr").First.Locator("td").First.HoverAsync();
        Assert.Empty(page.Errors);
    }

    private static PolicyMatrix ShopMatrix() => NetworkPolicyService.Matrix(NetworkPolicyService.Load([new ManifestText("shop.yaml", File.ReadAllText(Shop))]));

    /// <summary>A page of headless Chromium in its own network namespace, with the page's script errors and console errors collected.</summary>
    private sealed class BrowserPage : IAsyncDisposable
    {
        private readonly NetworkNamespace _namespace;
        private readonly string _directory;
        private readonly IPlaywright _playwright;
        private readonly IBrowser _browser;

        private BrowserPage(NetworkNamespace ns, string directory, IPlaywright playwright, IBrowser browser, IPage page)
        {
            _namespace = ns;
            _directory = directory;
            _playwright = playwright;
            _browser = browser;
            Page = page;
            page.PageError += (_, e) => Errors.Add(e);
            page.Console += (_, m) =>
            {
                if (m.Type == "error")
                {
                    Errors.Add(m.Text);
                }
            };
        }

        public IPage Page { get; }

        public List<string> Errors { get; } = [];

        public static async Task<BrowserPage> OpenAsync(string html)
        {
            var chromium = Tools.Require("chromium", "chromium");
            var ip = Tools.Require("ip", "iproute2");
            var ns = new NetworkNamespace("web");
            string? directory = null;
            IPlaywright? playwright = null;
            try
            {
                directory = Directory.CreateTempSubdirectory("trellis-heatmap-").FullName;
                var file = Path.Combine(directory, "heatmap.html");
                await File.WriteAllTextAsync(file, html);

                // Playwright starts the browser itself and talks to it over pipes; a wrapper puts it in the namespace.
                var wrapper = Path.Combine(directory, "chromium-in-namespace");
                await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\nexec {ip} netns exec {ns.Name} {chromium} \"$@\"\n");
                if (OperatingSystem.IsLinux())
                {
                    File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }
                else
                {
                    Assert.Fail("The browser tests run Chromium in a Linux network namespace.");
                }

                playwright = await Playwright.CreateAsync();
                var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
                {
                    ExecutablePath = wrapper,
                    Headless = true,
                    Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
                    // A browser that does not come up fails the test in half a minute, not Playwright's three.
                    Timeout = 30_000,
                });
                var page = await browser.NewPageAsync();
                var opened = new BrowserPage(ns, directory, playwright, browser, page);
                await page.GotoAsync(new Uri(file).AbsoluteUri);
                return opened;
            }
            catch
            {
                playwright?.Dispose();
                ns.Dispose();
                if (directory is not null)
                {
                    Directory.Delete(directory, recursive: true);
                }

                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            // Each step runs even when one before it fails: the namespace (and any Chromium left in it) must go.
            try
            {
                await _browser.CloseAsync();
            }
            finally
            {
                try
                {
                    _playwright.Dispose();
                }
                finally
                {
                    try
                    {
                        _namespace.Dispose();
                    }
                    finally
                    {
                        Directory.Delete(_directory, recursive: true);
                    }
                }
            }
        }
    }
}
