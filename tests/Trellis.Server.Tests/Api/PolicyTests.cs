using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Trellis.Server.Tests.Infrastructure;
using Trellis.TestSupport;
using static Trellis.Server.Tests.Api.ViewTests;

namespace Trellis.Server.Tests.Api;

/// <summary>Network policy questions: the Engine's answers in the CLI's documents, with manifests in the body or stored per cluster.</summary>
public sealed class PolicyTests
{
    private static readonly Dictionary<string, string> Sites = new() { ["worked"] = "worked-example.yaml" };

    private static string ShopFile => Path.Combine(ExampleState.ExamplesDirectory, "manifests", "shop.yaml");

    private static StringContent Json(JsonObject body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    private static JsonObject Question(params (string Key, JsonNode? Value)[] fields)
    {
        var body = new JsonObject { ["manifests"] = EndpointExamples.Manifests() };
        foreach (var (key, value) in fields)
        {
            body[key] = value;
        }

        return body;
    }

    private static async Task<JsonNode> OkAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    private static IEnumerable<string> Codes(JsonNode? findings) => findings!.AsArray().Select(f => f!["code"]!.GetValue<string>());

    [Fact]
    public async Task Check_and_trace_in_a_stored_cluster_are_the_clis_answers()
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var client = server.Client();
        var check = await OkAsync(await client.PostAsync(At("api/v1/sites/worked/policy/check"),
            Json(Question(("cluster", "a"), ("from", "shop/web"), ("to", "shop/db"), ("port", "tcp/5432")))));
        var cliCheck = JsonNode.Parse(await CliAsync(server, "worked", "netpol", "check", "-f", ShopFile, "--cluster", "a", "--from", "shop/web", "--to", "shop/db", "--port", "tcp/5432", "-o", "json"))!;
        Assert.True(JsonNode.DeepEquals(cliCheck["answer"], check["answer"]), $"server:\n{check}\ncli:\n{cliCheck}");
        Assert.Equal(Codes(cliCheck["findings"]), Codes(check["findings"]));

        var trace = await OkAsync(await client.PostAsync(At("api/v1/sites/worked/policy/trace"),
            Json(Question(("cluster", "a"), ("from", "shop/web"), ("to", "shop/db"), ("port", "tcp/5432")))));
        var cliTrace = JsonNode.Parse(await CliAsync(server, "worked", "trace", "-f", ShopFile, "--cluster", "a", "--from", "shop/web", "--to", "shop/db", "--port", "tcp/5432", "-o", "json"))!;
        Assert.True(JsonNode.DeepEquals(cliTrace["hops"], trace["hops"]), $"server:\n{trace}\ncli:\n{cliTrace}");
        Assert.Equal(cliTrace["delivered"]!.GetValue<bool>(), trace["delivered"]!.GetValue<bool>());
        Assert.NotEmpty(trace["hops"]!.AsArray());
    }

    [Fact]
    public async Task The_matrix_lint_and_diff_are_the_clis_documents()
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var client = server.Client();
        var matrix = await client.PostAsync(At("api/v1/sites/worked/policy/matrix"), Json(Question(("cluster", "a"))));
        Assert.Equal("application/json", matrix.Content.Headers.ContentType?.MediaType);
        var cliMatrix = JsonNode.Parse(await CliAsync(server, "worked", "netpol", "matrix", "-f", ShopFile, "--cluster", "a", "-o", "json"));
        Assert.True(JsonNode.DeepEquals(cliMatrix, JsonNode.Parse(await matrix.Content.ReadAsStringAsync())));
        Assert.NotEmpty(cliMatrix!.AsArray());

