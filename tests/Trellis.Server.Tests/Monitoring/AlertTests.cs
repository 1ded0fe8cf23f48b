using System.Net;
using System.Text.Json.Nodes;
using Trellis.Engine;
using Trellis.Engine.Contracts;
using Trellis.Server.Tests.Infrastructure;
using Trellis.TestSupport;

namespace Trellis.Server.Tests.Monitoring;

/// <summary>
/// GET /api/v1/sites/{site}/alerts and GET /api/v1/alerts: every pool with the Engine's counts, its utilization and level
/// (warning at 80 %, critical at 95 % unless the server is told otherwise), and "an upgrade would not fit" from the
/// Engine's capacity report.
/// </summary>
public sealed class AlertTests
{
    private static readonly Dictionary<string, string> Sites = new() { ["worked"] = "worked-example.yaml", ["dhcp"] = "dhcp-site.yaml" };

    /// <summary>The worked example without update addresses and a node IP pool of exactly its VMs: it fits, but no upgrade would.</summary>
    private const string NoUpgradeRoom = """
        apiVersion: trellis/v1
        kind: Site
        metadata: { name: tight }
        spec:
          model: AksHci
          hostNetwork:
            name: mgmtvnet
            vswitchName: External
            ipAllocationMethod: Static
            ipAddressPrefix: 172.16.0.0/24
            gateway: 172.16.0.1
            dnsServers: [172.16.0.2]
            k8sNodeIpPoolStart: 172.16.0.20
            k8sNodeIpPoolEnd: 172.16.0.36
            vipPoolStart: 172.16.0.150
            vipPoolEnd: 172.16.0.160
          cloudServiceCidr: 172.16.0.10/24
          settings:
            managementClusterVip: false
            workloadUpdateReserve: 0
          clusters:
            - name: a
              controlPlaneNodeCount: 3
              nodePools:
                - { name: linuxpool, osType: Linux, count: 5 }
            - name: b
              controlPlaneNodeCount: 1
              nodePools:
                - { name: linuxpool, osType: Linux, count: 3 }
        """;

    private static async Task<IReadOnlyList<PoolRow>> EnginePoolsAsync(TestServer server, string site)
    {
        await using var session = EngineSession.OpenSqlite(Path.Combine(server.DataDirectory, "sites", site + ".db"), write: false);
        return SiteViews.Pools(await session.Engine.ReadAsync());
    }

