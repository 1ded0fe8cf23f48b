using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Trellis.Server.Security;
using Trellis.Server.Tests.Infrastructure;
using Trellis.TestSupport;

namespace Trellis.Server.Tests.Security;

/// <summary>API tokens: random, stored only as hashes, shown once, expiring, revocable; made by the command line or an Admin.</summary>
public sealed class TokenTests
{
    private sealed class ManualTime(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static readonly Uri Tokens = new("api/v1/tokens", UriKind.Relative);
    private static readonly Uri Sites = new("api/v1/sites", UriKind.Relative);

    private static async Task<JsonNode> Json(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    [Fact]
    public void A_token_is_the_prefix_a_hex_id_and_32_random_bytes_and_only_its_hash_is_kept()
    {
        var (id, token) = ApiToken.Create();
        var (_, other) = ApiToken.Create();

        Assert.Matches("^trl_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$", token);
        Assert.Equal(id, ApiToken.IdOf(token));
        Assert.NotEqual(token, other);
        Assert.True(ApiToken.Matches(token, ApiToken.Hash(token)));
        Assert.False(ApiToken.Matches(other, ApiToken.Hash(token)));
        Assert.Null(ApiToken.IdOf(token[..^1]));
        Assert.Null(ApiToken.IdOf("Bearer " + token));
        Assert.Null(ApiToken.IdOf(token.Replace("trl_", "trx_", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_store_holds_no_token_and_refuses_a_wrong_secret_for_a_known_id()
    {
        using var folder = new TempFolder();
        var store = new SqliteTokenStore(folder.Path, TimeProvider.System);
        var (created, _) = await store.CreateAsync(new TokenRequest("ci", Admin: true), null, "test", CancellationToken.None);
        var token = created!.Token;

        Assert.Equal("ci", (await store.AuthenticateAsync(token, CancellationToken.None)).Token?.Name);
        var forged = token[..^4] + (token[^4..] == "AAAA" ? "BBBB" : "AAAA");
        Assert.Null((await store.AuthenticateAsync(forged, CancellationToken.None)).Token);
        Assert.DoesNotContain(await store.ListAsync(CancellationToken.None), t2 => t2.ToString().Contains(token, StringComparison.Ordinal));
        var bytes = File.ReadAllBytes(store.Path).Concat(File.Exists(store.Path + "-wal") ? File.ReadAllBytes(store.Path + "-wal") : []).ToArray();
        // trl_<id>_<secret>: the secret is base64url, which may itself hold '_'.
        var secret = token.Split('_', 3)[2];
        Assert.Equal(43, secret.Length);
        Assert.Equal(-1, System.Text.Encoding.ASCII.GetString(bytes).IndexOf(secret, StringComparison.Ordinal));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.Path));
        }
    }

    [Fact]
    public async Task The_first_admin_token_is_made_on_the_command_line_shown_once_and_revoked_by_name()
    {
        using var folder = new TempFolder();
        var (code, output, error) = await Run("token", "create", "--data", folder.Path, "--name", "first-admin", "--role", "Admin");
        Assert.Equal(0, code);
        var token = output.Trim();
        Assert.Matches("^trl_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$", token);
        Assert.Contains("shown this once", error, StringComparison.Ordinal);
        Assert.DoesNotContain(token, error, StringComparison.Ordinal);

        var (_, list, _) = await Run("token", "list", "--data", folder.Path);
        Assert.Contains("first-admin", list, StringComparison.Ordinal);
        Assert.Contains("Admin", list, StringComparison.Ordinal);
        Assert.DoesNotContain(token[4..16] + "_", list, StringComparison.Ordinal);
        Assert.DoesNotContain(token[17..], list, StringComparison.Ordinal);

        // The server (started afterwards here; the store is read on every request) accepts it, until it is revoked.
        await using var server = await TestServer.StartAsync(configure: o => o with { DataDirectory = folder.Path });
        using var client = server.Client(token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Sites)).StatusCode);

        var (revokeCode, revoked, _) = await Run("token", "revoke", "--data", folder.Path, "first-admin");
        Assert.Equal(0, revokeCode);
        Assert.Contains($"Revoked token 'first-admin' (id {ApiToken.IdOf(token)}, Admin", revoked, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(Sites)).StatusCode);

        var (missingCode, _, missing) = await Run("token", "revoke", "--data", folder.Path, "no-such-token");
        Assert.Equal(1, missingCode);
        Assert.Contains(TokenRules.NotFound, missing, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--role", "Operator")]
    [InlineData("--role", "Owner")]
    public async Task Token_create_refuses_a_site_role_without_a_site_and_unknown_roles(string option, string value)
    {
        using var folder = new TempFolder();
        var (code, output, error) = await Run("token", "create", "--data", folder.Path, "--name", "x", option, value);
        Assert.Equal(2, code);
        Assert.Empty(output);
        Assert.Contains("role", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_create_grants_one_role_per_site_in_order()
    {
        using var folder = new TempFolder();
        var (code, _, _) = await Run("token", "create", "--data", folder.Path, "--name", "ops", "--site", "a", "--role", "Operator", "--site", "b", "--role", "Reader", "--expires", "12h");
        Assert.Equal(0, code);
        var token = Assert.Single(await new SqliteTokenStore(folder.Path, TimeProvider.System).ListAsync(CancellationToken.None));
        Assert.Equal([new SiteGrant("a", AccessRole.Operator), new SiteGrant("b", AccessRole.Reader)], token.Grants);
        Assert.InRange(token.ExpiresAt!.Value - token.CreatedAt, TimeSpan.FromHours(12) - TimeSpan.FromSeconds(2), TimeSpan.FromHours(12) + TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task An_admin_makes_lists_and_revokes_tokens_over_the_api_and_a_revoked_token_is_refused_at_once()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string> { ["worked"] = "worked-example.yaml" });
        using var admin = server.Client(server.AdminToken);

        var made = await admin.PostAsJsonAsync(Tokens, new JsonObject { ["name"] = "reader", ["grants"] = new JsonArray(new JsonObject { ["site"] = "worked", ["role"] = "Reader" }) });
        Assert.Equal(HttpStatusCode.Created, made.StatusCode);
        Assert.Equal("no-store", made.Headers.CacheControl?.ToString());
        var body = await Json(made);
        var token = body["token"]!.GetValue<string>();
        var id = body["info"]!["id"]!.GetValue<string>();
        Assert.StartsWith("token:test-admin", body["info"]!["createdBy"]!.GetValue<string>(), StringComparison.Ordinal);

        using var reader = server.Client(token);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync(new Uri("api/v1/sites/worked/allocations", UriKind.Relative))).StatusCode);
        var own = await Json(await reader.GetAsync(new Uri("api/v1/token", UriKind.Relative)));
        Assert.Equal("reader", own["name"]!.GetValue<string>());

        var listing = await admin.GetStringAsync(Tokens);
        Assert.Contains("\"reader\"", listing, StringComparison.Ordinal);
        Assert.DoesNotContain(token, listing, StringComparison.Ordinal);
        Assert.DoesNotContain(server.AdminToken, listing, StringComparison.Ordinal);

        var revoked = await admin.DeleteAsync(new Uri($"api/v1/tokens/{id}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.Equal("Revoked", (await Json(revoked))["status"]!.GetValue<string>());
        var refused = await reader.GetAsync(new Uri("api/v1/sites/worked/allocations", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("invalid_token", refused.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);

        var unknown = await admin.DeleteAsync(new Uri("api/v1/tokens/000000000000", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(TokenRules.NotFound, (await Json(unknown))["findings"]![0]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_token_past_its_expiry_is_refused()
    {
        var time = new ManualTime(new DateTimeOffset(2026, 12, 5, 6, 0, 0, TimeSpan.Zero));
        await using var server = await TestServer.StartAsync(new Dictionary<string, string> { ["worked"] = "worked-example.yaml" }, o => o with { Time = time });
        var token = server.Token(AccessRole.Reader, time.Now.AddHours(1), "worked");
        using var client = server.Client(token);
        var path = new Uri("api/v1/sites/worked/allocations", UriKind.Relative);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(path)).StatusCode);
        time.Now = time.Now.AddHours(1);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(path)).StatusCode);
    }

    [Theory]
    [InlineData("""{"name": "has space", "admin": true}""", TokenRules.NameInvalid, "name")]
    [InlineData("""{"name": "x"}""", TokenRules.GrantInvalid, "grants")]
    [InlineData("""{"name": "x", "admin": true, "grants": [{"site": "worked", "role": "Reader"}]}""", TokenRules.GrantInvalid, "grants")]
    [InlineData("""{"name": "x", "grants": [{"site": "Not_A_Site", "role": "Reader"}]}""", TokenRules.GrantInvalid, "grants[0].site")]
    [InlineData("""{"name": "x", "grants": [{"site": "worked", "role": "Admin"}]}""", TokenRules.GrantInvalid, "grants[0].role")]
    [InlineData("""{"name": "x", "grants": [{"site": "a", "role": "Reader"}, {"site": "a", "role": "Operator"}]}""", TokenRules.GrantInvalid, "grants[1].site")]
    [InlineData("""{"name": "x", "admin": true, "expires": "forever"}""", TokenRules.ExpiryInvalid, "expires")]
    [InlineData("""{"name": "x", "admin": true, "expires": "4000d"}""", TokenRules.ExpiryInvalid, "expires")]
    public async Task A_token_request_the_rules_refuse_is_422_with_the_finding_and_nothing_is_stored(string json, string code, string path)
    {
        await using var server = await TestServer.StartAsync();
        using var admin = server.Client(server.AdminToken);
        var before = await admin.GetStringAsync(Tokens);

        var response = await admin.PostAsync(Tokens, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var finding = (await Json(response))["findings"]!.AsArray().First(f => f!["code"]!.GetValue<string>() == code)!;
        Assert.Equal(path, finding["path"]!.GetValue<string>());
        Assert.Equal(before, await admin.GetStringAsync(Tokens));
    }

    [Fact]
    public async Task A_name_in_use_is_409_TokenNameTaken_until_that_token_is_revoked()
    {
        await using var server = await TestServer.StartAsync();
        using var admin = server.Client(server.AdminToken);
        var request = new JsonObject { ["name"] = "ci", ["admin"] = true };
        var first = await Json(await admin.PostAsJsonAsync(Tokens, request));

        var again = await admin.PostAsJsonAsync(Tokens, request);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(TokenRules.NameTaken, (await Json(again))["findings"]![0]!["code"]!.GetValue<string>());

        await admin.DeleteAsync(new Uri($"api/v1/tokens/{first["info"]!["id"]!.GetValue<string>()}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync(Tokens, request)).StatusCode);
    }

    internal static async Task<(int Code, string Output, string Error)> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await Program.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
