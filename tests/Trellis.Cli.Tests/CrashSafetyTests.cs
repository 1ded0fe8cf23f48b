using System.Diagnostics;
using Trellis.Cli.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Trellis.Cli.Tests;

/// <summary>
/// A <c>trellis apply</c> killed at any moment leaves the state exactly as before or exactly as after. The killed
/// process is the native binary that <c>./trellis</c> runs when it is built and current (test.sh builds it first), else
/// the managed CLI: the same code, and the native one starts and plans several times faster (a complete apply here: about 2 s against 8 s), so each run is short.
/// Kills are steered towards the commit: the moment between the latest kill that left "before" and the earliest that
/// left "after".
/// </summary>
public sealed class CrashSafetyTests(ITestOutputHelper log)
{
    private const int Iterations = 10;
    private const int Seed = 20_250_601;

    [Fact]
    public async Task Killing_apply_at_random_moments_leaves_the_state_before_or_after_never_in_between()
    {
        using var ws = new Workspace();
        var program = NativeCli.Path;
        log.WriteLine(program is null ? $"the managed CLI is killed ({NativeCli.Problem})" : $"the native CLI is killed: {program}");
        Task<CliResult> Run(string state, params string[] args) => CliProcess.RunAsync(ws.Root, ["--state", state, .. args], program: program);
        var small = ws.WriteText("small.yaml", Specs.BigSite(clusters: 2, nodesPerCluster: 3, servicesPerCluster: 2));
        var big = ws.WriteText("big.yaml", Specs.BigSite(clusters: 20, nodesPerCluster: 100, servicesPerCluster: 20));

        // The state every killed run starts from, and its allocations.
        var baseState = ws.PathOf("base.db");
        var applySmall = await CliInProcess.RunAsync(["--state", baseState, "apply", "-f", small]);
        Assert.True(applySmall.ExitCode == 0, applySmall.ToString());
        var before = Alloc.Canonical(await ws.Allocations(baseState));

        // A clean, complete run gives "after", and how long a run takes here.
        var cleanState = ws.CopyState(baseState, "clean.db");
        var clock = Stopwatch.StartNew();
        var clean = await Run(cleanState, "apply", "-f", big);
        var fullRun = clock.Elapsed;
        Assert.True(clean.ExitCode == 0, clean.ToString());
        var after = Alloc.Canonical(await ws.Allocations(cleanState));
        Assert.True(after.Count > before.Count + 1000, $"the big apply should add thousands of allocations: {before.Count} → {after.Count}");
        log.WriteLine($"before {before.Count} allocations, after {after.Count}; a complete apply took {fullRun.TotalMilliseconds:F0} ms");

        var random = new Random(Seed);
        int killedRunning = 0, endedBefore = 0, endedAfter = 0;
        string? lastKilledState = null;

        // The latest kill that left "before" and the earliest that left "after": the commit lies in between, so
        // later kills aim there. Timing only steers where the kills land; the assertion is always before-or-after.
        var latestBefore = TimeSpan.Zero;
        TimeSpan? earliestAfter = null;
        for (var i = 0; i < Iterations; i++)
        {
            // The first kill comes at once (the process is surely still starting); then anywhere in a full run,
            // and once both outcomes were seen, between them.
            var delay = i == 0 ? TimeSpan.Zero
                : earliestAfter is { } hi && i % 3 != 1 ? latestBefore + (hi - latestBefore) * random.NextDouble()
                : fullRun * random.NextDouble() * 1.1;
            var state = ws.CopyState(baseState, $"kill-{i}.db");
            bool killed;
            CliResult run;
            await using (var apply = RunningCli.Start(ws.Root, ["--state", state, "apply", "-f", big], program))
            {
                await Task.Delay(delay);
                killed = apply.Kill();
                run = await apply.WaitAsync(CliProcess.DefaultTimeout);
            }

            if (!killed)
            {
                Assert.True(run.ExitCode == 0, $"iteration {i}: the apply ended by itself but failed: {run}");
            }

            var now = Alloc.Canonical(await ws.Allocations(state));
            var isBefore = now.SequenceEqual(before);
            var isAfter = now.SequenceEqual(after);
            log.WriteLine($"iteration {i}: delay {delay.TotalMilliseconds:F0} ms, {(killed ? "killed while running" : "had already finished")}, state {(isBefore ? "before" : isAfter ? "after" : $"IN BETWEEN ({now.Count} allocations)")}");
            Assert.True(isBefore || isAfter,
                $"iteration {i} (delay {delay.TotalMilliseconds:F0} ms, killed: {killed}): {now.Count} allocations, neither the {before.Count} before nor the {after.Count} after."
                + $"\nmissing from after: {string.Join("; ", after.Except(now).Take(5))}\nnot in after: {string.Join("; ", now.Except(after).Take(5))}");
            Assert.True(killed || isAfter, $"iteration {i}: the apply finished but the state is not the complete one.");
            if (killed && isBefore && delay > latestBefore)
            {
                latestBefore = delay;
            }

            if (isAfter && (earliestAfter is null || delay < earliestAfter))
            {
                earliestAfter = delay;
            }

            killedRunning += killed ? 1 : 0;
            endedBefore += isBefore ? 1 : 0;
            endedAfter += isAfter ? 1 : 0;
            if (killed)
            {
                lastKilledState = state;
            }
        }

        log.WriteLine($"{killedRunning} of {Iterations} runs killed while running; {endedBefore} left the state before, {endedAfter} after.");
        Assert.True(killedRunning >= 1, "no run was killed while it ran");

        // A killed run's state is intact: applying again completes it, to exactly the clean result.
        var resumed = await Run(lastKilledState!, "apply", "-f", big);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal(after, Alloc.Canonical(await ws.Allocations(lastKilledState)));
    }
}
