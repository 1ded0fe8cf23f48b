using Trellis.Core.Planning;
using Trellis.Rendering.MetalLb;
using YamlDotNet.RepresentationModel;

namespace Trellis.Rendering.Tests.MetalLb;

public sealed class KubeVipRendererTests
{
    private static (ExampleState State, ClusterTopology Cluster) Cluster(string file, string name)
    {
        var state = ExampleState.Load(file);
        return (state, ClusterTopology.From(state.Site, state.Site.Clusters.Single(c => c.Name == name), state.Allocations));
    }

    private static YamlMappingNode Pod(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return (YamlMappingNode)Assert.Single(stream.Documents).RootNode;
    }

    private static YamlNode At(YamlNode node, params object[] path)
    {
        foreach (var step in path)
        {
            node = step is int i ? ((YamlSequenceNode)node).Children[i] : ((YamlMappingNode)node)[(string)step];
        }

        return node;
    }

    private static string Scalar(YamlNode node, params object[] path) => ((YamlScalarNode)At(node, path)).Value!;

    private static Dictionary<string, YamlScalarNode> Env(YamlMappingNode pod) =>
        ((YamlSequenceNode)At(pod, "spec", "containers", 0, "env")).Children
            .ToDictionary(e => Scalar(e, "name"), e => (YamlScalarNode)At(e, "value"));

    [Fact]
    public void Render_AksArc_HoldsTheControlPlaneIp()
    {
        var (state, cluster) = Cluster("aksarc-site.yaml", "a");

        var env = Env(Pod(KubeVipRenderer.StaticPod(state.Site, cluster, firstControlPlane: false)));

        Assert.Equal("10.220.32.40", env["address"].Value);
        Assert.Equal("10.220.32.40", cluster.ApiServerVip?.ToString());
    }

    [Fact]
    public void Render_AksHciWithSkuNone_HoldsTheApiServerVipFromTheVipPool()
    {
        var (state, cluster) = Cluster("contoso-multicluster.yaml", "legacy");
        var vip = state.Allocations.Single(a => a.Owner == PoolIds.ApiServer("legacy"));

        var env = Env(Pod(KubeVipRenderer.StaticPod(state.Site, cluster, firstControlPlane: false)));

        Assert.Equal(PoolIds.Vips("mgmtvnet"), vip.Pool);
        Assert.Equal(vip.Address, env["address"].Value);
    }

    [Fact]
    public void Render_IsAHostNetworkStaticPodWithArpLeaderElection()
    {
        var (state, cluster) = Cluster("aksarc-site.yaml", "a");

        var pod = Pod(KubeVipRenderer.StaticPod(state.Site, cluster, firstControlPlane: false));
        var env = Env(pod);

        Assert.Equal("v1", Scalar(pod, "apiVersion"));
        Assert.Equal("Pod", Scalar(pod, "kind"));
        Assert.Equal("kube-system", Scalar(pod, "metadata", "namespace"));
        Assert.Equal("true", Scalar(pod, "spec", "hostNetwork"));
        var image = Scalar(pod, "spec", "containers", 0, "image");
        Assert.StartsWith("ghcr.io/kube-vip/kube-vip:v", image, StringComparison.Ordinal);
        Assert.DoesNotContain("latest", image, StringComparison.Ordinal);
        Assert.Equal("manager", Scalar(pod, "spec", "containers", 0, "args", 0));
        foreach (var (name, value) in new[]
        {
            ("vip_arp", "true"), ("port", "6443"), ("vip_interface", "eth0"), ("cp_enable", "true"), ("vip_leaderelection", "true"),
            ("vip_leaseduration", "5"), ("vip_renewdeadline", "3"), ("vip_retryperiod", "1"),
        })
        {
            Assert.Equal(value, env[name].Value);
        }

        // Kubernetes env values are strings: "true" and "6443" must be quoted, not YAML booleans and numbers.
        Assert.All(env.Values.Where(v => v.Value is "true" or "false" || int.TryParse(v.Value, out _)),
            v => Assert.Equal(YamlDotNet.Core.ScalarStyle.DoubleQuoted, v.Style));
        Assert.Equal(["NET_ADMIN", "NET_RAW"],
            ((YamlSequenceNode)At(pod, "spec", "containers", 0, "securityContext", "capabilities", "add")).Children.Select(c => ((YamlScalarNode)c).Value));
        Assert.Equal("/etc/kubernetes/admin.conf", Scalar(pod, "spec", "containers", 0, "volumeMounts", 0, "mountPath"));
        Assert.Equal("/etc/kubernetes/admin.conf", Scalar(pod, "spec", "volumes", 0, "hostPath", "path"));
        Assert.Equal(Scalar(pod, "spec", "volumes", 0, "name"), Scalar(pod, "spec", "containers", 0, "volumeMounts", 0, "name"));
    }

    [Fact]
    public void Render_IsDeterministic()
    {
        var (a, ca) = Cluster("aksarc-site.yaml", "a");
        var (b, cb) = Cluster("aksarc-site.yaml", "a");

        var text = KubeVipRenderer.StaticPod(a.Site, ca, firstControlPlane: false);

        Assert.Equal(text, KubeVipRenderer.StaticPod(b.Site, cb, firstControlPlane: false));
        Assert.DoesNotContain('\r', text);
    }

