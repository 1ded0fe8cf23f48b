using System.Diagnostics;
using Trellis.Engine;
using Trellis.Storage;
using Trellis.Storage.Sqlite;

namespace Trellis.Cli.Tests.Infrastructure;

/// <summary>
/// Runs the CLI in this process (<see cref="TrellisCli"/> on string writers): no process start, so tests of parsing,
/// formatting and exit codes stay fast. The host has no environment, and standard input is not a terminal unless given.
/// </summary>
internal static class CliInProcess
{
    public static CliHost Host { get; } = new() { Environment = _ => null, InputIsTerminal = () => false, ReadLine = () => null };

    /// <summary>The test host with every store it opens wrapped by <paramref name="wrap"/> (to inject failures or cancellations).</summary>
    public static CliHost Wrapping(Func<IStateStore, IStateStore> wrap) => Host with
    {
        Open = (location, write) => location is SqliteLocation { Path: var path }
            ? EngineSession.Over(wrap(write ? SqliteStateStore.Open(path) : SqliteStateStore.OpenReadOnly(path)), stateFile: path)
            : throw new InvalidOperationException($"Only SQLite state files are wrapped, not {location}."),
    };

    public static async Task<CliResult> RunAsync(IReadOnlyList<string> args, CliHost? host = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var clock = Stopwatch.StartNew();
        var run = Task.Run(() => new TrellisCli(stdout, stderr, host ?? Host).RunAsync([.. args], cancellationToken), CancellationToken.None);
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        if (await Task.WhenAny(run, Task.Delay(limit, CancellationToken.None)) != run)
        {
            throw new TimeoutException($"trellis {string.Join(' ', args)} did not end within {limit.TotalSeconds:F0} s (a hang).\n  stdout: {stdout}\n  stderr: {stderr}");
        }

        var code = await run;
        return new CliResult(args, code, stdout.ToString(), stderr.ToString(), clock.Elapsed);
    }
}
