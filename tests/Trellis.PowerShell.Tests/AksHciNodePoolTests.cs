using Trellis.Engine;
using Trellis.TestSupport;

namespace Trellis.PowerShell.Tests;

/// <summary>New/Get/Set/Remove-AksHciNodePool against a stored site.</summary>
public sealed class AksHciNodePoolTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private ModuleHost Host => new(_temp.Path);

    private static Dictionary<string, object> State(string path) => new() { ["s"] = path };

    [Fact]
    public async Task GetAksHciNodePool_WritesTheModulesFields_ForEachPoolOfTheCluster()
    {
        var state = await ModuleTests.Applied(_temp.Path, "contoso-multicluster.yaml");

        var pools = Host.Run("Get-AksHciNodePool -clusterName payments -StatePath $s", State(state)).Succeeded().Objects<AksHciNodePool>();

        Assert.Equal(["linuxpool", "winpool"], pools.Select(p => p.NodePoolName));
        var win = pools[1];
        Assert.Equal(("payments", "Windows", "Windows2022", 4, "Standard_K8S3_v1", 60, "v1.29.4", "Deployed"),
            (win.ClusterName, win.OsType, win.OsSku, win.NodeCount, win.VmSize, win.MaxPodCount, win.Version, win.Phase));
    }

    [Fact]
    public async Task GetAksHciNodePool_OfAnUnknownPoolOrCluster_IsTheEnginesUnknownError()
    {
        var state = await ModuleTests.Applied(_temp.Path, "contoso-multicluster.yaml");

        var pool = Host.Run("Get-AksHciNodePool -clusterName payments -name nosuch -StatePath $s", State(state));
        var cluster = Host.Run("Get-AksHciNodePool -clusterName nosuch -StatePath $s", State(state));
        var removed = Host.Run("Remove-AksHciNodePool -clusterName payments -name nosuch -StatePath $s", State(state));

        Assert.Equal(("UnknownNodePool", "-Name"), (pool.ErrorCode, pool.Errors[0].TargetObject));
        Assert.Equal(("UnknownCluster", "-ClusterName"), (cluster.ErrorCode, cluster.Errors[0].TargetObject));
        Assert.Equal(("UnknownNodePool", "-Name"), (removed.ErrorCode, removed.Errors[0].TargetObject));
    }

    [Fact]
    public async Task RemoveAksHciNodePool_ReleasesItsNodesAddresses()
    {
        var state = await ModuleTests.Applied(_temp.Path, "contoso-multicluster.yaml");
        var before = await Allocations(state);

        Host.Run("Remove-AksHciNodePool -clusterName payments -name winpool -StatePath $s", State(state)).Succeeded();

        var after = await Allocations(state);
        Assert.Contains(before, a => a.Contains("winpool", StringComparison.Ordinal));
        Assert.DoesNotContain(after, a => a.Contains("winpool", StringComparison.Ordinal));
        var pools = Host.Run("Get-AksHciNodePool -clusterName payments -StatePath $s", State(state)).Succeeded().Objects<AksHciNodePool>();
        Assert.Equal(["linuxpool"], pools.Select(p => p.NodePoolName));
    }

    [Fact]
    public async Task RemoveAksHciNodePool_WithWhatIf_ChangesNothing()
    {
        var state = await ModuleTests.Applied(_temp.Path, "contoso-multicluster.yaml");
        var before = await Allocations(state);
        var bytes = await File.ReadAllBytesAsync(state);

        Host.Run("Remove-AksHciNodePool -clusterName payments -name winpool -StatePath $s -WhatIf", State(state)).Succeeded();

        Assert.Equal(before, await Allocations(state));
        Assert.Equal(bytes, await File.ReadAllBytesAsync(state));
    }

    internal static async Task<IReadOnlyList<string>> Allocations(string state)
    {
        await using var session = EngineSession.OpenSqlite(state, write: false);
        return [.. (await session.Engine.ReadAllocationsAsync()).Allocations.Select(a => $"{a.Pool} {a.Address} {a.Owner}")];
    }
}
