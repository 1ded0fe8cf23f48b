using System.Text.Json;
using Trellis.Core.Addressing;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Rendering.Cni;

namespace Trellis.Rendering.Tests.Cni;

public sealed class FlannelRendererTests
{
    private static (ExampleState State, ClusterTopology Cluster) Legacy(Func<SiteSpec, SiteSpec>? change = null)
    {
        var spec = SiteSpecReader.Read(File.ReadAllText(Path.Combine(ExampleState.ExamplesDirectory, "contoso-multicluster.yaml"))).Spec!;
        var state = ExampleState.FromSpec(change is null ? spec : change(spec));
        var cluster = state.Site.Clusters.Single(c => c.Name == "legacy");
        return (state, ClusterTopology.From(state.Site, cluster, state.Allocations));
    }

    private static SiteSpec LinuxOnly(SiteSpec spec) => spec with
    {
        Clusters = spec.Clusters.Select(c => c.Name == "legacy" ? c with { NodePools = c.NodePools.Where(p => p.OsType == OsType.Linux).ToList() } : c).ToList(),
    };

    private static Dictionary<string, string> Env(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);

    [Fact]
    public void NetConf_WithWindowsNodes_UsesVni4096OnUdp4789AndTheVxlan0Network()
    {
        var (state, cluster) = Legacy();

        using var doc = JsonDocument.Parse(FlannelRenderer.NetConf(state.Site, cluster));
        var backend = doc.RootElement.GetProperty("Backend");
        Assert.Equal("vxlan", backend.GetProperty("Type").GetString());
        Assert.Equal(4096, backend.GetProperty("VNI").GetInt32());
        Assert.Equal(4789, backend.GetProperty("Port").GetInt32());
        Assert.Equal("vxlan0", backend.GetProperty("Name").GetString());
    }

    [Fact]
    public void NetConf_LinuxOnly_KeepsTheWindowsReadyVxlanItWasCreatedWith()
    {
        var (state, cluster) = Legacy(LinuxOnly);

        using var doc = JsonDocument.Parse(FlannelRenderer.NetConf(state.Site, cluster));
        var backend = doc.RootElement.GetProperty("Backend");
        Assert.Equal(4096, backend.GetProperty("VNI").GetInt32());
        Assert.Equal(4789, backend.GetProperty("Port").GetInt32());
    }

    [Fact]
    public void NetConf_LinuxOnlyCreatedWithFlannelsLinuxDefaults_RendersThemExplicitly()
    {
        var (state, cluster) = Legacy(s => LinuxOnly(s) with
        {
            Clusters = LinuxOnly(s).Clusters.Select(c => c.Name == "legacy" ? c with { VxlanVni = FlannelRenderer.LinuxVni, VxlanPort = FlannelRenderer.LinuxVxlanPort } : c).ToList(),
        });

        using var doc = JsonDocument.Parse(FlannelRenderer.NetConf(state.Site, cluster));
        var backend = doc.RootElement.GetProperty("Backend");
        Assert.Equal(1, backend.GetProperty("VNI").GetInt32());
        Assert.Equal(8472, backend.GetProperty("Port").GetInt32());
        Assert.False(backend.TryGetProperty("Name", out _));
    }

