using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Rendering.MetalLb;
using YamlDotNet.RepresentationModel;

namespace Trellis.Rendering.Tests.MetalLb;

public sealed class MetalLbInjectionTests
{
    private const string Injection = "lb-a\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: pwned}\nroleRef: {kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: User, name: system:anonymous}]\n# \u2028\"'";

    [Fact]
    public void Render_LoadBalancerNameWithNewlineAndDocumentMarker_StaysOneValueOfTheSameDocuments()
    {
        var state = ExampleState.Load("aksarc-site.yaml");
        var resolved = state.Site.Clusters.Single(c => c.Name == "a");
        var hostile = resolved with
        {
            Spec = resolved.Spec with
            {
                LoadBalancers = resolved.Spec.LoadBalancers.Select(p => p with { Name = Injection, Addresses = [.. p.Addresses, "x\n---\nkind: Secret"] }).ToList(),
            },
        };
        var site = state.Site with { Clusters = state.Site.Clusters.Select(c => c.Name == "a" ? hostile : c).ToList() };

        var yaml = MetalLbRenderer.Render(site, ClusterTopology.From(site, hostile, state.Allocations));

        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var docs = stream.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
        Assert.Equal(["IPAddressPool", "L2Advertisement"], docs.Select(d => ((YamlScalarNode)d["kind"]).Value));
        Assert.All(docs, d => Assert.Equal(Injection.ToLowerInvariant(), ((YamlScalarNode)((YamlMappingNode)d["metadata"])["name"]).Value));
        var addresses = ((YamlSequenceNode)((YamlMappingNode)docs[0]["spec"])["addresses"]).Children.Select(c => ((YamlScalarNode)c).Value).ToList();
        Assert.Equal("x\n---\nkind: Secret", addresses[^1]);
    }
}
