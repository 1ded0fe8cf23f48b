using System.Globalization;
using System.Net;
using Trellis.Core.Addressing;
using Trellis.Core.Planning;
using Trellis.Rendering.Emit;
using Trellis.Rendering.Services;

namespace Trellis.Rendering.HaProxy;

/// <summary>
/// The haproxy.cfg of one load balancer VM of a cluster, in the shape AKS hybrid's lbagent writes: an API server
/// frontend on the cluster's VIP to the control plane nodes, and one <c>frontend_&lt;VIP&gt;_&lt;port&gt;</c> per
/// LoadBalancer service port to every worker node's NodePort (pinned by the cluster's Service manifests). Layer 4
/// (TCP) only. Every value goes through <see cref="ConfigFileWriter.HaProxy"/>.
/// </summary>
public static class HaProxyConfigRenderer
{
    public const int ApiServerPort = 6443;
    public const int StatsPort = 8404;

    /// <summary>Where the stats page and the health endpoint listen: this VM's loopback only, so there is no unauthenticated admin surface.</summary>
    public static readonly IPAddress StatsAddress = IPAddress.Loopback;

    /// <summary>Answers 200 while HAProxy serves (monitor-uri); keepalived's check of HAProxy asks it.</summary>
    public const string HealthPath = "/healthz";

    public static string Render(ResolvedSite site, ClusterTopology cluster, PlacedVm loadBalancer)
    {
        var c = ConfigFileWriter.HaProxy();
        c.Comment($"haproxy.cfg of {loadBalancer.Name} ({loadBalancer.Address}) for cluster {cluster.Name} of site {site.Spec.Name}.")
            .Comment("Rendered by Trellis from the stored plan; do not edit, re-render instead.")
            .Blank();

        c.Line(0, "global")
            .Line(1, "log", "stdout", "format", "raw", "local0")
            .Line(1, "maxconn", "10000")
            .Blank();

        c.Line(0, "defaults")
            .Line(1, "mode", "tcp")
            .Line(1, "log", "global")
            .Line(1, "option", "tcplog")
            .Line(1, "option", "dontlognull")
            .Line(1, "option", "redispatch")
            .Line(1, "retries", "3")
            .Line(1, "maxconn", "10000")
            .Line(1, "timeout", "connect", "10s")
            .Line(1, "timeout", "client", "30s")
            .Line(1, "timeout", "server", "30s")
            .Line(1, "timeout", "tunnel", "24d")
            .Line(1, "default-server", "inter", "2s", "fall", "2", "rise", "2")
            .Blank();

        c.Comment("Statistics and the health endpoint keepalived checks, on this VM's loopback only (an SSH tunnel reaches the page).")
            .Line(0, "frontend", "stats")
            .Line(1, "mode", "http")
            .Line(1, "option", "httplog")
            .Line(1, "bind", Endpoint(StatsAddress, StatsPort))
            .Line(1, "monitor-uri", HealthPath)
            .Line(1, "stats", "enable")
            .Line(1, "stats", "uri", "/stats")
            .Line(1, "stats", "refresh", "10s");

        if (cluster.ApiServerVip is { } apiVip)
        {
            var name = c.Name(ProxyName(apiVip, ApiServerPort), "a proxy name");
            c.Blank().Comment($"Kubernetes API server of {cluster.Name}");
            Frontend(c, name, apiVip, ApiServerPort);
            c.Blank()
                .Line(0, "backend", $"backend_{name}")
                .Line(1, "balance", "roundrobin")
                .Line(1, "option", "httpchk", "GET", "/readyz")
                .Line(1, "http-check", "expect", "status", "200");
            foreach (var n in cluster.ControlPlane)
            {
                c.Line(1, "server", c.Name(n.Name, "a node name"), Endpoint(n.Address, ApiServerPort), "check", "check-ssl", "verify", "none");
            }
        }

        var manifest = ServiceManifestRenderer.PathOf(cluster);
        foreach (var (vip, port) in ServicePorts(cluster))
        {
            var name = c.Name(ProxyName(vip.Address, port.Port), "a proxy name");
            c.Blank().Comment($"{port.Namespace}/{port.Service} {port.Protocol} {Number(port.Port)} -> NodePort {Number(port.NodePort)}, pinned by {manifest} (Service {port.Namespace}/{port.Service})");
            if (!string.Equals(port.Protocol, "TCP", StringComparison.OrdinalIgnoreCase))
            {
                // HAProxy balances TCP only; the comment keeps the service visible to whoever reads the file.
                c.Comment("not load balanced: HAProxy proxies TCP only");
                continue;
            }

            Frontend(c, name, vip.Address, port.Port);
            c.Blank()
                .Line(0, "backend", $"backend_{name}")
                .Line(1, "balance", "roundrobin");
            foreach (var n in cluster.Workers)
            {
                c.Line(1, "server", c.Name(n.Name, "a node name"), Endpoint(n.Address, port.NodePort), "check");
            }
        }

        return c.ToString();
    }

    /// <summary>Service ports in address order, then port order: the same file for the same plan.</summary>
    public static IEnumerable<(PlacedVip Vip, PlacedServicePort Port)> ServicePorts(ClusterTopology cluster) =>
        cluster.ServiceVips
            .OrderBy(v => IpNumber.ToNumber(v.Address))
            .SelectMany(v => v.Ports.OrderBy(p => p.Port).ThenBy(p => p.Protocol, StringComparer.Ordinal).Select(p => (v, p)));

    /// <summary>The suffix of AKS hybrid's proxy names: <c>frontend_172.16.0.150_443</c>.</summary>
    public static string ProxyName(IPAddress vip, int port) => $"{vip}_{Number(port)}";

    private static void Frontend(ConfigFileWriter c, string name, IPAddress vip, int port) =>
        c.Line(0, "frontend", $"frontend_{name}")
            // transparent: a backup VM binds the VIP before keepalived moves it here.
            .Line(1, "bind", Endpoint(vip, port), "transparent")
            .Line(1, "default_backend", $"backend_{name}");

    private static string Endpoint(IPAddress address, int port) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]:{Number(port)}" : $"{address}:{Number(port)}";

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
