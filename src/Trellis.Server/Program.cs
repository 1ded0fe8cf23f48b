using System.CommandLine;
using Microsoft.Extensions.Hosting;

namespace Trellis.Server;

/// <summary><c>trellis-server</c>, which <c>trellis serve</c> runs: serves a fleet's folder until stopped (Ctrl-C, SIGTERM).</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var data = new Option<string>("--data")
        {
            Description = "The fleet's folder: sites/<name>.db per site, server.db for tokens. Default: .trellis",
            DefaultValueFactory = _ => ".trellis",
        };
        var listen = new Option<string[]>("--listen")
        {
            Description = $"URL to listen on (repeat for several). Default: {ServerOptions.DefaultUrl}",
            DefaultValueFactory = _ => [ServerOptions.DefaultUrl],
        };
        var root = new RootCommand("The Trellis server: REST API and dashboard for a fleet of sites") { data, listen };
        root.SetAction(async (p, ct) =>
        {
            var options = new ServerOptions { DataDirectory = p.GetValue(data)!, Urls = p.GetValue(listen)! };
            await using var app = ServerHost.Build(options);
            await app.RunAsync(ct).ConfigureAwait(false);
            return 0;
        });
        return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
    }
}
