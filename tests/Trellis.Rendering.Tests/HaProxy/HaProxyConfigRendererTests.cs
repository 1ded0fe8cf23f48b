using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Rendering.HaProxy;

namespace Trellis.Rendering.Tests.HaProxy;

public class HaProxyConfigRendererTests
{
    private static string Render(string file, string cluster, int vm = 0)
    {
        var (site, topology) = LoadBalancedClusters.Load(file, cluster);
        return HaProxyConfigRenderer.Render(site, topology, topology.LoadBalancerVms[vm]);
    }

    /// <summary>The lines of one section (<c>frontend x</c>, <c>backend x</c>), up to the next blank line.</summary>
    private static List<string> Section(string config, string header)
    {
        var lines = config.Split('\n');
        var start = Array.IndexOf(lines, header);
        Assert.True(start >= 0, $"no section '{header}' in:\n{config}");
        return lines.Skip(start + 1).TakeWhile(l => l.Length > 0).Select(l => l.Trim()).ToList();
    }

    [Fact]
    public void Render_ApiServerFrontend_BindsTheVipOn6443_ToEveryControlPlaneNode()
    {
        var (site, payments) = LoadBalancedClusters.Load("contoso-multicluster.yaml", "payments");
        var config = HaProxyConfigRenderer.Render(site, payments, payments.LoadBalancerVms[0]);
        var vip = payments.ApiServerVip!.ToString();

        var frontend = Section(config, $"frontend frontend_{vip}_6443");
        Assert.Contains($"bind {vip}:6443 transparent", frontend);
        Assert.Contains($"default_backend backend_{vip}_6443", frontend);
        var backend = Section(config, $"backend backend_{vip}_6443");
        Assert.Contains("option httpchk GET /readyz", backend);
        Assert.Contains("http-check expect status 200", backend);
        var servers = backend.Where(l => l.StartsWith("server ", StringComparison.Ordinal)).ToList();
        Assert.Equal(payments.ControlPlane.Select(n => $"server {n.Name} {n.Address}:6443 check check-ssl verify none"), servers);
        Assert.Equal(3, servers.Count);
    }

