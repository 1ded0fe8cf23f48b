using Trellis.Core.Planning;
using Trellis.Rendering.MetalLb;
using YamlDotNet.RepresentationModel;

namespace Trellis.Rendering.Tests.MetalLb;

public class MetalLbBgpTests
{
    [Fact]
    public void BgpLoadBalancer_RendersAnAdvertisementNamingItsPeers_AndThePeers()
    {
        var state = ExampleState.Load("aksarc-site.yaml");
        var cluster = ClusterTopology.From(state.Site, state.Site.Clusters.Single(c => c.Name == "b"), state.Allocations);

        var yaml = MetalLbRenderer.Render(state.Site, cluster);

        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var docs = stream.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
        string Kind(YamlMappingNode d) => ((YamlScalarNode)d["kind"]).Value!;
        var advertisement = Assert.Single(docs, d => Kind(d) == "BGPAdvertisement");
        var peers = (YamlSequenceNode)((YamlMappingNode)advertisement["spec"])["peers"];
        Assert.Equal(["tor1"], peers.Children.Select(p => ((YamlScalarNode)p).Value));
        var peer = Assert.Single(docs, d => Kind(d) == "BGPPeer");
        var spec = (YamlMappingNode)peer["spec"];
        Assert.Equal("64512", ((YamlScalarNode)spec["myASN"]).Value);
        Assert.Equal("64513", ((YamlScalarNode)spec["peerASN"]).Value);
        Assert.Equal("10.220.32.1", ((YamlScalarNode)spec["peerAddress"]).Value);
        Assert.DoesNotContain(docs, d => Kind(d) == "L2Advertisement");
    }
}