    [Fact]
    public async Task Site_alerts_list_every_pool_with_the_engines_counts_and_the_levels_of_the_default_thresholds()
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var client = server.Client();
        var response = await client.GetAsync(new Uri("api/v1/sites/worked/alerts", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("\"1\"", response.Headers.ETag?.Tag);
        var health = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        var expected = await EnginePoolsAsync(server, "worked");
        var pools = health["pools"]!.AsArray();
        Assert.Equal(expected.Select(p => (p.Pool, p.Size, p.Allocated, p.Free)),
            pools.Select(p => (p!["pool"]!.GetValue<string>(), p["size"]!.GetValue<long>(), p["allocated"]!.GetValue<long>(), p["free"]!.GetValue<long>())));
        foreach (var (row, pool) in expected.Zip(pools))
        {
            var ratio = (double)row.Allocated / row.Size;
            Assert.Equal(ratio, pool!["utilization"]!.GetValue<double>(), 9);
            Assert.Equal(row.Size <= 1 ? "Ok" : ratio >= 0.95 ? "Critical" : ratio >= 0.80 ? "Warning" : "Ok", pool["level"]!.GetValue<string>());
        }

        // The worked example's VIP pool holds its five VIPs and nothing more: full, so critical.
        var vips = Assert.Single(health["alerts"]!.AsArray(), a => a!["pool"]!.GetValue<string>() == "net/mgmtvnet/vips");
        Assert.Equal(("Critical", "Utilization"), (vips!["level"]!.GetValue<string>(), vips["kind"]!.GetValue<string>()));
        Assert.Contains("5 of 5", vips["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("Critical", health["level"]!.GetValue<string>());
        // The infrastructure pool holds the cloud agent's one address: full by design, never an alert.
        Assert.Contains(expected, p => p.Size == 1 && p.Allocated == 1);
        Assert.Equal(expected.Count(p => p.Size > 1 && (double)p.Allocated / p.Size >= 0.80), health["alerts"]!.AsArray().Count(a => a!["kind"]!.GetValue<string>() == "Utilization"));
    }

    [Fact]
    public async Task The_thresholds_are_the_servers_options()
    {
        await using var server = await TestServer.StartAsync(Sites, o => o with { WarnUtilization = 0.005, CriticalUtilization = 0.5 });
        using var client = server.Client();
        var health = JsonNode.Parse(await client.GetStringAsync(new Uri("api/v1/sites/worked/alerts", UriKind.Relative)))!;
        var expected = await EnginePoolsAsync(server, "worked");
        Assert.Equal(expected.Select(p => (double)p.Allocated / p.Size is var r && p.Size > 1 && r >= 0.5 ? "Critical" : p.Size > 1 && r >= 0.005 ? "Warning" : "Ok"),
            health["pools"]!.AsArray().Select(p => p!["level"]!.GetValue<string>()));
        Assert.Contains(health["pools"]!.AsArray(), p => p!["level"]!.GetValue<string>() == "Warning");
    }

    [Fact]
    public async Task A_pool_with_no_address_for_an_upgrades_surge_vm_raises_upgrade_would_not_fit()
    {
        using var folder = new TempFolder();
        var spec = Path.Combine(folder.Path, "tight.yaml");
        await File.WriteAllTextAsync(spec, NoUpgradeRoom);
        await using var server = await TestServer.StartAsync(new Dictionary<string, string> { ["tight"] = spec });
        using var client = server.Client();
        var health = JsonNode.Parse(await client.GetStringAsync(new Uri("api/v1/sites/tight/alerts", UriKind.Relative)))!;

        var alert = Assert.Single(health["alerts"]!.AsArray(), a => a!["kind"]!.GetValue<string>() == "UpgradeWouldNotFit");
        Assert.Equal(("net/mgmtvnet/nodes", "Warning"), (alert!["pool"]!.GetValue<string>(), alert["level"]!.GetValue<string>()));
        var nodes = Assert.Single(health["pools"]!.AsArray(), p => p!["pool"]!.GetValue<string>() == "net/mgmtvnet/nodes");
        Assert.True(nodes!["upgradeHeadroom"]!.GetValue<long>() < 0);

        // The worked example keeps update addresses: no pool of it is short for an upgrade.
        await using var worked = await TestServer.StartAsync(Sites);
        using var other = worked.Client();
        var workedHealth = JsonNode.Parse(await other.GetStringAsync(new Uri("api/v1/sites/worked/alerts", UriKind.Relative)))!;
        Assert.DoesNotContain(workedHealth["alerts"]!.AsArray(), a => a!["kind"]!.GetValue<string>() == "UpgradeWouldNotFit");
    }

    [Fact]
    public async Task Fleet_alerts_give_every_site_with_its_level_and_an_empty_site_its_reason()
    {
        await using var server = await TestServer.StartAsync(Sites);
        await using (var empty = EngineSession.OpenSqlite(Path.Combine(server.DataDirectory, "sites", "empty.db"), write: true))
        {
            _ = await empty.Engine.ReadRevisionAsync();
        }

        using var client = server.Client();
        var sites = JsonNode.Parse(await client.GetStringAsync(new Uri("api/v1/alerts", UriKind.Relative)))!.AsArray();
        Assert.Equal(["dhcp", "empty", "worked"], sites.Select(s => s!["name"]!.GetValue<string>()));
        var emptySite = sites[1]!;
        Assert.Equal("Ok", emptySite["level"]!.GetValue<string>());
        Assert.Empty(emptySite["pools"]!.AsArray());
        Assert.Equal("NoSite", emptySite["findings"]![0]!["code"]!.GetValue<string>());
        Assert.Equal("jane", sites[2]!["site"]!.GetValue<string>());
    }

    [Fact]
    public async Task Alerts_follow_a_change_of_the_site()
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var client = server.Client();
        var before = JsonNode.Parse(await client.GetStringAsync(new Uri("api/v1/sites/worked/alerts", UriKind.Relative)))!;
        await using (var session = EngineSession.OpenSqlite(Path.Combine(server.DataDirectory, "sites", "worked.db"), write: true))
        {
            Assert.False((await session.Engine.ExecuteAsync(new DeleteService("a", "shop", "web3"))).Outcome().HasErrors);
        }

        var after = JsonNode.Parse(await client.GetStringAsync(new Uri("api/v1/sites/worked/alerts", UriKind.Relative)))!;
        Assert.Equal(before["revision"]!.GetValue<long>() + 1, after["revision"]!.GetValue<long>());
        long VipsHeld(JsonNode h) => h["pools"]!.AsArray().Single(p => p!["pool"]!.GetValue<string>() == "net/mgmtvnet/vips")!["allocated"]!.GetValue<long>();
        Assert.Equal(VipsHeld(before) - 1, VipsHeld(after));
    }

    [Fact]
    public async Task Alerts_of_an_unknown_site_are_a_problem_document()
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var client = server.Client();
        var response = await client.GetAsync(new Uri("api/v1/sites/nosuch/alerts", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
