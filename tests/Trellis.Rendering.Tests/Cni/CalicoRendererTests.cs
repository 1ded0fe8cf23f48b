using Trellis.Core.Planning;
using Trellis.Core.Model;
using Trellis.Rendering.Cni;
using YamlDotNet.RepresentationModel;

namespace Trellis.Rendering.Tests.Cni;

public sealed class CalicoRendererTests
{
    private static (ExampleState State, ClusterTopology Cluster) Contoso(string name, Func<SiteSpec, SiteSpec>? change = null)
    {
        var spec = SiteSpecReader.Read(File.ReadAllText(Path.Combine(ExampleState.ExamplesDirectory, "contoso-multicluster.yaml"))).Spec!;
        var state = ExampleState.FromSpec(change is null ? spec : change(spec));
        return (state, ClusterTopology.From(state.Site, state.Site.Clusters.Single(c => c.Name == name), state.Allocations));
    }

    private static YamlMappingNode Document(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return (YamlMappingNode)Assert.Single(stream.Documents).RootNode;
    }

    private static string Scalar(YamlMappingNode node, params string[] path)
    {
        YamlNode current = node;
        foreach (var key in path)
        {
            current = ((YamlMappingNode)current)[key];
        }

        return ((YamlScalarNode)current).Value!;
    }

    [Fact]
    public void IpPool_IsOneVxlanPoolOverThePodCidrWithTheConfiguredBlockSize()
    {
        var (state, cluster) = Contoso("analytics");

        var pool = Document(CalicoRenderer.IpPool(state.Site, cluster));

        Assert.Equal("projectcalico.org/v3", Scalar(pool, "apiVersion"));
        Assert.Equal("IPPool", Scalar(pool, "kind"));
        Assert.Equal("default-ipv4-ippool", Scalar(pool, "metadata", "name"));
        Assert.Equal("10.245.0.0/16", Scalar(pool, "spec", "cidr"));
        Assert.Equal("26", Scalar(pool, "spec", "blockSize"));
        Assert.Equal("Always", Scalar(pool, "spec", "vxlanMode"));
        Assert.Equal("Never", Scalar(pool, "spec", "ipipMode"));
        Assert.Equal("true", Scalar(pool, "spec", "natOutgoing"));
        Assert.Equal("all()", Scalar(pool, "spec", "nodeSelector"));
    }

    [Fact]
    public void IpPool_BlockSizeComesFromTheSettings()
    {
        var (state, cluster) = Contoso("payments", s => s with { Settings = s.Settings with { CalicoBlockSize = 24 } });

        var pool = Document(CalicoRenderer.IpPool(state.Site, cluster));

        Assert.Equal("24", Scalar(pool, "spec", "blockSize"));
        Assert.All(cluster.Nodes, n => Assert.Equal(24, n.PodSubnet.Length));
    }

    [Fact]
    public void IpamConfiguration_IsStrictWhenTheClusterHasWindowsNodes()
    {
        var (state, payments) = Contoso("payments");
        var analytics = ClusterTopology.From(state.Site, state.Site.Clusters.Single(c => c.Name == "analytics"), state.Allocations);

        var strict = Document(CalicoRenderer.IpamConfiguration(state.Site, payments));
        var loose = Document(CalicoRenderer.IpamConfiguration(state.Site, analytics));

        Assert.Equal("IPAMConfiguration", Scalar(strict, "kind"));
        Assert.Equal("default", Scalar(strict, "metadata", "name"));
        Assert.Equal("true", Scalar(strict, "spec", "strictAffinity"));
        Assert.Equal("false", Scalar(loose, "spec", "strictAffinity"));
    }

    [Theory]
    [InlineData("payments", 1500, "1450")]
    [InlineData("analytics", 9000, "8950")]
    public void FelixConfiguration_UsesVni4096OnUdp4789AndTheUnderlayLessTheVxlanHeader(string name, int underlay, string mtu)
    {
        var (state, cluster) = Contoso(name, s => s with { Settings = s.Settings with { UnderlayMtu = underlay } });

        var felix = Document(CalicoRenderer.FelixConfiguration(state.Site, cluster));

        Assert.Equal("FelixConfiguration", Scalar(felix, "kind"));
        Assert.Equal("default", Scalar(felix, "metadata", "name"));
        Assert.Equal("true", Scalar(felix, "spec", "vxlanEnabled"));
        Assert.Equal("4096", Scalar(felix, "spec", "vxlanVNI"));
        Assert.Equal("4789", Scalar(felix, "spec", "vxlanPort"));
        Assert.Equal(mtu, Scalar(felix, "spec", "vxlanMTU"));
    }

