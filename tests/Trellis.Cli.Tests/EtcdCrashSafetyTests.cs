using System.Diagnostics;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Trellis.Cli.Tests.Infrastructure;
using Trellis.Engine;
using Trellis.TestSupport.Etcd;
using Xunit.Abstractions;

namespace Trellis.Cli.Tests;

/// <summary>
/// <c>trellis apply</c> of the 32 × 200-node site on etcd, SIGKILLed at moments spread over its run, again and again: the
/// state is exactly as before or exactly as after, a reader polling all the while never sees anything else, and the next
/// apply completes it (undoing a dead writer's chunks first). The killed process is the native CLI when it is built.
/// </summary>
public sealed class EtcdCrashSafetyTests(EtcdClusterFixture etcd, ITestOutputHelper log) : IClassFixture<EtcdClusterFixture>
{
    private const int Iterations = 5;

    private static async Task<IReadOnlyList<string>> ReadAsync(StoreLocation location)
    {
        await using var session = EngineSession.Open(location, write: false);
        return [.. (await session.Engine.ReadAllocationsAsync()).Allocations.Select(a => $"{a.Pool} {a.Address} {a.Owner}").Order(StringComparer.Ordinal)];
    }

    /// <summary>Whether a large commit's mark is there: the writer died while it wrote its chunks.</summary>
    private async Task<bool> DiedMidCommitAsync(EtcdLocation location)
    {
        using var client = new EtcdClient(location.Endpoints);
        var pending = await client.GetAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(location.SitePrefix(location.Site!) + "pending"), CountOnly = true });
        return pending.Count > 0;
    }

    [Fact]
    public async Task KillingTheApplyOfTheLargeSite_LeavesBeforeOrAfter_NoReaderSeesPartOfIt_AndTheNextApplyCompletesIt()
    {
        using var ws = new Workspace();
        var program = NativeCli.Path;
        log.WriteLine(program is null ? $"the managed CLI is killed ({NativeCli.Problem})" : $"the native CLI is killed: {program}");
        var small = ws.WriteText("small.yaml", Specs.BigSite(clusters: 2, nodesPerCluster: 3, servicesPerCluster: 2));
        var large = ws.WriteText("large.yaml", Specs.BigSite(clusters: 32, nodesPerCluster: 200, servicesPerCluster: 2));

        async Task<EtcdLocation> NewBaseAsync()
        {
            var location = (EtcdLocation)StoreLocation.Parse(etcd.NewSiteAddress(), "test", _ => null);
            var applied = await CliInProcess.RunAsync(["--store", location.ToString(), "apply", "-f", small]);
            Assert.True(applied.ExitCode == 0, applied.ToString());
            return location;
        }

        var clean = await NewBaseAsync();
        var before = await ReadAsync(clean);
        var clock = Stopwatch.StartNew();
        var complete = await CliProcess.RunAsync(ws.Root, ["--store", clean.ToString(), "apply", "-f", large], program: program);
        var fullRun = clock.Elapsed;
        Assert.True(complete.ExitCode == 0, complete.ToString());
        var after = await ReadAsync(clean);
        Assert.True(after.Count > before.Count + 6400, $"the large apply adds every node's addresses: {before.Count} → {after.Count}");
        log.WriteLine($"before {before.Count} allocations, after {after.Count}; a complete apply took {fullRun.TotalMilliseconds:F0} ms");

        var (latestBefore, earliestAfter) = (TimeSpan.Zero, fullRun);
        int killed = 0, midCommit = 0, reads = 0;
        EtcdLocation? lastKilled = null;
        for (var i = 0; i < Iterations; i++)
        {
            // Kills move towards the commit: between the latest kill that left "before" and the earliest that left "after".
            var delay = latestBefore + ((earliestAfter - latestBefore) * (i == 0 ? 0.5 : 0.35 + (0.1 * i)));
            var site = await NewBaseAsync();
            using var stopReading = new CancellationTokenSource();
            var reader = Task.Run(async () =>
            {
                while (!stopReading.IsCancellationRequested)
                {
                    var seen = await ReadAsync(site);
                    Assert.True(seen.SequenceEqual(before) || seen.SequenceEqual(after), $"a reader saw {seen.Count} allocations, neither the {before.Count} before nor the {after.Count} after");
                    Interlocked.Increment(ref reads);
                }
            });
            bool wasRunning;
            await using (var apply = RunningCli.Start(ws.Root, ["--store", site.ToString(), "apply", "-f", large], program))
            {
                await Task.Delay(delay);
                wasRunning = apply.Kill();
                var run = await apply.WaitAsync(CliProcess.DefaultTimeout);
                Assert.True(wasRunning || run.ExitCode == 0, $"iteration {i}: the apply ended by itself but failed: {run}");
            }

            var died = wasRunning && await DiedMidCommitAsync(site);
            await stopReading.CancelAsync();
            await reader;
            var now = await ReadAsync(site);
            var (isBefore, isAfter) = (now.SequenceEqual(before), now.SequenceEqual(after));
            log.WriteLine($"iteration {i}: killed after {delay.TotalMilliseconds:F0} ms, {(wasRunning ? "while running" : "after it ended")}{(died ? ", in the middle of its commit" : "")}: {(isBefore ? "before" : isAfter ? "after" : $"IN BETWEEN ({now.Count})")}");
            Assert.True(isBefore || isAfter, $"iteration {i}: {now.Count} allocations, neither the {before.Count} before nor the {after.Count} after");
            (killed, midCommit) = (killed + (wasRunning ? 1 : 0), midCommit + (died ? 1 : 0));
            if (isBefore && wasRunning)
            {
                (latestBefore, lastKilled) = (delay > latestBefore ? delay : latestBefore, site);
            }
            else if (isAfter && delay < earliestAfter)
            {
                earliestAfter = delay;
            }
        }

        log.WriteLine($"{killed} of {Iterations} runs killed while running, {midCommit} of them in the middle of the commit; {reads} reads during the runs");
        Assert.True(killed >= 1 && lastKilled is not null, "no run was killed before its commit");
        Assert.True(reads >= Iterations, $"only {reads} reads ran beside the applies");

        // The site a killed run left: the next apply (after the dead writer's lock expires, and its chunks are undone) completes it.
        var resumed = await CliProcess.RunAsync(ws.Root, ["--store", lastKilled.ToString(), "apply", "-f", large], program: program);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal(after, await ReadAsync(lastKilled));
        Assert.False(await DiedMidCommitAsync(lastKilled));
    }
}
