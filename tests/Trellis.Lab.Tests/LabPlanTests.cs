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
    public async Task From_DhcpSite_IsRefusedWithLabDhcpNotBuilt()
    {
        using var dhcp = await StoredSite.ApplyAsync("dhcp-site.yaml");

        var answer = LabPlan.From(dhcp.State, null);

        Assert.Null(answer.Plan);
        var finding = Assert.Single(answer.Findings.DistinctBy(f => f.Code));
        Assert.Equal("LabDhcpNotBuilt", finding.Code);
        Assert.Contains("Kea", finding.Message, StringComparison.Ordinal);
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
}
