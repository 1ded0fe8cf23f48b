using Trellis.Engine;
using Trellis.TestSupport;

namespace Trellis.PowerShell.Tests.Trellis;

/// <summary>New-, Get- and Remove-TrellisService: the Engine's AddService and DeleteService, -WhatIf writing nothing.</summary>
public sealed class TrellisServiceCmdletTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private ModuleHost Host => new(_temp.Path);

    private static Dictionary<string, object> Vars(string state) => new() { ["s"] = state };

    private static async Task<IReadOnlyList<ServiceRow>> Services(string state)
    {
        await using var session = EngineSession.OpenSqlite(state, write: false);
        return SiteViews.Services(await session.Engine.ReadAsync());
    }

    private static IEnumerable<string> Text(IEnumerable<ServiceRow> rows) =>
        rows.Select(s => $"{s.Cluster}/{s.Namespace}/{s.Name} {string.Join(",", s.Ports)} {s.Vip} {s.ClusterIp} {string.Join(",", s.NodePorts)}");

    [Fact]
    public async Task NewTrellisService_AddsItAsTheEngine_AndWritesItWithItsPlannedAddresses()
    {
        var state = await ModuleTests.Applied(_temp.Path, "contoso-multicluster.yaml");

        var run = Host.Run("New-TrellisService -StatePath $s -ClusterName payments -Namespace shop -Name cart -Port 8080, 8443 -SharedIpKey front", Vars(state)).Succeeded();

        var service = Assert.Single(run.Objects<TrellisService>());
        var stored = Assert.Single(await Services(state), s => s.Name == "cart");
        Assert.Equal((stored.Cluster, stored.Namespace, stored.Vip, stored.ClusterIp), (service.ClusterName, service.Namespace, service.Vip, service.ClusterIp));
        Assert.Equal([8080, 8443], service.Ports);
        Assert.Equal(stored.NodePorts, service.NodePorts);
        Assert.Equal((await Services(state)).Single(s => s.Name == "web").Vip, service.Vip);
    }

    [Fact]
    public async Task NewTrellisService_WhatIf_WritesNothing()
    {
        var state = await ModuleTests.Applied(_temp.Path, "contoso-multicluster.yaml");
        var before = await Services(state);

        var run = Host.Run("New-TrellisService -StatePath $s -ClusterName payments -Name cart -Port 80 -WhatIf", Vars(state)).Succeeded();

        Assert.Empty(run.Output);
        Assert.Equal(Text(before), Text(await Services(state)));
    }

    [Fact]
    public async Task NewTrellisService_InAnUnknownClusterOrTwice_IsTheEnginesFinding_NamingTheParameter()
    {
        var state = await ModuleTests.Applied(_temp.Path, "contoso-multicluster.yaml");

        var unknown = Host.Run("New-TrellisService -StatePath $s -ClusterName nope -Name cart -Port 80", Vars(state));
        var twice = Host.Run("New-TrellisService -StatePath $s -ClusterName payments -Namespace shop -Name web -Port 80", Vars(state));

        Assert.Equal("UnknownCluster", unknown.ErrorCode);
        Assert.Equal("-ClusterName", unknown.Errors[0].TargetObject);
        Assert.Equal("DuplicateName", twice.ErrorCode);
        Assert.Equal("-Name", twice.Errors[0].TargetObject);
        Assert.Equal(System.Management.Automation.ErrorCategory.ResourceExists, twice.Errors[0].CategoryInfo.Category);
    }

    [Fact]
    public void NewTrellisService_WithAPortThatIsNotANumber_IsPowerShellsParameterError()
    {
        var run = Host.Run("New-TrellisService -ClusterName a -Name web -Port https");

        Assert.Equal("CannotConvertArgumentNoMessage", run.ErrorCode);
    }

    [Fact]
    public async Task GetTrellisService_ListsTheEnginesServices_AndPipesIntoRemove()
    {
        var state = await ModuleTests.Applied(_temp.Path, "contoso-multicluster.yaml");
        var expected = await Services(state);

        var listed = Host.Run("Get-TrellisService -StatePath $s", Vars(state)).Succeeded().Objects<TrellisService>();
        Host.Run("Get-TrellisService payments -StatePath $s | Where-Object Namespace -eq shop | Remove-TrellisService -StatePath $s -Confirm:$false", Vars(state)).Succeeded();

        Assert.Equal(expected.Select(s => (s.Cluster, s.Namespace, s.Name, s.Vip)), listed.Select(s => (s.ClusterName, s.Namespace, s.Name, s.Vip)));
        var left = await Services(state);
        Assert.DoesNotContain(left, s => s.Cluster == "payments" && s.Namespace == "shop");
        Assert.Equal(expected.Count(s => s.Cluster != "payments" || s.Namespace != "shop"), left.Count);
    }

    [Fact]
    public async Task RemoveTrellisService_WhatIf_WritesNothing_AndAnUnknownServiceIsUnknownService()
    {
        var state = await ModuleTests.Applied(_temp.Path, "contoso-multicluster.yaml");
        var before = await Services(state);

        Host.Run("Remove-TrellisService -StatePath $s payments web -Namespace shop -WhatIf", Vars(state)).Succeeded();
        var unknown = Host.Run("Remove-TrellisService -StatePath $s payments nope -Confirm:$false", Vars(state));

        Assert.Equal(Text(before), Text(await Services(state)));
        Assert.Equal("UnknownService", unknown.ErrorCode);
        Assert.Equal(System.Management.Automation.ErrorCategory.ObjectNotFound, unknown.Errors[0].CategoryInfo.Category);
    }

    [Fact]
    public async Task GetTrellisService_OfAnUnknownCluster_IsUnknownCluster()
    {
        var state = await ModuleTests.Applied(_temp.Path, "contoso-multicluster.yaml");

        Assert.Equal("UnknownCluster", Host.Run("Get-TrellisService nope -StatePath $s", Vars(state)).ErrorCode);
    }
}