    [Fact]
    public void NetConf_TakesNetworkFromPodCidrAndSubnetLenFromSettings()
    {
        var (state, cluster) = Legacy(s => s with
        {
            Settings = s.Settings with { FlannelSubnetLen = 25 },
            Clusters = s.Clusters.Select(c => c.Name == "legacy" ? c with { PodCidr = "10.250.0.0/16" } : c).ToList(),
        });

        using var doc = JsonDocument.Parse(FlannelRenderer.NetConf(state.Site, cluster));
        Assert.Equal("10.250.0.0/16", doc.RootElement.GetProperty("Network").GetString());
        Assert.Equal(25, doc.RootElement.GetProperty("SubnetLen").GetInt32());
        Assert.Equal(["Network", "SubnetLen", "Backend"], doc.RootElement.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void SubnetEnv_GivesEachNodeItsPlannedPodSubnetWithTheFirstAddressAsGateway()
    {
        var (state, cluster) = Legacy();
        Assert.Equal(5, cluster.Nodes.Count);

        foreach (var node in cluster.Nodes)
        {
            var planned = Prefix.Parse(state.Allocations.Single(a => a.Pool == PoolIds.Pods("legacy") && a.Owner == PoolIds.NodePodCidr(node.Owner)).Address);
            var env = Env(FlannelRenderer.SubnetEnv(state.Site, cluster, node));

            Assert.Equal("10.244.0.0/16", env["FLANNEL_NETWORK"]);
            Assert.Equal($"{IpNumber.ToAddress(planned.First + 1, planned.Family)}/24", env["FLANNEL_SUBNET"]);
            Assert.Equal("true", env["FLANNEL_IPMASQ"]);
        }

        Assert.Equal(cluster.Nodes.Count, cluster.Nodes.Select(n => Env(FlannelRenderer.SubnetEnv(state.Site, cluster, n))["FLANNEL_SUBNET"]).Distinct().Count());
    }

    [Fact]
    public void SubnetEnv_FirstNodeOfTheDefaultPodCidr_Is10_244_0_1()
    {
        var (state, cluster) = Legacy();

        var env = Env(FlannelRenderer.SubnetEnv(state.Site, cluster, cluster.Nodes[0]));

        Assert.Equal("10.244.0.1/24", env["FLANNEL_SUBNET"]);
    }

    [Theory]
    [InlineData(1500, 1450)]
    [InlineData(9000, 8950)]
    public void SubnetEnv_MtuIsTheUnderlayLessTheVxlanHeader(int underlay, int expected)
    {
        var (state, cluster) = Legacy(s => s with { Settings = s.Settings with { UnderlayMtu = underlay } });

        var env = Env(FlannelRenderer.SubnetEnv(state.Site, cluster, cluster.Nodes[0]));

        Assert.Equal(expected.ToString(System.Globalization.CultureInfo.InvariantCulture), env["FLANNEL_MTU"]);
    }

    [Fact]
    public void SubnetEnv_IsLfTerminatedKeyValueLines()
    {
        var (state, cluster) = Legacy();

        var text = FlannelRenderer.SubnetEnv(state.Site, cluster, cluster.Nodes[0]);

        Assert.DoesNotContain('\r', text);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        Assert.Equal(["FLANNEL_NETWORK", "FLANNEL_SUBNET", "FLANNEL_MTU", "FLANNEL_IPMASQ"], Env(text).Keys);
    }

    [Fact]
    public void Render_IsDeterministic()
    {
        var (a, ca) = Legacy();
        var (b, cb) = Legacy();

        Assert.Equal(FlannelRenderer.NetConf(a.Site, ca), FlannelRenderer.NetConf(b.Site, cb));
        Assert.Equal(ca.Nodes.Select(n => FlannelRenderer.SubnetEnv(a.Site, ca, n)), cb.Nodes.Select(n => FlannelRenderer.SubnetEnv(b.Site, cb, n)));
        Assert.DoesNotContain('\r', FlannelRenderer.NetConf(a.Site, ca));
    }

    [Fact]
    public void Render_RejectsACalicoCluster()
    {
        var state = ExampleState.Load("contoso-multicluster.yaml");
        var payments = ClusterTopology.From(state.Site, state.Site.Clusters.Single(c => c.Name == "payments"), state.Allocations);

        Assert.Throws<InvalidOperationException>(() => FlannelRenderer.NetConf(state.Site, payments));
        Assert.Throws<InvalidOperationException>(() => FlannelRenderer.SubnetEnv(state.Site, payments, payments.Nodes[0]));
    }
}
