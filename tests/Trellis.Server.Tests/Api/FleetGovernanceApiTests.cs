using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Trellis.Engine;
using Trellis.Server.Tests.Infrastructure;
using Trellis.TestSupport;
using static Trellis.Server.Tests.Api.ViewTests;

namespace Trellis.Server.Tests.Api;

/// <summary>
/// The fleet's governance: assignments the Admin makes once for every site, copied into each site's state so that every
/// front end's plans judge by them (as fleet/&lt;name&gt;), reported per site in the fleet's compliance.
/// </summary>
public sealed class FleetGovernanceApiTests
{
    private static readonly Dictionary<string, string> Sites = new() { ["worked"] = "worked-example.yaml" };

    private static async Task<HttpResponseMessage> PostFleetAsync(HttpClient client, string yaml) =>
        await client.PostAsync(At("api/v1/governance"), new StringContent(yaml, Encoding.UTF8, "application/yaml"));

    private static async Task<JsonNode> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    private static IEnumerable<string> Names(JsonNode view) => view["assignments"]!.AsArray().Select(a => a!["name"]!.GetValue<string>());

    private static async Task<HttpResponseMessage> AddSharedServiceAsync(HttpClient client, string site)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, At($"api/v1/sites/{site}/commands/add-service"))
        {
            Content = new StringContent("""{"cluster":"a","namespace":"billing","name":"invoices","ports":[8443],"sharedIpKey":"front"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.IfMatch.Add(System.Net.Http.Headers.EntityTagHeaderValue.Any);
        return await client.SendAsync(request);
    }

    private static bool DeniedBy(JsonNode problem, string assignment) =>
        problem["findings"]!.AsArray().Any(f => f!["code"]!.GetValue<string>() == "PolicyDenied" && f["message"]!.GetValue<string>().Contains($"'{assignment}'", StringComparison.Ordinal));

    [Fact]
    public async Task The_admins_fleet_assignments_reach_every_site_and_deny_its_changes()
    {
        await using var server = await TestServer.StartAsync(Sites);
        var policies = await File.ReadAllTextAsync(EndpointExamples.PoliciesFile);
        using var networkAdmin = server.Client(server.Token(AccessRole.NetworkAdmin, "worked"));
        Assert.Equal(HttpStatusCode.Forbidden, (await PostFleetAsync(networkAdmin, policies)).StatusCode);

        using var admin = server.Client();
        var stored = await JsonAsync(await PostFleetAsync(admin, policies));
        var copy = Assert.Single(stored["sites"]!.AsArray());
        Assert.Equal("worked", copy!["site"]!.GetValue<string>());
        Assert.True(copy["applied"]!.GetValue<bool>());
        Assert.Contains(copy["changes"]!.AsArray(), c => c!["name"]!.GetValue<string>() == "fleet/own-namespace-vips");
        Assert.Equal(["calico-only", "own-namespace-vips", "supported-versions"], Names(await JsonAsync(await networkAdmin.GetAsync(At("api/v1/governance")))));
        Assert.Equal(["fleet/calico-only", "fleet/own-namespace-vips", "fleet/supported-versions"],
            Names(await JsonAsync(await networkAdmin.GetAsync(At("api/v1/sites/worked/governance")))));

        // The site's NetworkAdmin is held to them, and cannot remove them from the site.
        using var denied = await AddSharedServiceAsync(networkAdmin, "worked");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, denied.StatusCode);
        Assert.True(DeniedBy(JsonNode.Parse(await denied.Content.ReadAsStringAsync())!, "fleet/own-namespace-vips"));
        using var siteDelete = new HttpRequestMessage(HttpMethod.Post, At("api/v1/sites/worked/commands/policy-delete"))
        {
            Content = new StringContent("""{"kind":"assignment","name":"fleet/own-namespace-vips"}""", Encoding.UTF8, "application/json"),
        };
        siteDelete.Headers.IfMatch.Add(System.Net.Http.Headers.EntityTagHeaderValue.Any);
        using var refused = await admin.SendAsync(siteDelete);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Contains("FleetPolicy", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // A site created afterwards is under them from its first change.
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync(At("api/v1/sites"), new StringContent("""{"name":"branch"}""", Encoding.UTF8, "application/json"))).StatusCode);
        Assert.Equal(["fleet/calico-only", "fleet/own-namespace-vips", "fleet/supported-versions"], Names(await JsonAsync(await admin.GetAsync(At("api/v1/sites/branch/governance")))));

        // The fleet's compliance: each readable site, with the fleet's assignments.
        var compliance = await JsonAsync(await networkAdmin.GetAsync(At("api/v1/governance/compliance")));
        var site = Assert.Single(compliance["sites"]!.AsArray());
        Assert.Equal("worked", site!["name"]!.GetValue<string>());
        Assert.Contains(site["report"]!["assignments"]!.AsArray(), a => a!["assignment"]!.GetValue<string>() == "fleet/supported-versions");

        // Removed from the fleet, removed from every site: the change goes through.
        var removed = await JsonAsync(await admin.DeleteAsync(At("api/v1/governance/assignments/own-namespace-vips")));
        Assert.Equal(2, removed["sites"]!.AsArray().Count(s => s!["applied"]!.GetValue<bool>()));
        using var allowed = await AddSharedServiceAsync(networkAdmin, "worked");
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public async Task A_site_made_by_another_process_gets_the_fleets_assignments_before_its_first_change_through_the_server()
    {
        await using var server = await TestServer.StartAsync();
        using var admin = server.Client();
        await JsonAsync(await PostFleetAsync(admin, await File.ReadAllTextAsync(EndpointExamples.PoliciesFile)));

        // Applied by the CLI into the fleet's folder, after the fleet's change: no copy yet.
        await TestServer.ApplyAsync(Path.Combine(server.DataDirectory, "sites", "late.db"), "worked-example.yaml");
        await using (var session = EngineSession.OpenSqlite(Path.Combine(server.DataDirectory, "sites", "late.db"), write: false))
        {
            Assert.Empty(SiteViews.Governance(await session.Engine.ReadAsync()).Assignments);
        }

        using var denied = await AddSharedServiceAsync(admin, "late");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, denied.StatusCode);
        Assert.True(DeniedBy(JsonNode.Parse(await denied.Content.ReadAsStringAsync())!, "fleet/own-namespace-vips"));

        // Now in the site's own state: the CLI's Engine judges by it too.
        await using var cli = EngineSession.OpenSqlite(Path.Combine(server.DataDirectory, "sites", "late.db"), write: true);
        var direct = await cli.Engine.ExecuteAsync(new AddService("a", "billing", "invoices", [8443], SharedIpKey: "front"));
        Assert.False(direct.Applied);
        Assert.Contains(direct.Findings, f => f.Code == "PolicyDenied" && f.Message.Contains("'fleet/own-namespace-vips'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task What_a_crash_left_uncopied_is_copied_when_the_server_starts()
    {
        // The fleet's change was committed, and the server stopped before copying it into the site.
        await using var server = await TestServer.StartAsync(Sites, options =>
        {
            var (document, findings) = GovernanceFiles.ReadFile(EndpointExamples.PoliciesFile);
            Assert.True(document is not null, string.Join("\n", findings));
            var session = EngineSession.OpenSqlite(Path.Combine(options.DataDirectory, "fleet.db"), write: true);
            Assert.True(session.Engine.ExecuteAsync(new ApplyGovernance(document!)).GetAwaiter().GetResult().Applied);
            session.DisposeAsync().AsTask().GetAwaiter().GetResult();
            return options;
        });

        using var admin = server.Client();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        IEnumerable<string> names;
        do
        {
            await Task.Delay(50);
            names = Names(await JsonAsync(await admin.GetAsync(At("api/v1/sites/worked/governance"))));
        }
        while (!names.Any() && clock.Elapsed < TimeSpan.FromSeconds(20));

        Assert.Equal(["fleet/calico-only", "fleet/own-namespace-vips", "fleet/supported-versions"], names);
        var audit = await JsonAsync(await admin.GetAsync(At("api/v1/sites/worked/audit")));
        Assert.Contains(audit.AsArray(), e => e!["command"]!.GetValue<string>() == "fleet policy" && e["actor"]!.GetValue<string>() == "trellis-server");
    }

    [Fact]
    public async Task A_refused_fleet_document_stores_nothing_and_copies_nothing()
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var admin = server.Client();
        using var bad = await PostFleetAsync(admin, "apiVersion: trellis/v1\nkind: PolicyAssignment\nmetadata: { name: v }\nspec: { definition: allowed-kubernetes-versions }\n");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        Assert.Contains("ParameterMissing", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(Names(await JsonAsync(await admin.GetAsync(At("api/v1/governance")))));
        Assert.Empty(Names(await JsonAsync(await admin.GetAsync(At("api/v1/sites/worked/governance")))));
        using var unknown = await admin.DeleteAsync(At("api/v1/governance/assignments/nothing"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unknown.StatusCode);
        Assert.Contains("UnknownPolicy", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_damaged_site_does_not_keep_the_fleets_assignments_from_the_others()
    {
        await using var server = await TestServer.StartAsync(Sites);
        // Put in place whole (written beside, then renamed): the server lists and opens its sites meanwhile, and an empty
        // broken.db it opened would be an empty database whose WAL then stands in for the damaged page.
        var damaged = Path.Combine(server.DataDirectory, "broken.tmp");
        await File.WriteAllTextAsync(damaged, "not a SQLite database, but long enough to be read as a header of one........");
        File.Move(damaged, Path.Combine(server.DataDirectory, "sites", "broken.db"));
        using var admin = server.Client();
        var stored = await JsonAsync(await PostFleetAsync(admin, await File.ReadAllTextAsync(EndpointExamples.PoliciesFile)));
        var sites = stored["sites"]!.AsArray().ToDictionary(s => s!["site"]!.GetValue<string>());
        Assert.True(sites["worked"]!["applied"]!.GetValue<bool>());
        Assert.False(sites["broken"]!["applied"]!.GetValue<bool>());
        var finding = Assert.Single(sites["broken"]!["findings"]!.AsArray());
        Assert.Equal(("FleetCopyFailed", "site"), (finding!["code"]!.GetValue<string>(), finding["path"]!.GetValue<string>()));
        Assert.Equal(["fleet/calico-only", "fleet/own-namespace-vips", "fleet/supported-versions"], Names(await JsonAsync(await admin.GetAsync(At("api/v1/sites/worked/governance")))));
    }
}