        var csv = await client.PostAsync(At("api/v1/sites/worked/policy/matrix?format=csv"), Json(Question(("cluster", "a"))));
        Assert.Equal(await CliAsync(server, "worked", "netpol", "matrix", "-f", ShopFile, "--cluster", "a", "-o", "csv"), await csv.Content.ReadAsStringAsync());
        var html = await client.PostAsync(At("api/v1/sites/worked/policy/matrix?format=html"), Json(Question(("cluster", "a"))));
        Assert.Equal("text/html", html.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<html", await html.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);

        var lint = await OkAsync(await client.PostAsync(At("api/v1/sites/worked/policy/lint"), Json(Question(("cluster", "a")))));
        var cliLint = JsonNode.Parse(await CliAsync(server, "worked", "netpol", "lint", "-f", ShopFile, "--cluster", "a", "-o", "json"))!;
        Assert.Equal(Codes(cliLint["findings"]), Codes(lint["findings"]));

        // Removing the policies opens connections: the diff says which.
        var open = new JsonObject { ["name"] = "open.yaml", ["text"] = string.Join("\n---\n", File.ReadAllText(ShopFile).Split("\n---\n").Where(d => !d.Contains("kind: NetworkPolicy", StringComparison.Ordinal))) };
        var diff = await OkAsync(await client.PostAsync(At("api/v1/policy/diff"), Json(new JsonObject { ["before"] = EndpointExamples.Manifests(), ["after"] = new JsonArray(open) })));
        Assert.NotEmpty(diff.AsArray());
    }

    [Fact]
    public async Task Stored_manifests_answer_the_clusters_matrix_check_and_trace_with_an_etag_that_follows_them()
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var client = server.Client();
        var stored = await OkAsync(await client.PutAsync(At("api/v1/sites/worked/clusters/a/policies"), Json(Question())));
        Assert.True(stored["valid"]!.GetValue<bool>());
        Assert.True(File.Exists(Path.Combine(server.DataDirectory, "sites", "worked.policies", "a.json")));
        Assert.Equal(["worked"], JsonNode.Parse(await client.GetStringAsync(At("api/v1/sites")))!.AsArray().Select(s => s!["name"]!.GetValue<string>()));

        var manifests = await OkAsync(await client.GetAsync(At("api/v1/sites/worked/clusters/a/policies")));
        Assert.Equal("shop.yaml", manifests["manifests"]![0]!["name"]!.GetValue<string>());

