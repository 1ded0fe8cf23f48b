using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Trellis.Engine;
using Trellis.Server.Stores;
using Trellis.Server.Tests.Infrastructure;
using Trellis.Server.Tests.Live;

namespace Trellis.Server.Tests.Stores;

/// <summary>
/// Several servers on one etcd store (a real 3-member cluster): the sites, their changes, the live feed and the fleet's
/// governance are one state, whichever server (or the CLI's Engine) wrote them; each replica is registered on a lease.
/// </summary>
public sealed class EtcdFleetTests(EtcdFleetFixture etcd) : IClassFixture<EtcdFleetFixture>
{
    private static Uri At(string path) => new(path, UriKind.Relative);

    private static async Task<JsonNode> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    private static async Task<IReadOnlyList<string>> SitesAsync(TestServer server)
    {
        using var client = server.Client();
        return [.. (await JsonAsync(await client.GetAsync(At("api/v1/sites")))).AsArray().Select(s => s!["name"]!.GetValue<string>())];
    }

    private static async Task<HttpResponseMessage> ApplyAsync(HttpClient client, string site, string example)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, At($"api/v1/sites/{site}/spec"))
        {
            Content = new StringContent(await File.ReadAllTextAsync(Path.Combine(Trellis.TestSupport.ExampleState.ExamplesDirectory, example)), Encoding.UTF8, "application/yaml"),
        };
        request.Headers.IfMatch.Add(System.Net.Http.Headers.EntityTagHeaderValue.Any);
        return await client.SendAsync(request);
    }

    private static async Task<HttpResponseMessage> ScaleAsync(HttpClient client, string site, int count)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, At($"api/v1/sites/{site}/commands/scale"))
        {
            Content = new StringContent($$"""{"cluster":"b","nodePool":"linuxpool","count":{{count}}}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.IfMatch.Add(System.Net.Http.Headers.EntityTagHeaderValue.Any);
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task A_site_created_through_one_server_is_listed_and_read_through_another()
    {
        var store = etcd.NewStore();
        await using var a = await EtcdFleetFixture.ServerAsync(store);
        await using var b = await EtcdFleetFixture.ServerAsync(store);
        using var clientA = a.Client();
        using var clientB = b.Client();

        var created = await clientA.PostAsync(At("api/v1/sites"), new StringContent("""{"name":"edge"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(["edge"], await SitesAsync(b));
        // One name, one site, whichever server is asked.
        Assert.Equal(HttpStatusCode.Conflict, (await clientB.PostAsync(At("api/v1/sites"), new StringContent("""{"name":"edge"}""", Encoding.UTF8, "application/json"))).StatusCode);

        var applied = await JsonAsync(await ApplyAsync(clientA, "edge", "worked-example.yaml"));
        var fromA = await (await clientA.GetAsync(At("api/v1/sites/edge/allocations"))).Content.ReadAsStringAsync();
        var readB = await clientB.GetAsync(At("api/v1/sites/edge/allocations"));
        Assert.Equal(HttpStatusCode.OK, readB.StatusCode);
        Assert.Equal($"\"{applied["revision"]!.GetValue<long>()}\"", readB.Headers.ETag!.Tag);
        Assert.Equal(fromA, await readB.Content.ReadAsStringAsync());
        Assert.NotEmpty(JsonNode.Parse(fromA)!.AsArray());
        Assert.Equal(HttpStatusCode.NotFound, (await clientB.GetAsync(At("api/v1/sites/elsewhere/allocations"))).StatusCode);
    }

    [Fact]
    public async Task A_site_the_CLI_made_on_etcd_is_listed_with_its_revision()
    {
        var store = etcd.NewStore();
        var revision = await EtcdFleetFixture.ApplyAsync(store, "cli-made", "worked-example.yaml");
        await EtcdFleetFixture.ApplyAsync(store, "cli-made-2", "worked-example.yaml");
        await using var server = await EtcdFleetFixture.ServerAsync(store);
        using var client = server.Client();

        var sites = (await JsonAsync(await client.GetAsync(At("api/v1/sites")))).AsArray();
        Assert.Equal(["cli-made", "cli-made-2"], sites.Select(s => s!["name"]!.GetValue<string>()));
        Assert.Equal(revision, sites[0]!["revision"]!.GetValue<long>());
    }

    [Fact]
    public async Task The_site_list_names_each_site_once_whatever_its_keys_and_names_sort_among_its_keys()
    {
        var store = etcd.NewStore();
        // "a"'s keys ("a/…") sort after "a-b/…" and before "a0/…": each must be skipped past, not read.
        await EtcdFleetFixture.ApplyAsync(store, "a", "worked-example.yaml");
        await EtcdFleetFixture.ApplyAsync(store, "a0", "dhcp-site.yaml");
        await using var server = await EtcdFleetFixture.ServerAsync(store);
        using var client = server.Client();
        foreach (var name in new[] { "b", "a-b" })
        {
            Assert.Equal(HttpStatusCode.Created, (await client.PostAsync(At("api/v1/sites"), new StringContent($$"""{"name":"{{name}}"}""", Encoding.UTF8, "application/json"))).StatusCode);
        }

        Assert.Equal(["a", "a-b", "a0", "b"], await SitesAsync(server));
        // The fleet's own state is not a site.
        await JsonAsync(await client.PostAsync(At("api/v1/governance"), new StringContent(await File.ReadAllTextAsync(EndpointExamples.PoliciesFile), Encoding.UTF8, "application/yaml")));
        Assert.Equal(["a", "a-b", "a0", "b"], await SitesAsync(server));
    }

    [Fact]
    public async Task The_fleets_governance_applied_on_one_server_judges_a_change_through_another()
    {
        var store = etcd.NewStore();
        await EtcdFleetFixture.ApplyAsync(store, "worked", "worked-example.yaml");
        await using var a = await EtcdFleetFixture.ServerAsync(store);
        await using var b = await EtcdFleetFixture.ServerAsync(store);
        using var clientA = a.Client();
        using var clientB = b.Client();

        var policies = await File.ReadAllTextAsync(EndpointExamples.PoliciesFile);
        await JsonAsync(await clientA.PostAsync(At("api/v1/governance"), new StringContent(policies, Encoding.UTF8, "application/yaml")));
        // B reads the fleet's set from etcd, not from a file of its own.
        var names = (await JsonAsync(await clientB.GetAsync(At("api/v1/governance"))))["assignments"]!.AsArray().Select(x => x!["name"]!.GetValue<string>());
        Assert.Equal(["calico-only", "own-namespace-vips", "supported-versions"], names);

        // A site B creates after the change holds the fleet's set from its first change.
        Assert.Equal(HttpStatusCode.Created, (await clientB.PostAsync(At("api/v1/sites"), new StringContent("""{"name":"late"}""", Encoding.UTF8, "application/json"))).StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Post, At("api/v1/sites/worked/commands/add-service"))
        {
            Content = new StringContent("""{"cluster":"a","namespace":"billing","name":"invoices","ports":[8443],"sharedIpKey":"front"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.IfMatch.Add(System.Net.Http.Headers.EntityTagHeaderValue.Any);
        var denied = await clientB.SendAsync(request);
        var problem = JsonNode.Parse(await denied.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.UnprocessableEntity, denied.StatusCode);
        Assert.Contains(problem["findings"]!.AsArray(), f => f!["code"]!.GetValue<string>() == "PolicyDenied"
            && f["message"]!.GetValue<string>().Contains("'fleet/own-namespace-vips'", StringComparison.Ordinal));
        var late = (await JsonAsync(await clientA.GetAsync(At("api/v1/sites/late/governance"))))["assignments"]!.AsArray().Select(x => x!["name"]!.GetValue<string>());
        Assert.Equal(["fleet/calico-only", "fleet/own-namespace-vips", "fleet/supported-versions"], late);
    }

    [Fact]
    public async Task A_change_through_one_server_reaches_a_live_subscriber_of_another_without_its_poll()
    {
        var store = etcd.NewStore();
        await EtcdFleetFixture.ApplyAsync(store, "worked", "worked-example.yaml");
        await using var a = await EtcdFleetFixture.ServerAsync(store);
        // B would poll once in ten minutes: what B's subscriber hears comes from the etcd watch.
        await using var b = await EtcdFleetFixture.ServerAsync(store, o => o with { PollInterval = TimeSpan.FromMinutes(10) });
        using var clientA = a.Client();
        using var clientB = b.Client();
        await using var stream = await SseStream.OpenAsync(clientB, "api/v1/sites/worked/events");
        var first = await stream.NextAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("revision", first!.Type);

        var scaled = await JsonAsync(await ScaleAsync(clientA, "worked", 2));
        var started = System.Diagnostics.Stopwatch.StartNew();
        var next = await stream.NextAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(scaled["revision"]!.GetValue<long>().ToString(System.Globalization.CultureInfo.InvariantCulture), next!.Id);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"the change took {started.Elapsed} to arrive");
    }

    [Fact]
    public async Task Each_server_registers_on_a_lease_and_one_that_dies_disappears_when_it_runs_out()
    {
        var store = etcd.NewStore();
        await using var a = await EtcdFleetFixture.ServerAsync(store, o => o with { ReplicaId = "replica-a" });
        var b = await EtcdFleetFixture.ServerAsync(store, o => o with { ReplicaId = "replica-b" });
        var c = await EtcdFleetFixture.ServerAsync(store, o => o with { ReplicaId = "replica-c" });
        using var client = a.Client(a.Token(AccessRole.Reader, "any"));

        var listed = await WaitForAsync(client, ["replica-a", "replica-b", "replica-c"], TimeSpan.FromSeconds(5));
        var bListed = listed.Single(r => r!["id"]!.GetValue<string>() == "replica-b")!;
        Assert.Equal(b.Address.ToString().TrimEnd('/'), Assert.Single(bListed["urls"]!.AsArray())!.GetValue<string>());

        // Stopped: it takes its registration with it.
        await c.DisposeAsync();
        await WaitForAsync(client, ["replica-a", "replica-b"], TimeSpan.FromSeconds(1));

        // Killed (its lease no longer kept alive, never revoked): gone once the lease runs out, 2 s here.
        var killed = System.Diagnostics.Stopwatch.StartNew();
        await b.App.Services.GetRequiredService<ReplicaRegistry>().AbandonAsync();
        await WaitForAsync(client, ["replica-a"], TimeSpan.FromSeconds(10));
        Assert.True(killed.Elapsed > TimeSpan.FromSeconds(1), $"gone after {killed.Elapsed}, before its lease ran out");
        await b.DisposeAsync();
    }

    private static async Task<JsonArray> WaitForAsync(HttpClient client, string[] ids, TimeSpan within)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var replicas = (await JsonAsync(await client.GetAsync(At("api/v1/servers")))).AsArray();
            if (replicas.Select(r => r!["id"]!.GetValue<string>()).SequenceEqual(ids))
            {
                return replicas;
            }

            Assert.True(waited.Elapsed < within, $"the servers listed are [{string.Join(", ", replicas.Select(r => r!["id"]))}], not [{string.Join(", ", ids)}]");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task A_store_setting_with_a_site_or_an_unknown_scheme_fails_the_start_with_a_clear_message()
    {
        var withSite = Record.Exception(() => ServerHost.Build(new ServerOptions { DataDirectory = "unused", Store = EtcdFleetFixture.Location(etcd.NewStore().Replace("?", "/edge?", StringComparison.Ordinal)) }));
        Assert.Contains("names the site 'edge'", Assert.IsType<ArgumentException>(withSite).Message, StringComparison.Ordinal);

        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        Assert.Equal(2, await Program.RunAsync(["--store", "etcd://127.0.0.1:2379/edge"], stdout, stderr));
        Assert.Contains("--store names the site 'edge'", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("etcd://127.0.0.1:2379)", stderr.ToString(), StringComparison.Ordinal);

        (stdout, stderr) = (new StringWriter(), new StringWriter());
        Assert.Equal(2, await Program.RunAsync(["--store", "zookeeper://127.0.0.1:2181"], stdout, stderr));
        Assert.Contains("'zookeeper://' is not a store", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_store_that_does_not_answer_fails_the_start_naming_it()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var failure = await Record.ExceptionAsync(() => EtcdFleetFixture.ServerAsync($"etcd://127.0.0.1:{port}"));
        Assert.Contains($"127.0.0.1:{port}", Assert.IsType<FleetStoreException>(failure).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Manifests_stored_through_one_server_answer_through_another_and_are_kept_on_etcd()
    {
        var store = etcd.NewStore();
        await using var a = await EtcdFleetFixture.ServerAsync(store);
        await using var b = await EtcdFleetFixture.ServerAsync(store);
        using var clientA = a.Client();
        using var clientB = b.Client();
        Assert.Equal(HttpStatusCode.Created, (await clientA.PostAsync(At("api/v1/sites"), new StringContent("""{"name":"shop"}""", Encoding.UTF8, "application/json"))).StatusCode);
        await JsonAsync(await ApplyAsync(clientA, "shop", "worked-example.yaml"));
        var shop = await File.ReadAllTextAsync(Path.Combine(Trellis.TestSupport.ExampleState.ExamplesDirectory, "manifests", "shop.yaml"));

        await JsonAsync(await clientA.PutAsync(At("api/v1/sites/shop/clusters/a/policies"), Manifests(("shop.yaml", shop))));

        var throughB = await JsonAsync(await clientB.GetAsync(At("api/v1/sites/shop/clusters/a/policies")));
        Assert.Equal("shop.yaml", throughB["manifests"]![0]!["name"]!.GetValue<string>());
        var matrixA = await clientA.GetAsync(At("api/v1/sites/shop/clusters/a/policy/matrix"));
        var matrixB = await clientB.GetAsync(At("api/v1/sites/shop/clusters/a/policy/matrix"));
        Assert.Equal(await matrixA.Content.ReadAsStringAsync(), await matrixB.Content.ReadAsStringAsync());
        Assert.Equal(matrixA.Headers.ETag, matrixB.Headers.ETag);
        Assert.False(Directory.Exists(Path.Combine(a.DataDirectory, "sites", "shop.policies")));

        // Replaced through B: A answers with the new ones at once.
        await JsonAsync(await clientB.PutAsync(At("api/v1/sites/shop/clusters/a/policies"), Manifests(("web.yaml", shop.Split("\n---\n")[2]))));
        Assert.Equal("web.yaml", (await JsonAsync(await clientA.GetAsync(At("api/v1/sites/shop/clusters/a/policies"))))["manifests"]![0]!["name"]!.GetValue<string>());

        // More than one etcd request carries: refused, and the stored ones kept.
        var large = await clientA.PutAsync(At("api/v1/sites/shop/clusters/a/policies"), Manifests(("large.yaml", shop + "\n# " + new string('x', 1_100_000) + "\n")));
        var text = await large.Content.ReadAsStringAsync();
        Assert.True(large.StatusCode == HttpStatusCode.RequestEntityTooLarge, text);
        Assert.Equal("StoredPoliciesTooLarge", JsonNode.Parse(text)!["findings"]![0]!["code"]!.GetValue<string>());
        Assert.Equal("web.yaml", (await JsonAsync(await clientB.GetAsync(At("api/v1/sites/shop/clusters/a/policies"))))["manifests"]![0]!["name"]!.GetValue<string>());
    }

    private static StringContent Manifests(params (string Name, string Text)[] manifests) =>
        new(new JsonObject { ["manifests"] = new JsonArray([.. manifests.Select(m => (JsonNode)new JsonObject { ["name"] = m.Name, ["text"] = m.Text })]) }.ToJsonString(), Encoding.UTF8, "application/json");
}
