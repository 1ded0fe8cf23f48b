using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Http.Features;
using Trellis.Engine;
using Trellis.Engine.Contracts;
using Trellis.Server.Security;
using Trellis.TestSupport;

namespace Trellis.Server.Tests.Infrastructure;

/// <summary>
/// A real server (Kestrel on 127.0.0.1, a free port) over a fleet folder of its own, seeded with example sites applied
/// through the Engine, as `trellis apply --state &lt;data&gt;/sites/&lt;name&gt;.db` would.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly TempFolder _folder;

    private TestServer(TempFolder folder, ServerOptions options, WebApplication app, Uri address)
    {
        _folder = folder;
        Options = options;
        App = app;
        Address = address;
    }

    public ServerOptions Options { get; }

    public WebApplication App { get; }

    /// <summary>The server's base address, e.g. http://127.0.0.1:41234/.</summary>
    public Uri Address { get; }

    public string DataDirectory => Options.DataDirectory;

    /// <summary>A fleet-wide Admin token, made when the server starts.</summary>
    public string AdminToken => _adminToken ??= Token(AccessRole.Admin);

    private string? _adminToken;
    private int _tokens;

    // Servers on one etcd store share its tokens: each names its own apart.
    private readonly string _tokenTag = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3));

    /// <summary>
    /// A new token (straight into the server's token store, as <c>trellis serve token create</c> does): fleet-wide for
    /// <see cref="AccessRole.Admin"/>, otherwise <paramref name="role"/> on each of <paramref name="sites"/>.
    /// </summary>
    public string Token(AccessRole role, params string[] sites) => Token(role, null, sites);

    public string Token(AccessRole role, DateTimeOffset? expiresAt, params string[] sites)
    {
        var store = App.Services.GetRequiredService<ITokenStore>();
        var name = $"test-{role}-{Interlocked.Increment(ref _tokens)}-{_tokenTag}".ToLowerInvariant();
        var request = role == AccessRole.Admin
            ? new TokenRequest(name, Admin: true)
            : new TokenRequest(name, Grants: [.. sites.Select(s => new SiteGrant(s, role))]);
        // Off the test's synchronization context: an etcd store answers asynchronously.
        var (created, refused) = Task.Run(() => store.CreateAsync(request, expiresAt, "test", CancellationToken.None)).GetAwaiter().GetResult();
        return created?.Token ?? throw new InvalidOperationException(refused?.ToString());
    }

    /// <summary>Starts a server whose fleet holds <paramref name="sites"/>: site name → example file (examples/*.yaml), applied.</summary>
    public static async Task<TestServer> StartAsync(IReadOnlyDictionary<string, string>? sites = null, Func<ServerOptions, ServerOptions>? configure = null)
    {
        var folder = new TempFolder();
        // Tests drive hundreds of requests a second from one token; the rate limit has its own test (AccessTests).
        var options = new ServerOptions { DataDirectory = folder.Path, Urls = ["http://127.0.0.1:0"], RateLimit = RateLimit.Off };
        options = configure?.Invoke(options) ?? options;
        Directory.CreateDirectory(Path.Combine(options.DataDirectory, "sites"));
        foreach (var (name, example) in sites ?? new Dictionary<string, string>())
        {
            await ApplyAsync(Path.Combine(options.DataDirectory, "sites", name + ".db"), example).ConfigureAwait(false);
        }

        var app = ServerHost.Build(options);
        try
        {
            await app.StartAsync().ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            folder.Dispose();
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new TestServer(folder, options, app, new Uri(address + "/"));
    }

    /// <summary>Applies examples/<paramref name="example"/> to the state file at <paramref name="statePath"/> through the Engine.</summary>
    public static async Task<long> ApplyAsync(string statePath, string example)
    {
        var read = SiteSpecs.ReadFile(Path.Combine(ExampleState.ExamplesDirectory, example));
        await using var session = EngineSession.OpenSqlite(statePath, write: true);
        var result = await session.Engine.ExecuteAsync(new ApplySpec(read.Document!)).ConfigureAwait(false);
        var outcome = result.Outcome();
        return outcome.HasErrors ? throw new InvalidOperationException(string.Join("; ", outcome.Findings)) : outcome.Revision;
    }

    /// <summary>
    /// An HTTP client to this server with <paramref name="token"/> as its bearer token, by default <see cref="AdminToken"/>
    /// (which may do anything); <see cref="Anonymous"/> sends none.
    /// </summary>
    public HttpClient Client(string? token = null)
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token ?? AdminToken);
        return client;
    }

    /// <summary>An HTTP client to this server without a token.</summary>
    public HttpClient Anonymous() => new() { BaseAddress = Address };

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync().ConfigureAwait(false);
        await App.DisposeAsync().ConfigureAwait(false);
        _folder.Dispose();
    }
}
