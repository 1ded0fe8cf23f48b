using System.Net;

namespace Trellis.Lab.Tests;

/// <summary>The lab's plan is the stored plan: the node VMs' allocated addresses, their network's prefix, gateway and VLAN.</summary>
public sealed class LabPlanTests(StoredSite site) : IClassFixture<StoredSite>
{
    [Fact]
    public void From_WorkedExampleClusterB_ListsItsFourNodeVmsAtTheirAllocatedAddresses()
    {
        var answer = LabPlan.From(site.State, "b");

        Assert.Empty(answer.Findings);
        var plan = answer.Plan!;
        Assert.Equal("jane", plan.Site);
        Assert.Equal(["cluster/b/control-plane-1", "cluster/b/node/linuxpool-1", "cluster/b/node/linuxpool-2", "cluster/b/node/linuxpool-3"],
            plan.Nodes.Select(n => n.Owner).Order(StringComparer.Ordinal));
        Assert.Equal([1, 2, 3, 4], plan.Nodes.Select(n => n.Index));
        var allocated = Engine.SiteViews.Allocations(site.State, "b").Where(a => a.Pool == "net/mgmtvnet/nodes").ToDictionary(a => a.Owner, a => a.Address);
        Assert.All(plan.Nodes, n =>
        {
            Assert.Equal(allocated[n.Owner], n.Address);
            Assert.Equal(24, n.PrefixLength);
            Assert.Equal("172.16.0.1", n.Gateway);
            Assert.Null(n.Vlan);
            Assert.Equal("External", n.VSwitch);
            Assert.True(IPNetwork.Parse("172.16.0.0/24").Contains(IPAddress.Parse(n.Address)));
        });
        Assert.Equal(plan.Nodes.Count, plan.Nodes.Select(n => n.Address).Distinct().Count());
        Assert.Equal([new LabSegment("mgmtvnet", "External", null, "172.16.0.0/24", "172.16.0.1")], plan.Networks);
    }

    [Fact]
    public void From_WholeSite_ListsBothClustersNodeVms()
    {
        var plan = LabPlan.From(site.State, null).Plan!;

        Assert.Equal(8 + 4, plan.Nodes.Count);
        Assert.Equal(["a", "b"], plan.Nodes.Select(n => n.Cluster).Distinct());
    }

    [Fact]
    public async Task From_VlanNetwork_CarriesTheVlanOfEachNodesNetwork()
    {
        using var contoso = await StoredSite.ApplyAsync("contoso-multicluster.yaml");
        var plan = LabPlan.From(contoso.State, null);

        Assert.True(plan.Plan is not null, string.Join("\n", plan.Findings));
        Assert.All(plan.Plan!.Nodes, n => Assert.NotNull(n.Vlan));
        Assert.Contains(plan.Plan.Nodes, n => n.Vlan == 7);
        Assert.Contains(plan.Plan.Nodes, n => n.Vlan == 17);
    }

    [Fact]
    public async Task From_DhcpSite_PlansAKeaServerOnTheRenderedFileAndLeasingNodes()
    {
        using var dhcp = await StoredSite.ApplyAsync("dhcp-site.yaml");

        var answer = LabPlan.From(dhcp.State, null);

        Assert.Empty(answer.Findings);
        var plan = answer.Plan!;
        var server = Assert.Single(plan.DhcpServers);
        Assert.Equal(("branchvnet", 12, "10.12.0.10-10.12.0.250", "10.12.0.200-10.12.0.239"), (server.Network, server.Vlan, server.Scope, server.VipPool));
        // The highest address of 10.12.0.0/24 outside the scope: the broadcast address is not one, 10.12.0.251 to .254 are free.
        Assert.Equal("10.12.0.254", server.Address);
        var rendered = Engine.SiteViews.Render(dhcp.State, ["kea"], null, null).Files.Single(f => f.Path == LabDhcp.KeaPath("branchvnet"));
        Assert.Equal(rendered.Content, server.KeaConfig);
        Assert.True(Assert.Single(plan.Networks).Dhcp);
        Assert.Equal(6, plan.Nodes.Count);
        Assert.All(plan.Nodes, n => Assert.True(n.Dhcp));
        Assert.Equal(plan.Nodes.Count, plan.Pods.Count);
    }

