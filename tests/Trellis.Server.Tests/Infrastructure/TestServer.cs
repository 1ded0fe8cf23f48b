using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Http.Features;
using Trellis.Engine;
using Trellis.Engine.Contracts;
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

    /// <summary>Starts a server whose fleet holds <paramref name="sites"/>: site name → example file (examples/*.yaml), applied.</summary>
    public static async Task<TestServer> StartAsync(IReadOnlyDictionary<string, string>? sites = null, Func<ServerOptions, ServerOptions>? configure = null)
    {
        var folder = new TempFolder();
        var options = new ServerOptions { DataDirectory = folder.Path, Urls = ["http://127.0.0.1:0"] };
        options = configure?.Invoke(options) ?? options;
        Directory.CreateDirectory(Path.Combine(options.DataDirectory, "sites"));
        foreach (var (name, example) in sites ?? new Dictionary<string, string>())
        {
            await ApplyAsync(Path.Combine(options.DataDirectory, "sites", name + ".db"), example).ConfigureAwait(false);
        }

        var app = ServerHost.Build(options);
        await app.StartAsync().ConfigureAwait(false);
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

    /// <summary>An HTTP client to this server, with <paramref name="token"/> as its bearer token when given.</summary>
    public HttpClient Client(string? token = null)
    {
        var client = new HttpClient { BaseAddress = Address };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync().ConfigureAwait(false);
        await App.DisposeAsync().ConfigureAwait(false);
        _folder.Dispose();
    }
}
