using System.Text.Json;
using Trellis.Core.Planning;
using Trellis.Rendering.MetalLb;

namespace Trellis.Rendering.Tests.MetalLb;

public sealed class LoadBalancerJsonRendererTests
{
    private static (ExampleState State, ClusterTopology Cluster) Cluster(string file, string name)
    {
        var state = ExampleState.Load(file);
        return (state, ClusterTopology.From(state.Site, state.Site.Clusters.Single(c => c.Name == name), state.Allocations));
    }

    private static int NodePort(ExampleState state, string cluster, string ns, string service, int port) =>
        int.Parse(state.Allocations.Single(a => a.Pool == PoolIds.NodePorts(cluster) && a.Owner == PoolIds.NodePort(cluster, ns, service, "TCP", port)).Address,
            System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Render_ApiServer_FrontsTheControlPlaneOn6443WithAReadyzCheck()
    {
        var (state, cluster) = Cluster("contoso-multicluster.yaml", "payments");

        using var doc = JsonDocument.Parse(LoadBalancerJsonRenderer.Render(state.Site, cluster));
        var api = doc.RootElement.GetProperty("frontends")[0];

        Assert.Equal("payments", doc.RootElement.GetProperty("cluster").GetString());
        Assert.Equal("api-server", api.GetProperty("name").GetString());
        Assert.Equal(state.Allocations.Single(a => a.Owner == PoolIds.ApiServer("payments")).Address, api.GetProperty("vip").GetString());
        Assert.Equal(6443, api.GetProperty("port").GetInt32());
        Assert.Equal("tcp", api.GetProperty("protocol").GetString());
        Assert.Equal(["control-plane-1", "control-plane-2", "control-plane-3"], api.GetProperty("backends").EnumerateArray().Select(b => b.GetProperty("node").GetString()));
        Assert.All(api.GetProperty("backends").EnumerateArray(), b => Assert.Equal(6443, b.GetProperty("port").GetInt32()));
        Assert.Equal(cluster.ControlPlane.Select(n => n.Address.ToString()), api.GetProperty("backends").EnumerateArray().Select(b => b.GetProperty("address").GetString()));
        Assert.Equal("https", api.GetProperty("healthCheck").GetProperty("type").GetString());
        Assert.Equal("/readyz", api.GetProperty("healthCheck").GetProperty("path").GetString());
    }

    [Fact]
    public void Render_ServicePorts_FrontEveryWorkerOnTheServicesNodePort()
    {
        var (state, cluster) = Cluster("contoso-multicluster.yaml", "payments");

        using var doc = JsonDocument.Parse(LoadBalancerJsonRenderer.Render(state.Site, cluster));
        var services = doc.RootElement.GetProperty("frontends").EnumerateArray().Skip(1).ToList();

        // Shared VIPs first in spec order, each VIP's ports ascending.
        Assert.Equal(["shop/api:80", "shop/web:443", "shop/checkout:8443"], services.Select(f => f.GetProperty("name").GetString()));
        var workers = cluster.Workers.ToList();
        Assert.Equal(10, workers.Count);
        foreach (var f in services)
        {
            var name = f.GetProperty("name").GetString()!.Split('/', ':');
            var (ns, service) = (name[0], name[1]);
            var port = f.GetProperty("port").GetInt32();
            var nodePort = NodePort(state, "payments", ns, service, port);
            var backends = f.GetProperty("backends").EnumerateArray().ToList();

            Assert.Equal(workers.Select(w => w.Name), backends.Select(b => b.GetProperty("node").GetString()));
            Assert.Equal(workers.Select(w => w.Address.ToString()), backends.Select(b => b.GetProperty("address").GetString()));
            Assert.All(backends, b => Assert.Equal(nodePort, b.GetProperty("port").GetInt32()));
            Assert.Equal("tcp", f.GetProperty("healthCheck").GetProperty("type").GetString());
            Assert.Equal(nodePort, f.GetProperty("healthCheck").GetProperty("port").GetInt32());
        }
    }

    [Fact]
    public void Render_ServicesSharingAKey_ShareOneVip()
    {
        var (state, cluster) = Cluster("contoso-multicluster.yaml", "payments");

        using var doc = JsonDocument.Parse(LoadBalancerJsonRenderer.Render(state.Site, cluster));
        var vip = doc.RootElement.GetProperty("frontends").EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!, f => f.GetProperty("vip").GetString());

        Assert.Equal(vip["shop/web:443"], vip["shop/api:80"]);
        Assert.NotEqual(vip["shop/web:443"], vip["shop/checkout:8443"]);
        Assert.Equal(3, vip.Values.Distinct().Count());
    }

    [Fact]
    public void Render_UdpService_HasNoTcpHealthCheck()
    {
        // legacy runs SKU none with MetalLB: the one place a UDP LoadBalancer service is valid.
        var spec = Core.Model.SiteSpecReader.Read(File.ReadAllText(Path.Combine(ExampleState.ExamplesDirectory, "contoso-multicluster.yaml"))).Spec!;
        spec = spec with
        {
            Clusters = spec.Clusters.Select(c => c.Name == "legacy"
                ? c with { Services = [.. c.Services, new Core.Model.ServiceSpec { Namespace = "intranet", Name = "syslog", Ports = [514], Protocol = "UDP" }] }
                : c).ToList(),
        };
        var state = ExampleState.FromSpec(spec);
        var cluster = ClusterTopology.From(state.Site, state.Site.Clusters.Single(c => c.Name == "legacy"), state.Allocations);

        using var doc = JsonDocument.Parse(LoadBalancerJsonRenderer.Render(state.Site, cluster));
        var syslog = doc.RootElement.GetProperty("frontends").EnumerateArray().Single(f => f.GetProperty("name").GetString() == "intranet/syslog:514");

        Assert.Equal("udp", syslog.GetProperty("protocol").GetString());
        Assert.Equal(JsonValueKind.Null, syslog.GetProperty("healthCheck").ValueKind);
        Assert.Equal(4, syslog.GetProperty("backends").GetArrayLength());
        Assert.Equal(4, cluster.Workers.Count());
    }

    [Fact]
    public void Render_AksArc_FrontsTheControlPlaneIp()
    {
        var (state, cluster) = Cluster("aksarc-site.yaml", "a");

        using var doc = JsonDocument.Parse(LoadBalancerJsonRenderer.Render(state.Site, cluster));
        var frontends = doc.RootElement.GetProperty("frontends");

        Assert.Equal("10.220.32.40", frontends[0].GetProperty("vip").GetString());
        Assert.Equal(5, frontends.GetArrayLength());
    }

    [Fact]
    public void Render_IsDeterministic()
    {
        var (a, ca) = Cluster("contoso-multicluster.yaml", "payments");
        var (b, cb) = Cluster("contoso-multicluster.yaml", "payments");

        var text = LoadBalancerJsonRenderer.Render(a.Site, ca);

        Assert.Equal(text, LoadBalancerJsonRenderer.Render(b.Site, cb));
        Assert.DoesNotContain('\r', text);
        Assert.StartsWith("{\n  \"cluster\": \"payments\",\n  \"frontends\": [", text, StringComparison.Ordinal);
    }
}
