using System.Text.Json;

namespace Trellis.Cli.Tests.Infrastructure;

/// <summary>
/// A temporary directory of one test, <c>Path.GetTempPath()/trellis-cli-tests-&lt;guid&gt;/</c>, with its own state file;
/// the CLI runs with it as working directory. Deleted on dispose.
/// </summary>
internal sealed class Workspace : IDisposable
{
    public Workspace()
    {
        Root = Path.Combine(Path.GetTempPath(), $"trellis-cli-tests-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Root);
        State = Path.Combine(Root, "state.db");
    }

    public string Root { get; }

    /// <summary>The default state file of this workspace.</summary>
    public string State { get; }

    public string PathOf(string name) => Path.Combine(Root, name);

    public string WriteText(string name, string text)
    {
        var path = PathOf(name);
        File.WriteAllText(path, text);
        return path;
    }

    public string WriteBytes(string name, byte[] bytes)
    {
        var path = PathOf(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Runs <c>trellis --state STATE ARGS</c> with this workspace's state file.</summary>
    public Task<CliResult> Run(params string[] args) => RunOn(State, args);

    /// <summary>Runs <c>trellis --state <paramref name="state"/> ARGS</c>.</summary>
    public Task<CliResult> RunOn(string state, params string[] args) => CliProcess.RunAsync(Root, ["--state", state, .. args]);

    /// <summary>Runs <c>trellis --state STATE ARGS</c> in this process (see <see cref="CliInProcess"/>).</summary>
    public Task<CliResult> RunIn(params string[] args) => CliInProcess.RunAsync(["--state", State, .. args]);

    /// <summary>Runs <c>trellis --state STATE ARGS</c> in this process with <paramref name="host"/>.</summary>
    public Task<CliResult> RunIn(CliHost host, params string[] args) => CliInProcess.RunAsync(["--state", State, .. args], host);

    /// <summary>Starts <c>trellis --state <paramref name="state"/> ARGS</c> without waiting for it.</summary>
    public RunningCli StartOn(string state, params string[] args) => RunningCli.Start(Root, ["--state", state, .. args]);

    /// <summary>
    /// <c>get allocations -o json</c> of <paramref name="state"/> (default: this workspace's), which must succeed. It runs in
    /// this process: what a test reads back is the state file, not how a process prints it.
    /// </summary>
    public async Task<IReadOnlyList<Alloc>> Allocations(string? state = null)
    {
        var r = await CliInProcess.RunAsync(["--state", state ?? State, "get", "allocations", "-o", "json"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        return Alloc.ListFrom(r);
    }

    /// <summary>Copies a closed state file, with its WAL and shared-memory files when present.</summary>
    public string CopyState(string from, string toName)
    {
        var to = PathOf(toName);
        foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" })
        {
            if (File.Exists(from + suffix))
            {
                File.Copy(from + suffix, to + suffix, overwrite: true);
            }
        }

        return to;
    }

    public void Dispose()
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                if (Directory.Exists(Root))
                {
                    Directory.Delete(Root, recursive: true);
                }

                return;
            }
            catch (IOException)
            {
                Thread.Sleep(100);
            }
            catch (UnauthorizedAccessException)
            {
                Thread.Sleep(100);
            }
        }
    }
}

/// <summary>One stored allocation as <c>get allocations -o json</c> prints it.</summary>
internal sealed record Alloc(string Pool, string Address, string Owner, string? Detail, string? ExpiresAt)
{
    public static IReadOnlyList<Alloc> ListFrom(CliResult result)
    {
        var root = Json.Parse(result);
        Assert.True(root.ValueKind == JsonValueKind.Array, result.ToString());
        return root.EnumerateArray().Select(a => new Alloc(
            a.GetProperty("pool").GetString()!,
            a.GetProperty("address").GetString()!,
            a.GetProperty("owner").GetString()!,
            a.TryGetProperty("detail", out var d) ? d.GetString() : null,
            a.TryGetProperty("expiresAt", out var e) ? e.ToString() : null)).ToList();
    }

    /// <summary>An order-free, comparable form of a set of allocations.</summary>
    public static IReadOnlyList<string> Canonical(IEnumerable<Alloc> allocations) =>
        allocations.Select(a => a.ToString()).Order(StringComparer.Ordinal).ToList();

    /// <summary>No address of a pool is held twice, and no owner holds two addresses of one pool.</summary>
    public static void AssertUnique(IReadOnlyList<Alloc> allocations)
    {
        var twiceAddress = allocations.GroupBy(a => (a.Pool, a.Address)).Where(g => g.Count() > 1).Select(g => $"{g.Key.Pool} {g.Key.Address}: {string.Join(", ", g.Select(a => a.Owner))}").ToList();
        Assert.True(twiceAddress.Count == 0, "Addresses held twice:\n" + string.Join("\n", twiceAddress));
        var twiceOwner = allocations.GroupBy(a => (a.Pool, a.Owner)).Where(g => g.Count() > 1).Select(g => $"{g.Key.Pool} {g.Key.Owner}: {string.Join(", ", g.Select(a => a.Address))}").ToList();
        Assert.True(twiceOwner.Count == 0, "Owners holding two addresses of one pool:\n" + string.Join("\n", twiceOwner));
    }
}

internal static class Json
{
    /// <summary>The run's stdout as one JSON document.</summary>
    public static JsonElement Parse(CliResult result)
    {
        try
        {
            using var document = JsonDocument.Parse(result.Stdout);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new Xunit.Sdk.XunitException($"stdout is not JSON ({e.Message}):\n{result}");
        }
    }

    public static IReadOnlyList<string> Codes(JsonElement document) =>
        document.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("code").GetString()!).ToList();

    public static IReadOnlyList<(string Code, string Path)> CodesAndPaths(JsonElement document) =>
        document.GetProperty("findings").EnumerateArray().Select(f => (f.GetProperty("code").GetString()!, f.GetProperty("path").GetString()!)).ToList();
}
