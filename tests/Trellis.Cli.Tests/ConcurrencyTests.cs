using Trellis.Cli.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Trellis.Cli.Tests;

/// <summary>
/// Several <c>trellis</c> processes changing one site in one state file at the same time: each exits 0 or 3 and never
/// crashes. Concurrent commands and applies are specified at the Engine (PlanCommitTests).
/// </summary>
public sealed class ConcurrencyTests(ITestOutputHelper log)
{
    /// <summary>The worked example with pools wide enough for every concurrent addition.</summary>
    private static string RoomySpec()
    {
        var text = Specs.Read(Specs.WorkedExample);
        text = Specs.Edit(text, "k8sNodeIpPoolEnd: 172.16.0.46", "k8sNodeIpPoolEnd: 172.16.0.99");
        return Specs.Edit(text, "vipPoolEnd: 172.16.0.154", "vipPoolEnd: 172.16.0.199");
    }

    [Fact]
    public async Task Concurrent_changes_all_land_and_no_address_is_held_twice()
    {
        using var ws = new Workspace();
        var spec = ws.WriteText("roomy.yaml", RoomySpec());
        var apply = await ws.Run("apply", "-f", spec);
        Assert.True(apply.ExitCode == 0, apply.ToString());

        // Each change, and an owner that exists afterwards exactly when the change landed.
        (string[] Args, string Pool, string Owner)[] changes =
        [
            (["add", "service", "--cluster", "a", "--name", "svc0", "--port", "80"], "net/mgmtvnet/vips", "service/a/default/svc0"),
            (["add", "service", "--cluster", "b", "--name", "svc1", "--port", "80"], "net/mgmtvnet/vips", "service/b/default/svc1"),
            (["add", "service", "--cluster", "a", "--name", "svc2", "--port", "8080"], "net/mgmtvnet/vips", "service/a/default/svc2"),
            (["add", "service", "--cluster", "b", "--name", "svc3", "--port", "443"], "net/mgmtvnet/vips", "service/b/default/svc3"),
            (["add", "nodepool", "--cluster", "b", "--name", "extra", "--count", "2"], "net/mgmtvnet/nodes", "cluster/b/node/extra-2"),
            (["scale", "--cluster", "a", "--nodepool", "linuxpool", "--count", "7"], "net/mgmtvnet/nodes", "cluster/a/node/linuxpool-7"),
        ];
        var results = await RunTogether(ws, changes.Select(c => c.Args).ToList());

        var after = await ws.Allocations();
        Alloc.AssertUnique(after);
        for (var i = 0; i < changes.Length; i++)
        {
            var r = results[i];
            log.WriteLine($"exit {r.ExitCode} after {r.Elapsed.TotalMilliseconds:F0} ms: {string.Join(' ', changes[i].Args)}");
            EndToEndTests.AssertNoCrash(r);
            Assert.True(r.ExitCode is 0 or 3, r.ToString());
            var present = after.Any(a => a.Pool == changes[i].Pool && a.Owner == changes[i].Owner);
            Assert.True(present == (r.ExitCode == 0), $"{changes[i].Owner} present: {present}, but {r}");
        }

        // And the services are exactly the ones whose addition succeeded, each with its VIP.
        var services = Json.Parse(await ws.Run("get", "services", "-o", "json")).EnumerateArray()
            .Where(s => s.GetProperty("name").GetString()!.StartsWith("svc", StringComparison.Ordinal)).ToList();
        Assert.Equal(results.Take(4).Count(r => r.ExitCode == 0), services.Count);
        Assert.All(services, s => Assert.True(s.TryGetProperty("vip", out var vip) && vip.GetString() is { Length: > 0 }, s.ToString()));
    }

    private static async Task<IReadOnlyList<CliResult>> RunTogether(Workspace ws, IReadOnlyList<string[]> commands)
    {
        var running = new List<RunningCli>();
        try
        {
            foreach (var args in commands)
            {
                running.Add(ws.StartOn(ws.State, args));
            }

            return await Task.WhenAll(running.Select(r => r.WaitAsync(CliProcess.DefaultTimeout)));
        }
        finally
        {
            foreach (var r in running)
            {
                await r.DisposeAsync();
            }
        }
    }
}
