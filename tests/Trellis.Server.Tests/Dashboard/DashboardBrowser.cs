using Microsoft.Playwright;

namespace Trellis.Server.Tests.Dashboard;

/// <summary>
/// Headless Debian Chromium driven by Playwright on a test server's dashboard, with the page's script errors and console
/// errors (a Content-Security-Policy refusal is one) collected. The browser may resolve no name and reach nothing but the
/// loopback server. Screenshots go to the test results folder (bin/…/TestResults/dashboard).
/// </summary>
public sealed class DashboardBrowser : IAsyncDisposable
{
    public static readonly (int Width, int Height) Laptop = (1366, 768);
    public static readonly (int Width, int Height) Phone = (390, 844);

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly IBrowserContext _context;

    private DashboardBrowser(IPlaywright playwright, IBrowser browser, IBrowserContext context, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        _context = context;
        Page = page;
        page.PageError += (_, e) => Errors.Add(e);
        page.Response += (_, r) =>
        {
            if (r.Status >= 400)
            {
                Errors.Add($"{r.Status} {r.Url}");
            }
        };
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

    public static string ScreenshotFolder { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "dashboard");

    public static async Task<DashboardBrowser> OpenAsync(Uri address, (int Width, int Height) viewport)
    {
        const string Chromium = "/usr/bin/chromium";
        Assert.True(File.Exists(Chromium), "The dashboard tests drive Debian's Chromium: apt-get install chromium (test.sh does).");
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = Chromium,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-proxy-server",
                    $"--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE {address.Host}"],
                Timeout = 30_000,
            });
            var context = await browser.NewContextAsync(new BrowserNewContextOptions
            {
                BaseURL = address.ToString(),
                ViewportSize = new ViewportSize { Width = viewport.Width, Height = viewport.Height },
            });
            context.SetDefaultTimeout(15_000);
            var page = await context.NewPageAsync();
            return new DashboardBrowser(playwright, browser, context, page);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>Opens the dashboard and signs in with <paramref name="token"/>; the fleet page is shown.</summary>
    public async Task SignInAsync(string token)
    {
        await Page.GotoAsync("/");
        await Page.FillAsync("#token", token);
        await Page.ClickAsync("#signin button[type=submit]");
        await Page.WaitForSelectorAsync("#sites");
    }

    public async Task<string> ScreenshotAsync(string name)
    {
        Directory.CreateDirectory(ScreenshotFolder);
        var path = Path.Combine(ScreenshotFolder, name + ".png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await _context.CloseAsync();
        await _browser.CloseAsync();
        _playwright.Dispose();
    }
}
