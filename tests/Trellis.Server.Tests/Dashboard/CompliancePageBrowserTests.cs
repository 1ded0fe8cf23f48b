using System.Text;
using System.Text.Json.Nodes;
using Trellis.Server.Tests.Infrastructure;

namespace Trellis.Server.Tests.Dashboard;

/// <summary>
/// A site's compliance page in a real Chromium: the report of GET …/compliance, assignment by assignment and item by item in the
/// API's order, a broken Deny marked, exemptions with their reason and end, the stored text shown as text (never markup), an
/// empty state, and a redraw when the site's assignments change, without a reload.
/// </summary>
public sealed class CompliancePageBrowserTests
{
    private static readonly Dictionary<string, string> Worked = new() { ["worked"] = "worked-example.yaml" };

    private const string Hostile = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\">";

    /// <summary>
    /// A Deny that cluster a breaks (the site runs Calico) and cluster b is exempt from, with markup in the description and the
    /// exemption's reason, an Audit that every service keeps (shop's services share a VIP within shop), and an Audit that the worked
    /// example's full pools break.
    /// </summary>
    private static readonly string Policies = $$"""
        apiVersion: trellis/v1
        kind: PolicyAssignment
        metadata: { name: flannel-only }
        spec:
          description: 'Flannel only {{Hostile}}'
          definition: allowed-network-plugins
          effect: Deny
          parameters: { allowed: [flannel] }
          exemptions:
            - { item: cluster/b, reason: '{{Hostile}} rebuilt in Q1', expiresAt: 2099-04-01T00:00:00Z }
        ---
        apiVersion: trellis/v1
        kind: PolicyAssignment
        metadata: { name: own-namespace-vips }
        spec: { definition: no-vip-sharing-across-namespaces, effect: Audit }
        ---
        apiVersion: trellis/v1
        kind: PolicyAssignment
        metadata: { name: pool-headroom }
        spec:
          definition: pool-utilization-below
          effect: Audit
          parameters: { maxPercent: 50 }
        """;

    private static Uri At(string path) => new(path, UriKind.Relative);

