using Trellis.Core.Model;
using Trellis.Engine.Contracts;

namespace Trellis.Engine.Tests;

/// <summary>
/// The AksHci configuration commands (Set-AksHciConfig, New-AksHciClusterNetwork, New-AksHciCluster, …): each changes the
/// stored spec as the equivalent spec file would, and refuses with findings that name the field in the spec's words.
/// </summary>
public sealed class ConfigCommandTests
{
    private static readonly NetworkSetting Host = new("mgmtvnet", "External", "Static", "172.16.0.0/24", "172.16.0.1", ["172.16.0.2"], null,
        "172.16.0.20", "172.16.0.99", "172.16.0.150", "172.16.0.199");

    private static readonly NetworkSetting Prod = new("prodvnet", "External", "Static", "172.17.0.0/24", "172.17.0.1", ["172.16.0.2"], 17,
        "172.17.0.10", "172.17.0.99", "172.17.0.100", "172.17.0.199");

    private static async Task<EngineFixture> WithHostAsync()
    {
        var f = new EngineFixture();
        await Applied(f, new SetHostConfig(Host, "172.16.0.10/24"));
        return f;
    }

    private static async Task<CommandResult> Applied(EngineFixture f, SiteCommand command)
    {
        var result = await f.Engine.ExecuteAsync(command);
        Assert.True(result.Applied, string.Join("\n", result.Findings));
        return result;
    }

    /// <summary>Refused: nothing written, and the one error with that code at that path.</summary>
    private static async Task Refused(EngineFixture f, SiteCommand command, string code, string path)
    {
        var before = (await f.Engine.ReadAsync()).Revision;
        var result = await f.Engine.ExecuteAsync(command);
        Assert.False(result.Applied);
        Assert.Contains(result.Findings, x => x.Code == code && x.Path == path && x.Severity == Severity.Error);
        Assert.Equal(before, (await f.Engine.ReadAsync()).Revision);
    }

    private static HashSet<(string Pool, string Address, string Owner)> Allocations(SiteState state) =>
        [.. state.Allocations.Select(a => (a.Pool.ToString(), a.Address, a.Owner.ToString()))];

    [Theory]
    [InlineData("worked-example.yaml")]
    [InlineData("dhcp-site.yaml")]
    [InlineData("contoso-multicluster.yaml")]
    public async Task TheCommandsOfASite_RunOnAnEmptyState_GiveItsSpecAndItsAllocations(string example)
    {
        await using var applied = new EngineFixture();
        await using var built = new EngineFixture();
        Assert.True((await applied.Engine.ApplyAsync(EngineFixture.Example(example))).Applied);
        var site = await applied.Engine.ReadAsync();

        foreach (var command in DeploymentPlan.For(site.Spec!))
        {
            await Applied(built, command);
        }

        var rebuilt = await built.Engine.ReadAsync();
        Assert.Empty(Allocations(site).Except(Allocations(rebuilt)));
        Assert.Empty(Allocations(rebuilt).Except(Allocations(site)));
        // The commands give every value, maxPodCount too, as the deployment script does.
        Assert.Equal(EngineJson(SpecExportTests.WithMaxPodCountGiven(site.Spec!)), EngineJson(rebuilt.Spec!));
    }

    private static string EngineJson(SiteSpec spec) => System.Text.Json.JsonSerializer.Serialize(spec, EngineJsonContext.Default.SiteSpec);

    [Fact]
    public async Task SetHostConfig_OnAnEmptyState_CreatesAnAksHciSiteNamedAfterTheVnet_OrTheSiteName()
    {
        await using var f = await WithHostAsync();
        await using var named = new EngineFixture();
        await Applied(named, new SetHostConfig(Host, "172.16.0.10/24", "jane", new Dictionary<string, string> { ["ManagementClusterVip"] = "false" }));

        var config = SiteViews.HostConfig(await f.Engine.ReadAsync())!;
        Assert.Equal(("mgmtvnet", "AksHci", "172.16.0.10/24"), (config.SiteName, config.Model, config.CloudServiceCidr));
        Assert.Equal(Host, config.Vnet);
        Assert.Equal("true", config.Settings["managementClusterVip"]);
        var namedConfig = SiteViews.HostConfig(await named.Engine.ReadAsync())!;
        Assert.Equal("jane", namedConfig.SiteName);
        Assert.Equal("false", namedConfig.Settings["managementClusterVip"]);
        Assert.Null(SiteViews.HostConfig(SiteState.Empty));
    }

