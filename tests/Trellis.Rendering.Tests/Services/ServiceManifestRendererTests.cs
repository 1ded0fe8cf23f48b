using System.Text.RegularExpressions;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Rendering.HaProxy;
using Trellis.Rendering.Services;
using Trellis.Rendering.Tests.HaProxy;
using YamlDotNet.RepresentationModel;

namespace Trellis.Rendering.Tests.Services;

public partial class ServiceManifestRendererTests
{
    [GeneratedRegex(@"^    server \S+ (?<address>[0-9.]+):(?<port>\d+) check$")]
    private static partial Regex ServerLine();

    [GeneratedRegex(@"^frontend frontend_(?<vip>[0-9.]+)_(?<port>\d+)$")]
    private static partial Regex FrontendLine();

    private static List<YamlMappingNode> Documents(string yaml) => YamlDocuments.Parse(yaml);

    private static string Scalar(YamlNode node, params string[] path) => YamlDocuments.Scalar(node, path);

    private static IReadOnlyDictionary<string, string> Annotations(YamlMappingNode service) =>
        ((YamlMappingNode)service["metadata"]).Children.TryGetValue(new YamlScalarNode("annotations"), out var a)
            ? ((YamlMappingNode)a).Children.ToDictionary(k => ((YamlScalarNode)k.Key).Value!, k => ((YamlScalarNode)k.Value).Value!, StringComparer.Ordinal)
            : new Dictionary<string, string>();