        var matrix = await client.GetAsync(At("api/v1/sites/worked/clusters/a/policy/matrix"));
        var posted = await client.PostAsync(At("api/v1/sites/worked/policy/matrix"), Json(Question(("cluster", "a"))));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(await posted.Content.ReadAsStringAsync()), JsonNode.Parse(await matrix.Content.ReadAsStringAsync())));
        var etag = matrix.Headers.ETag!;

        using var again = new HttpRequestMessage(HttpMethod.Get, At("api/v1/sites/worked/clusters/a/policy/matrix"));
        again.Headers.IfNoneMatch.Add(etag);
        Assert.Equal(HttpStatusCode.NotModified, (await client.SendAsync(again)).StatusCode);

        var trace = await OkAsync(await client.PostAsync(At("api/v1/sites/worked/clusters/a/policy/trace"), Json(new JsonObject { ["from"] = "shop/web", ["to"] = "shop/db", ["port"] = "tcp/5432" })));
        Assert.NotEmpty(trace["hops"]!.AsArray());
        var check = await OkAsync(await client.PostAsync(At("api/v1/sites/worked/clusters/a/policy/check"), Json(new JsonObject { ["from"] = "shop/web", ["to"] = "shop/db", ["port"] = "tcp/5432" })));
        Assert.Equal(trace["delivered"]!.GetValue<bool>(), check["answer"]!["allowed"]!.GetValue<bool>());

        // Other manifests: another tag, so the client's copy is stale.
        await OkAsync(await client.PutAsync(At("api/v1/sites/worked/clusters/a/policies"),
            Json(new JsonObject { ["manifests"] = new JsonArray(new JsonObject { ["name"] = "web.yaml", ["text"] = File.ReadAllText(ShopFile).Split("\n---\n")[2] }) })));
        using var stale = new HttpRequestMessage(HttpMethod.Get, At("api/v1/sites/worked/clusters/a/policy/matrix"));
        stale.Headers.IfNoneMatch.Add(etag);
        var changed = await client.SendAsync(stale);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.NotEqual(etag, changed.Headers.ETag);
    }

    [Fact]
    public async Task The_findings_beside_a_matrix_or_a_diff_are_named_in_a_header()
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var client = server.Client();
        var spec = new JsonObject { ["spec"] = File.ReadAllText(Path.Combine(ExampleState.ExamplesDirectory, "contoso-multicluster.yaml")) };

        // Flannel enforces no policy: the CLI warns beside the matrix, the server names the warning in Trellis-Findings.
        var legacy = await client.PostAsync(At("api/v1/policy/matrix"), Json(Question(("spec", spec["spec"]!.DeepClone()), ("cluster", "legacy"))));
        Assert.Equal(HttpStatusCode.OK, legacy.StatusCode);
        Assert.Equal(["PolicyNotEnforced"], legacy.Headers.GetValues("Trellis-Findings"));
        var diff = await client.PostAsync(At("api/v1/policy/diff"), Json(new JsonObject
        {
            ["before"] = EndpointExamples.Manifests(), ["after"] = EndpointExamples.Manifests(), ["spec"] = spec["spec"]!.DeepClone(), ["cluster"] = "legacy",
        }));
        Assert.Equal(HttpStatusCode.OK, diff.StatusCode);
        Assert.Equal(["PolicyNotEnforced"], diff.Headers.GetValues("Trellis-Findings"));

        // Calico enforces: no such warning; the manifests' Windows pod finds no Windows node there, as the CLI warns too.
        var worked = await client.PostAsync(At("api/v1/sites/worked/policy/matrix"), Json(Question(("cluster", "a"))));
        Assert.Equal(HttpStatusCode.OK, worked.StatusCode);
        Assert.Equal(["PodsExceedMaxPodCount"], worked.Headers.GetValues("Trellis-Findings"));

        // Without a cluster nothing is said beside the answer: no header.
        var bare = await client.PostAsync(At("api/v1/policy/matrix"), Json(Question()));
        Assert.Equal(HttpStatusCode.OK, bare.StatusCode);
        Assert.False(bare.Headers.Contains("Trellis-Findings"), string.Join("; ", bare.Headers.TryGetValues("Trellis-Findings", out var v) ? v : []));
    }

    [Fact]
    public async Task Manifests_that_do_not_load_are_refused_and_the_stored_ones_kept()
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var client = server.Client();
        await OkAsync(await client.PutAsync(At("api/v1/sites/worked/clusters/a/policies"), Json(Question())));
        var file = Path.Combine(server.DataDirectory, "sites", "worked.policies", "a.json");
        var before = await File.ReadAllBytesAsync(file);

        var broken = new JsonObject { ["manifests"] = new JsonArray(new JsonObject { ["name"] = "broken.yaml", ["text"] = "kind: Pod\nmetadata: [unclosed\n" }) };
        var response = await client.PutAsync(At("api/v1/sites/worked/clusters/a/policies"), Json(broken));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, text);
        Assert.Contains("ManifestYamlInvalid", Codes(JsonNode.Parse(text)!["findings"]));
        Assert.Equal(before, await File.ReadAllBytesAsync(file));
        var kept = await OkAsync(await client.GetAsync(At("api/v1/sites/worked/clusters/a/policies")));
        Assert.Equal("shop.yaml", kept["manifests"]![0]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_damaged_stored_file_is_a_problem_naming_it_and_storing_again_replaces_it()
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var client = server.Client();
        await OkAsync(await client.PutAsync(At("api/v1/sites/worked/clusters/a/policies"), Json(Question())));
        var file = Path.Combine(server.DataDirectory, "sites", "worked.policies", "a.json");
        await File.WriteAllTextAsync(file, "{\"manifests\": [{\"name\": ");

        foreach (var path in new[] { "api/v1/sites/worked/clusters/a/policies", "api/v1/sites/worked/clusters/a/policy/matrix" })
        {
            var response = await client.GetAsync(At(path));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, text);
            var finding = JsonNode.Parse(text)!["findings"]![0]!;
            Assert.Equal("StoredPoliciesDamaged", finding["code"]!.GetValue<string>());
            Assert.Equal("sites/worked.policies/a.json", finding["path"]!.GetValue<string>());
        }

        await OkAsync(await client.PutAsync(At("api/v1/sites/worked/clusters/a/policies"), Json(Question())));
        await OkAsync(await client.GetAsync(At("api/v1/sites/worked/clusters/a/policy/matrix")));
    }

    [Theory]
    [InlineData("api/v1/sites/worked/clusters/nosuch/policies", 422, "UnknownCluster")]
    [InlineData("api/v1/sites/worked/clusters/..%2Fx/policies", 422, "UnknownCluster")]
    [InlineData("api/v1/sites/nosuch/clusters/a/policies", 404, null)]
    public async Task Stored_manifests_belong_to_a_stored_cluster(string path, int status, string? code)
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var client = server.Client();
        var response = await client.PutAsync(At(path), Json(Question()));
        Assert.Equal(status, (int)response.StatusCode);
        if (code is not null)
        {
            Assert.Contains(code, Codes(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["findings"]));
        }

        Assert.False(Directory.Exists(Path.Combine(server.DataDirectory, "sites", "worked.policies")));
    }

    [Theory]
    [InlineData("api/v1/sites/worked/policy/check", """{"from":"shop/web","to":"shop/db","port":"tcp/5432"}""", 400, "RequiredFieldMissing", "$.manifests")]
    [InlineData("api/v1/sites/worked/policy/check", """{"manifests":[{"name":"x.yaml"}],"from":"a/b","to":"c/d","port":"tcp/1"}""", 400, "RequiredFieldMissing", "$.manifests[0].text")]
    [InlineData("api/v1/sites/worked/policy/check", """{"manifests":[{"name":"x.yaml","text":"kind: ConfigMap"}],"from":"a/b","to":"c/d","port":"tcp/1"}""", 422, "NothingToAnalyse", "manifests")]
    [InlineData("api/v1/sites/worked/policy/matrix?format=xml", """{"manifests":[]}""", 400, "InvalidValue", "format")]
    [InlineData("api/v1/sites/worked/policy/trace", """{"manifests":[],"from":"a/b","to":"c/d","port":"tcp/1","cluster":"nosuch"}""", 422, "UnknownCluster", "cluster")]
    [InlineData("api/v1/policy/trace", """{"manifests":[],"from":"a/b","to":"c/d","port":"tcp/1"}""", 422, "UnknownCluster", "cluster")]
    public async Task A_question_that_cannot_be_answered_is_a_problem_naming_the_field(string path, string body, int status, string code, string at)
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var client = server.Client();
        var response = await client.PostAsync(At(path), new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, text);
        var findings = JsonNode.Parse(text)!["findings"]!.AsArray().Select(f => (f!["code"]!.GetValue<string>(), f["path"]!.GetValue<string>()));
        Assert.Contains((code, at), findings);
    }

    [Fact]
    public async Task An_invalid_port_is_the_engines_finding()
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var client = server.Client();
        var response = await client.PostAsync(At("api/v1/sites/worked/policy/check"), Json(Question(("cluster", "a"), ("from", "shop/web"), ("to", "shop/db"), ("port", "tcp/99999"))));
        Assert.Equal(422, (int)response.StatusCode);
        Assert.Contains("InvalidPort", Codes(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["findings"]));
        Assert.Equal(new MediaTypeHeaderValue("application/problem+json").MediaType, response.Content.Headers.ContentType?.MediaType);
    }
}