    [Fact]
    public async Task SetHostConfig_OnAStoredSite_ChangesWhatTheImmutabilityRulesAllow_AndKeepsItsName()
    {
        await using var f = await WithHostAsync();

        var again = await Applied(f, new SetHostConfig(Host with { DnsServers = ["172.16.0.2"] }, "172.16.0.10/24", "mgmtvnet"));
        Assert.Empty(again.Changes);

        await Refused(f, new SetHostConfig(Host, "172.16.0.10/24", "other"), "SiteMismatch", "metadata.name");
        await Refused(f, new SetHostConfig(Host with { DnsServers = ["172.16.0.2", "172.16.0.3"] }, "172.16.0.10/24"), "ImmutableField", "spec.hostNetwork.dnsServers");
        await Refused(f, new SetHostConfig(Host, "172.16.0.11/24"), "ImmutableField", "spec.cloudServiceCidr");
    }

    [Theory]
    [InlineData("vlan", "ValueOutOfRange", "spec.hostNetwork.vlanID")]
    [InlineData("method", "InvalidValue", "spec.hostNetwork.ipAllocationMethod")]
    [InlineData("gateway", "GatewayOutsidePrefix", "spec.hostNetwork.gateway")]
    [InlineData("name", "InvalidName", "spec.hostNetwork.name")]
    public async Task SetHostConfig_WithABadValue_IsRefused_NamingTheField(string bad, string code, string path)
    {
        await using var f = new EngineFixture();
        var vnet = bad switch
        {
            "vlan" => Host with { VlanId = 5000 },
            "method" => Host with { IpAllocationMethod = "Manual" },
            "gateway" => Host with { Gateway = "10.0.0.1" },
            _ => Host with { Name = "Mgmt-VNet" },
        };

        await Refused(f, new SetHostConfig(vnet, "172.16.0.10/24"), code, path);
    }

    [Theory]
    [InlineData("calicoBlockSize", "40", "ValueOutOfRange", "spec.settings.calicoBlockSize")]
    [InlineData("managementClusterVip", "maybe", "WrongType", "spec.settings.managementClusterVip")]
    [InlineData("calicoBlocksize2", "26", "UnknownField", "spec.settings.calicoBlocksize2")]
    public async Task Settings_WithABadValueOrName_AreRefused_NamingTheSetting(string name, string value, string code, string path)
    {
        await using var f = await WithHostAsync();
        var settings = new Dictionary<string, string> { [name] = value };

        await Refused(f, new SetPlanningSettings(settings), code, path);
        await Refused(f, new SetHostConfig(Host, "172.16.0.10/24", Settings: settings), code, path);
    }

    [Fact]
    public async Task SetPlanningSettings_ChangesTheSettingsGiven_AndKeepsTheOthers()
    {
        await using var f = await WithHostAsync();
        await using var empty = new EngineFixture();
        await Refused(empty, new SetPlanningSettings(new Dictionary<string, string> { ["underlayMtu"] = "9000" }), "NoSite", "site");

        await Applied(f, new SetPlanningSettings(new Dictionary<string, string> { ["workloadUpdateReserve"] = "3" }));
        await Applied(f, new SetPlanningSettings(new Dictionary<string, string> { ["UnderlayMtu"] = "9000" }));

        var settings = SiteViews.HostConfig(await f.Engine.ReadAsync())!.Settings;
        Assert.Equal(("3", "9000", "26"), (settings["workloadUpdateReserve"], settings["underlayMtu"], settings["calicoBlockSize"]));
    }

