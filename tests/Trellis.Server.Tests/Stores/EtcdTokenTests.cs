using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Trellis.Server.Security;
using Trellis.Server.Tests.Infrastructure;
using Trellis.Server.Tests.Security;
using Trellis.TestSupport;

namespace Trellis.Server.Tests.Stores;

/// <summary>
/// The API tokens of servers on one etcd store (a real 3-member cluster) are the store's: made, revoked and checked on every
/// request through any replica or the command line, each name taken once among active tokens; a store that does not answer
/// lets no request in.
/// </summary>
public sealed class EtcdTokenTests(EtcdFleetFixture etcd) : IClassFixture<EtcdFleetFixture>
{
    private static readonly Uri Tokens = new("api/v1/tokens", UriKind.Relative);
    private static readonly Uri Sites = new("api/v1/sites", UriKind.Relative);
    private static readonly Uri Own = new("api/v1/token", UriKind.Relative);

    private static async Task<JsonNode> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonNode.Parse(text) ?? throw new InvalidOperationException($"{(int)response.StatusCode}: no JSON");
    }

    private static async Task<string?> ValueAsync(string store, string key)
    {
        var location = EtcdFleetFixture.Location(store);
        using var client = location.Connect();
        var response = await client.GetAsync(location.Root + key);
        return response.Kvs.Count == 0 ? null : response.Kvs[0].Value.ToStringUtf8();
    }

    [Fact]
    public async Task A_token_made_through_one_replica_signs_in_on_another_and_revoked_on_that_one_is_refused_on_the_first_at_once()
    {
        var store = etcd.NewStore();
        await using var a = await EtcdFleetFixture.ServerAsync(store);
        await using var b = await EtcdFleetFixture.ServerAsync(store);
        using var adminA = a.Client(a.AdminToken);
        using var adminB = b.Client(b.AdminToken);

        var made = await adminA.PostAsJsonAsync(Tokens, new JsonObject { ["name"] = "ci", ["grants"] = new JsonArray(new JsonObject { ["site"] = "edge", ["role"] = "Operator" }) });
        Assert.Equal(HttpStatusCode.Created, made.StatusCode);
        var body = await JsonAsync(made);
        var token = body["token"]!.GetValue<string>();
        var id = body["info"]!["id"]!.GetValue<string>();

        using var onA = a.Client(token);
        using var onB = b.Client(token);
        var own = await onB.GetAsync(Own);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal("ci", (await JsonAsync(own))["name"]!.GetValue<string>());
        Assert.Contains($"\"{id}\"", await adminB.GetStringAsync(Tokens), StringComparison.Ordinal);

        // Kept under the store's root, as the row of server.db: a hash, never the secret; its name taken while it is active.
        var stored = JsonNode.Parse((await ValueAsync(store, $"access/tokens/{id}"))!)!;
        Assert.Equal("ci", stored["name"]!.GetValue<string>());
        Assert.Equal(Convert.ToBase64String(ApiToken.Hash(token)), stored["hash"]!.GetValue<string>());
        Assert.Equal("Operator", stored["grants"]![0]!["role"]!.GetValue<string>());
        Assert.DoesNotContain(token[17..], stored.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(id, await ValueAsync(store, "access/names/ci"));
        Assert.False(File.Exists(Path.Combine(a.DataDirectory, "server.db")));

        Assert.Equal(HttpStatusCode.OK, (await onA.GetAsync(Own)).StatusCode);
        var revoked = await adminB.DeleteAsync(new Uri($"api/v1/tokens/{id}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.Equal("Revoked", (await JsonAsync(revoked))["status"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.Unauthorized, (await onA.GetAsync(Own)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await onB.GetAsync(Own)).StatusCode);
        Assert.Null(await ValueAsync(store, "access/names/ci"));
        // The name is free again, on either replica.
        Assert.Equal(HttpStatusCode.Created, (await adminA.PostAsJsonAsync(Tokens, new JsonObject { ["name"] = "ci", ["admin"] = true })).StatusCode);
    }

    [Fact]
    public async Task Of_two_replicas_making_one_name_at_once_one_does_and_the_other_gets_TokenNameTaken()
    {
        var store = etcd.NewStore();
        await using var a = await EtcdFleetFixture.ServerAsync(store);
        await using var b = await EtcdFleetFixture.ServerAsync(store);
        using var adminA = a.Client(a.AdminToken);
        using var adminB = b.Client(b.AdminToken);

        for (var round = 0; round < 10; round++)
        {
            var request = new JsonObject { ["name"] = $"deploy-{round}", ["admin"] = true };
            var answers = await Task.WhenAll(adminA.PostAsJsonAsync(Tokens, request), adminB.PostAsJsonAsync(Tokens, request));

            Assert.Single(answers, r => r.StatusCode == HttpStatusCode.Created);
            var refused = Assert.Single(answers, r => r.StatusCode == HttpStatusCode.Conflict);
            Assert.Equal(TokenRules.NameTaken, (await JsonAsync(refused))["findings"]![0]!["code"]!.GetValue<string>());
        }

        var listed = (await JsonAsync(await adminA.GetAsync(Tokens))).AsArray().Select(t => t!["name"]!.GetValue<string>()).Where(n => n.StartsWith("deploy-", StringComparison.Ordinal));
        Assert.Equal(10, listed.Distinct().Count());
        Assert.Equal(10, listed.Count());
    }

    [Fact]
    public async Task A_token_made_on_the_command_line_with_an_etcd_store_signs_in_on_a_server_of_that_store_until_revoked_there()
    {
        var store = etcd.NewStore();
        using var folder = new TempFolder();
        var (code, output, error) = await TokenTests.Run("token", "create", "--data", folder.Path, "--store", store, "--name", "first-admin", "--role", "Admin");
        Assert.Equal(0, code);
        var token = output.Trim();
        Assert.Contains("in etcd ", error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(folder.Path, "server.db")));

        await using var server = await EtcdFleetFixture.ServerAsync(store);
        using var client = server.Client(token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Sites)).StatusCode);
        Assert.Contains("first-admin", (await TokenTests.Run("token", "list", "--store", store)).Output, StringComparison.Ordinal);

        var (revokeCode, revoked, _) = await TokenTests.Run("token", "revoke", "--store", store, "first-admin");
        Assert.Equal(0, revokeCode);
        Assert.Contains($"Revoked token 'first-admin' (id {ApiToken.IdOf(token)}", revoked, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(Sites)).StatusCode);
    }

    [Fact]
    public async Task Token_commands_refuse_a_store_with_a_site_and_say_when_the_store_does_not_answer()
    {
        var (code, _, error) = await TokenTests.Run("token", "list", "--store", "etcd://127.0.0.1:2379/edge");
        Assert.Equal(2, code);
        Assert.Contains("--store names the site 'edge'", error, StringComparison.Ordinal);

        var port = Trellis.TestSupport.Etcd.EtcdCluster.FreePorts(1)[0];
        (code, var output, error) = await TokenTests.Run("token", "create", "--store", $"etcd://127.0.0.1:{port}", "--name", "x", "--role", "Admin");
        Assert.Equal(3, code);
        Assert.Empty(output);
        Assert.Contains($"127.0.0.1:{port}", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task While_etcd_does_not_answer_a_request_with_a_token_is_503_and_never_let_in()
    {
        var store = etcd.NewStore();
        await using var server = await EtcdFleetFixture.ServerAsync(store);
        var token = server.Token(AccessRole.Reader, "edge");
        using var client = server.Client(token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Own)).StatusCode);
        try
        {
            foreach (var member in etcd.Cluster.Members)
            {
                await member.KillAsync();
            }

            var refused = await client.GetAsync(Own);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            var problem = await JsonAsync(refused);
            Assert.Equal("urn:trellis:problem:unavailable", problem["type"]!.GetValue<string>());
            Assert.Contains("not let in", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.DoesNotContain(token, problem.ToJsonString(), StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", problem.ToJsonString(), StringComparison.Ordinal);
            // A public endpoint answers as to a request without a token.
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("healthz", UriKind.Relative))).StatusCode);
        }
        finally
        {
            foreach (var member in etcd.Cluster.Members.Where(m => !m.IsRunning))
            {
                member.Start();
            }

            await etcd.Cluster.WaitHealthyAsync(TimeSpan.FromSeconds(30));
        }

        // Back again: the connection to the members comes back within its reconnection backoff.
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while ((await client.GetAsync(Own)).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(60), "the server did not let the token in again once etcd answered");
            await Task.Delay(200);
        }
    }
}
