using System.Management.Automation;
using Trellis.Engine;
using Trellis.TestSupport;

namespace Trellis.PowerShell.Tests.Trellis;

/// <summary>
/// The deployment script's extension cmdlets: New-TrellisLoadBalancerPool and New-TrellisBgpPeer leave the state as the Engine's
/// AddLoadBalancerPool and AddBgpPeer leave it; New-TrellisDhcpScope is the Engine's DhcpScopeSetting that -DhcpScope takes.
/// </summary>
public sealed class TrellisExtensionCmdletTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private ModuleHost Host => new(_temp.Path);

    /// <summary>The spec and allocations of a state, as text: what two states must share to be the same site.</summary>
    private static async Task<string> Site(string state)
    {
        await using var session = EngineSession.OpenSqlite(state, write: false);
        var read = await session.Engine.ReadAsync();
        return SpecExport.Yaml(read).Yaml + string.Join("\n", (await session.Engine.ReadAllocationsAsync()).Allocations.Select(a => $"{a.Key} {a.Owner}"));
    }

    /// <summary>The example applied to two states: the Engine runs <paramref name="command"/> on one, the script on the other.</summary>
    private async Task<(string Engine, string Module)> Both(SiteCommand command, string script)
    {
        var engine = await ModuleTests.Applied(_temp.Path, "aksarc-site.yaml", "engine.db");
        var module = await ModuleTests.Applied(_temp.Path, "aksarc-site.yaml", "module.db");
        await using (var session = EngineSession.OpenSqlite(engine, write: true))
        {
            var result = await session.Engine.ExecuteAsync(command);
            Assert.True(result.Applied, string.Join("\n", result.Findings));
        }

        Host.Run(script, new Dictionary<string, object> { ["s"] = module }).Succeeded();
        return (engine, module);
    }

    [Fact]
    public async Task NewTrellisLoadBalancerPool_LeavesTheStateAsTheEnginesAddLoadBalancerPool()
    {
        var (engine, module) = await Both(new AddLoadBalancerPool("a", "lb-x", ["10.220.32.50-10.220.32.52"]),
            "New-TrellisLoadBalancerPool -StatePath $s -ClusterName a -Name lb-x -Address 10.220.32.50-10.220.32.52");

        Assert.Equal(await Site(engine), await Site(module));
        Assert.Contains("lb-x", await Site(module), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NewTrellisLoadBalancerPool_WritesThePoolAsStored_AndWhatIfWritesNothing()
    {
        var state = await ModuleTests.Applied(_temp.Path, "aksarc-site.yaml");
        var before = await Site(state);

        Host.Run("New-TrellisLoadBalancerPool -StatePath $s a lb-x -Address 10.220.32.50-10.220.32.52 -WhatIf", new Dictionary<string, object> { ["s"] = state }).Succeeded();
        Assert.Equal(before, await Site(state));
        var run = Host.Run("New-TrellisLoadBalancerPool -StatePath $s b lb-x -Address 10.220.41.0/28 -AdvertiseMode BGP", new Dictionary<string, object> { ["s"] = state }).Succeeded();

        var pool = Assert.Single(run.Objects<LoadBalancerPoolRow>());
        Assert.Equal(("b", "lb-x", "BGP"), (pool.Cluster, pool.Name, pool.AdvertiseMode));
        Assert.Equal(["10.220.41.0/28"], pool.Addresses);
    }

    [Fact]
    public async Task NewTrellisLoadBalancerPool_OfABadRangeOrAnUnknownCluster_IsTheEnginesFinding()
    {
        var state = await ModuleTests.Applied(_temp.Path, "aksarc-site.yaml");
        var vars = new Dictionary<string, object> { ["s"] = state };

        var bad = Host.Run("New-TrellisLoadBalancerPool -StatePath $s a lb-x -Address 10.220.32.300-10.220.32.2", vars);
        var unknown = Host.Run("New-TrellisLoadBalancerPool -StatePath $s nope lb-x -Address 10.220.32.50-10.220.32.52", vars);
        var mode = Host.Run("New-TrellisLoadBalancerPool -StatePath $s a lb-x -Address 10.220.32.50 -AdvertiseMode OSPF", vars);

        Assert.Empty(bad.Output);
        Assert.NotEmpty(bad.Errors);
        Assert.All(bad.Errors, e => Assert.IsType<FindingException>(e.Exception));
        Assert.Equal("UnknownCluster", unknown.ErrorCode);
        Assert.Equal("-ClusterName", unknown.Errors[0].TargetObject);
        Assert.Equal("CannotConvertArgumentNoMessage", mode.ErrorCode);
    }

    [Fact]
    public async Task NewTrellisBgpPeer_LeavesTheStateAsTheEnginesAddBgpPeer_AndATwinIsDuplicateName()
    {
        var (engine, module) = await Both(new AddBgpPeer("b", "tor2", 64512, 64514, "10.220.32.3", 1179),
            "New-TrellisBgpPeer -StatePath $s -ClusterName b -Name tor2 -MyAsn 64512 -PeerAsn 64514 -PeerAddress 10.220.32.3 -PeerPort 1179");
        Assert.Equal(await Site(engine), await Site(module));
        Assert.Contains("tor2", await Site(module), StringComparison.Ordinal);
        var twin = Host.Run("New-TrellisBgpPeer -StatePath $s b tor1 -MyAsn 1 -PeerAsn 2 -PeerAddress 10.220.32.1", new Dictionary<string, object> { ["s"] = module });
        var listed = Host.Run("New-TrellisBgpPeer -StatePath $s b tor3 -MyAsn 64512 -PeerAsn 64515 -PeerAddress 10.220.32.4", new Dictionary<string, object> { ["s"] = module }).Succeeded();

        Assert.Equal("DuplicateName", twin.ErrorCode);
        Assert.Equal("-Name", twin.Errors[0].TargetObject);
        var peer = Assert.Single(listed.Objects<BgpPeerRow>());
        Assert.Equal(("b", "tor3", 64512L, 64515L, "10.220.32.4", (int?)null), (peer.Cluster, peer.Name, peer.MyAsn, peer.PeerAsn, peer.PeerAddress, peer.PeerPort));
    }

    [Fact]
    public void NewTrellisDhcpScope_IsTheEnginesDhcpScopeSetting_WithItsReservations()
    {
        var run = Host.Run("New-TrellisDhcpScope -Subnet 10.12.0.0/24 -Start 10.12.0.10 -End 10.12.0.199 -LeaseDuration 8.00:00:00 " +
            "-Reservation @{ name = 'printer'; ipAddress = '10.12.0.20'; MacAddress = '00-15-5D-01-02-03' }, @{ Name = 'badge'; IPADDRESS = '10.12.0.21' }").Succeeded();

        var scope = Assert.Single(run.Objects<DhcpScopeSetting>());
        Assert.Equal(new DhcpScopeSetting("10.12.0.0/24", "10.12.0.10", "10.12.0.199", "8.00:00:00",
            [new DhcpReservationSetting("printer", "10.12.0.20", "00-15-5D-01-02-03"), new DhcpReservationSetting("badge", "10.12.0.21", null)]), scope);
    }

    [Fact]
    public void NewTrellisDhcpScope_AReservationWithAnUnknownFieldOrNoName_IsAnErrorRecordNamingIt()
    {
        var run = Host.Run("New-TrellisDhcpScope 10.12.0.0/24 10.12.0.10 10.12.0.199 -Reservation @{ name = 'a'; mac = 'x' }, @{ ipAddress = '10.12.0.21' }");

        Assert.Empty(run.Output);
        Assert.Equal([("UnknownField", "-Reservation[0].mac"), ("RequiredFieldMissing", "-Reservation[1].name")],
            run.Errors.Select(e => (e.FullyQualifiedErrorId.Split(',')[0], (string)e.TargetObject)));
        Assert.All(run.Errors, e => Assert.Equal(FindingRecords.Category(e.FullyQualifiedErrorId.Split(',')[0]), e.CategoryInfo.Category));
    }

    [Fact]
    public void NewTrellisDhcpScope_IsTakenByNewAksHciNetworkSetting()
    {
        var run = Host.Run("$scope = New-TrellisDhcpScope 10.12.0.0/24 10.12.0.10 10.12.0.199 -Reservation @{ name = 'printer'; ipAddress = '10.12.0.20' }; " +
            "(New-AksHciNetworkSetting -name branchvnet -vswitchName External -vipPoolStart 10.12.0.200 -vipPoolEnd 10.12.0.239 -DhcpScope $scope).DhcpScope").Succeeded();

        Assert.Equal(new DhcpScopeSetting("10.12.0.0/24", "10.12.0.10", "10.12.0.199", null, [new DhcpReservationSetting("printer", "10.12.0.20", null)]),
            Assert.Single(run.Objects<DhcpScopeSetting>()));
    }

    [Fact]
    public async Task ClusterNames_AreCompletedFromTheStoredSite()
    {
        var state = await ModuleTests.Applied(_temp.Path, "aksarc-site.yaml");
        var script = "(TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText";

        string[] Complete(string line) =>
            [.. Host.Run(script, new Dictionary<string, object> { ["line"] = line.Replace("STATE", state, StringComparison.Ordinal) }).Succeeded().Output.Select(o => o.ToString())];

        Assert.Equal(["a", "b"], Complete("New-TrellisBgpPeer -StatePath STATE -ClusterName "));
        Assert.Equal(["b"], Complete("Get-TrellisTrace -StatePath STATE -ClusterName b"));
        Assert.Equal(["a", "b"], Complete("Export-TrellisConfig -StatePath STATE -ClusterName "));
    }
}
