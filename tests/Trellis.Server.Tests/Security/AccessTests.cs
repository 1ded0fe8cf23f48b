using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Trellis.Server.Security;
using Trellis.Server.Tests.Infrastructure;
using Trellis.TestSupport;

namespace Trellis.Server.Tests.Security;

/// <summary>Authentication's answers, the security headers, the rate limit, the body limit, TLS and where plain HTTP may listen.</summary>
public sealed class AccessTests
{
    private static readonly Dictionary<string, string> Worked = new() { ["worked"] = "worked-example.yaml" };
    private static readonly Uri Allocations = new("api/v1/sites/worked/allocations", UriKind.Relative);

    [Theory]
    [InlineData(null, "Bearer")]
    [InlineData("trl_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "Bearer error=\"invalid_token\"")]
    [InlineData("not-a-token", "Bearer error=\"invalid_token\"")]
    public async Task Without_a_valid_token_it_is_401_with_a_bearer_challenge_and_a_problem(string? token, string challenge)
    {
        await using var server = await TestServer.StartAsync(Worked);
        using var client = token is null ? server.Anonymous() : server.Client(token);
        var response = await client.GetAsync(Allocations);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(challenge, response.Headers.WwwAuthenticate.ToString());
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal("urn:trellis:problem:unauthenticated", JsonNode.Parse(body)!["type"]!.GetValue<string>());
        if (token is not null)
        {
            Assert.DoesNotContain(token, body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Basic_credentials_are_not_a_token()
    {
        await using var server = await TestServer.StartAsync(Worked);
        using var client = server.Client();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", "YWRtaW46YWRtaW4=");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(Allocations)).StatusCode);
    }

    [Fact]
    public async Task A_role_on_another_site_is_403_naming_what_it_needs()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string> { ["worked"] = "worked-example.yaml", ["dhcp"] = "dhcp-site.yaml" });
        using var client = server.Client(server.Token(AccessRole.NetworkAdmin, "dhcp"));
        var response = await client.GetAsync(Allocations);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("Reader on site 'worked'", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("api/v1/sites")]
    [InlineData("api/v1/alerts")]
    public async Task Fleet_wide_lists_show_a_token_only_the_sites_it_is_granted(string path)
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string> { ["worked"] = "worked-example.yaml", ["dhcp"] = "dhcp-site.yaml" });
        using var granted = server.Client(server.Token(AccessRole.Reader, "dhcp"));
        using var admin = server.Client();

        static async Task<string[]> Names(HttpClient client, string path) =>
            [.. JsonNode.Parse(await client.GetStringAsync(new Uri(path, UriKind.Relative)))!.AsArray().Select(s => (s!["name"] ?? s["site"])!.GetValue<string>()).Order()];

        Assert.Equal(["dhcp"], await Names(granted, path));
        Assert.Equal(["dhcp", "worked"], await Names(admin, path));
    }

