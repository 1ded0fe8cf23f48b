using System.Text.Json;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Core.Validation;
using Trellis.Storage;

namespace Trellis.Engine.Tests;

/// <summary>Overlay facts cannot change under running pods: adding a Windows pool never moves a deployed cluster's VXLAN.</summary>
public class OverlayLifecycleTests
{
    private static SiteSpec LinuxOnlyLegacy(SiteSpec s) => s with
    {
        Clusters = s.Clusters.Select(c => c.Name == "legacy" ? c with { NodePools = c.NodePools.Where(p => p.OsType == OsType.Linux).ToList() } : c).ToList(),
    };

    private static async Task<(int Vni, int Port)> StoredVxlan(EngineFixture f)
    {
        var site = SiteValidator.Validate((await f.Engine.ReadAsync()).Spec!).Site!;
        return OverlayFacts.Vxlan(site.Clusters.Single(c => c.Name == "legacy"));
    }

    /// <summary>The JSON form the engine stores a spec in.</summary>
    private static readonly JsonSerializerOptions StoredForm = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    private static readonly AddNodePool WindowsPool = new("legacy", "iis", "Windows", Count: 2);

    [Fact]
    public async Task AddingAWindowsPool_ToADeployedLinuxOnlyFlannelCluster_KeepsItsVxlan()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(LinuxOnlyLegacy(EngineFixture.Example("contoso-multicluster.yaml")));
        var before = await StoredVxlan(f);

        var result = await f.Engine.ExecuteAsync(WindowsPool);

        Assert.True(result.Applied, string.Join("\n", result.Findings));
        Assert.Equal(before, await StoredVxlan(f));
        Assert.Equal((4096, 4789), before);
    }

    [Fact]
    public async Task AddingAWindowsPool_ToAFlannelClusterDeployedWithLinuxVxlan_IsRefusedWithTheFix()
    {
        await using var f = new EngineFixture();
        var spec = LinuxOnlyLegacy(EngineFixture.Example("contoso-multicluster.yaml"));
        await f.Engine.ApplyAsync(spec with { Clusters = spec.Clusters.Select(c => c.Name == "legacy" ? c with { VxlanVni = 1, VxlanPort = 8472 } : c).ToList() });
        var revision = (await f.Engine.ReadAsync()).Revision;

        var result = await f.Engine.ExecuteAsync(WindowsPool);
        var reapplied = await f.Engine.ApplyAsync(EngineFixture.Example("contoso-multicluster.yaml"));

        Assert.False(result.Applied);
        Assert.Contains(result.Findings, x => x.Code == "VxlanNotForWindows" && x.Hint.Contains("4096", StringComparison.Ordinal));
        Assert.False(reapplied.Applied);
        Assert.Contains(reapplied.Findings, x => x.Code == "VxlanNotForWindows");
        Assert.Equal(revision, (await f.Engine.ReadAsync()).Revision);
        Assert.Equal((1, 8472), await StoredVxlan(f));
    }

    [Fact]
    public async Task AStateStoredBeforeVxlanWasFixed_KeepsVni1OnItsLinuxOnlyFlannelCluster_AndRefusesAWindowsPool()
    {
        await using var f = new EngineFixture();
        var spec = LinuxOnlyLegacy(EngineFixture.Example("contoso-multicluster.yaml"));
        await f.Engine.ApplyAsync(spec);
        // What an earlier Trellis stored: the spec without VXLAN fields; it rendered VNI 1 on UDP 8472 for this cluster.
        var json = JsonSerializer.SerializeToUtf8Bytes(spec, StoredForm);
        Assert.True((await f.Store.CommitAsync(new StoreTransaction([], [new TxnOperation.Put("site/spec", json)]))).Succeeded);

        var same = await f.Engine.ApplyAsync(spec);
        var windows = await f.Engine.ExecuteAsync(WindowsPool);

        Assert.Equal((1, 8472), await StoredVxlan(f));
        Assert.True(same.Applied, string.Join("\n", same.Findings));
        Assert.Empty(same.Changes);
        Assert.Contains(windows.Findings, x => x.Code == "VxlanNotForWindows");
    }

    [Fact]
    public async Task Reapplying_ASiteWithAFlannelCluster_ChangesNothing()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Example("contoso-multicluster.yaml"));
        var before = await f.Engine.ReadAsync();

        var again = await f.Engine.ApplyAsync(EngineFixture.Example("contoso-multicluster.yaml"));

        Assert.True(again.Applied, string.Join("\n", again.Findings));
        Assert.Equal(before.Revision, (await f.Engine.ReadAsync()).Revision);
    }
}