    [Fact]
    public void Render_EveryServicePort_HasItsFrontend_ToEveryWorkersNodePort_LinuxAndWindows()
    {
        var (site, payments) = LoadBalancedClusters.Load("contoso-multicluster.yaml", "payments");
        var config = HaProxyConfigRenderer.Render(site, payments, payments.LoadBalancerVms[0]);
        var workers = payments.Workers.ToList();
        Assert.Contains(workers, w => w.Os == OsType.Windows);

        var ports = payments.ServiceVips.SelectMany(v => v.Ports.Select(p => (Vip: v.Address.ToString(), Port: p))).ToList();
        Assert.Equal(3, ports.Count);
        foreach (var (vip, port) in ports)
        {
            var name = $"{vip}_{port.Port}";
            Assert.Contains($"bind {vip}:{port.Port} transparent", Section(config, $"frontend frontend_{name}"));
            var backend = Section(config, $"backend backend_{name}");
            Assert.Contains("balance roundrobin", backend);
            Assert.Equal(workers.Select(w => $"server {w.Name} {w.Address}:{port.NodePort} check"),
                backend.Where(l => l.StartsWith("server ", StringComparison.Ordinal)));
        }

        Assert.Equal(1 + ports.Count, config.Split('\n').Count(l => l.StartsWith("frontend frontend_", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("contoso-multicluster.yaml", "payments", "front", 80, 443)]
    [InlineData("worked-example.yaml", "a", "front", 80, 443)]
    public void Render_SharedIpServices_ShareOneVip_OnTwoPorts(string file, string cluster, string key, int first, int second)
    {
        var (site, topology) = LoadBalancedClusters.Load(file, cluster);
        var config = HaProxyConfigRenderer.Render(site, topology, topology.LoadBalancerVms[0]);
        var sharing = topology.Cluster.Spec.Services.Where(s => s.SharedIpKey == key).Select(s => s.Name).ToHashSet();
        var shared = Assert.Single(topology.ServiceVips, v => v.Ports.Any(p => sharing.Contains(p.Service)));

        Assert.Equal([first, second], shared.Ports.Select(p => p.Port).Order());
        Assert.Contains($"frontend frontend_{shared.Address}_{first}", config.Split('\n'));
        Assert.Contains($"frontend frontend_{shared.Address}_{second}", config.Split('\n'));
        Assert.NotEqual(shared.Ports[0].NodePort, shared.Ports[1].NodePort);
    }

    [Fact]
    public void Render_Defaults_AreThoseObservedOnAksHybridLoadBalancerVms()
    {
        var defaults = Section(Render("worked-example.yaml", "a"), "defaults");

        Assert.Contains("mode tcp", defaults);
        Assert.Contains("timeout client 30s", defaults);
        Assert.Contains("timeout server 30s", defaults);
        Assert.Contains("timeout connect 10s", defaults);
        Assert.Contains("timeout tunnel 24d", defaults);
        Assert.Contains("maxconn 10000", defaults);
        Assert.Contains("default-server inter 2s fall 2 rise 2", defaults);
    }

    internal static List<string> StatsSection(Core.Planning.ResolvedSite site, Core.Planning.ClusterTopology cluster, Core.Planning.PlacedVm vm) =>
        Section(HaProxyConfigRenderer.Render(site, cluster, vm), "frontend stats");

    [Fact]
    public void Render_Stats_ListenOnLoopbackOnly_NoUnauthenticatedAdminSurface()
    {
        var (site, payments) = LoadBalancedClusters.Load("contoso-multicluster.yaml", "payments");
        foreach (var vm in payments.LoadBalancerVms)
        {
            var config = HaProxyConfigRenderer.Render(site, payments, vm);
            var stats = Section(config, "frontend stats");

            Assert.Equal(["bind 127.0.0.1:8404"], stats.Where(l => l.StartsWith("bind ", StringComparison.Ordinal)));
            Assert.Contains("stats enable", stats);
            Assert.Contains("stats uri /stats", stats);
            Assert.DoesNotContain($"{vm.Address}:8404", config, StringComparison.Ordinal);
            Assert.DoesNotContain("stats auth", config, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Render_TheLoadBalancerVmsOfOneCluster_DifferOnlyInTheirHeader()
    {
        var (site, payments) = LoadBalancedClusters.Load("contoso-multicluster.yaml", "payments");
        var first = HaProxyConfigRenderer.Render(site, payments, payments.LoadBalancerVms[0]).Split('\n');
        var second = HaProxyConfigRenderer.Render(site, payments, payments.LoadBalancerVms[1]).Split('\n');

        var differing = first.Zip(second).Where(p => p.First != p.Second).ToList();
        Assert.Equal(first.Length, second.Length);
        var only = Assert.Single(differing);
        Assert.StartsWith("# haproxy.cfg of load-balancer-1", only.First, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_EachServicePort_NamesTheManifestThatPinsItsNodePort()
    {
        var (site, payments) = LoadBalancedClusters.Load("contoso-multicluster.yaml", "payments");
        var lines = HaProxyConfigRenderer.Render(site, payments, payments.LoadBalancerVms[0]).Split('\n');

        foreach (var (vip, port) in HaProxyConfigRenderer.ServicePorts(payments))
        {
            var frontend = Array.IndexOf(lines, $"frontend frontend_{vip.Address}_{port.Port}");
            Assert.Equal(
                $"# {port.Namespace}/{port.Service} TCP {port.Port} -> NodePort {port.NodePort}, pinned by clusters/payments/services/services.yaml (Service {port.Namespace}/{port.Service})",
                lines[frontend - 1]);
        }
    }

    [Theory]
    [InlineData("linux pool-1")]
    [InlineData("linux#pool-1")]
    [InlineData("linux'pool-1")]
    [InlineData("linux\"pool-1")]
    [InlineData("linux\\pool-1")]
    [InlineData("linux$pool-1")]
    [InlineData("linux\npool-1")]
    [InlineData("linux\tpool-1")]
    [InlineData("linux\u2028pool-1")]
    [InlineData("linuxpöol-1")]
    [InlineData("")]
    public void Render_RefusesANodeNameHaProxyCannotHold(string name)
    {
        var (site, payments) = LoadBalancedClusters.Load("contoso-multicluster.yaml", "payments");
        var hostile = payments with { Nodes = [.. payments.Nodes.Select((n, i) => i == payments.Nodes.Count - 1 ? n with { Name = name } : n)] };

        var e = Assert.Throws<UnrenderableValueException>(() => HaProxyConfigRenderer.Render(site, hostile, hostile.LoadBalancerVms[0]));
        Assert.Equal("UnrenderableValue", e.Finding.Code);
        Assert.Contains("haproxy.cfg", e.Finding.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Finding.Message);
    }

    [Fact]
    public void Render_ServiceNameWithALineBreak_StaysInItsComment()
    {
        var (site, payments) = LoadBalancedClusters.Load("contoso-multicluster.yaml", "payments");
        var vip = payments.ServiceVips[0];
        var hostile = payments with { ServiceVips = [vip with { Ports = [vip.Ports[0] with { Service = "web\nlisten evil\n    bind :22" }] }] };

        var config = HaProxyConfigRenderer.Render(site, hostile, hostile.LoadBalancerVms[0]).Split('\n');

        Assert.DoesNotContain(config, l => l.StartsWith("listen", StringComparison.Ordinal) || l.Contains("bind :22", StringComparison.Ordinal) && !l.StartsWith('#'));
        Assert.Contains(config, l => l.StartsWith("# shop/web\\u000Alisten evil\\u000A    bind :22 TCP ", StringComparison.Ordinal));
    }

    [Fact]
    public void Render_SiteNameWithQuotesAndUnicode_RoundTripsInTheHeaderComment()
    {
        var (site, payments) = LoadBalancedClusters.Load("contoso-multicluster.yaml", "payments");
        var name = "con’to\"so '#! {x} $(y) ${z} `w` \\";
        var config = HaProxyConfigRenderer.Render(site with { Spec = site.Spec with { Name = name } }, payments, payments.LoadBalancerVms[0]);

        Assert.Equal($"# haproxy.cfg of load-balancer-1 ({payments.LoadBalancerVms[0].Address}) for cluster payments of site {name}.", config.Split('\n')[0]);
    }

    [Fact]
    public void Render_IsDeterministic_WithLfEndings_AndAHeaderNamingClusterAndVm()
    {
        var once = Render("contoso-multicluster.yaml", "analytics", 1);
        var twice = Render("contoso-multicluster.yaml", "analytics", 1);

        Assert.Equal(once, twice);
        Assert.DoesNotContain('\r', once);
        Assert.EndsWith("\n", once, StringComparison.Ordinal);
        Assert.StartsWith("# haproxy.cfg of load-balancer-2 (", once, StringComparison.Ordinal);
        Assert.Contains("for cluster analytics of site contoso", once.Split('\n')[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Render_FrontendsFollowVipAddressOrder_ThenPortOrder()
    {
        var frontends = Render("worked-example.yaml", "a").Split('\n')
            .Where(l => l.StartsWith("frontend frontend_", StringComparison.Ordinal)).ToList();

        Assert.Equal(
        [
            "frontend frontend_172.16.0.150_6443",
            "frontend frontend_172.16.0.151_80",
            "frontend frontend_172.16.0.151_443",
            "frontend frontend_172.16.0.152_443",
            "frontend frontend_172.16.0.153_443",
        ], frontends);
    }

    [Fact]
    public void Render_ClusterWithoutServices_FrontsOnlyTheApiServer()
    {
        var config = Render("worked-example.yaml", "b");

        Assert.Single(config.Split('\n'), l => l.StartsWith("frontend frontend_", StringComparison.Ordinal));
        Assert.Contains("frontend frontend_172.16.0.154_6443", config.Split('\n'));
    }

    [Fact]
    public void Render_DhcpSite_UsesTheLeasedNodeAddresses()
    {
        var (site, edge) = LoadBalancedClusters.Load("dhcp-site.yaml", "edge");
        var config = HaProxyConfigRenderer.Render(site, edge, Assert.Single(edge.LoadBalancerVms));

        Assert.Equal(5, edge.Workers.Count());
        foreach (var w in edge.Workers)
        {
            Assert.Contains($"    server {w.Name} {w.Address}:", config, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Render_UdpServicePort_IsNamedButNotProxied()
    {
        // Validation refuses a UDP service on the HAProxy SKU (ProtocolNotOnHaProxy); a state stored before that rule
        // can still hold one, and its file must then say so rather than proxy it or drop it silently.
        var (site, a) = LoadBalancedClusters.Load("worked-example.yaml", "a");
        var vip = a.ServiceVips[0];
        var udp = new PlacedServicePort("dns", "coredns", "UDP", 53, 30053);
        a = a with { ServiceVips = [vip with { Ports = [.. vip.Ports, udp] }, .. a.ServiceVips.Skip(1)] };

        var config = HaProxyConfigRenderer.Render(site, a, a.LoadBalancerVms[0]);

        Assert.Contains("# dns/coredns UDP 53 -> NodePort 30053", config, StringComparison.Ordinal);
        Assert.Contains("# not load balanced: HAProxy proxies TCP only", config, StringComparison.Ordinal);
        Assert.DoesNotContain($"frontend_{vip.Address}_53", config, StringComparison.Ordinal);
        Assert.Contains($"frontend_{vip.Address}_{vip.Ports[0].Port}", config, StringComparison.Ordinal);
    }
}
