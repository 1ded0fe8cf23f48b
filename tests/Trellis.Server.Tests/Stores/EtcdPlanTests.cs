using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Trellis.Server.Tests.Infrastructure;

namespace Trellis.Server.Tests.Stores;

/// <summary>
/// Plans on servers of one etcd store (a real 3-member cluster, real replicas): a plan made through one replica is shown,
/// discarded and applied through any other, at most once among them all, and only while the site is where it was planned;
/// it ends on every replica when its lifetime does.
/// </summary>
public sealed class EtcdPlanTests(EtcdFleetFixture etcd) : IClassFixture<EtcdFleetFixture>
{
    private const string Site = "worked";

    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 12, 5, 6, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static Uri At(string path) => new(path, UriKind.Relative);

    private static StringContent Scale(int count) => new($$"""{"cluster":"b","nodePool":"linuxpool","count":{{count}}}""", Encoding.UTF8, "application/json");

    private static async Task<JsonNode> AnswerAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    private static async Task<string> PlanAsync(HttpClient client, HttpContent body, string command = "scale", string site = Site) =>
        (await AnswerAsync(await client.PostAsync(At($"api/v1/sites/{site}/plans/{command}"), body), HttpStatusCode.Created))["id"]!.GetValue<string>();

    private static Task<HttpResponseMessage> ApplyAsync(HttpClient client, string id, string site = Site) =>
        client.PostAsync(At($"api/v1/sites/{site}/plans/{id}/apply"), null);

    private static async Task AssertUnknownAsync(HttpResponseMessage response)
    {
        var problem = await AnswerAsync(response, HttpStatusCode.NotFound);
        Assert.Equal("UnknownPlan", problem["findings"]![0]!["code"]!.GetValue<string>());
    }

    /// <summary>The plan's key under the store's root, or null when there is none; and its lease.</summary>
    private static async Task<(JsonNode? Value, long Lease)> KeyAsync(string store, string id)
    {
        var location = EtcdFleetFixture.Location(store);
        using var client = location.Connect();
        var response = await client.GetAsync(location.Root + "plans/" + id);
        return response.Kvs.Count == 0 ? (null, 0) : (JsonNode.Parse(response.Kvs[0].Value.ToStringUtf8()), response.Kvs[0].Lease);
    }

    private static async Task<long> RevisionAsync(HttpClient client, string site = Site) =>
        (await AnswerAsync(await client.GetAsync(At($"api/v1/sites/{site}")), HttpStatusCode.OK))["revision"]!.GetValue<long>();

    /// <summary>Two replicas of a new store holding site <see cref="Site"/>, and a client of each with one token that both accept.</summary>
    private sealed class Replicas : IAsyncDisposable
    {
        public Replicas(string store, long revision, TestServer a, TestServer b)
        {
            (Store, Revision, A, B) = (store, revision, a, b);
            // Tokens are the store's: one token signs in on both, so the plan is its maker's on either.
            (OnA, OnB) = (a.Client(a.AdminToken), b.Client(a.AdminToken));
        }

        public string Store { get; }

        /// <summary>The site's revision once applied, before any plan.</summary>
        public long Revision { get; }

        public TestServer A { get; }

        public TestServer B { get; }

        public HttpClient OnA { get; }

        public HttpClient OnB { get; }

        public async ValueTask DisposeAsync()
        {
            OnA.Dispose();
            OnB.Dispose();
            await A.DisposeAsync();
            await B.DisposeAsync();
        }
    }

    private async Task<Replicas> ReplicasAsync(Func<ServerOptions, ServerOptions>? configure = null)
    {
        var store = etcd.NewStore();
        var revision = await EtcdFleetFixture.ApplyAsync(store, Site, "worked-example.yaml");
        var a = await EtcdFleetFixture.ServerAsync(store, configure);
        return new Replicas(store, revision, a, await EtcdFleetFixture.ServerAsync(store, configure));
    }

