using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Trellis.Engine;
using Trellis.Server.Tests.Infrastructure;
using static Trellis.Server.Tests.Api.ViewTests;

namespace Trellis.Server.Tests.Api;

/// <summary>Changes: plan then apply (409 when the site moved on), direct writes with If-Match (428, 412), bad bodies refused with nothing stored.</summary>
public sealed class ChangeTests
{
    private static readonly Dictionary<string, string> Sites = new() { ["worked"] = "worked-example.yaml", ["twin"] = "worked-example.yaml" };

    private const string ScaleB = """{"cluster":"b","nodePool":"linuxpool","count":2}""";

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 12, 5, 6, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static async Task<long> RevisionAsync(TestServer server, string site = "worked")
    {
        await using var session = EngineSession.OpenSqlite(Path.Combine(server.DataDirectory, "sites", site + ".db"), write: false);
        return await session.Engine.ReadRevisionAsync();
    }

    private static async Task<JsonNode> ProblemAsync(HttpResponseMessage response, int status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(text)!;
    }

    private static IEnumerable<(string Code, string Path)> Findings(JsonNode problem) =>
        problem["findings"]!.AsArray().Select(f => (f!["code"]!.GetValue<string>(), f["path"]!.GetValue<string>()));

    private static HttpRequestMessage Direct(string path, string json, string? ifMatch) => Send(HttpMethod.Post, path, Json(json), ifMatch);

    private static HttpRequestMessage Send(HttpMethod method, string path, HttpContent? content, string? ifMatch)
    {
        var request = new HttpRequestMessage(method, At(path)) { Content = content };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return request;
    }