    [Fact]
    public async Task AddClusterNetwork_StoresIt_AndRefusesANameTaken_OrNoSite()
    {
        await using var f = await WithHostAsync();
        await using var empty = new EngineFixture();

        await Refused(empty, new AddClusterNetwork(Prod), "NoSite", "site");
        await Applied(f, new AddClusterNetwork(Prod));
        Assert.Equal([Prod], SiteViews.ClusterNetworks(await f.Engine.ReadAsync()));
        await Refused(f, new AddClusterNetwork(Prod with { VlanId = 18 }), "DuplicateName", "name");
        await Refused(f, new AddClusterNetwork(Prod with { Name = "mgmtvnet" }), "DuplicateName", "name");
    }

    [Fact]
    public async Task AddClusterNetwork_WithABadValue_IsRefused_AtItsPlaceInTheSpec()
    {
        await using var f = await WithHostAsync();

        await Refused(f, new AddClusterNetwork(Prod with { Name = "testvnet", VlanId = -1 }), "ValueOutOfRange", "spec.clusterNetworks[0].vlanID");
        await Refused(f, new AddClusterNetwork(Prod with { Name = "testvnet", DnsServers = [] }), "DnsServerCount", "spec.clusterNetworks[0].dnsServers");
    }

    [Fact]
    public async Task RemoveClusterNetwork_IsRefusedWhileAClusterUsesIt_AndForAnUnknownOrTheHostNetwork()
    {
        await using var f = await WithHostAsync();
        await Applied(f, new AddClusterNetwork(Prod));
        await Applied(f, new AddCluster(new ClusterSetting("payments") { Vnet = "prodvnet", NodePools = [new NodePoolSetting("linuxpool")] }));

        await Refused(f, new RemoveClusterNetwork("prodvnet"), "NetworkInUse", "name");
        await Refused(f, new RemoveClusterNetwork("nosuch"), "UnknownNetwork", "name");
        await Refused(f, new RemoveClusterNetwork("mgmtvnet"), "UnknownNetwork", "name");

        await Applied(f, new DeleteCluster("payments"));
        await Applied(f, new RemoveClusterNetwork("prodvnet"));
        Assert.Empty(SiteViews.ClusterNetworks(await f.Engine.ReadAsync()));
    }

    [Fact]
    public async Task AddCluster_StoresItsLoadBalancerSetting_Once_AndRefusesASettingOfThatNameWithOtherValues()
    {
        await using var f = await WithHostAsync();
        var haproxy2 = new LoadBalancerSetting("haproxy2", "HAProxy", "Standard_A4_V2", 2);

        await Applied(f, new AddCluster(new ClusterSetting("a") { LoadBalancer = haproxy2 }));
        await Applied(f, new AddCluster(new ClusterSetting("b") { LoadBalancer = haproxy2 }));
        Assert.Equal([haproxy2], SiteViews.LoadBalancerSettings(await f.Engine.ReadAsync()));
        Assert.Equal(2, (await f.Engine.ReadAsync()).Allocations.Count(a => a.Owner is Core.Ipam.LoadBalancerVm vm && vm.ClusterName == "b"));

        await Refused(f, new AddCluster(new ClusterSetting("c") { LoadBalancer = haproxy2 with { LoadBalancerCount = 3 } }), "LoadBalancerSettingConflict", "spec.clusters[2].loadBalancerSettings");
        await Refused(f, new AddCluster(new ClusterSetting("c") { LoadBalancer = haproxy2, LoadBalancerVmSize = "Standard_K8S3_v1" }),
            "LoadBalancerSettingConflict", "spec.clusters[2].loadBalancerVmSize");
    }

    [Fact]
    public async Task AddCluster_WithOnlyALoadBalancerVmSize_GetsAnHAProxySettingOfThatSize()
    {
        await using var f = await WithHostAsync();

        await Applied(f, new AddCluster(new ClusterSetting("a") { LoadBalancerVmSize = "Standard_K8S3_v1" }));
        await Applied(f, new AddCluster(new ClusterSetting("b") { LoadBalancerVmSize = SiteSpecDefaults.LoadBalancerVmSize }));

        var state = await f.Engine.ReadAsync();
        Assert.Equal([new LoadBalancerSetting("a-lb", "HAProxy", "Standard_K8S3_v1", 1)], SiteViews.LoadBalancerSettings(state));
        Assert.Equal(["a-lb", null], state.Spec!.Clusters.Select(c => c.LoadBalancerSettings));
    }