    [Theory]
    [InlineData("healthz")]
    [InlineData("api/v1/sites/worked/allocations")]
    [InlineData("api/v1/no-such-endpoint")]
    public async Task Every_response_carries_the_security_headers_and_api_responses_are_not_stored(string path)
    {
        await using var server = await TestServer.StartAsync(Worked);
        using var client = server.Client(server.AdminToken);
        var response = await client.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("Server"));
        if (path.StartsWith("api/", StringComparison.Ordinal))
        {
            Assert.True(response.Headers.CacheControl?.NoStore);
        }
    }

    [Fact]
    public async Task Past_the_rate_limit_a_token_gets_429_with_retry_after_and_other_tokens_are_not_held_back()
    {
        await using var server = await TestServer.StartAsync(Worked, o => o with { RateLimit = new RateLimit(3, TimeSpan.FromMinutes(1)) });
        using var busy = server.Client(server.Token(AccessRole.Reader, "worked"));
        using var other = server.Client(server.Token(AccessRole.Reader, "worked"));

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await busy.GetAsync(Allocations)).StatusCode);
        }

        var limited = await busy.GetAsync(Allocations);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.InRange(limited.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 60);
        Assert.Equal("urn:trellis:problem:too-many-requests", JsonNode.Parse(await limited.Content.ReadAsStringAsync())!["type"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync(Allocations)).StatusCode);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_and_nothing_is_stored()
    {
        await using var server = await TestServer.StartAsync(configure: o => o with { MaxRequestBodyBytes = 1024 });
        using var admin = server.Client(server.AdminToken);
        var tokens = new Uri("api/v1/tokens", UriKind.Relative);
        var before = await admin.GetStringAsync(tokens);

        var padding = new string(' ', 4096);
        var response = await admin.PostAsync(tokens, new StringContent($$"""{"name": "big", "admin": true{{padding}}}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await admin.GetStringAsync(tokens));
    }

    [Fact]
    public async Task With_a_certificate_it_serves_https_with_strict_transport_security()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=trellis-test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var made = request.CreateSelfSigned(TimeProvider.System.GetUtcNow().AddMinutes(-5), TimeProvider.System.GetUtcNow().AddDays(1));
        using var certificate = X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pfx), null);

        await using var server = await TestServer.StartAsync(Worked, o => o with { Urls = ["https://127.0.0.1:0"], Certificate = certificate });
        Assert.Equal("https", server.Address.Scheme);
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented?.Thumbprint == certificate.Thumbprint };
        using var client = new HttpClient(handler) { BaseAddress = server.Address };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", server.AdminToken);
        var response = await client.GetAsync(Allocations);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("max-age=", response.Headers.GetValues("Strict-Transport-Security").Single(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://0.0.0.0:5080", "--insecure-http")]
    [InlineData("http://192.0.2.10:5080", "--insecure-http")]
    [InlineData("https://127.0.0.1:5443", "--certificate")]
    public async Task The_server_refuses_plain_http_beyond_loopback_and_https_without_a_certificate(string url, string says)
    {
        using var folder = new TempFolder();
        var (code, _, error) = await TokenTests.Run("--data", folder.Path, "--listen", url);
        Assert.Equal(2, code);
        Assert.Contains(says, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Plain_http_beyond_loopback_is_allowed_when_the_operator_says_so_and_loopback_always()
    {
        var options = new ServerOptions { DataDirectory = "unused", Urls = ["http://0.0.0.0:5080"] };
        Assert.NotNull(ListenRules.Check(options));
        Assert.Null(ListenRules.Check(options with { AllowInsecureHttp = true }));
        Assert.Null(ListenRules.Check(options with { Urls = ["http://127.0.0.1:5080", "http://[::1]:5080", "http://localhost:5080"] }));
    }

    [Fact]
    public async Task A_certificate_that_cannot_be_read_stops_the_server_with_a_message()
    {
        using var folder = new TempFolder();
        var pfx = Path.Combine(folder.Path, "bad.pfx");
        await File.WriteAllTextAsync(pfx, "not a certificate");
        var (code, _, error) = await TokenTests.Run("--data", folder.Path, "--certificate", pfx);
        Assert.Equal(2, code);
        Assert.Contains("cannot read the certificate", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_token_reaches_the_log_on_success_or_refusal()
    {
        var lines = new ConcurrentQueue<string>();
        await using var server = await TestServer.StartAsync(Worked, o => o with
        {
            ConfigureLogging = logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(new CapturingProvider(lines)),
        });
        var good = server.Token(AccessRole.Reader, "worked");
        var revokedToken = server.Token(AccessRole.Reader, "worked");
        await server.App.Services.GetRequiredService<ITokenStore>().RevokeAsync(ApiToken.IdOf(revokedToken)!, CancellationToken.None);
        var forged = good[..^3] + "xyz";

        foreach (var token in new[] { good, revokedToken, forged })
        {
            using var client = server.Client(token);
            await client.GetAsync(Allocations);
            await client.GetAsync(new Uri("api/v1/tokens", UriKind.Relative));
        }

        var log = string.Join("\n", lines);
        Assert.Contains(ApiToken.IdOf(revokedToken)!, log, StringComparison.Ordinal); // the refusal names which token, by id
        foreach (var secret in new[] { good, revokedToken, forged }.Select(t => t[17..]))
        {
            Assert.DoesNotContain(secret, log, StringComparison.Ordinal);
        }
    }

    private sealed class CapturingProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Capturing(categoryName, lines);

        public void Dispose()
        {
        }

        private sealed class Capturing(string category, ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue($"{category} {logLevel}: {formatter(state, exception)} {exception} {state}");
        }
    }
}
