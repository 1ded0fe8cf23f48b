using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Trellis.Engine;
using Trellis.Engine.Contracts;
using Trellis.Server;
using Trellis.Server.Security;

namespace Trellis.Load;

/// <summary>
/// The server under load, on loopback only: <c>--clients</c> (50) concurrent clients for <c>--seconds</c> (30) against the
/// REST API of an in-process server (real Kestrel, real HTTP on 127.0.0.1, a token per client), then the same work through
/// the Engine in-process on a state file of its own; both checked afterwards. Prints a Markdown report.
/// <c>dotnet run -c Release --project benchmarks/Trellis.Load -- --clients 50 --seconds 30 [--if-match any|revision]</c>
/// </summary>
public static class Program
{
    public const string Site = "load";

    public static async Task<int> Main(string[] args)
    {
        var clients = Option(args, "--clients", 50);
        var seconds = Option(args, "--seconds", 30);
        var writes = Array.IndexOf(args, "--if-match") is var at and >= 0 && at + 1 < args.Length && args[at + 1] == "revision" ? WriteMode.Decided : WriteMode.Latest;
        var folder = Directory.CreateTempSubdirectory("trellis-load-");
        try
        {
            var report = new StringBuilder();
            report.AppendLine(CultureInfo.InvariantCulture, $"Run at {TimeProvider.System.GetUtcNow():yyyy-MM-dd HH:mm} UTC, {clients} clients × {seconds} s each way, writes with If-Match: {(writes == WriteMode.Latest ? "*" : "the revision decided on")}, {Environment.ProcessorCount} cores, load average before: {LoadAverage()}");

            var http = await RunHttpAsync(folder.FullName, clients, TimeSpan.FromSeconds(seconds), writes).ConfigureAwait(false);
            report.AppendLine(CultureInfo.InvariantCulture, $"load average after the API run: {LoadAverage()}");
            var engine = await RunEngineAsync(folder.FullName, clients, TimeSpan.FromSeconds(seconds), writes).ConfigureAwait(false);
            report.AppendLine(CultureInfo.InvariantCulture, $"load average after the Engine run: {LoadAverage()}");
            report.AppendLine();
            report.Append(Table(("REST API (HTTP, loopback)", http.Result, http.Problems), ("Engine in-process", engine.Result, engine.Problems)));
            Console.Write(report);
            return http.Problems.Count + engine.Problems.Count == 0 ? 0 : 1;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            folder.Delete(recursive: true);
        }
    }

    public static async Task<(LoadResult Result, IReadOnlyList<string> Problems)> RunHttpAsync(string folder, int clients, TimeSpan duration, WriteMode writes)
    {
        var data = Path.Combine(folder, "server");
        var state = await SeedAsync(Path.Combine(data, "sites", Site + ".db")).ConfigureAwait(false);
        var options = new ServerOptions { DataDirectory = data, Urls = ["http://127.0.0.1:0"], RateLimit = RateLimit.Off };
        await using var app = ServerHost.Build(options);
        await app.StartAsync().ConfigureAwait(false);
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single() + "/");
        var store = app.Services.GetRequiredService<ITokenStore>();
        var tokens = new List<string>();
        for (var i = 0; i < clients; i++)
        {
            var (created, _) = await store.CreateAsync(new TokenRequest($"load-{i}", Grants: [new SiteGrant(Site, AccessRole.Operator)]), null, "load", CancellationToken.None).ConfigureAwait(false);
            tokens.Add(created!.Token);
        }

        var result = await LoadRun.RunAsync(i => new HttpTarget(address, tokens[i], Site, writes), clients, duration).ConfigureAwait(false);
        await app.StopAsync().ConfigureAwait(false);
        return (result, await LoadCheck.VerifyAsync(state, result).ConfigureAwait(false));
    }

    public static async Task<(LoadResult Result, IReadOnlyList<string> Problems)> RunEngineAsync(string folder, int clients, TimeSpan duration, WriteMode writes)
    {
        var state = await SeedAsync(Path.Combine(folder, "engine", Site + ".db")).ConfigureAwait(false);
        var result = await LoadRun.RunAsync(_ => new EngineTarget(state, writes), clients, duration).ConfigureAwait(false);
        return (result, await LoadCheck.VerifyAsync(state, result).ConfigureAwait(false));
    }

    /// <summary>Applies load-site.yaml to a new state file at <paramref name="statePath"/>.</summary>
    public static async Task<string> SeedAsync(string statePath)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(statePath)!);
        var read = SiteSpecs.ReadFile(Path.Combine(AppContext.BaseDirectory, "load-site.yaml"));
        await using var session = EngineSession.OpenSqlite(statePath, write: true);
        var outcome = (await session.Engine.ExecuteAsync(new ApplySpec(read.Document!)).ConfigureAwait(false)).Outcome();
        return outcome.HasErrors ? throw new InvalidOperationException(string.Join("; ", outcome.Findings)) : statePath;
    }

    public static string Table(params (string Name, LoadResult Result, IReadOnlyList<string> Problems)[] runs)
    {
        var text = new StringBuilder();
        text.AppendLine("| through | operation | count | p50 ms | p95 ms | p99 ms | max ms |");
        text.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var (name, result, _) in runs)
        {
            foreach (var (kind, sample) in result.Latencies.OrderBy(k => k.Key, StringComparer.Ordinal))
            {
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"| {name} | {kind} | {sample.Count:N0} | {LoadResult.Percentile(sample, 0.50):0.0} | {LoadResult.Percentile(sample, 0.95):0.0} | {LoadResult.Percentile(sample, 0.99):0.0} | {sample[^1]:0.0} |");
            }
        }

        text.AppendLine();
        text.AppendLine("| through | operations/s | requests/s | writes committed | writes/s | stale answers (412) retried | refused | given up | failures (5xx, errors) | checks |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var (name, r, problems) in runs)
        {
            var writes = r.AddedServices.Count + r.Scales.Count;
            var seconds = r.Elapsed.TotalSeconds;
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {name} | {r.Operations / seconds:N0} | {r.Requests / seconds:N0} | {writes:N0} ({r.AddedServices.Count:N0} services, {r.Scales.Count:N0} scales) | {writes / seconds:N1} | {r.StaleAnswers:N0} | {r.Refused:N0} | {r.GaveUp:N0} | {r.Failures.Count:N0} | {(problems.Count == 0 ? "no address held twice, every acknowledged write stored" : string.Join("; ", problems.Take(5)))} |");
        }

        foreach (var failure in runs.SelectMany(r => r.Result.Failures).Take(10))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- {failure}");
        }

        return text.ToString();
    }

    private static int Option(string[] args, string name, int fallback) =>
        Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