    [Fact]
    public void DhcpServerAddress_SkipsTheScopeGatewayAndHeldAddresses_AndIsNullWhenNoneIsLeft()
    {
        var prefix = IPNetwork.Parse("10.0.0.0/29");

        Assert.Equal("10.0.0.6", LabDhcp.ServerAddress(prefix, LabDhcp.Range("10.0.0.2-10.0.0.4"), "10.0.0.1", new HashSet<string>()));
        Assert.Equal("10.0.0.5", LabDhcp.ServerAddress(prefix, LabDhcp.Range("10.0.0.2-10.0.0.4"), "10.0.0.1", new HashSet<string> { "10.0.0.6" }));
        Assert.Null(LabDhcp.ServerAddress(prefix, LabDhcp.Range("10.0.0.2-10.0.0.6"), "10.0.0.1", new HashSet<string>()));
    }

    [Fact]
    public async Task From_DhcpScopeFillingThePrefix_IsRefusedWithLabDhcpNoServerAddress()
    {
        using var dhcp = await StoredSite.ApplyChangedAsync("dhcp-site.yaml", text => text.Replace("start: 10.12.0.10", "start: 10.12.0.2", StringComparison.Ordinal)
            .Replace("end: 10.12.0.250", "end: 10.12.0.254", StringComparison.Ordinal));

        var answer = LabPlan.From(dhcp.State, null);

        Assert.Null(answer.Plan);
        Assert.Equal("LabDhcpNoServerAddress", Assert.Single(answer.Findings).Code);
    }

    [Fact]
    public void ParseLease_ReadsTheLastLeasesAddressMaskAndRouter()
    {
        const string Leases = "lease {\n  interface \"eth0\";\n  fixed-address 10.12.0.20;\n}\nlease {\n  interface \"eth0\";\n  fixed-address 10.12.0.21;\n  option subnet-mask 255.255.255.0;\n  option routers 10.12.0.1;\n}\n";

        Assert.Equal(("10.12.0.21", "255.255.255.0", "10.12.0.1"), LabDhcp.ParseLease(Leases));
        Assert.Null(LabDhcp.ParseLease(""));
    }

    [Fact]
    public void From_UnknownCluster_IsRefused() =>
        Assert.Equal("UnknownCluster", Assert.Single(LabPlan.From(site.State, "nope").Findings).Code);

    [Fact]
    public void From_NoSite_IsRefused() =>
        Assert.Equal("NoSite", Assert.Single(LabPlan.From(Engine.SiteState.Empty, null).Findings).Code);

    [Theory]
    [InlineData("jane", true)]
    [InlineData("a-b-1", true)]
    [InlineData("-a", false)]
    [InlineData("A", false)]
    [InlineData("a/b", false)]
    [InlineData("", false)]
    public void CheckLab_TakesDnsLabelsOnly(string name, bool valid) => Assert.Equal(valid, LabNames.CheckLab(name) is null);

    [Fact]
    public void Names_NodeNamespacesAreTheLabsOnly()
    {
        var names = new LabNames(LabNames.TestPrefix, "x");

        Assert.Equal("trellis-test-lab-x-fabric", names.Fabric);
        Assert.Equal("trellis-test-lab-x-n3", names.Node(3));
        Assert.True(names.Owns("trellis-test-lab-x-n12"));
        Assert.False(names.Owns("trellis-test-lab-x-n1-fabric"));
        Assert.False(names.Owns("trellis-test-lab-x-n01"));
        Assert.False(names.Owns("trellis-test-lab-xy-n1"));
        Assert.Equal("x-n1", LabNames.LabOfFabric(LabNames.TestPrefix, "trellis-test-lab-x-n1-fabric"));
        Assert.All(new[] { LabNames.NodePort(99999), LabNames.Bridge(99), LabNames.Gateway(99), LabNames.GatewayPort(99), LabNames.NodeInterface }, n => Assert.True(n.Length <= 15));
    }