    [Fact]
    public async Task AddCluster_IsRefusedForADuplicate_AnUnknownNetworkOrSetting_AndBadValues_NamingTheField()
    {
        await using var f = await WithHostAsync();
        await Applied(f, new AddCluster(new ClusterSetting("a")));
        await using var empty = new EngineFixture();

        await Refused(empty, new AddCluster(new ClusterSetting("a")), "NoSite", "site");
        await Refused(f, new AddCluster(new ClusterSetting("a")), "DuplicateName", "name");
        await Refused(f, new AddCluster(new ClusterSetting("b") { Vnet = "nosuch" }), "UnknownNetwork", "spec.clusters[1].vnet");
        await Refused(f, new AddCluster(new ClusterSetting("b") { PrimaryNetworkPlugin = "weave" }), "InvalidValue", "spec.clusters[1].primaryNetworkPlugin");
        await Refused(f, new AddCluster(new ClusterSetting("b") { NodePools = [new NodePoolSetting("win", "Solaris")] }), "InvalidValue", "spec.clusters[1].nodePools[0].osType");
        await Refused(f, new AddCluster(new ClusterSetting("b") { NodePools = [new NodePoolSetting("linux", Count: -1)] }), "ValueOutOfRange", "spec.clusters[1].nodePools[0].count");
        await Refused(f, new AddCluster(new ClusterSetting("b") { ControlPlaneNodeCount = 2 }), "InvalidControlPlaneCount", "spec.clusters[1].controlPlaneNodeCount");
        await Refused(f, new AddCluster(new ClusterSetting("b") { LoadBalancer = new LoadBalancerSetting("lb", "F5") }), "InvalidValue", "spec.loadBalancerSettings[0].loadBalancerSku");
        await Refused(f, new AddCluster(new ClusterSetting("b") { PodCidr = "10.244.0.0/33" }), "InvalidPrefix", "spec.clusters[1].podCidr");
    }

    [Fact]
    public async Task AddCluster_NodePoolsWithoutMaxPodCount_GetWhatANodeOfTheirClusterHolds()
    {
        await using var f = await WithHostAsync();

        await Applied(f, new AddCluster(new ClusterSetting("calico") { NodePools = [new("linux"), new("win", "Windows", "Windows2022")] }));
        await Applied(f, new AddCluster(new ClusterSetting("flannel") { PrimaryNetworkPlugin = "flannel", PodCidr = "10.245.0.0/16", NodePools = [new("linux"), new("win", "Windows", MaxPodCount: 80)] }));

        var pools = SiteViews.NodePools(await f.Engine.ReadAsync()).Select(p => (p.Cluster, p.Name, p.MaxPodCount, p.OsSku));
        Assert.Equal([("calico", "linux", 110, null), ("calico", "win", 60, "Windows2022"), ("flannel", "linux", 110, null), ("flannel", "win", 80, null)], pools);
    }