    [Fact]
    public void Render_IsDeterministicWithLfEndings()
    {
        var (a, ca) = Contoso("payments");
        var (b, cb) = Contoso("payments");

        foreach (var render in new Func<Core.Planning.ResolvedSite, ClusterTopology, string>[] { CalicoRenderer.Installation, CalicoRenderer.IpPool, CalicoRenderer.IpamConfiguration, CalicoRenderer.FelixConfiguration })
        {
            var text = render(a.Site, ca);
            Assert.Equal(text, render(b.Site, cb));
            Assert.DoesNotContain('\r', text);
            Assert.EndsWith("\n", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Render_RejectsAFlannelCluster()
    {
        var (state, legacy) = Contoso("legacy");

        Assert.Throws<InvalidOperationException>(() => CalicoRenderer.IpPool(state.Site, legacy));
        Assert.Throws<InvalidOperationException>(() => CalicoRenderer.IpamConfiguration(state.Site, legacy));
        Assert.Throws<InvalidOperationException>(() => CalicoRenderer.FelixConfiguration(state.Site, legacy));
    }

    [Fact]
    public void Installation_CalicoTheWayAksInstallsIt_IsTheTigeraOperatorsIpPoolWithTheWindowsHnsDataplane()
    {
        var (state, payments) = Contoso("payments");

        var installation = Document(CalicoRenderer.Installation(state.Site, payments));

        Assert.Equal("operator.tigera.io/v1", Scalar(installation, "apiVersion"));
        Assert.Equal("Installation", Scalar(installation, "kind"));
        Assert.Equal("default", Scalar(installation, "metadata", "name"));
        var network = (YamlMappingNode)((YamlMappingNode)installation["spec"])["calicoNetwork"];
        var pool = (YamlMappingNode)Assert.Single(((YamlSequenceNode)network["ipPools"]).Children);
        Assert.Equal("default-ipv4-ippool", Scalar(pool, "name"));
        Assert.Equal(payments.Cluster.PodCidr.ToString(), Scalar(pool, "cidr"));
        Assert.Equal("26", Scalar(pool, "blockSize"));
        Assert.Equal("VXLAN", Scalar(pool, "encapsulation"));
        Assert.Equal("Enabled", Scalar(pool, "natOutgoing"));
        Assert.Equal("all()", Scalar(pool, "nodeSelector"));
        Assert.Equal("Disabled", Scalar(network, "bgp"));
        Assert.Equal("1450", Scalar(network, "mtu"));
        Assert.Equal("HNS", Scalar(network, "windowsDataplane"));
        Assert.Equal([payments.Cluster.ServiceCidr.ToString()], ((YamlSequenceNode)((YamlMappingNode)installation["spec"])["serviceCIDRs"]).Children.Select(c => ((YamlScalarNode)c).Value));
    }

    [Fact]
    public void Installation_LinuxOnlyCluster_HasNoWindowsDataplane()
    {
        var (state, analytics) = Contoso("analytics");

        var spec = (YamlMappingNode)Document(CalicoRenderer.Installation(state.Site, analytics))["spec"];

        Assert.False(((YamlMappingNode)spec["calicoNetwork"]).Children.ContainsKey("windowsDataplane"));
        Assert.False(spec.Children.ContainsKey("serviceCIDRs"));
    }

    [Fact]
    public void SiteRenderer_CalicoTheWayAksInstallsIt_InstallationIsPrimaryAndV3PoolsAreTheManifestAlternative()
    {
        var (state, _) = Contoso("payments");

        var files = SiteRenderer.Render(state.Site, state.Allocations, ["calico"], "payments").ToDictionary(f => f.Path, f => f.Content);

        Assert.Equal(
        [
            "clusters/payments/calico/installation.yaml",
            "clusters/payments/calico/ipamconfiguration.yaml",
            "clusters/payments/calico/manifest-install/felixconfiguration.yaml",
            "clusters/payments/calico/manifest-install/ippool.yaml",
        ], files.Keys.Order(StringComparer.Ordinal));
        Assert.StartsWith("# Alternative for a Calico installed from manifests", files["clusters/payments/calico/manifest-install/ippool.yaml"], StringComparison.Ordinal);
    }
}
