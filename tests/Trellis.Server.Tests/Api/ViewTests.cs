using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Trellis.Cli;
using Trellis.Engine;
using Trellis.Server.Tests.Infrastructure;
using Trellis.Storage;

namespace Trellis.Server.Tests.Api;

/// <summary>A site's read views: the Engine's answer to the CLI's question, in the CLI's <c>-o json</c> document, with the revision as ETag.</summary>
public sealed class ViewTests
{
    private static readonly Dictionary<string, string> Sites = new() { ["worked"] = "worked-example.yaml", ["dhcp"] = "dhcp-site.yaml", ["arc"] = "aksarc-site.yaml" };

    /// <summary>The CLI run in-process on a site's state file: its standard output.</summary>
    internal static async Task<string> CliAsync(TestServer server, string site, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await new TrellisCli(stdout, stderr).RunAsync([.. args, "--state", Path.Combine(server.DataDirectory, "sites", site + ".db")]);
        Assert.True(code == 0, $"trellis {string.Join(' ', args)} exited {code}: {stderr}");
        return stdout.ToString();
    }

    internal static Uri At(string path) => new(path, UriKind.Relative);

    [Fact]
    public async Task The_warnings_trellis_get_prints_beside_a_view_of_a_site_stored_before_a_rule_are_named_in_a_header()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string> { ["worked"] = "worked-example.yaml" });
        using var client = server.Client();
        using (var before = await client.GetAsync(At("api/v1/sites/worked/pools")))
        {
            Assert.False(before.Headers.Contains("Trellis-Findings"));
        }

        // A rule added after the site was applied, as NewerRuleTests simulates it: a stored VM size today's names refuse.
        var store = Trellis.Storage.Sqlite.SqliteStateStore.Open(Path.Combine(server.DataDirectory, "sites", "worked.db"));
        await using (store.ConfigureAwait(false))
        {
            var item = Assert.Single((await store.ReadAsync("site/spec")).Items);
            var spec = JsonNode.Parse(item.Value)!;
            spec["clusters"]![0]!["controlPlaneVmSize"] = "Standard A4 v2";
            var written = await store.CommitAsync(new StoreTransaction([],
                [new TxnOperation.Put("site/spec", System.Text.Encoding.UTF8.GetBytes(spec.ToJsonString()))]));
            Assert.True(written.Succeeded);
        }

        foreach (var view in new[] { "pools", "networks", "clusters", "capacity" })
        {
            using var response = await client.GetAsync(At($"api/v1/sites/worked/{view}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(["InvalidName"], response.Headers.GetValues("Trellis-Findings"));
        }
    }

    [Theory]
    [InlineData("worked", "networks", "get networks")]
    [InlineData("worked", "clusters", "get clusters")]
    [InlineData("worked", "clusters?cluster=b", "get clusters --cluster b")]
    [InlineData("worked", "nodepools", "get nodepools")]
    [InlineData("worked", "services?cluster=a", "get services --cluster a")]
    [InlineData("worked", "pools", "get pools")]
    [InlineData("worked", "pools?cluster=a", "get pools --cluster a")]
    [InlineData("worked", "capacity", "get capacity")]
    [InlineData("worked", "audit", "get audit")]
    [InlineData("worked", "audit?last=1", "get audit --last 1")]
    [InlineData("worked", "allocations?cluster=b", "get allocations --cluster b")]
    [InlineData("dhcp", "networks", "get networks")]
    [InlineData("arc", "pools", "get pools")]
    [InlineData("worked", "capacity?whatIf=add-nodepool%20cluster%3Db%20name%3Dwin%20osType%3DWindows%20count%3D10", "capacity|--what-if|add-nodepool cluster=b name=win osType=Windows count=10")]
    [InlineData("worked", "capacity?whatIf=scale-nodepool%20cluster%3Db%20name%3Dlinuxpool%20count%3D2&whatIf=add-service%20cluster%3Da%20port%3D443",
        "capacity|--what-if|scale-nodepool cluster=b name=linuxpool count=2|--what-if|add-service cluster=a port=443")]
    public async Task A_view_is_the_clis_json_document_for_the_same_state(string site, string view, string cli)
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var client = server.Client();
        var response = await client.GetAsync(At($"api/v1/sites/{site}/{view}"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var served = JsonNode.Parse(await response.Content.ReadAsStringAsync());

        var args = cli.Contains('|', StringComparison.Ordinal) ? cli.Split('|') : cli.Split(' ');
        var printed = JsonNode.Parse(await CliAsync(server, site, [.. args, "-o", "json"]));
        Assert.True(JsonNode.DeepEquals(printed, served), $"server:\n{served}\ncli:\n{printed}");
    }

    [Fact]
    public async Task A_settings_view_is_the_engines_for_the_stored_site()
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var client = server.Client();
        await using var session = EngineSession.OpenSqlite(Path.Combine(server.DataDirectory, "sites", "worked.db"), write: false);
        var state = await session.Engine.ReadAsync();

        var config = JsonNode.Parse(await client.GetStringAsync(At("api/v1/sites/worked/host-config")))!;
        Assert.Equal("jane", config["siteName"]!.GetValue<string>());
        Assert.Equal(SiteViews.HostConfig(state)!.Vnet!.VipPoolStart, config["vnet"]!["vipPoolStart"]!.GetValue<string>());
        Assert.Equal("false", config["settings"]!["managementClusterVip"]!.GetValue<string>());

        var clusters = JsonNode.Parse(await client.GetStringAsync(At("api/v1/sites/worked/cluster-settings")))!.AsArray();
        Assert.Equal(SiteViews.ClusterSettings(state).Select(c => c.Name), clusters.Select(c => c!["name"]!.GetValue<string>()));
        Assert.Empty(JsonNode.Parse(await client.GetStringAsync(At("api/v1/sites/worked/bgp-peers")))!.AsArray());

        var site = JsonNode.Parse(await client.GetStringAsync(At("api/v1/sites/worked")))!;
        Assert.Equal(("worked", "jane", state.Revision), (site["name"]!.GetValue<string>(), site["site"]!.GetValue<string>(), site["revision"]!.GetValue<long>()));
    }

    [Fact]
    public async Task Rendered_configs_are_a_list_of_files_or_one_file_as_the_cli_prints_it()
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var client = server.Client();
        var files = JsonNode.Parse(await client.GetStringAsync(At("api/v1/sites/worked/render/haproxy?cluster=a")))!.AsArray();
        Assert.NotEmpty(files);
        var first = files[0]!["path"]!.GetValue<string>();

        var one = await client.GetAsync(At($"api/v1/sites/worked/render/haproxy?cluster=a&file={Uri.EscapeDataString(first)}"));
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.Equal("text/plain", one.Content.Headers.ContentType?.MediaType);
        var text = await one.Content.ReadAsStringAsync();
        Assert.Equal(files[0]!["content"]!.GetValue<string>(), text);

        var printed = await CliAsync(server, "worked", "render", "haproxy", "--cluster", "a");
        Assert.Contains(files.Count == 1 ? text : $"# ==> {first} <==\n{text}", printed, StringComparison.Ordinal);

        var all = JsonNode.Parse(await client.GetStringAsync(At("api/v1/sites/worked/render/all")))!.AsArray();
        Assert.True(all.Count > files.Count);
    }

    [Fact]
    public async Task The_deployment_script_and_the_spec_are_the_clis_files()
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var client = server.Client();
        var script = await client.GetAsync(At("api/v1/sites/worked/deploy-script"));
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("deploy-akshci.ps1", script.Content.Headers.ContentDisposition?.FileName);
        Assert.Equal(await CliAsync(server, "worked", "render", "deploy-script"), await script.Content.ReadAsStringAsync());

        var spec = await client.GetAsync(At("api/v1/sites/worked/spec"));
        Assert.Equal("application/yaml", spec.Content.Headers.ContentType?.MediaType);
        var read = SiteSpecs.Parse(await spec.Content.ReadAsStringAsync());
        Assert.Empty(read.Findings);
        Assert.Equal("jane", read.Document!.SiteName);
    }

    [Theory]
    [InlineData("networks")]
    [InlineData("capacity")]
    [InlineData("audit")]
    [InlineData("allocations")]
    [InlineData("render/all")]
    [InlineData("spec")]
    [InlineData("")]
    public async Task Every_view_answers_the_revision_as_etag_and_304_when_the_client_holds_it(string view)
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var client = server.Client();
        var first = await client.GetAsync(At($"api/v1/sites/worked/{view}"));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("\"1\"", first.Headers.ETag?.Tag);

        using var again = new HttpRequestMessage(HttpMethod.Get, At($"api/v1/sites/worked/{view}"));
        again.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"1\""));
        var notModified = await client.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Equal("\"1\"", notModified.Headers.ETag?.Tag);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());

        await TestServer.ApplyAsync(Path.Combine(server.DataDirectory, "sites", "worked.db"), "worked-example.yaml");
        await using (var session = EngineSession.OpenSqlite(Path.Combine(server.DataDirectory, "sites", "worked.db"), write: true))
        {
            Assert.True((await session.Engine.ExecuteAsync(new ScaleNodePool("b", "linuxpool", 2))).Applied);
        }

        using var stale = new HttpRequestMessage(HttpMethod.Get, At($"api/v1/sites/worked/{view}"));
        stale.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"1\""));
        var changed = await client.SendAsync(stale);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal("\"2\"", changed.Headers.ETag?.Tag);
    }

    [Theory]
    [InlineData("worked", "networks?cluster=nosuch", 422, "UnknownCluster")]
    [InlineData("worked", "nodepools?cluster=nosuch", 422, "UnknownCluster")]
    [InlineData("empty", "networks", 422, "NoSite")]
    [InlineData("empty", "capacity", 422, "NoSite")]
    [InlineData("empty", "spec", 422, "NoSite")]
    [InlineData("empty", "render/all", 422, "NoSite")]
    [InlineData("empty", "deploy-script", 422, "NoSite")]
    [InlineData("worked", "render/nginx", 400, "InvalidValue")]
    [InlineData("worked", "render/kea", 422, "NothingToRender")]
    [InlineData("worked", "audit?last=0", 400, "InvalidValue")]
    [InlineData("worked", "capacity?whatIf=grow", 422, "InvalidWhatIf")]
    [InlineData("worked", "capacity?whatIf=add-nodepool%20cluster", 400, "InvalidWhatIf")]
    public async Task A_question_the_engine_cannot_answer_is_a_problem_with_its_findings(string site, string view, int status, string code)
    {
        await using var server = await TestServer.StartAsync(Sites);
        await using (EngineSession.OpenSqlite(Path.Combine(server.DataDirectory, "sites", "empty.db"), write: true))
        {
        }

        using var client = server.Client();
        var response = await client.GetAsync(At($"api/v1/sites/{site}/{view}"));
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Contains(code, problem["findings"]!.AsArray().Select(f => f!["code"]!.GetValue<string>()));
    }

    [Fact]
    public async Task The_audit_of_an_empty_site_is_empty_not_refused()
    {
        await using var server = await TestServer.StartAsync();
        await using (EngineSession.OpenSqlite(Path.Combine(server.DataDirectory, "sites", "empty.db"), write: true))
        {
        }

        using var client = server.Client();
        Assert.Equal("[]", await client.GetStringAsync(At("api/v1/sites/empty/audit")));
    }
}
