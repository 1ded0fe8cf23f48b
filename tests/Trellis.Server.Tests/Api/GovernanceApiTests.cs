using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Trellis.Server.Tests.Infrastructure;
using Trellis.TestSupport;
using static Trellis.Server.Tests.Api.ViewTests;

namespace Trellis.Server.Tests.Api;

/// <summary>Governance through the API: only the fleet's Admin stores policies; every change through the API is checked against them; compliance is a view.</summary>
public sealed class GovernanceApiTests
{
    private static readonly Dictionary<string, string> Sites = new() { ["worked"] = "worked-example.yaml" };

    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 12, 5, 6, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static async Task<HttpResponseMessage> StorePoliciesAsync(HttpClient client, string yaml)
    {
        using var site = await client.GetAsync(At("api/v1/sites/worked"));
        using var request = new HttpRequestMessage(HttpMethod.Post, At("api/v1/sites/worked/commands/policy-apply"))
        {
            Content = new StringContent(yaml, Encoding.UTF8, "application/yaml"),
        };
        request.Headers.IfMatch.Add(site.Headers.ETag!);
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task Only_the_fleet_admin_stores_policies_and_a_deny_refuses_a_change_through_the_api()
    {
        await using var server = await TestServer.StartAsync(Sites);
        var policies = await File.ReadAllTextAsync(EndpointExamples.PoliciesFile);
        using var networkAdmin = server.Client(server.Token(Trellis.Server.AccessRole.NetworkAdmin, "worked"));
        Assert.Equal(HttpStatusCode.Forbidden, (await StorePoliciesAsync(networkAdmin, policies)).StatusCode);

        using var admin = server.Client();
        var stored = await StorePoliciesAsync(admin, policies);
        Assert.True(stored.StatusCode == HttpStatusCode.OK, await stored.Content.ReadAsStringAsync());
        var view = JsonNode.Parse(await admin.GetStringAsync(At("api/v1/sites/worked/governance")))!;
        Assert.Equal(["calico-only", "own-namespace-vips", "supported-versions"], view["assignments"]!.AsArray().Select(a => a!["name"]!.GetValue<string>()));

        // The NetworkAdmin's change is checked against them: denied with the assignment named, nothing written.
        using var site = await networkAdmin.GetAsync(At("api/v1/sites/worked"));
        using var add = new HttpRequestMessage(HttpMethod.Post, At("api/v1/sites/worked/commands/add-service"))
        {
            Content = new StringContent("""{"cluster":"a","namespace":"billing","name":"invoices","ports":[8443],"sharedIpKey":"front"}""", Encoding.UTF8, "application/json"),
        };
        add.Headers.IfMatch.Add(site.Headers.ETag!);
        using var denied = await networkAdmin.SendAsync(add);
        var problem = JsonNode.Parse(await denied.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.UnprocessableEntity, denied.StatusCode);
        Assert.Contains(problem["findings"]!.AsArray(), f => f!["code"]!.GetValue<string>() == "PolicyDenied" && f["message"]!.GetValue<string>().Contains("'own-namespace-vips'", StringComparison.Ordinal));
        using var after = await networkAdmin.GetAsync(At("api/v1/sites/worked"));
        Assert.Equal(site.Headers.ETag, after.Headers.ETag);

        // Refused policy documents: 422 with the reader's finding, nothing stored.
        var bad = await StorePoliciesAsync(admin, "apiVersion: trellis/v1\nkind: PolicyAssignment\nmetadata: { name: v }\nspec: { definition: allowed-kubernetes-versions }\n");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        Assert.Contains("ParameterMissing", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compliance_is_judged_at_the_servers_time_so_an_expiring_exemption_changes_its_etag()
    {
        var time = new ManualTime();
        await using var server = await TestServer.StartAsync(Sites, o => o with { Time = time });
        using var admin = server.Client();
        var stored = await StorePoliciesAsync(admin, """
            apiVersion: trellis/v1
            kind: PolicyAssignment
            metadata: { name: flannel-only }
            spec:
              definition: allowed-network-plugins
              effect: Audit
              parameters: { allowed: [flannel] }
              exemptions: [{ item: cluster/a, reason: rebuilt next month, expiresAt: 2027-01-01T00:00:00Z }]
            """);
        Assert.True(stored.StatusCode == HttpStatusCode.OK, await stored.Content.ReadAsStringAsync());

        using var first = await admin.GetAsync(At("api/v1/sites/worked/compliance"));
        var report = JsonNode.Parse(await first.Content.ReadAsStringAsync())!;
        Assert.Equal((1, 1), (report["exempt"]!.GetValue<int>(), report["nonCompliant"]!.GetValue<int>()));
        using var same = new HttpRequestMessage(HttpMethod.Get, At("api/v1/sites/worked/compliance"));
        same.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        Assert.Equal(HttpStatusCode.NotModified, (await admin.SendAsync(same)).StatusCode);

        time.Now = new DateTimeOffset(2027, 1, 2, 0, 0, 0, TimeSpan.Zero);
        using var later = new HttpRequestMessage(HttpMethod.Get, At("api/v1/sites/worked/compliance"));
        later.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        using var expired = await admin.SendAsync(later);
        Assert.Equal(HttpStatusCode.OK, expired.StatusCode);
        Assert.Equal(2, JsonNode.Parse(await expired.Content.ReadAsStringAsync())!["nonCompliant"]!.GetValue<int>());
    }

    [Fact]
    public async Task Compliance_with_manifests_in_the_body_judges_the_rules_that_read_them()
    {
        await using var server = await TestServer.StartAsync(Sites);
        using var admin = server.Client();
        var stored = await StorePoliciesAsync(admin, """
            apiVersion: trellis/v1
            kind: PolicyAssignment
            metadata: { name: default-deny }
            spec: { definition: namespace-default-deny-ingress, effect: Deny }
            """);
        Assert.True(stored.StatusCode == HttpStatusCode.OK, await stored.Content.ReadAsStringAsync());

        var bare = JsonNode.Parse(await admin.GetStringAsync(At("api/v1/sites/worked/compliance")))!;
        Assert.Empty(bare["assignments"]![0]!["items"]!.AsArray());

        using var reader = server.Client(server.Token(Trellis.Server.AccessRole.Reader, "worked"));
        using var response = await reader.PostAsync(At("api/v1/sites/worked/compliance"),
            new StringContent(new JsonObject { ["manifests"] = EndpointExamples.Manifests() }.ToJsonString(), Encoding.UTF8, "application/json"));
        var report = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var items = report["assignments"]![0]!["items"]!.AsArray().ToDictionary(i => i!["item"]!.GetValue<string>(), i => i!["state"]!.GetValue<string>());
        Assert.Equal("Compliant", items["namespace/shop"]);
        Assert.Equal("NonCompliant", items["namespace/monitoring"]);
    }
}
