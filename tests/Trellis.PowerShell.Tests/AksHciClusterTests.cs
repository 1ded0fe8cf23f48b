using System.Management.Automation;
using Trellis.Engine;
using Trellis.TestSupport;

namespace Trellis.PowerShell.Tests;

/// <summary>Get/Set/Remove/Update-AksHciCluster against a stored site.</summary>
public sealed class AksHciClusterTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private ModuleHost Host => new(_temp.Path);

    private static Dictionary<string, object> State(string path) => new() { ["s"] = path };

    [Fact]
    public async Task GetAksHciCluster_WritesTheModulesFields_AndWhatTrellisPlanned_AsTheEngineShowsIt()
    {
        var state = await ModuleTests.Applied(_temp.Path, "contoso-multicluster.yaml");
        await using var session = EngineSession.OpenSqlite(state, write: false);
        var expected = SiteViews.Clusters(await session.Engine.ReadAsync());

        var clusters = Host.Run("Get-AksHciCluster -StatePath $s", State(state)).Succeeded().Objects<AksHciCluster>();

        Assert.Equal(expected.Select(c => (c.Name, c.ApiServerVip, (string?)c.Network, c.ControlPlaneNodeCount, c.KubernetesVersion)),
            clusters.Select(c => (c.Name, c.ApiServerVip, c.Vnet, c.ControlPlaneNodeCount, c.KubernetesVersion)));
        var payments = clusters.Single(c => c.Name == "payments");
        Assert.Equal(["linuxpool", "winpool"], payments.NodePools);
        Assert.Equal((6, 4, "provisioned", false), (payments.LinuxNodeCount, payments.WindowsNodeCount, payments.ProvisioningState, payments.AutoScalerEnabled));
        Assert.Equal(("calico", "HAProxy", 2, "10.244.0.0/16", "10.96.0.0/12"), (payments.PrimaryNetworkPlugin, payments.LoadBalancerSku, payments.LoadBalancerCount, payments.PodCidr, payments.ServiceCidr));
    }

    [Fact]
    public async Task GetAksHciCluster_ByName_AndAnUnknownName()
    {
        var state = await ModuleTests.Applied(_temp.Path, "contoso-multicluster.yaml");

        Assert.Equal(["payments"], Host.Run("Get-AksHciCluster payments -StatePath $s", State(state)).Succeeded().Objects<AksHciCluster>().Select(c => c.Name));
        var unknown = Host.Run("Get-AksHciCluster -name nosuch -StatePath $s", State(state));
        Assert.Equal("UnknownCluster", unknown.ErrorCode);
        Assert.Equal(ErrorCategory.ObjectNotFound, unknown.Errors[0].CategoryInfo.Category);
        Assert.Equal("-Name", unknown.Errors[0].TargetObject);
        Assert.Empty(unknown.Output);
    }

    [Fact]
    public void GetAksHciCluster_WithoutASite_IsNoSite()
    {
        Assert.Equal("NoSite", Host.Run("Get-AksHciCluster").ErrorCode);
        Assert.False(File.Exists(Path.Combine(_temp.Path, ".trellis", "state.db")), "reading creates no state");
    }

    [Fact]
    public async Task RemoveAksHciCluster_ReleasesEveryAddressOfTheCluster_AndTakesClustersFromThePipeline()
    {
        var state = await ModuleTests.Applied(_temp.Path, "worked-example.yaml");

        Host.Run("Get-AksHciCluster -name b -StatePath $s | Remove-AksHciCluster -StatePath $s", State(state)).Succeeded();

        Assert.Equal(["a"], Host.Run("Get-AksHciCluster -StatePath $s", State(state)).Succeeded().Objects<AksHciCluster>().Select(c => c.Name));
        Assert.DoesNotContain(await AksHciNodePoolTests.Allocations(state), a => a.Contains("cluster/b/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RemoveAksHciCluster_WithWhatIf_LeavesTheStateFileAsItWas()
    {
        var state = await ModuleTests.Applied(_temp.Path, "worked-example.yaml");
        var bytes = await File.ReadAllBytesAsync(state);

        var run = Host.Run("Remove-AksHciCluster -name b -StatePath $s -WhatIf", State(state)).Succeeded();

        Assert.Empty(run.Output);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(state));
    }

    [Fact]
    public async Task UpdateAksHciCluster_RollsTheClusterToTheVersion_AndWithoutAVersionSaysWhy()
    {
        var state = await ModuleTests.Applied(_temp.Path, "worked-example.yaml");

        var missing = Host.Run("Update-AksHciCluster -name b -StatePath $s", State(state));
        var updated = Host.Run("Update-AksHciCluster -name b -kubernetesVersion v1.30.4 -StatePath $s", State(state)).Succeeded().Objects<AksHciCluster>().Single();

        Assert.Equal("KubernetesVersionRequired", missing.ErrorCode);
        Assert.False(string.IsNullOrEmpty(missing.Errors[0].ErrorDetails.RecommendedAction));
        Assert.Equal(("b", "v1.30.4", "provisioned"), (updated.Name, updated.KubernetesVersion, updated.ProvisioningState));
    }

    [Fact]
    public async Task TabCompletion_OffersTheStoredClusterNodePoolAndNetworkNames()
    {
        await ModuleTests.Applied(Directory.CreateDirectory(Path.Combine(_temp.Path, ".trellis")).FullName, "contoso-multicluster.yaml");

        string[] Complete(string line) => [.. Host.Run("(TabExpansion2 -inputScript $l -cursorColumn $l.Length).CompletionMatches | ForEach-Object CompletionText", new Dictionary<string, object> { ["l"] = line })
            .Succeeded().Output.Select(o => o.ToString())];

        Assert.Equal(["analytics", "legacy", "payments"], Complete("Get-AksHciCluster -name ").Order(StringComparer.Ordinal));
        Assert.Equal(["payments"], Complete("Remove-AksHciCluster -name pa"));
        Assert.Equal(["linuxpool", "winpool"], Complete("Get-AksHciNodePool -clusterName payments -name "));
        Assert.Empty(Complete("Get-AksHciNodePool -StatePath nothing-here.db -clusterName "));
    }
}