    /// <summary>(VIP, port, protocol) → NodePort, as the Service manifests pin them.</summary>
    private static Dictionary<(string Vip, int Port), int> PinnedNodePorts(string yaml, Func<YamlMappingNode, string> vipOf)
    {
        var pinned = new Dictionary<(string, int), int>();
        foreach (var service in Documents(yaml))
        {
            foreach (YamlMappingNode port in (YamlSequenceNode)service["spec"]["ports"])
            {
                pinned.Add((vipOf(service), int.Parse(Scalar(port, "port"), System.Globalization.CultureInfo.InvariantCulture)),
                    int.Parse(Scalar(port, "nodePort"), System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return pinned;
    }

    [Theory]
    [InlineData("contoso-multicluster.yaml", "payments")]
    [InlineData("contoso-multicluster.yaml", "analytics")]
    [InlineData("worked-example.yaml", "a")]
    [InlineData("dhcp-site.yaml", "edge")]
    public void NodePortsInHaProxyCfg_EqualThoseTheServiceManifestsPin(string file, string cluster)
    {
        var (site, topology) = LoadBalancedClusters.Load(file, cluster);
        var yaml = ServiceManifestRenderer.Render(site, topology);
        var pinned = PinnedNodePorts(yaml, s => Scalar(s, "spec", "loadBalancerIP"));

        var inHaProxy = new Dictionary<(string Vip, int Port), int>();
        (string Vip, int Port)? frontend = null;
        foreach (var line in HaProxyConfigRenderer.Render(site, topology, topology.LoadBalancerVms[0]).Split('\n'))
        {
            if (FrontendLine().Match(line) is { Success: true } f && f.Groups["port"].Value != "6443")
            {
                frontend = (f.Groups["vip"].Value, int.Parse(f.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
            else if (frontend is { } key && ServerLine().Match(line) is { Success: true } s)
            {
                var nodePort = int.Parse(s.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);
                Assert.True(inHaProxy.TryAdd(key, nodePort) || inHaProxy[key] == nodePort, $"{key} goes to two NodePorts");
            }
        }

        Assert.NotEmpty(pinned);
        Assert.Equal(pinned.OrderBy(p => p.Key), inHaProxy.OrderBy(p => p.Key));
    }

    [Fact]
    public void Render_HaProxySku_PinsNodePorts_AndAsksForTheVipInLoadBalancerIp_SharedServicesTheSameOne()
    {
        var (site, payments) = LoadBalancedClusters.Load("contoso-multicluster.yaml", "payments");
        var services = Documents(ServiceManifestRenderer.Render(site, payments));

        Assert.Equal(ServiceVipHolder.HaProxy, ServiceManifestRenderer.HolderOf(site, payments));
        Assert.Equal(payments.Cluster.Spec.Services.Count, services.Count);
        foreach (var service in services)
        {
            Assert.Equal("v1", Scalar(service, "apiVersion"));
            Assert.Equal("Service", Scalar(service, "kind"));
            Assert.Equal("LoadBalancer", Scalar(service, "spec", "type"));
            var name = Scalar(service, "metadata", "name");
            var vip = Assert.Single(payments.ServiceVips, v => v.Ports.Any(p => p.Service == name));
            Assert.Equal(vip.Address.ToString(), Scalar(service, "spec", "loadBalancerIP"));
            Assert.Empty(Annotations(service));
        }

        var front = payments.Cluster.Spec.Services.Where(s => s.SharedIpKey == "front").Select(s => s.Name).ToHashSet();
        Assert.Equal(2, front.Count);
        Assert.Single(services.Where(s => front.Contains(Scalar(s, "metadata", "name"))).Select(s => Scalar(s, "spec", "loadBalancerIP")).Distinct());
    }

    [Fact]
    public void Render_MetalLb_AsksForTheVipByAnnotation_AndSharesItByTheSharingKey()
    {
        var (site, cluster) = LoadBalancedClusters.Load("aksarc-site.yaml", ExampleState.Load("aksarc-site.yaml").Site.Clusters[0].Name);
        var services = Documents(ServiceManifestRenderer.Render(site, cluster));

        Assert.Equal(ServiceVipHolder.MetalLb, ServiceManifestRenderer.HolderOf(site, cluster));
        Assert.NotEmpty(services);
        foreach (var service in services)
        {
            var name = Scalar(service, "metadata", "name");
            var spec = cluster.Cluster.Spec.Services.Single(s => s.Name == name);
            var vip = Assert.Single(cluster.ServiceVips, v => v.Ports.Any(p => p.Service == name));
            var annotations = Annotations(service);

            Assert.Equal(vip.Address.ToString(), annotations["metallb.universe.tf/loadBalancerIPs"]);
            Assert.False(((YamlMappingNode)service["spec"]).Children.ContainsKey(new YamlScalarNode("loadBalancerIP")));
            if (spec.SharedIpKey is { } key)
            {
                Assert.Equal(key, annotations["metallb.universe.tf/allow-shared-ip"]);
                Assert.Equal("Cluster", Scalar(service, "spec", "externalTrafficPolicy"));
            }
            else
            {
                Assert.False(annotations.ContainsKey("metallb.universe.tf/allow-shared-ip"));
            }
        }

        Assert.Contains(services, s => Annotations(s).ContainsKey("metallb.universe.tf/allow-shared-ip"));
    }

    [Fact]
    public void Render_SkuNoneWithoutMetalLb_AsksKubeVipForTheVip()
    {
        var spec = LoadBalancedClusters.Spec("worked-example.yaml");
        spec = spec with
        {
            LoadBalancerSettings = [new LoadBalancerSettingSpec { Name = "byolb", LoadBalancerSku = LoadBalancerSku.None }],
            Clusters = [spec.Clusters[0] with { LoadBalancerSettings = "byolb" }, spec.Clusters[1]],
        };
        var (site, a) = LoadBalancedClusters.From(spec, "a");
        var services = Documents(ServiceManifestRenderer.Render(site, a));

        Assert.Equal(ServiceVipHolder.KubeVip, ServiceManifestRenderer.HolderOf(site, a));
        Assert.All(services, s => Assert.Equal(Scalar(s, "spec", "loadBalancerIP"), Annotations(s)["kube-vip.io/loadbalancerIPs"]));
    }

    [Fact]
    public void Render_AMultiPortService_NamesEachPort_AsKubernetesRequires()
    {
        var spec = LoadBalancedClusters.Spec("worked-example.yaml");
        spec = spec with
        {
            Clusters = [spec.Clusters[0] with { Services = [new ServiceSpec { Namespace = "shop", Name = "both", Ports = [443, 80] }] }, spec.Clusters[1]],
        };
        var (site, a) = LoadBalancedClusters.From(spec, "a");
        var service = Assert.Single(Documents(ServiceManifestRenderer.Render(site, a)));
        var ports = ((YamlSequenceNode)service["spec"]["ports"]).Cast<YamlMappingNode>().ToList();

        Assert.Equal(["tcp-80", "tcp-443"], ports.Select(p => Scalar(p, "name")));
        Assert.Equal(["80", "443"], ports.Select(p => Scalar(p, "port")));
        Assert.Equal(a.ServiceVips[0].Ports.Select(p => p.NodePort.ToString(System.Globalization.CultureInfo.InvariantCulture)), ports.Select(p => Scalar(p, "nodePort")));
    }

    [Fact]
    public void Render_HostileNamesAndKeys_ParseBackToExactlyTheSameValues_AndNoExtraDocument()
    {
        var (site, cluster) = LoadBalancedClusters.Load("aksarc-site.yaml", ExampleState.Load("aksarc-site.yaml").Site.Clusters[0].Name);
        string[] hostile =
        [
            "x\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding",
            "it's \"quoted\" ‘’‚‛ “” `tick` $(cmd) ${var} # not a comment",
            "123", "true", "null", "~", "- item", "key: value", "tab\there", "nul\0byte", "line\u2028sep\u2029para\u0085nel",
        ];
        var vip = cluster.ServiceVips.First(v => v.Ports.Count > 0);
        var port = vip.Ports[0];
        var services = hostile.Select((h, i) => new ServiceSpec { Namespace = h, Name = $"{h}{i}", Ports = [port.Port], SharedIpKey = h }).ToList();
        var hostileCluster = cluster with
        {
            Cluster = cluster.Cluster with { Spec = cluster.Cluster.Spec with { Services = services } },
            ServiceVips = [vip with { Ports = services.Select(s => port with { Namespace = s.Namespace, Service = s.Name }).ToList() }],
        };

        var documents = Documents(ServiceManifestRenderer.Render(site, hostileCluster));

        Assert.Equal(services.Count, documents.Count);
        Assert.All(documents, d => Assert.Equal("Service", Scalar(d, "kind")));
        Assert.Equal(
            services.Select(s => (s.Namespace, s.Name, s.SharedIpKey!)).OrderBy(s => s.Namespace, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal),
            documents.Select(d => (Scalar(d, "metadata", "namespace"), Scalar(d, "metadata", "name"), Annotations(d)["metallb.universe.tf/allow-shared-ip"])));
    }

    [Fact]
    public void SiteRenderer_RendersTheServiceManifests_InAll_AndAsTheServicesComponent()
    {
        var state = ExampleState.Load("contoso-multicluster.yaml");

        var all = SiteRenderer.Render(state.Site, state.Allocations);
        var only = SiteRenderer.Render(state.Site, state.Allocations, ["services"]);

        Assert.Contains("services", SiteRenderer.Components);
        Assert.Equal(only, all.Where(f => f.Component == "services"));
        Assert.Equal(
            state.Site.Clusters.Where(c => c.Spec.Services.Count > 0).Select(c => $"clusters/{c.Name}/services/services.yaml").Order(StringComparer.Ordinal),
            only.Select(f => f.Path));
    }
}