    private static async Task CommandAsync(HttpClient admin, string command, HttpContent body)
    {
        using var site = await admin.GetAsync(At("api/v1/sites/worked"));
        using var request = new HttpRequestMessage(HttpMethod.Post, At($"api/v1/sites/worked/commands/{command}")) { Content = body };
        request.Headers.IfMatch.Add(site.Headers.ETag!);
        using var response = await admin.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string Text(JsonNode? node) => node?.GetValue<string>() ?? "";

    [Fact]
    public async Task The_report_is_shown_item_by_item_as_the_api_gives_it_with_a_broken_deny_marked_and_stored_text_as_text()
    {
        await using var server = await TestServer.StartAsync(Worked);
        using var admin = server.Client();
        await CommandAsync(admin, "policy-apply", new StringContent(Policies, Encoding.UTF8, "application/yaml"));
        var reader = TestTokens.Reader(server);
        using var api = server.Client(reader);
        var report = JsonNode.Parse(await api.GetStringAsync(At("api/v1/sites/worked/compliance")))!;
        var assignments = report["assignments"]!.AsArray();
        // The scenario the page is checked on: one Deny broken, one Audit kept, one Audit broken, one exemption.
        Assert.Equal(["flannel-only", "own-namespace-vips", "pool-headroom"], assignments.Select(a => Text(a!["assignment"])));
        Assert.True(assignments[0]!["nonCompliant"]!.GetValue<int>() > 0 && assignments[0]!["exempt"]!.GetValue<int>() == 1);
        Assert.True(assignments[1]!["compliant"]!.GetValue<int>() > 0 && assignments[1]!["nonCompliant"]!.GetValue<int>() == 0);
        Assert.True(assignments[2]!["nonCompliant"]!.GetValue<int>() > 0);

        await using var browser = await DashboardBrowser.OpenAsync(server.Address, DashboardBrowser.Laptop);
        await browser.SignInAsync(reader);
        var page = browser.Page;
        await page.GotoAsync("/#/sites/worked");
        await page.ClickAsync("#compliance-link");
        await page.WaitForSelectorAsync("#compliance .assignment");
        await page.WaitForSelectorAsync("#live.on");
        await page.EvaluateAsync("window.__sameDocument = true");

        var totals = page.Locator("#compliance-totals");
        Assert.Equal(
            [report["compliant"]!.ToString(), report["nonCompliant"]!.ToString(), report["exempt"]!.ToString()],
            await totals.EvaluateAsync<string[]>("t => [t.dataset.compliant, t.dataset.nonCompliant, t.dataset.exempt]"));
        Assert.Contains("flannel-only", await page.InnerTextAsync("#compliance-denied"), StringComparison.Ordinal);
        Assert.DoesNotContain("pool-headroom", await page.InnerTextAsync("#compliance-denied"), StringComparison.Ordinal);

        Assert.Equal(assignments.Select(a => Text(a!["assignment"])),
            await page.Locator("#compliance .assignment").EvaluateAllAsync<string[]>("cards => cards.map(c => c.dataset.assignment)"));
        foreach (var assignment in assignments)
        {
            var name = Text(assignment!["assignment"]);
            var card = page.Locator($"#compliance .assignment[data-assignment=\"{name}\"]");
            Assert.Equal(Text(assignment["effect"]), await card.GetAttributeAsync("data-effect"));
            var meta = await card.Locator(".meta").InnerTextAsync();
            Assert.Contains(Text(assignment["definition"]), meta, StringComparison.Ordinal);
            Assert.Contains($"scope {Text(assignment["scope"])}", meta, StringComparison.Ordinal);

            var items = assignment["items"]!.AsArray();
            var rows = card.Locator("tbody tr");
            Assert.Equal(items.Select(i => (Text(i!["item"]), Text(i["state"]))),
                (await rows.EvaluateAllAsync<string[][]>("rows => rows.map(r => [r.dataset.item, r.dataset.state])")).Select(r => (r[0], r[1])));
            for (var i = 0; i < items.Count; i++)
            {
                var item = items[i]!;
                var row = rows.Nth(i);
                Assert.Equal(Text(item["path"]), await row.Locator("td.path").TextContentAsync());
                switch (Text(item["state"]))
                {
                    case "NonCompliant":
                        Assert.Equal(Text(item["reason"]), await row.Locator("td.reason").TextContentAsync());
                        // A Deny's non-compliant item is marked; an Audit's is not.
                        Assert.Equal(Text(assignment["effect"]) == "Deny", (await row.GetAttributeAsync("class"))!.Split(' ').Contains("deny"));
                        break;
                    case "Exempt":
                        Assert.Equal(Text(item["exemption"]), await row.Locator("td.reason .exemption").TextContentAsync());
                        Assert.Equal(Text(item["exemptUntil"]), await row.Locator("td.reason .until").GetAttributeAsync("data-until"));
                        Assert.Contains("2099-04-01 00:00 UTC", await row.Locator("td.reason .until").TextContentAsync(), StringComparison.Ordinal);
                        break;
                    default:
                        Assert.Equal("", await row.Locator("td.reason").TextContentAsync());
                        break;
                }
            }
        }

        var deny = page.Locator("#compliance .assignment[data-assignment=\"flannel-only\"]");
        Assert.Contains("broken", (await deny.GetAttributeAsync("class"))!, StringComparison.Ordinal);
        Assert.Equal("Non-compliant · Deny", await deny.Locator("tr[data-item=\"cluster/a\"] td.status").InnerTextAsync());
        // Markup stored in a description and an exemption's reason is shown as the text it is: no element made, no script run.
        Assert.Equal($"Flannel only {Hostile}", await deny.Locator(".description").TextContentAsync());
        Assert.Equal($"{Hostile} rebuilt in Q1", await deny.Locator("tr[data-item=\"cluster/b\"] .exemption").TextContentAsync());
        Assert.Equal(0, await page.Locator("#compliance script, #compliance img").CountAsync());
        Assert.Null(await page.EvaluateAsync<int?>("window.__pwned ?? null"));
        await browser.ScreenshotAsync("compliance");

        // Deleting the Deny through the API (another client) redraws the page at the new revision, without a reload.
        await CommandAsync(admin, "policy-delete", new StringContent("""{"kind":"assignment","name":"flannel-only"}""", Encoding.UTF8, "application/json"));
        await page.Locator("#compliance .assignment[data-assignment=\"flannel-only\"]").WaitForAsync(new() { State = Microsoft.Playwright.WaitForSelectorState.Detached });
        Assert.Equal(["own-namespace-vips", "pool-headroom"], await page.Locator("#compliance .assignment").EvaluateAllAsync<string[]>("cards => cards.map(c => c.dataset.assignment)"));
        Assert.Equal(0, await page.Locator("#compliance-denied").CountAsync());
        Assert.True(await page.EvaluateAsync<bool>("window.__sameDocument === true"), "The page was reloaded.");
        Assert.Empty(browser.Errors);
    }

    [Fact]
    public async Task A_site_without_assignments_says_so()
    {
        await using var server = await TestServer.StartAsync(Worked);
        await using var browser = await DashboardBrowser.OpenAsync(server.Address, DashboardBrowser.Phone);
        await browser.SignInAsync(TestTokens.Reader(server));
        await browser.Page.GotoAsync("/#/sites/worked/compliance");
        await browser.Page.WaitForSelectorAsync("#compliance-empty");

        Assert.Contains("No assignments", await browser.Page.InnerTextAsync("#compliance-empty"), StringComparison.Ordinal);
        Assert.Equal(0, await browser.Page.Locator("#compliance .assignment").CountAsync());
        Assert.Equal(["0", "0", "0"], await browser.Page.Locator("#compliance-totals").EvaluateAsync<string[]>(
            "t => [t.dataset.compliant, t.dataset.nonCompliant, t.dataset.exempt]"));
        Assert.True(await browser.Page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "The page scrolls sideways.");
        await browser.ScreenshotAsync("compliance-empty");
        Assert.Empty(browser.Errors);
    }

    [Fact]
    public async Task The_fleet_page_shows_each_sites_compliance_and_the_fleets_own_policies()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string> { ["worked"] = "worked-example.yaml", ["dhcp"] = "dhcp-site.yaml" });
        using var admin = server.Client();
        // Every site: the example's policies (both sites comply), and pools below 80 %, which worked's full pools break.
        var policies = await File.ReadAllTextAsync(EndpointExamples.PoliciesFile) + """

            ---
            apiVersion: trellis/v1
            kind: PolicyAssignment
            metadata: { name: pool-headroom }
            spec: { definition: pool-utilization-below, effect: Deny, parameters: { maxPercent: 80 } }
            """;
        using (var stored = await admin.PostAsync(At("api/v1/governance"), new StringContent(policies, Encoding.UTF8, "application/yaml")))
        {
            Assert.True(stored.IsSuccessStatusCode, await stored.Content.ReadAsStringAsync());
        }

