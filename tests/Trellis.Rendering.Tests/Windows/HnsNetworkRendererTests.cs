using System.Net;
using System.Text.Json;
using Trellis.Core.Addressing;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Rendering.Windows;

namespace Trellis.Rendering.Tests.Windows;

public sealed class HnsNetworkRendererTests
{
    private static (ExampleState State, ClusterTopology Cluster) Contoso(string name)
    {
        var state = ExampleState.Load("contoso-multicluster.yaml");
        return (state, ClusterTopology.From(state.Site, state.Site.Clusters.Single(c => c.Name == name), state.Allocations));
    }

    [Fact]
    public void Render_CalicoWindowsNode_IsAnOverlayOnItsOwnBlockWithVsid4096()
    {
        var (state, cluster) = Contoso("payments");
        var windows = cluster.Nodes.Where(n => n.Os == OsType.Windows).ToList();
        Assert.Equal(4, windows.Count);

        foreach (var node in windows)
        {
            var block = Prefix.Parse(state.Allocations.Single(a => a.Pool == PoolIds.Pods("payments") && a.Owner == PoolIds.NodeBlock(node.Owner, 1)).Address);
            using var doc = JsonDocument.Parse(HnsNetworkRenderer.Render(state.Site, cluster, node));
            var root = doc.RootElement;
            var subnet = Assert.Single(root.GetProperty("Subnets").EnumerateArray());
            var policy = Assert.Single(subnet.GetProperty("Policies").EnumerateArray());

            Assert.Equal(["Name", "Type", "ManagementIP", "DNSServerList", "Subnets", "KubeProxy"], root.EnumerateObject().Select(p => p.Name));
            Assert.Equal("Calico", root.GetProperty("Name").GetString());
            Assert.Equal("Overlay", root.GetProperty("Type").GetString());
            Assert.Equal(node.Address.ToString(), root.GetProperty("ManagementIP").GetString());
            Assert.Equal("172.16.0.2", root.GetProperty("DNSServerList").GetString());
            Assert.Equal(block.ToString(), subnet.GetProperty("AddressPrefix").GetString());
            Assert.Equal(26, block.Length);
            Assert.Equal(IpNumber.ToAddress(block.First + 1, block.Family).ToString(), subnet.GetProperty("GatewayAddress").GetString());
            Assert.Equal("VSID", policy.GetProperty("Type").GetString());
            Assert.Equal(4096, policy.GetProperty("VSID").GetInt32());

            var proxy = root.GetProperty("KubeProxy");
            Assert.Equal("Calico", proxy.GetProperty("NetworkName").GetString());
            Assert.Equal(IpNumber.ToAddress(block.First + 2, block.Family).ToString(), proxy.GetProperty("SourceVip").GetString());
            Assert.Equal(4789, proxy.GetProperty("VxlanPort").GetInt32());
        }
    }

    [Theory]
    [InlineData("10.0.0.0/26", "10.0.0.2")]
    [InlineData("10.244.0.64/26", "10.244.0.66")]
    [InlineData("10.244.3.0/24", "10.244.3.2")]
    public void SourceVip_IsTheSecondAddressOfThePodBlock(string block, string vip)
    {
        Assert.Equal(IPAddress.Parse(vip), HnsNetworkRenderer.SourceVip(Prefix.Parse(block)));
    }

    [Fact]
    public void Render_FlannelWindowsNode_UsesTheVxlan0NetworkOnItsPodSubnet()
    {
        var (state, cluster) = Contoso("legacy");
        var node = cluster.Nodes.First(n => n.Os == OsType.Windows);

        using var doc = JsonDocument.Parse(HnsNetworkRenderer.Render(state.Site, cluster, node));
        var root = doc.RootElement;

        Assert.Equal("vxlan0", root.GetProperty("Name").GetString());
        Assert.Equal("vxlan0", root.GetProperty("KubeProxy").GetProperty("NetworkName").GetString());
        Assert.Equal(node.PodSubnet.ToString(), root.GetProperty("Subnets")[0].GetProperty("AddressPrefix").GetString());
        Assert.Equal(24, node.PodSubnet.Length);
        Assert.Equal("172.16.0.2,172.16.0.3", root.GetProperty("DNSServerList").GetString());
    }

    [Fact]
    public void Render_FlannelWindowsNode_TakesTheClustersOwnVxlan()
    {
        // A Flannel cluster created on VNI 5000: its Windows nodes must join that overlay, not the default 4096.
        var spec = Core.Model.SiteSpecReader.Read(File.ReadAllText(Path.Combine(ExampleState.ExamplesDirectory, "contoso-multicluster.yaml"))).Spec!;
        spec = spec with { Clusters = [.. spec.Clusters.Select(c => c.Name == "legacy" ? c with { VxlanVni = 5000, VxlanPort = 4789 } : c)] };
        var state = ExampleState.FromSpec(spec);
        var cluster = ClusterTopology.From(state.Site, state.Site.Clusters.Single(c => c.Name == "legacy"), state.Allocations);

        using var doc = JsonDocument.Parse(HnsNetworkRenderer.Render(state.Site, cluster, cluster.Nodes.First(n => n.Os == OsType.Windows)));

        Assert.Equal(5000, doc.RootElement.GetProperty("Subnets")[0].GetProperty("Policies")[0].GetProperty("VSID").GetInt32());
        Assert.Equal(4789, doc.RootElement.GetProperty("KubeProxy").GetProperty("VxlanPort").GetInt32());
    }

    [Fact]
    public void Render_NetworkWithoutDnsServers_LeavesTheListOut()
    {
        var spec = SiteSpecReader.Read(File.ReadAllText(Path.Combine(ExampleState.ExamplesDirectory, "dhcp-site.yaml"))).Spec!;
        var state = ExampleState.FromSpec(spec with { HostNetwork = spec.HostNetwork! with { DnsServers = [] } });
        var cluster = ClusterTopology.From(state.Site, state.Site.Clusters.Single(), state.Allocations);
        var node = cluster.Nodes.First(n => n.Os == OsType.Windows);

        using var doc = JsonDocument.Parse(HnsNetworkRenderer.Render(state.Site, cluster, node));

        Assert.False(doc.RootElement.TryGetProperty("DNSServerList", out _));
        Assert.Equal("Calico", doc.RootElement.GetProperty("Name").GetString());
    }

    [Fact]
    public void Render_IsDeterministic()
    {
        var (a, ca) = Contoso("payments");
        var (b, cb) = Contoso("payments");
        var nodeA = ca.Nodes.First(n => n.Os == OsType.Windows);
        var nodeB = cb.Nodes.First(n => n.Os == OsType.Windows);

        var text = HnsNetworkRenderer.Render(a.Site, ca, nodeA);

        Assert.Equal(text, HnsNetworkRenderer.Render(b.Site, cb, nodeB));
        Assert.DoesNotContain('\r', text);
        Assert.Contains("\n  \"Name\": \"Calico\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_RejectsALinuxNode()
    {
        var (state, cluster) = Contoso("payments");

        Assert.Throws<InvalidOperationException>(() => HnsNetworkRenderer.Render(state.Site, cluster, cluster.Nodes.First(n => n.Os == OsType.Linux)));
    }
}
