using System.Text.Json;
using Trellis.Cli.Tests.Infrastructure;
using Trellis.TestSupport;
using Trellis.TestSupport.Etcd;

namespace Trellis.Cli.Tests;

/// <summary>--store and TRELLIS_STORE: the same commands on a state file and on a site on a real etcd cluster; trellis migrate between them.</summary>
public sealed class StoreOptionTests(EtcdClusterFixture etcd) : IClassFixture<EtcdClusterFixture>, IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _temp.Dispose();
    }

    private static Task<CliResult> Run(params string[] args) => CliInProcess.RunAsync(args);

    private static Task<CliResult> RunWith(string store, params string[] args) =>
        CliInProcess.RunAsync(args, CliInProcess.Host with { Environment = name => name == "TRELLIS_STORE" ? store : null });

    private static IReadOnlyList<string> Allocations(CliResult r)
    {
        Assert.True(r.ExitCode == 0, r.ToString());
        return [.. JsonDocument.Parse(r.Stdout).RootElement.EnumerateArray().Select(a => $"{a.GetProperty("pool").GetString()} {a.GetProperty("address").GetString()} {a.GetProperty("owner").GetString()}")];
    }

    [Fact]
    public async Task TheSameCommandsOnEtcd_GiveWhatTheyGiveOnAStateFile()
    {
        var (site, file) = (etcd.NewSiteAddress(), Path.Combine(_temp.Path, "state.db"));
        foreach (var store in new[] { site, file })
        {
            var applied = await Run("--store", store, "apply", "-f", Specs.WorkedExample);
            Assert.True(applied.ExitCode == 0, applied.ToString());
            var scaled = await RunWith(store, "scale", "--cluster", "a", "--nodepool", "linuxpool", "--count", "2");
            Assert.True(scaled.ExitCode == 0, scaled.ToString());
        }

        var onEtcd = Allocations(await RunWith(site, "get", "allocations", "-o", "json"));
        Assert.Equal(Allocations(await Run("--state", file, "get", "allocations", "-o", "json")), onEtcd);
        // Scaled down from 5 to 2 node VMs: the third one's addresses were released.
        Assert.Contains(onEtcd, a => a.Contains(" node/a/linuxpool-2/", StringComparison.Ordinal));
        Assert.DoesNotContain(onEtcd, a => a.Contains(" node/a/linuxpool-3/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Migrate_ToEtcdAndBack_ChecksEachCopyAndKeepsTheAllocations()
    {
        var (file, site, back) = (Path.Combine(_temp.Path, "a.db"), etcd.NewSiteAddress(), Path.Combine(_temp.Path, "b.db"));
        Assert.Equal(0, (await Run("--state", file, "apply", "-f", Specs.WorkedExample)).ExitCode);

        var there = await Run("migrate", "--from", file, "--to", site);
        var again = await Run("migrate", "--from", site, "--to", "sqlite:" + back, "-o", "json");

        Assert.True(there.ExitCode == 0, there.ToString());
        Assert.Contains("byte for byte", there.Stdout, StringComparison.Ordinal);
        Assert.True(again.ExitCode == 0, again.ToString());
        var result = JsonDocument.Parse(again.Stdout).RootElement;
        Assert.True(result.GetProperty("items").GetInt32() > 50);
        Assert.Equal(Allocations(await Run("--state", file, "get", "allocations", "-o", "json")), Allocations(await Run("--state", back, "get", "allocations", "-o", "json")));
    }

    [Fact]
    public async Task Migrate_IntoASiteThatHoldsSomething_IsRefusedAndChangesNothing()
    {
        var (file, site) = (Path.Combine(_temp.Path, "a.db"), etcd.NewSiteAddress());
        Assert.Equal(0, (await Run("--state", file, "apply", "-f", Specs.WorkedExample)).ExitCode);
        Assert.Equal(0, (await Run("--store", site, "apply", "-f", Specs.WorkedExample)).ExitCode);
        Assert.Equal(0, (await Run("--store", site, "scale", "--cluster", "a", "--nodepool", "linuxpool", "--count", "2")).ExitCode);
        var before = Allocations(await Run("--store", site, "get", "allocations", "-o", "json"));

        var r = await Run("migrate", "--from", file, "--to", site);

        Assert.Equal(ExitCodes.Findings, r.ExitCode);
        Assert.Contains("MigrateTargetNotEmpty", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("--to", r.Stdout, StringComparison.Ordinal);
        Assert.Equal(before, Allocations(await Run("--store", site, "get", "allocations", "-o", "json")));
    }

    [Fact]
    public async Task NoSite_NamesWhatSaidWhereTheStateIs()
    {
        var site = etcd.NewSiteAddress();
        var file = Path.Combine(_temp.Path, "empty.db");

        var byOption = await Run("--store", site, "get", "clusters", "-o", "json");
        var byVariable = await RunWith(site, "get", "clusters", "-o", "json");
        var byState = await Run("--state", file, "get", "clusters", "-o", "json");

        Assert.Equal([("NoSite", "--store"), ("NoSite", "TRELLIS_STORE"), ("NoSite", "--state")],
            new[] { byOption, byVariable, byState }.Select(r => FirstFinding(r.Stdout)));
    }

    private static (string Code, string Path) FirstFinding(string json)
    {
        var finding = JsonDocument.Parse(json).RootElement.GetProperty("findings")[0];
        return (finding.GetProperty("code").GetString()!, finding.GetProperty("path").GetString()!);
    }

    [Fact]
    public async Task Migrate_OfASiteThatHoldsNothing_IsRefusedAndLeavesNoStateFileBehind()
    {
        var (site, target) = (etcd.NewSiteAddress(), Path.Combine(_temp.Path, "copy.db"));

        var r = await Run("migrate", "--from", site, "--to", target);

        Assert.Equal(ExitCodes.Findings, r.ExitCode);
        Assert.Contains("MigrateSourceEmpty", r.Stdout, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_temp.Path, "copy.db*"));
    }

    [Fact]
    public async Task Migrate_IntoAnExistingEmptyStateFile_WhenRefused_LeavesTheFileTheOperatorMade()
    {
        var (site, target) = (etcd.NewSiteAddress(), Path.Combine(_temp.Path, "mine.db"));
        await File.WriteAllBytesAsync(target, []);

        var r = await Run("migrate", "--from", site, "--to", target);

        Assert.Equal(ExitCodes.Findings, r.ExitCode);
        Assert.True(File.Exists(target));
    }

    [Theory]
    [InlineData(new[] { "--store", "etcd://127.0.0.1:2379", "get", "pools" }, "names no site")]
    [InlineData(new[] { "--store", "a.db", "--state", "b.db", "get", "pools" }, "give one of them")]
    [InlineData(new[] { "--store", "etcd://u:p@127.0.0.1:2379/lab", "get", "pools" }, "TRELLIS_ETCD_PASSWORD")]
    [InlineData(new[] { "--store", "redis://127.0.0.1/lab", "get", "pools" }, "is not a store Trellis knows")]
    [InlineData(new[] { "migrate", "--from", "a.db", "--to", "sqlite:a.db" }, "name the same store")]
    [InlineData(new[] { "migrate", "--from", "a.db", "--to", "etcd://127.0.0.1:2379" }, "--to: the etcd store")]
    public async Task AStoreThatCannotBeUsed_IsAUsageError(string[] args, string expected)
    {
        var r = await Run(args);

        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains(expected, r.Stderr, StringComparison.Ordinal);
    }
}