        var reader = server.Token(AccessRole.Reader, "worked", "dhcp");
        using var api = server.Client(reader);
        var compliance = JsonNode.Parse(await api.GetStringAsync(At("api/v1/governance/compliance")))!;
        var governance = JsonNode.Parse(await api.GetStringAsync(At("api/v1/governance")))!;

        await using var browser = await DashboardBrowser.OpenAsync(server.Address, DashboardBrowser.Laptop);
        await browser.SignInAsync(reader);
        var page = browser.Page;
        await page.WaitForSelectorAsync("#fleet-assignments");
        foreach (var site in compliance["sites"]!.AsArray())
        {
            var report = site!["report"]!;
            var line = page.Locator($"#sites .site[data-site=\"{Text(site["name"])}\"] .compliance");
            Assert.Equal(report["nonCompliant"]!.ToString(), await line.GetAttributeAsync("data-non-compliant"));
            var denied = report["assignments"]!.AsArray().Any(a => Text(a!["effect"]) == "Deny" && a["nonCompliant"]!.GetValue<int>() > 0);
            Assert.Equal(denied ? "true" : "false", await line.GetAttributeAsync("data-denied"));
            Assert.Contains($"{report["compliant"]} compliant, {report["nonCompliant"]} non-compliant, {report["exempt"]} exempt", await line.InnerTextAsync(), StringComparison.Ordinal);
        }

        Assert.Equal("true", await page.Locator("#sites .site[data-site=\"worked\"] .compliance").GetAttributeAsync("data-denied"));
        Assert.Equal("false", await page.Locator("#sites .site[data-site=\"dhcp\"] .compliance").GetAttributeAsync("data-denied"));
        Assert.Equal(governance["assignments"]!.AsArray().Select(a => Text(a!["name"])),
            await page.Locator("#fleet-assignments tbody tr td:first-child").AllTextContentsAsync());
        await browser.ScreenshotAsync("fleet-compliance");

        // The site's report names the fleet's assignments as the site judges them.
        await page.ClickAsync("#sites .site[data-site=\"worked\"] .compliance a");
        await page.WaitForSelectorAsync("#compliance .assignment");
        Assert.Equal(["fleet/calico-only", "fleet/own-namespace-vips", "fleet/pool-headroom", "fleet/supported-versions"],
            await page.Locator("#compliance .assignment").EvaluateAllAsync<string[]>("cards => cards.map(c => c.dataset.assignment)"));
        Assert.Empty(browser.Errors);
    }
}