    [Fact]
    public void From_WorkedExampleClusterB_GivesEachNodeAFlannelBlockOfThePodCidrAndTheClustersVxlan()
    {
        var plan = LabPlan.From(site.State, "b").Plan!;

        var overlay = Assert.Single(plan.Overlays);
        var cluster = Assert.Single(Engine.SiteViews.Clusters(site.State, "b"));
        // The worked example's clusters run Calico: each node's block is Calico's /26, the block the site's plan gives each node.
        Assert.Equal("calico", cluster.NetworkPlugin);
        Assert.Equal(new LabOverlay("b", cluster.PodCidr, 26, 4096, 4789, 1500 - 50, false), overlay);
        Assert.Equal(cluster.Mtu, overlay.Mtu);
        Assert.Equal([1, 2, 3, 4], plan.Pods.Select(p => p.Index));
        // Each node's pods live in the block the site's plan allocated to that node (its first Calico block), not in one the
        // lab picks: the routes and FDB entries then say what the plan says.
        var allocated = Engine.SiteViews.Allocations(site.State, "b").ToDictionary(a => a.Owner, a => a.Address);
        Assert.Equal(plan.Nodes.Select(n => allocated[$"node/b/{n.Node}/block-1"]), plan.Pods.Select(p => p.Block));
        Assert.All(plan.Pods, p => Assert.StartsWith("10.244.", p.Block, StringComparison.Ordinal));
        Assert.Equal(4, plan.Pods.Select(p => p.Block).Distinct().Count());
        var second = plan.Pods[1];
        var block = IPNetwork.Parse(second.Block).BaseAddress.GetAddressBytes();
        Assert.Equal(((byte)(block[3] + 1), (byte)(block[3] + 2), (byte)block[3]),
            (IPAddress.Parse(second.Bridge).GetAddressBytes()[3], IPAddress.Parse(second.Address).GetAddressBytes()[3], IPAddress.Parse(second.Vtep).GetAddressBytes()[3]));
        Assert.Equal(plan.Nodes.Select(n => n.Address), plan.Pods.Select(p => p.NodeAddress));
    }

    [Fact]
    public void From_WholeSite_EachClusterHasItsOwnOverlayAndBlocksFromItsFirst()
    {
        var plan = LabPlan.From(site.State, null).Plan!;

        Assert.Equal(["a", "b"], plan.Overlays.Select(o => o.Cluster));
        Assert.Equal(plan.Nodes.Count, plan.Pods.Count);
        Assert.All(plan.Overlays, o => Assert.Equal(IPNetwork.Parse(o.PodCidr).BaseAddress.ToString(), plan.Pods.First(p => p.Cluster == o.Cluster).Vtep));
    }

    [Fact]
    public async Task From_NodeVmsWithoutPodSubnetInTheState_IsRefusedWithItsCode()
    {
        using var stored = await StoredSite.ApplyAsync("worked-example.yaml");
        // A state whose cluster b holds no pod subnets (as one written before they were planned): the lab invents none.
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={stored.StatePath};Pooling=False"))
        {
            connection.Open();
            using var delete = connection.CreateCommand();
            delete.CommandText = "DELETE FROM kv WHERE key LIKE 'alloc/cluster/b/pods/%'";
            Assert.True(delete.ExecuteNonQuery() > 0);
        }

        await using var session = Engine.EngineSession.OpenSqlite(stored.StatePath, write: false);
        var state = await session.Engine.ReadAsync();

        var answer = LabPlan.From(state, "b");

        Assert.Null(answer.Plan);
        var finding = Assert.Single(answer.Findings);
        Assert.Equal("LabNoPodSubnet", finding.Code);
        Assert.Contains("cluster/b/control-plane-1", finding.Message, StringComparison.Ordinal);
        Assert.Empty(LabPlan.From(state, "a").Findings);
    }

