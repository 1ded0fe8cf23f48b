using Trellis.Engine;
using Trellis.TestSupport;
using Trellis.TestSupport.Etcd;

namespace Trellis.PowerShell.Tests;

/// <summary>-Store: the cmdlets on a site on a real etcd cluster, as the CLI's --store.</summary>
[Collection(ProcessEnvironment.Name)]
public sealed class StoreParameterTests(EtcdClusterFixture etcd) : IClassFixture<EtcdClusterFixture>, IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private ModuleHost Host => new(_temp.Path);

    private string NewSite() => etcd.NewSiteAddress("ps");

    [Fact]
    public async Task GetTrellisIpAllocation_OnEtcd_ListsWhatTheEngineStoredThere()
    {
        var store = NewSite();
        var location = StoreLocation.Parse(store, "test", _ => null);
        var read = SiteSpecs.ReadFile(Path.Combine(ExampleState.ExamplesDirectory, "worked-example.yaml"));
        await using (var session = EngineSession.Open(location, write: true))
        {
            Assert.True((await session.Engine.ApplyAsync(read.Document!)).Applied);
        }

        await using var reader = EngineSession.Open(location, write: false);
        var expected = await reader.Engine.ReadAllocationsAsync("a");

        var run = Host.Run("Get-TrellisIpAllocation -Store $s -ClusterName a", new Dictionary<string, object> { ["s"] = store }).Succeeded();

        Assert.Equal(expected.Allocations.Select(a => (a.Pool, a.Address, a.Owner)), run.Objects<TrellisIpAllocation>().Select(a => (a.Pool, a.Address, a.Owner)));
    }

    [Fact]
    public void TrellisStore_IsUsedWhenNoParameterSaysWhere()
    {
        var run = Host.Run("$env:TRELLIS_STORE = 'etcd://127.0.0.1:2379'; try { Get-TrellisIpAllocation } finally { $env:TRELLIS_STORE = $null }");

        Assert.Equal("InvalidStore", run.ErrorCode);
        Assert.Contains("names no site", run.Errors[0].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void StoreAndStatePath_Together_AreRefused()
    {
        var run = Host.Run("Get-TrellisIpAllocation -Store a.db -StatePath b.db");

        Assert.Equal("InvalidStore", run.ErrorCode);
        Assert.Contains("give one of them", run.Errors[0].ToString(), StringComparison.Ordinal);
    }
}
