using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Trellis.StoreLoad;
using Xunit.Abstractions;

namespace Trellis.Storage.Tests.Etcd;

/// <summary>
/// Several Trellis processes, each with several threads, take and release the addresses of one small pool in one keyspace
/// of the real cluster, at least 100,000 operations in all (conflicts included): afterwards their logs, ordered by revision,
/// show no address held twice, and the store holds exactly the acknowledged takes not released.
/// </summary>
[Collection(EtcdCollection.Name)]
public sealed class EtcdConcurrencyTests(EtcdFixture etcd, ITestOutputHelper output)
{
    private const int Processes = 3;
    private const int Threads = 8;
    private const int Operations = 100_000;
    private const int Addresses = 64;
    private const string Pool = "vip";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task ThreeProcessesOfEightThreads_TakeAndRelease_NoAddressHeldTwiceAndEveryAcknowledgedTakeKept()
    {
        var prefix = $"/trellis-tests/{Guid.NewGuid():N}/";
        var directory = Directory.CreateTempSubdirectory("trellis-load-").FullName;
        var processes = new List<LoadProcess>();
        try
        {
            var clock = Stopwatch.StartNew();
            for (var p = 0; p < Processes; p++)
            {
                processes.Add(LoadProcess.Start([
                    "--endpoints", etcd.Cluster.Endpoints, "--prefix", prefix, "--owner", $"p{p}", "--log", LogPath(directory, p),
                    "--threads", $"{Threads}", "--operations", $"{(Operations + Processes - 1) / Processes}", "--pool", Pool,
                    "--addresses", $"{Addresses}", "--seed", $"{p * 1000}"]));
            }

            var ends = await Task.WhenAll(processes.Select(p => p.WaitAsync(Timeout)));
            clock.Stop();
            var summaries = ends.Select((end, p) =>
            {
                Assert.True(end.ExitCode == 0, $"Load process p{p} exited with {end.ExitCode}: {end.Stderr}");
                return JsonSerializer.Deserialize<LoadSummary>(end.Stdout.Trim().Split('\n')[^1])!;
            }).ToList();
            var logs = Enumerable.Range(0, Processes).Select(p => File.ReadAllLines(LogPath(directory, p)).Select(LoadEvent.Parse).ToList()).ToList();

            await using var store = etcd.Open(prefix);
            var final = await store.ReadAsync($"alloc/{Pool}/");
            var verdict = LoadHistory.Check(logs.SelectMany(l => l), final.Items);

            var attempted = summaries.Sum(s => s.Attempted);
            var (takes, releases, conflicts, unknown) = (summaries.Sum(s => s.Takes), summaries.Sum(s => s.Releases), summaries.Sum(s => s.TakeConflicts), summaries.Sum(s => s.Unknown));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{Processes} processes × {Threads} threads, {Addresses} addresses: {attempted} operations in {clock.Elapsed.TotalSeconds:0.0} s ({attempted / clock.Elapsed.TotalSeconds:0} a second): "
                + $"{takes} takes and {releases} releases acknowledged, {conflicts} takes conflicted, {unknown} of unknown outcome "
                + $"({verdict.UnknownTakesApplied} takes and {verdict.UnknownReleasesApplied} releases of them applied); {verdict.Held} addresses held at the end."));
            foreach (var s in summaries)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {s.Owner}: {s.Attempted} operations in {s.Seconds:0.0} s"));
            }

            Assert.True(verdict.Violations.Count == 0, string.Join(Environment.NewLine, verdict.Violations.Take(20)));
            Assert.True(attempted >= Operations, $"Only {attempted} operations were attempted.");
            for (var p = 0; p < Processes; p++)
            {
                Assert.Equal(summaries[p].Takes, logs[p].Count(e => e.Kind == LoadEventKind.Take));
                Assert.Equal(summaries[p].Releases, logs[p].Count(e => e.Kind == LoadEventKind.Release));
            }

            // The pool is contended (takes conflict) and most operations succeed: the checks above judged a real history.
            Assert.True(conflicts > attempted / 50, $"Only {conflicts} of {attempted} takes conflicted: the pool was not contended.");
            Assert.True(takes + releases > attempted / 2, $"Only {takes + releases} of {attempted} operations were acknowledged.");
            Assert.True(unknown < attempted / 100, $"{unknown} of {attempted} operations ended without a known outcome on a healthy cluster.");
        }
        finally
        {
            foreach (var process in processes)
            {
                await process.DisposeAsync();
            }

            Directory.Delete(directory, recursive: true);
        }
    }

    private static string LogPath(string directory, int process) => Path.Combine(directory, $"p{process}.log");
}