    [Fact]
    public async Task With_if_match_any_concurrent_writes_are_each_planned_on_the_state_at_hand_and_none_is_stale()
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var client = server.Client();
        var counts = Enumerable.Range(0, 64).Select(i => 1 + (i % 2)).ToList();
        var answers = await Task.WhenAll(counts.Select(async count =>
        {
            using var request = Direct("api/v1/sites/worked/commands/scale", $$"""{"cluster":"b","nodePool":"linuxpool","count":{{count}}}""", "*");
            using var response = await client.SendAsync(request);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }));
        Assert.All(answers, a => Assert.True(a.Item1 == 200, $"{a.Item1}: {a.Item2}"));
        // Each answer names the revision it wrote (or found, when the pool already had that count): the last is the site's.
        var revisions = answers.Select(a => JsonNode.Parse(a.Item2)!["revision"]!.GetValue<long>()).ToList();
        Assert.Equal(await RevisionAsync(server), revisions.Max());
        Assert.True(revisions.Max() > 1);
    }

    [Fact]
    public async Task A_plan_is_the_clis_dry_run_and_applying_it_commits_exactly_that_plan()
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var client = server.Client();
        var created = await client.PostAsync(At("api/v1/sites/worked/plans/scale"), Json(ScaleB));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var plan = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        var id = plan["id"]!.GetValue<string>();
        Assert.Equal($"/api/v1/sites/worked/plans/{id}", created.Headers.Location?.OriginalString);
        Assert.Equal((1L, "scale", "worked"), (plan["revision"]!.GetValue<long>(), plan["command"]!.GetValue<string>(), plan["site"]!.GetValue<string>()));
        Assert.True(plan["plan"]!["dryRun"]!.GetValue<bool>());
        var dryRun = JsonNode.Parse(await CliAsync(server, "twin", "scale", "--cluster", "b", "--nodepool", "linuxpool", "--count", "2", "--dry-run", "-o", "json"));
        Assert.True(JsonNode.DeepEquals(dryRun, plan["plan"]), $"server:\n{plan["plan"]}\ncli:\n{dryRun}");
        Assert.Equal(1, await RevisionAsync(server));
        Assert.True(JsonNode.DeepEquals(plan, JsonNode.Parse(await client.GetStringAsync(At($"api/v1/sites/worked/plans/{id}")))));

        var applied = await client.PostAsync(At($"api/v1/sites/worked/plans/{id}/apply"), null);
        Assert.Equal(HttpStatusCode.OK, applied.StatusCode);
        Assert.Equal("\"2\"", applied.Headers.ETag?.Tag);
        var result = JsonNode.Parse(await applied.Content.ReadAsStringAsync())!;
        Assert.True(result["applied"]!.GetValue<bool>());
        Assert.Equal(2, result["revision"]!.GetValue<long>());
        Assert.True(JsonNode.DeepEquals(plan["plan"]!["removed"], result["removed"]));
        Assert.NotEmpty(plan["plan"]!["removed"]!.AsArray());

        var audit = JsonNode.Parse(await client.GetStringAsync(At("api/v1/sites/worked/audit?last=1")))!.AsArray();
        Assert.Equal(("scale", 2L), (audit[0]!["command"]!.GetValue<string>(), audit[0]!["revision"]!.GetValue<long>()));
        // The audit names who applied which plan.
        Assert.Equal(id, audit[0]!["plan"]?.GetValue<string>());
        Assert.StartsWith("token:test-admin-", audit[0]!["actor"]?.GetValue<string>(), StringComparison.Ordinal);

        // Applied once: the plan is gone.
        var again = await ProblemAsync(await client.PostAsync(At($"api/v1/sites/worked/plans/{id}/apply"), null), 404);
        Assert.Contains(("UnknownPlan", "id"), Findings(again));
        Assert.Equal(2, await RevisionAsync(server));
    }

    [Fact]
    public async Task A_plan_made_on_an_old_revision_is_refused_with_409_and_nothing_is_written()
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var client = server.Client();
        var plan = JsonNode.Parse(await (await client.PostAsync(At("api/v1/sites/worked/plans/scale"), Json(ScaleB))).Content.ReadAsStringAsync())!;

        // Another writer (the CLI, another server) changes the site in between.
        await CliAsync(server, "worked", "add", "service", "--cluster", "a", "--namespace", "shop", "--name", "ex", "--port", "8443", "--shared-ip-key", "front");
        Assert.Equal(2, await RevisionAsync(server));

        var problem = await ProblemAsync(await client.PostAsync(At($"api/v1/sites/worked/plans/{plan["id"]}/apply"), null), 409);
        Assert.Contains(("StateChanged", "revision"), Findings(problem));
        Assert.Equal(2, await RevisionAsync(server));
        Assert.Equal(3, JsonNode.Parse(await client.GetStringAsync(At("api/v1/sites/worked/nodepools?cluster=b")))![0]!["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_direct_write_needs_if_match_and_is_refused_412_when_the_site_moved_on()
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var client = server.Client();

        var required = await ProblemAsync(await client.SendAsync(Direct("api/v1/sites/worked/commands/scale", ScaleB, null)), 428);
        Assert.Contains("If-Match", required["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        var stale = await ProblemAsync(await client.SendAsync(Direct("api/v1/sites/worked/commands/scale", ScaleB, "\"0\"")), 412);
        Assert.Contains(("StateChanged", "If-Match"), Findings(stale));
        Assert.Equal(1, stale["revision"]!.GetValue<long>());
        Assert.Equal(400, (int)(await client.SendAsync(Direct("api/v1/sites/worked/commands/scale", ScaleB, "W/\"1\""))).StatusCode);
        Assert.Equal(1, await RevisionAsync(server));

        var written = await client.SendAsync(Direct("api/v1/sites/worked/commands/scale", ScaleB, "\"1\""));
        Assert.Equal(HttpStatusCode.OK, written.StatusCode);
        Assert.Equal("\"2\"", written.Headers.ETag?.Tag);
        Assert.Equal(2, await RevisionAsync(server));

        // The same change by the CLI on a twin of the site: the same document.
        var cli = JsonNode.Parse(await CliAsync(server, "twin", "scale", "--cluster", "b", "--nodepool", "linuxpool", "--count", "2", "-o", "json"));
        Assert.True(JsonNode.DeepEquals(cli, JsonNode.Parse(await written.Content.ReadAsStringAsync())));

        // The ETag a client held before is stale now.
        Assert.Equal(412, (int)(await client.SendAsync(Direct("api/v1/sites/worked/commands/scale", """{"cluster":"b","nodePool":"linuxpool","count":1}""", "\"1\""))).StatusCode);
        Assert.Equal(2, await RevisionAsync(server));
    }

    [Theory]
    [InlineData("commands/scale", """{"cluster":"b","nodePool":"linuxpool","count":2""", 400, "InvalidJson", "$.count")]
    [InlineData("commands/scale", """{"cluster":"b","nodePool":"linuxpool","count":"two"}""", 400, "InvalidJson", "$.count")]
    [InlineData("commands/scale", """{"cluster":"b","nodePool":"linuxpool","count":2.5}""", 400, "InvalidJson", "$.count")]
    [InlineData("commands/scale", """{"cluster":"b","nodePool":"linuxpool","count":2,"nodes":4}""", 400, "UnknownField", "$.nodes")]
    [InlineData("commands/scale", """{"nodePool":"linuxpool","count":2}""", 400, "RequiredFieldMissing", "$.cluster")]
    [InlineData("commands/scale", """{"cluster":null,"nodePool":"linuxpool","count":2}""", 400, "InvalidJson", "$.cluster")]
    [InlineData("commands/scale", """{"cluster":"b","count":2}""", 400, "InvalidValue", "$")]
    [InlineData("commands/scale", "null", 400, "InvalidJson", "$")]
    [InlineData("commands/add-service", """{"cluster":"a","namespace":"shop","name":"x","ports":["443"]}""", 400, "InvalidJson", "$.ports[0]")]
    [InlineData("commands/add-cluster", """{"cluster":{"name":"c","nodePools":[{"name":"p","cores":4}]}}""", 400, "UnknownField", "$.cluster.nodePools[0].cores")]
    [InlineData("commands/scale", """{"cluster":"b","nodePool":"linuxpool","count":4}""", 422, "NodeIpPoolTooSmall", "spec.hostNetwork.k8sNodeIpPoolEnd")]
    [InlineData("commands/scale", """{"cluster":"nosuch","nodePool":"linuxpool","count":4}""", 422, "UnknownCluster", "cluster")]
    [InlineData("commands/upgrade", """{"cluster":"b","version":"v1.0"}""", 422, null, "version")]
    public async Task A_bad_or_refused_change_is_a_problem_naming_the_field_and_nothing_is_stored(string command, string body, int status, string? code, string? path)
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var client = server.Client();
        foreach (var request in new[] { Direct($"api/v1/sites/worked/{command}", body, "\"1\""), Send(HttpMethod.Post, $"api/v1/sites/worked/{command.Replace("commands/", "plans/", StringComparison.Ordinal)}", Json(body), null) })
        {
            var problem = await ProblemAsync(await client.SendAsync(request), status);
            var findings = Findings(problem).ToList();
            Assert.True((code is null || findings.Any(f => f.Code == code)) && (path is null || findings.Any(f => f.Path == path)),
                $"wanted {code} at {path}: {problem}");
            Assert.DoesNotContain("Trellis.", problem.ToJsonString(), StringComparison.Ordinal);
        }

        Assert.Equal(1, await RevisionAsync(server));
        Assert.Single(JsonNode.Parse(await client.GetStringAsync(At("api/v1/sites/worked/audit")))!.AsArray());
    }

    [Fact]
    public async Task A_body_that_is_not_json_or_too_large_is_refused_and_nothing_is_stored()
    {
        await using var server = await TestServer.StartAsync(Sites, o => o with { MaxRequestBodyBytes = 1024 });
        using var client = server.Client();
        var text = await ProblemAsync(await client.SendAsync(Send(HttpMethod.Post, "api/v1/sites/worked/commands/scale", new StringContent(ScaleB, Encoding.UTF8, "text/plain"), "\"1\"")), 415);
        Assert.Contains("text/plain", text["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        var large = $$"""{"cluster":"b","nodePool":"linuxpool","count":2,"x":"{{new string('x', 4096)}}"}""";
        await ProblemAsync(await client.SendAsync(Direct("api/v1/sites/worked/commands/scale", large, "\"1\"")), 413);
        var spec = await File.ReadAllTextAsync(Path.Combine(Trellis.TestSupport.ExampleState.ExamplesDirectory, "worked-example.yaml"));
        await ProblemAsync(await client.SendAsync(Send(HttpMethod.Put, "api/v1/sites/worked/spec", new StringContent(spec + new string('#', 2048)), "\"1\"")), 413);
        Assert.Equal(1, await RevisionAsync(server));
    }

    [Fact]
    public async Task A_spec_is_applied_with_put_or_as_a_plan_and_answers_the_capacity_after_it()
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var client = server.Client();
        var spec = (await File.ReadAllTextAsync(Path.Combine(Trellis.TestSupport.ExampleState.ExamplesDirectory, "worked-example.yaml")))
            .Replace("{ name: linuxpool, osType: Linux, count: 3 }", "{ name: linuxpool, osType: Linux, count: 2 }", StringComparison.Ordinal);

        var plan = JsonNode.Parse(await (await client.PostAsync(At("api/v1/sites/worked/plans/apply"), new StringContent(spec, Encoding.UTF8, "application/yaml"))).Content.ReadAsStringAsync())!;
        Assert.Equal("apply", plan["command"]!.GetValue<string>());
        Assert.Equal(26, plan["plan"]!["capacity"]!["nodeIpPool"]!["required"]!.GetValue<int>());

        var put = await client.SendAsync(Send(HttpMethod.Put, "api/v1/sites/worked/spec", new StringContent(spec, Encoding.UTF8, "application/yaml"), "\"1\""));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var result = JsonNode.Parse(await put.Content.ReadAsStringAsync())!;
        Assert.True(result["applied"]!.GetValue<bool>());
        Assert.NotNull(result["capacity"]);

        var broken = await ProblemAsync(await client.SendAsync(Send(HttpMethod.Put, "api/v1/sites/worked/spec", new StringContent("kind: Site\nspec: [", Encoding.UTF8, "application/yaml"), "\"2\"")), 422);
        Assert.NotEmpty(Findings(broken));
        Assert.Equal(2, await RevisionAsync(server));
    }

    [Fact]
    public async Task A_site_is_created_empty_once_and_deleted_by_its_stored_name_keeping_its_audit_log()
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var client = server.Client();
        var created = await client.PostAsync(At("api/v1/sites"), Json("""{"name":"edge-1"}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/api/v1/sites/edge-1", created.Headers.Location?.OriginalString);
        Assert.True(File.Exists(Path.Combine(server.DataDirectory, "sites", "edge-1.db")));
        await ProblemAsync(await client.PostAsync(At("api/v1/sites"), Json("""{"name":"edge-1"}""")), 409);
        Assert.Contains(("InvalidName", "name"), Findings(await ProblemAsync(await client.PostAsync(At("api/v1/sites"), Json("""{"name":"../etc"}""")), 400)));
        Assert.False(File.Exists(Path.Combine(server.DataDirectory, "etc.db")));

        var etag = created.Headers.ETag!.Tag;
        var spec = await File.ReadAllTextAsync(Path.Combine(Trellis.TestSupport.ExampleState.ExamplesDirectory, "dhcp-site.yaml"));
        var applied = await client.SendAsync(Send(HttpMethod.Put, "api/v1/sites/edge-1/spec", new StringContent(spec, Encoding.UTF8, "application/yaml"), etag));
        Assert.Equal(HttpStatusCode.OK, applied.StatusCode);

        var wrong = await ProblemAsync(await client.SendAsync(Send(HttpMethod.Delete, "api/v1/sites/worked?name=edge", null, "\"1\"")), 422);
        Assert.Contains(("SiteMismatch", "name"), Findings(wrong));
        var deleted = await client.SendAsync(Send(HttpMethod.Delete, "api/v1/sites/worked?name=jane", null, "\"1\""));
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Contains(("NoSite", "site"), Findings(await ProblemAsync(await client.GetAsync(At("api/v1/sites/worked/allocations")), 422)));
        var site = JsonNode.Parse(await client.GetStringAsync(At("api/v1/sites/worked")))!;
        Assert.Null(site["site"]);
        Assert.Equal("delete site", JsonNode.Parse(await client.GetStringAsync(At("api/v1/sites/worked/audit?last=1")))![0]!["command"]!.GetValue<string>());
    }

    [Fact]
    public async Task Plans_expire_and_the_oldest_is_dropped_when_the_server_holds_as_many_as_it_may()
    {
        var time = new ManualTime();
        await using var server = await TestServer.StartAsync(Sites, o => o with { Time = time, MaxPlans = 2, PlanLifetime = TimeSpan.FromMinutes(10) });
        using var client = server.Client();
        async Task<string> PlanAsync()
        {
            var response = await client.PostAsync(At("api/v1/sites/worked/plans/scale"), Json(ScaleB));
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            time.Now += TimeSpan.FromSeconds(1);
            return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        }

        var first = await PlanAsync();
        var second = await PlanAsync();
        var third = await PlanAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(At($"api/v1/sites/worked/plans/{first}"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(At($"api/v1/sites/worked/plans/{second}"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(At($"api/v1/sites/twin/plans/{second}"))).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync(At($"api/v1/sites/worked/plans/{second}"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync(At($"api/v1/sites/worked/plans/{second}/apply"), null)).StatusCode);

        time.Now += TimeSpan.FromMinutes(10);
        Assert.Contains(("UnknownPlan", "id"), Findings(await ProblemAsync(await client.PostAsync(At($"api/v1/sites/worked/plans/{third}/apply"), null), 404)));
        Assert.Equal(1, await RevisionAsync(server));
    }
}
