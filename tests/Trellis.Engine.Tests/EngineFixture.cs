using Trellis.Core.Model;
using Trellis.Storage;
using Trellis.Storage.Sqlite;

namespace Trellis.Engine.Tests;

/// <summary>A fixed clock, so that lease expiries in assertions are exact.</summary>
internal sealed class FixedTime : TimeProvider
{
    public DateTimeOffset Now { get; set; } = new(2026, 11, 27, 8, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>A temporary SQLite state file and the example specs.</summary>
internal sealed class EngineFixture : IAsyncDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"trellis-engine-tests-{Guid.NewGuid():N}");

    public EngineFixture()
    {
        StatePath = Path.Combine(_dir, "state.db");
        Store = SqliteStateStore.Open(StatePath);
        Engine = new TrellisEngine(Store, Time);
    }

    public string StatePath { get; }
    public SqliteStateStore Store { get; }
    public FixedTime Time { get; } = new();
    public TrellisEngine Engine { get; }

    public static SiteSpec Example(string file)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "examples")))
        {
            dir = dir.Parent;
        }

        var read = SiteSpecReader.Read(File.ReadAllText(Path.Combine(dir!.FullName, "examples", file)));
        Assert.True(read.Spec is not null, string.Join("\n", read.Findings));
        return read.Spec!;
    }

    /// <summary>The worked example with room to grow: a wider node IP pool and VIP pool.</summary>
    public static SiteSpec Roomy() => Example("worked-example.yaml") is var s
        ? s with { HostNetwork = s.HostNetwork! with { K8sNodeIpPoolEnd = "172.16.0.120", VipPoolEnd = "172.16.0.190" } }
        : throw new InvalidOperationException();

    /// <summary>No address of a pool is held twice, and no owner holds two addresses of one pool.</summary>
    public static void AssertNoAddressTwice(IReadOnlyList<Core.Ipam.Allocation> allocations)
    {
        Assert.DoesNotContain(allocations.GroupBy(a => (a.Pool, a.Address)), g => g.Count() > 1);
        Assert.DoesNotContain(allocations.GroupBy(a => (a.Pool, a.Owner)), g => g.Count() > 1);
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
