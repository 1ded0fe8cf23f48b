using Trellis.Core.Planning;
using Trellis.Core.Model;
using Trellis.Rendering.MetalLb;
using YamlDotNet.RepresentationModel;

namespace Trellis.Rendering.Tests.MetalLb;

public sealed class MetalLbRendererTests
{
    private static SiteSpec Spec(string file) =>
        SiteSpecReader.Read(File.ReadAllText(Path.Combine(ExampleState.ExamplesDirectory, file))).Spec!;

    private static (ExampleState State, ClusterTopology Cluster) Cluster(SiteSpec spec, string name)
    {
        var state = ExampleState.FromSpec(spec);
        return (state, ClusterTopology.From(state.Site, state.Site.Clusters.Single(c => c.Name == name), state.Allocations));
    }

    private static readonly BgpPeerSpec Peer = new() { Name = "tor1", MyAsn = 64512, PeerAsn = 64513, PeerAddress = "10.220.32.1" };

    /// <summary>The cluster with these pools, and a BGP peer when one of them advertises by BGP (validation requires one).</summary>
    private static SiteSpec WithPools(SiteSpec spec, string cluster, params MetalLbPoolSpec[] pools) => spec with
    {
        Clusters = spec.Clusters.Select(c => c.Name == cluster
            ? c with { LoadBalancers = pools, BgpPeers = pools.Any(p => p.AdvertiseMode != "ARP") ? [Peer] : [] }
            : c).ToList(),
    };

    private static List<YamlMappingNode> Documents(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }

    private static string Scalar(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            node = ((YamlMappingNode)node)[key];
        }

        return ((YamlScalarNode)node).Value!;
    }

    private static List<string> List(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            node = ((YamlMappingNode)node)[key];
        }

        return ((YamlSequenceNode)node).Children.Select(c => ((YamlScalarNode)c).Value!).ToList();
    }

    [Fact]
    public void Render_AksArcArpPool_IsAnIpAddressPoolInKubeSystemWithAnL2Advertisement()
    {
        var (state, cluster) = Cluster(Spec("aksarc-site.yaml"), "a");

        var docs = Documents(MetalLbRenderer.Render(state.Site, cluster));

        Assert.Equal(2, docs.Count);
        var pool = docs[0];
        Assert.Equal("metallb.io/v1beta1", Scalar(pool, "apiVersion"));
        Assert.Equal("IPAddressPool", Scalar(pool, "kind"));
        Assert.Equal("lb-a", Scalar(pool, "metadata", "name"));
        Assert.Equal("kube-system", Scalar(pool, "metadata", "namespace"));
        Assert.Equal(["10.220.32.47-10.220.32.49"], List(pool, "spec", "addresses"));
        Assert.Equal("true", Scalar(pool, "spec", "autoAssign"));

        var l2 = docs[1];
        Assert.Equal("L2Advertisement", Scalar(l2, "kind"));
        Assert.Equal("kube-system", Scalar(l2, "metadata", "namespace"));
        Assert.Equal(["lb-a"], List(l2, "spec", "ipAddressPools"));
    }

    [Fact]
    public void Render_PoolAddresses_CoverTheServiceVipsTrellisAllocated()
    {
        var (state, cluster) = Cluster(Spec("aksarc-site.yaml"), "a");
        var range = List(Documents(MetalLbRenderer.Render(state.Site, cluster))[0], "spec", "addresses").Single().Split('-');
        var (first, last) = (Core.Addressing.IpNumber.ToNumber(System.Net.IPAddress.Parse(range[0])), Core.Addressing.IpNumber.ToNumber(System.Net.IPAddress.Parse(range[1])));

        Assert.Equal(3, cluster.ServiceVips.Count);
        Assert.All(cluster.ServiceVips, v => Assert.InRange(Core.Addressing.IpNumber.ToNumber(v.Address), first, last));
    }

    [Theory]
    [InlineData("ARP", new[] { "IPAddressPool", "L2Advertisement" })]
    [InlineData("BGP", new[] { "IPAddressPool", "BGPAdvertisement" })]
    [InlineData("Both", new[] { "IPAddressPool", "L2Advertisement", "BGPAdvertisement" })]
    public void Render_AdvertiseModeChoosesTheAdvertisements(string mode, string[] kinds)
    {
        var spec = WithPools(Spec("aksarc-site.yaml"), "a", new MetalLbPoolSpec { Name = "lb-a", Addresses = ["10.220.32.48/30"], AdvertiseMode = mode });
        var (state, cluster) = Cluster(spec, "a");

        var docs = Documents(MetalLbRenderer.Render(state.Site, cluster)).Where(d => Scalar(d, "kind") != "BGPPeer").ToList();

        Assert.Equal(kinds, docs.Select(d => Scalar(d, "kind")));
        Assert.Equal(["10.220.32.48/30"], List(docs[0], "spec", "addresses"));
        Assert.All(docs.Skip(1), d => Assert.Equal(["lb-a"], List(d, "spec", "ipAddressPools")));
        if (docs.FirstOrDefault(d => Scalar(d, "kind") == "BGPAdvertisement") is { } bgp)
        {
            Assert.Equal("32", Scalar(bgp, "spec", "aggregationLength"));
        }
    }

    [Fact]
    public void Render_SeveralPools_EachGetsItsOwnDocumentsInSpecOrder()
    {
        var spec = WithPools(Spec("aksarc-site.yaml"), "a",
            new MetalLbPoolSpec { Name = "Front-Lb", Addresses = ["10.220.32.47-10.220.32.49", "10.220.32.60/31"], AdvertiseMode = "ARP" },
            new MetalLbPoolSpec { Name = "back", Addresses = ["10.220.32.50-10.220.32.52"], AdvertiseMode = "BGP" });
        var (state, cluster) = Cluster(spec, "a");

        var docs = Documents(MetalLbRenderer.Render(state.Site, cluster));

        Assert.Equal(["IPAddressPool/front-lb", "L2Advertisement/front-lb", "IPAddressPool/back", "BGPAdvertisement/back", "BGPPeer/tor1"],
            docs.Select(d => $"{Scalar(d, "kind")}/{Scalar(d, "metadata", "name")}"));
        Assert.Equal(["10.220.32.47-10.220.32.49", "10.220.32.60/31"], List(docs[0], "spec", "addresses"));
    }

    [Fact]
    public void Render_OutsideAksArc_UsesTheMetallbSystemNamespace()
    {
        var spec = WithPools(Spec("contoso-multicluster.yaml"), "legacy", new MetalLbPoolSpec { Name = "legacy-lb", Addresses = ["172.16.0.200-172.16.0.209"] });
        var (state, cluster) = Cluster(spec, "legacy");

        var docs = Documents(MetalLbRenderer.Render(state.Site, cluster));

        Assert.All(docs, d => Assert.Equal("metallb-system", Scalar(d, "metadata", "namespace")));
    }

    [Fact]
    public void Render_IsDeterministicMultiDocumentYaml()
    {
        var (a, ca) = Cluster(Spec("aksarc-site.yaml"), "a");
        var (b, cb) = Cluster(Spec("aksarc-site.yaml"), "a");

        var text = MetalLbRenderer.Render(a.Site, ca);

        Assert.Equal(text, MetalLbRenderer.Render(b.Site, cb));
        Assert.DoesNotContain('\r', text);
        Assert.Contains("\n---\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_RejectsAClusterWithoutMetalLbPools()
    {
        var (state, cluster) = Cluster(WithPools(Spec("aksarc-site.yaml"), "b"), "b");

        Assert.Throws<InvalidOperationException>(() => MetalLbRenderer.Render(state.Site, cluster));
    }
}