    [Fact]
    public void Render_RejectsAClusterWhoseVipKeepalivedHolds()
    {
        var (state, cluster) = Cluster("contoso-multicluster.yaml", "payments");

        Assert.Throws<InvalidOperationException>(() => KubeVipRenderer.StaticPod(state.Site, cluster, firstControlPlane: false));
    }

    private static ExampleState WithSpec(string file, Func<Core.Model.SiteSpec, Core.Model.SiteSpec> change) =>
        ExampleState.FromSpec(change(Core.Model.SiteSpecReader.Read(File.ReadAllText(Path.Combine(ExampleState.ExamplesDirectory, file))).Spec!));

    [Theory]
    [InlineData("v1.29.4", true, "/etc/kubernetes/super-admin.conf")]
    [InlineData("v1.30.0", true, "/etc/kubernetes/super-admin.conf")]
    [InlineData("v1.28.5", true, "/etc/kubernetes/admin.conf")]
    [InlineData("v1.29.4", false, "/etc/kubernetes/admin.conf")]
    public void StaticPod_KubeVipOnCurrentKubernetes_FirstControlPlaneMountsSuperAdminConf(string version, bool first, string hostPath)
    {
        var state = WithSpec("aksarc-site.yaml", s => s with { Clusters = s.Clusters.Select(c => c with { KubernetesVersion = version }).ToList() });
        var cluster = ClusterTopology.From(state.Site, state.Site.Clusters.Single(c => c.Name == "a"), state.Allocations);

        var pod = Pod(KubeVipRenderer.StaticPod(state.Site, cluster, first));

        Assert.Equal(hostPath, Scalar(pod, "spec", "volumes", 0, "hostPath", "path"));
        Assert.Equal("/etc/kubernetes/admin.conf", Scalar(pod, "spec", "containers", 0, "volumeMounts", 0, "mountPath"));
    }

    [Theory]
    [InlineData("aksarc-site.yaml")]
    [InlineData("contoso-multicluster.yaml")]
    public void SiteRenderer_KubeVipOnCurrentKubernetes_NeverASecondInstanceForTheApiServerVip(string file)
    {
        var state = ExampleState.Load(file);

        var files = SiteRenderer.Render(state.Site, state.Allocations, ["kube-vip"]);

        foreach (var f in files)
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(f.Content));
            var envs = stream.Documents.SelectMany(d => ((YamlMappingNode)d.RootNode).AllNodes.OfType<YamlMappingNode>())
                .Where(m => m.Children.ContainsKey("name") && m.Children.ContainsKey("value") && m["name"] is YamlScalarNode { Value: "cp_enable" });
            Assert.All(envs, e => Assert.Equal("false", ((YamlScalarNode)e["value"]).Value));
        }

        Assert.DoesNotContain(files, f => f.Path.EndsWith("/kube-vip.yaml", StringComparison.Ordinal));
    }

    [Fact]
    public void SiteRenderer_SkuNoneWithServicesAndNoMetalLb_RendersKubeVipForTheServicesOnly()
    {
        var state = WithSpec("contoso-multicluster.yaml", s => s with { Clusters = s.Clusters.Select(c => c.Name == "legacy" ? c with { LoadBalancers = [], BgpPeers = [] } : c).ToList() });

        var file = Assert.Single(SiteRenderer.Render(state.Site, state.Allocations, ["kube-vip"], "legacy"));

        Assert.Equal("clusters/legacy/kube-vip/kube-vip-services.yaml", file.Path);
        var stream = new YamlStream();
        stream.Load(new StringReader(file.Content));
        var daemonSet = (YamlMappingNode)stream.Documents.Single(d => ((YamlScalarNode)d.RootNode["kind"]).Value == "DaemonSet").RootNode;
        var env = ((YamlSequenceNode)At(daemonSet, "spec", "template", "spec", "containers", 0, "env")).Children
            .ToDictionary(e => Scalar(e, "name"), e => Scalar(e, "value"));
        Assert.Equal("false", env["cp_enable"]);
        Assert.Equal("true", env["svc_enable"]);
        Assert.False(env.ContainsKey("address"));
        Assert.Contains("never holds that VIP", file.Content, StringComparison.Ordinal);
    }

    [Fact]
    public void SiteRenderer_KubeVipControlPlaneSetting_RendersOneStaticPodPerControlPlaneNode()
    {
        var state = WithSpec("aksarc-site.yaml", s => s with { Settings = s.Settings with { KubeVipControlPlane = true } });
        var cluster = ClusterTopology.From(state.Site, state.Site.Clusters.Single(c => c.Name == "a"), state.Allocations);

        var files = SiteRenderer.Render(state.Site, state.Allocations, ["kube-vip"], "a");

        Assert.Equal(cluster.ControlPlane.Select(n => $"clusters/a/nodes/{n.Name}/kube-vip.yaml"), files.Select(f => f.Path).Where(p => p.EndsWith("/kube-vip.yaml", StringComparison.Ordinal)));
        Assert.Contains("super-admin.conf", files.First(f => f.Path.EndsWith("/kube-vip.yaml", StringComparison.Ordinal)).Content, StringComparison.Ordinal);
    }
}