    [Fact]
    public void From_PodsTakeTheGatewayAndFirstAddressTheEngineGivesTheirNode()
    {
        var plan = LabPlan.From(site.State, "b").Plan!;
        var rows = Engine.SiteViews.NodeAddresses(site.State, "b").ToDictionary(r => r.Address);

        Assert.All(plan.Pods, p =>
        {
            var row = rows[p.NodeAddress];
            Assert.Equal(row.PodSubnet, p.Block);
            Assert.Equal(row.PodGateway, p.Bridge);
            Assert.Equal(row.FirstPodAddress, p.Address);
            var block = IPNetwork.Parse(p.Block);
            Assert.Equal(block.BaseAddress.GetAddressBytes()[3] + 1, IPAddress.Parse(p.Bridge).GetAddressBytes()[3]);
        });
    }

    [Fact]
    public void VxlanMac_IsLocallyAdministeredUnicastAndDiffersPerNodeAndLab()
    {
        var mac = LabPlan.VxlanMac("jane", 1);

        Assert.Matches("^0e(:[0-9a-f]{2}){5}$", mac);
        Assert.EndsWith(":00:01", mac, StringComparison.Ordinal);
        Assert.NotEqual(mac, LabPlan.VxlanMac("jane", 2));
        Assert.NotEqual(mac, LabPlan.VxlanMac("john", 1));
        Assert.Equal(mac, LabPlan.VxlanMac("jane", 1));
    }

    [Fact]
    public void TraceParse_ReadsTcpdumpsVxlanLines()
    {
        const string Line = "19:01:02.000000 IP 172.16.0.5.41234 > 172.16.0.7.4789: VXLAN, flags [I] (0x08), vni 4096\n"
            + "IP 10.244.0.2 > 10.244.2.2: ICMP echo request, id 7, seq 1, length 64\n";

        Assert.Equal(new LabEncapsulation("172.16.0.5", "172.16.0.7", 4789, 4096, "10.244.0.2", "10.244.2.2"), LabTrace.Parse(Line));
        Assert.Null(LabTrace.Parse("IP 172.16.0.5.41234 > 172.16.0.7.4789: UDP, length 98"));
    }

    [Fact]
    public async Task From_FlannelClusterWithWindowsPool_TakesFlannelsSubnetLenAndWindowsVxlan()
    {
        using var contoso = await StoredSite.ApplyAsync("contoso-multicluster.yaml");

        var answer = LabPlan.From(contoso.State, "legacy");

        Assert.Empty(answer.Findings);
        var overlay = Assert.Single(answer.Plan!.Overlays);
        var cluster = Assert.Single(Engine.SiteViews.Clusters(contoso.State, "legacy"));
        Assert.Equal(new LabOverlay("legacy", cluster.PodCidr, 24, 4096, 4789, cluster.Mtu, true), overlay);
        var first = IPNetwork.Parse(cluster.PodCidr).BaseAddress;
        Assert.Equal($"{first}/24", answer.Plan.Pods[0].Block);
        Assert.Equal(answer.Plan.Nodes.Count, answer.Plan.Pods.Count);

        // Windows' pod block layout: network, gateway, kube-proxy's source VIP, then pods; Linux pods follow the gateway.
        var windows = answer.Plan.Nodes.Where(n => n.Node.StartsWith("iis-", StringComparison.Ordinal)).Select(n => n.Index).ToHashSet();
        Assert.Equal(2, windows.Count);
        Assert.All(answer.Plan.Pods, p =>
        {
            var offset = IPAddress.Parse(p.Address).GetAddressBytes()[3] - IPNetwork.Parse(p.Block).BaseAddress.GetAddressBytes()[3];
            Assert.Equal(windows.Contains(p.Index) ? 3 : 2, offset);
            Assert.Equal(windows.Contains(p.Index), p.SourceVip is not null);
            if (p.SourceVip is { } vip)
            {
                Assert.Equal(2, IPAddress.Parse(vip).GetAddressBytes()[3] - IPNetwork.Parse(p.Block).BaseAddress.GetAddressBytes()[3]);
            }
        });
    }
}