    [Fact]
    public async Task SetCluster_AndSetNodePool_ChangeWhatIsGiven_AndRefuseWhatIsNotStored()
    {
        await using var f = await WithHostAsync();
        await Applied(f, new AddCluster(new ClusterSetting("a") { NodePools = [new("linux", Count: 2)] }));

        await Applied(f, new SetCluster("a", ControlPlaneNodeCount: 3));
        await Applied(f, new SetNodePool("a", "linux", VmSize: "Standard_D4s_v3"));
        await Applied(f, new SetNodePool("a", "linux", Count: 4));

        var state = await f.Engine.ReadAsync();
        Assert.Equal((3, SiteSpecDefaults.ControlPlaneVmSize), (state.Spec!.Clusters[0].ControlPlaneNodeCount, state.Spec.Clusters[0].ControlPlaneVmSize));
        Assert.Equal((4, "Standard_D4s_v3"), (state.Spec.Clusters[0].NodePools[0].Count, state.Spec.Clusters[0].NodePools[0].VmSize));
        // 3 control plane VMs, 4 workers, 1 HAProxy VM and the 5 addresses a workload cluster keeps for its upgrades.
        Assert.Equal(3 + 4 + 1 + 5, state.Allocations.Count(a => a.Owner.Cluster == "a" && a.Pool.ToString() == "net/mgmtvnet/nodes"));

        await Refused(f, new SetCluster("nosuch", 3), "UnknownCluster", "cluster");
        await Refused(f, new SetNodePool("a", "nosuch", 3), "UnknownNodePool", "nodePool");
        await Refused(f, new SetCluster("a", 4), "InvalidControlPlaneCount", "spec.clusters[0].controlPlaneNodeCount");
        await Refused(f, new SetNodePool("a", "linux", VmSize: "Standard D4"), "InvalidName", "spec.clusters[0].nodePools[0].vmSize");
    }

    [Fact]
    public async Task AddNodePool_StoresItsVmSizeAndOsSku()
    {
        await using var f = await WithHostAsync();
        await Applied(f, new AddCluster(new ClusterSetting("a") { NodePools = [new("linux")] }));

        await Applied(f, new AddNodePool("a", "win", "Windows", 2, VmSize: "Standard_D4s_v3", OsSku: "Windows2019"));

        var pool = SiteViews.NodePools(await f.Engine.ReadAsync()).Single(p => p.Name == "win");
        Assert.Equal(("Standard_D4s_v3", "Windows2019", 60), (pool.VmSize, pool.OsSku, pool.MaxPodCount));
    }

    [Fact]
    public async Task AddLoadBalancerPool_AndAddBgpPeer_AddMetalLbObjects_AndRefuseDuplicatesAndBadValues()
    {
        await using var f = new EngineFixture();
        var arc = EngineFixture.Example("aksarc-site.yaml");
        Assert.True((await f.Engine.ApplyAsync(arc with { Clusters = [.. arc.Clusters.Select(c => c with { LoadBalancers = [], BgpPeers = [], Services = [] })] })).Applied);

        await Applied(f, new AddBgpPeer("b", "tor1", 64512, 64513, "10.220.32.1"));
        await Applied(f, new AddLoadBalancerPool("b", "lb-b", ["10.220.40.0/28"], "BGP"));
        await Applied(f, new AddLoadBalancerPool("a", "lb-a", ["10.220.32.47-10.220.32.49"]));

        var state = await f.Engine.ReadAsync();
        Assert.Equal("BGP", state.Spec!.Clusters[1].LoadBalancers.Single().AdvertiseMode);
        Assert.Equal(["10.220.32.47-10.220.32.49"], state.Spec.Clusters[0].LoadBalancers.Single().Addresses);
        await Refused(f, new AddLoadBalancerPool("a", "LB-A", ["10.220.32.50"]), "DuplicateName", "name");
        await Refused(f, new AddBgpPeer("b", "tor1", 64512, 64514, "10.220.32.2"), "DuplicateName", "name");
        await Refused(f, new AddLoadBalancerPool("nosuch", "lb-c", ["10.220.32.50"]), "UnknownCluster", "cluster");
        await Refused(f, new AddLoadBalancerPool("a", "lb-c", ["10.220.32.50"], "Anycast"), "InvalidValue", "spec.clusters[0].loadBalancers[1].advertiseMode");
        await Refused(f, new AddBgpPeer("b", "tor2", 5_000_000_000, 64513, "10.220.32.2"), "ValueOutOfRange", "spec.clusters[1].bgpPeers[1].myAsn");
        await Refused(f, new AddBgpPeer("b", "tor2", 64512, 64513, "10.220.32.2", 70000), "ValueOutOfRange", "spec.clusters[1].bgpPeers[1].peerPort");
    }
}