    [Fact]
    public async Task A_plan_made_on_one_replica_is_shown_and_applied_on_another_and_then_unknown_on_the_first()
    {
        await using var replicas = await ReplicasAsync();
        var (store, onA, onB) = (replicas.Store, replicas.OnA, replicas.OnB);
        var made = await AnswerAsync(await onA.PostAsync(At($"api/v1/sites/{Site}/plans/scale"), Scale(2)), HttpStatusCode.Created);
        var id = made["id"]!.GetValue<string>();
        var shownA = await AnswerAsync(await onA.GetAsync(At($"api/v1/sites/{Site}/plans/{id}")), HttpStatusCode.OK);
        var shownB = await AnswerAsync(await onB.GetAsync(At($"api/v1/sites/{Site}/plans/{id}")), HttpStatusCode.OK);
        Assert.True(JsonNode.DeepEquals(made, shownB), $"made:\n{made}\nshown by the other replica:\n{shownB}");
        Assert.True(JsonNode.DeepEquals(shownA, shownB));

        // The key: the request as received, who made it, the revision, the digest; on a lease of its own.
        var (key, lease) = await KeyAsync(store, id);
        Assert.NotNull(key);
        Assert.NotEqual(0, lease);
        Assert.Equal(("scale", Site, made["revision"]!.GetValue<long>()), (key["command"]!.GetValue<string>(), key["site"]!.GetValue<string>(), key["revision"]!.GetValue<long>()));
        Assert.Equal("""{"cluster":"b","nodePool":"linuxpool","count":2}""", Encoding.UTF8.GetString(Convert.FromBase64String(key["body"]!.GetValue<string>())));
        Assert.StartsWith("application/json", key["contentType"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(made["createdBy"]!.GetValue<string>(), key["createdBy"]!.GetValue<string>());
        Assert.Matches("^[0-9a-f]{64}$", key["digest"]!.GetValue<string>());

        var applied = await AnswerAsync(await ApplyAsync(onB, id), HttpStatusCode.OK);
        Assert.True(applied["applied"]!.GetValue<bool>());
        Assert.True(JsonNode.DeepEquals(made["plan"]!["removed"], applied["removed"]));
        Assert.Equal(applied["revision"]!.GetValue<long>(), await RevisionAsync(onA));
        var audit = JsonNode.Parse(await onA.GetStringAsync(At($"api/v1/sites/{Site}/audit?last=1")))!.AsArray();
        Assert.Equal(("scale", id), (audit[0]!["command"]!.GetValue<string>(), audit[0]!["plan"]?.GetValue<string>()));

        // Applied once, among all replicas: the one that made it, and holds it in memory, no longer has it.
        await AssertUnknownAsync(await ApplyAsync(onA, id));
        await AssertUnknownAsync(await onA.GetAsync(At($"api/v1/sites/{Site}/plans/{id}")));
        Assert.Null((await KeyAsync(store, id)).Value);
        Assert.Equal(applied["revision"]!.GetValue<long>(), await RevisionAsync(onB));
    }

    [Fact]
    public async Task Of_two_replicas_applying_one_plan_at_once_exactly_one_commits()
    {
        await using var replicas = await ReplicasAsync();
        var (onA, onB) = (replicas.OnA, replicas.OnB);
        for (var round = 0; round < 6; round++)
        {
            var before = await RevisionAsync(onA);
            // Made on either replica in turn: applied at once through the one that holds it and the one that plans it again.
            var id = await PlanAsync(round % 2 == 0 ? onA : onB, Scale(round % 2 == 0 ? 2 : 3));
            var answers = await Task.WhenAll(ApplyAsync(onA, id), ApplyAsync(onB, id));

            Assert.Single(answers, r => r.StatusCode == HttpStatusCode.OK);
            await AssertUnknownAsync(Assert.Single(answers, r => r.StatusCode != HttpStatusCode.OK));
            Assert.True(await RevisionAsync(onA) > before);
            var audit = JsonNode.Parse(await onA.GetStringAsync(At($"api/v1/sites/{Site}/audit")))!.AsArray();
            Assert.Single(audit, e => e!["plan"]?.GetValue<string>() == id);
        }
    }

    [Fact]
    public async Task A_plan_discarded_on_one_replica_is_unknown_on_the_other_and_only_its_maker_may_discard_it()
    {
        await using var replicas = await ReplicasAsync();
        var (store, onA, onB) = (replicas.Store, replicas.OnA, replicas.OnB);
        // Another client of the site, with a token of its own, through the other replica.
        using var other = replicas.B.Client(replicas.A.Token(AccessRole.Operator, Site));
        var id = await PlanAsync(onA, Scale(2));
        await AnswerAsync(await other.DeleteAsync(At($"api/v1/sites/{Site}/plans/{id}")), HttpStatusCode.Forbidden);
        await AnswerAsync(await ApplyAsync(other, id), HttpStatusCode.Forbidden);
        Assert.NotNull((await KeyAsync(store, id)).Value);

        Assert.Equal(HttpStatusCode.NoContent, (await onB.DeleteAsync(At($"api/v1/sites/{Site}/plans/{id}"))).StatusCode);
        Assert.Null((await KeyAsync(store, id)).Value);
        await AssertUnknownAsync(await ApplyAsync(onA, id));
        await AssertUnknownAsync(await onA.DeleteAsync(At($"api/v1/sites/{Site}/plans/{id}")));
        await AssertUnknownAsync(await onB.GetAsync(At($"api/v1/sites/{Site}/plans/{id}")));
        // A plan of one site is not another's, and an id the server never makes names no key.
        var kept = await PlanAsync(onA, Scale(2));
        await AnswerAsync(await onB.PostAsync(At("api/v1/sites"), new StringContent("""{"name":"twin"}""", Encoding.UTF8, "application/json")), HttpStatusCode.Created);
        await AssertUnknownAsync(await onB.GetAsync(At($"api/v1/sites/twin/plans/{kept}")));
        await AssertUnknownAsync(await onB.GetAsync(At($"api/v1/sites/{Site}/plans/{kept.ToUpperInvariant()}")));
    }

    [Fact]
    public async Task A_plan_applied_on_another_replica_after_the_site_changed_is_refused_as_a_stale_plan_is_on_its_own()
    {
        await using var replicas = await ReplicasAsync();
        var (store, onA, onB) = (replicas.Store, replicas.OnA, replicas.OnB);
        var here = await PlanAsync(onA, Scale(2));
        var elsewhere = await PlanAsync(onA, Scale(2));
        var planned = await RevisionAsync(onA);

        // Another writer changes the site in between.
        using var direct = new HttpRequestMessage(HttpMethod.Post, At($"api/v1/sites/{Site}/commands/scale")) { Content = Scale(1) };
        direct.Headers.IfMatch.Add(System.Net.Http.Headers.EntityTagHeaderValue.Any);
        await AnswerAsync(await onB.SendAsync(direct), HttpStatusCode.OK);
        var now = await RevisionAsync(onA);

        var onItsOwn = await AnswerAsync(await ApplyAsync(onA, here), HttpStatusCode.Conflict);
        var onAnother = await AnswerAsync(await ApplyAsync(onB, elsewhere), HttpStatusCode.Conflict);
        Assert.True(JsonNode.DeepEquals(onItsOwn, onAnother), $"on its own replica:\n{onItsOwn}\non another:\n{onAnother}");
        Assert.Equal(("StateChanged", "revision"), (onAnother["findings"]![0]!["code"]!.GetValue<string>(), onAnother["findings"]![0]!["path"]!.GetValue<string>()));
        Assert.Contains($"revision {now}, not {planned}", onAnother["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        // Nothing was written, and the plan is gone, as a stale plan is.
        Assert.Equal(now, await RevisionAsync(onB));
        await AssertUnknownAsync(await ApplyAsync(onA, elsewhere));
        Assert.Null((await KeyAsync(store, elsewhere)).Value);
    }

    [Fact]
    public async Task A_plan_whose_kept_digest_is_not_what_planning_it_again_shows_is_refused_with_PlanChanged()
    {
        await using var replicas = await ReplicasAsync();
        var (store, onA, onB) = (replicas.Store, replicas.OnA, replicas.OnB);
        var id = await PlanAsync(onA, Scale(2));
        var revision = await RevisionAsync(onA);
        var location = EtcdFleetFixture.Location(store);
        using (var client = location.Connect())
        {
            var kv = (await client.GetAsync(location.Root + "plans/" + id)).Kvs[0];
            var value = JsonNode.Parse(kv.Value.ToStringUtf8())!;
            value["digest"] = new string('0', 64);
            await client.PutAsync(new Etcdserverpb.PutRequest { Key = kv.Key, Value = ByteString.CopyFromUtf8(value.ToJsonString()), Lease = kv.Lease });
        }

        var problem = await AnswerAsync(await ApplyAsync(onB, id), HttpStatusCode.Conflict);
        Assert.Equal(("PlanChanged", "plan"), (problem["findings"]![0]!["code"]!.GetValue<string>(), problem["findings"]![0]!["path"]!.GetValue<string>()));
        Assert.Contains("would not do what it showed", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(revision, await RevisionAsync(onA));
        await AssertUnknownAsync(await ApplyAsync(onA, id));
    }

    [Fact]
    public async Task A_spec_planned_on_one_replica_is_read_again_and_applied_on_another_a_leased_address_counting_from_then()
    {
        var time = new ManualTime();
        await using var replicas = await ReplicasAsync(o => o with { Time = time });
        var (onA, onB) = (replicas.OnA, replicas.OnB);
        await AnswerAsync(await onA.PostAsync(At("api/v1/sites"), new StringContent("""{"name":"lab"}""", Encoding.UTF8, "application/json")), HttpStatusCode.Created);
        var spec = await File.ReadAllTextAsync(Path.Combine(Trellis.TestSupport.ExampleState.ExamplesDirectory, "dhcp-site.yaml"));
        var made = await AnswerAsync(await onA.PostAsync(At("api/v1/sites/lab/plans/apply"), new StringContent(spec, Encoding.UTF8, "application/yaml")), HttpStatusCode.Created);
        var leased = made["plan"]!["added"]!.AsArray().Where(x => x!["expiresAt"] is not null).ToList();
        Assert.NotEmpty(leased);
        Assert.NotNull(made["plan"]!["capacity"]);

        time.Now += TimeSpan.FromMinutes(1);
        var applied = await AnswerAsync(await ApplyAsync(onB, made["id"]!.GetValue<string>(), "lab"), HttpStatusCode.OK);
        Assert.True(applied["applied"]!.GetValue<bool>());
        Assert.True(JsonNode.DeepEquals(made["plan"]!["capacity"], applied["capacity"]));
        var first = leased[0]!;
        var written = applied["added"]!.AsArray().Single(x => x!["address"]!.GetValue<string>() == first["address"]!.GetValue<string>())!;
        Assert.Equal(first["expiresAt"]!.GetValue<DateTimeOffset>() + TimeSpan.FromMinutes(1), written["expiresAt"]!.GetValue<DateTimeOffset>());
    }

    [Fact]
    public async Task A_plan_larger_than_etcd_takes_in_one_request_is_413_and_kept_nowhere()
    {
        await using var replicas = await ReplicasAsync();
        var (store, onA) = (replicas.Store, replicas.OnA);
        var spec = await File.ReadAllTextAsync(Path.Combine(Trellis.TestSupport.ExampleState.ExamplesDirectory, "worked-example.yaml"));
        // etcd's default limit is 1.5 MiB a request (refused by etcd), and its gRPC server takes 512 KiB more (refused by gRPC).
        foreach (var padding in new[] { 1_300_000, 3_000_000 })
        {
            var padded = spec + "\n# " + new string('x', padding) + "\n";
            var problem = await AnswerAsync(await onA.PostAsync(At($"api/v1/sites/{Site}/plans/apply"), new StringContent(padded, Encoding.UTF8, "application/yaml")),
                HttpStatusCode.RequestEntityTooLarge);
            Assert.Contains($"PUT /api/v1/sites/{Site}/spec", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        var location = EtcdFleetFixture.Location(store);
        using var client = location.Connect();
        Assert.Equal(0, (await client.GetRangeAsync(location.Root + "plans/")).Count);
        // A plan of ordinary size is kept as ever.
        Assert.NotNull((await KeyAsync(store, await PlanAsync(onA, new StringContent(spec, Encoding.UTF8, "application/yaml"), "apply"))).Value);
    }

    [Fact]
    public async Task A_plan_past_its_lifetime_is_unknown_on_every_replica_and_its_lease_removes_the_key()
    {
        await using var replicas = await ReplicasAsync(o => o with { PlanLifetime = TimeSpan.FromSeconds(2) });
        var (store, onA, onB) = (replicas.Store, replicas.OnA, replicas.OnB);
        var id = await PlanAsync(onA, Scale(2));
        Assert.Equal(HttpStatusCode.OK, (await onB.GetAsync(At($"api/v1/sites/{Site}/plans/{id}"))).StatusCode);

        // The lease runs out (etcd may round a short one up to its shortest): the key goes, for every replica.
        for (var waited = 0; (await KeyAsync(store, id)).Value is not null; waited++)
        {
            Assert.True(waited < 100, "the plan's key outlived its lease by 10 s");
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }

        await AssertUnknownAsync(await onA.GetAsync(At($"api/v1/sites/{Site}/plans/{id}")));
        await AssertUnknownAsync(await onB.GetAsync(At($"api/v1/sites/{Site}/plans/{id}")));
        await AssertUnknownAsync(await ApplyAsync(onA, id));
        await AssertUnknownAsync(await ApplyAsync(onB, id));
        Assert.Equal(replicas.Revision, await RevisionAsync(onA));
    }

    [Fact]
    public async Task A_plan_past_its_expiry_is_unknown_on_every_replica_before_its_lease_runs_out()
    {
        var time = new ManualTime();
        await using var replicas = await ReplicasAsync(o => o with { Time = time, PlanLifetime = TimeSpan.FromMinutes(10) });
        var (store, onA, onB) = (replicas.Store, replicas.OnA, replicas.OnB);
        var id = await PlanAsync(onA, Scale(2));
        time.Now += TimeSpan.FromMinutes(10);

        Assert.NotNull((await KeyAsync(store, id)).Value);
        await AssertUnknownAsync(await onB.GetAsync(At($"api/v1/sites/{Site}/plans/{id}")));
        await AssertUnknownAsync(await ApplyAsync(onB, id));
        await AssertUnknownAsync(await ApplyAsync(onA, id));
        Assert.Equal(replicas.Revision, await RevisionAsync(onA));
    }
}
