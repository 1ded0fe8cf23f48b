using System.Globalization;
using System.Net;
using System.Text;
using Trellis.Core.Addressing;
using Trellis.Core.Planning;

namespace Trellis.Rendering.HaProxy;

/// <summary>
/// The haproxy.cfg of one load balancer VM of a cluster, in the shape AKS hybrid's lbagent writes: an API server
/// frontend on the cluster's VIP to the control plane nodes, and one <c>frontend_&lt;VIP&gt;_&lt;port&gt;</c> per
/// LoadBalancer service port to every worker node's NodePort. Layer 4 (TCP) only.
/// </summary>
public static class HaProxyConfigRenderer
{
    public const int ApiServerPort = 6443;
    public const int StatsPort = 8404;

    public static string Render(ResolvedSite site, ClusterTopology cluster, PlacedVm loadBalancer)
    {
        var c = new StringBuilder();
        c.Line($"# haproxy.cfg of {loadBalancer.Name} ({loadBalancer.Address}) for cluster {cluster.Name} of site {site.Spec.Name}.");
        c.Line("# Rendered by Trellis from the stored plan; do not edit, re-render instead.");
        c.Append('\n');

        c.Line("global");
        c.Line("    log stdout format raw local0");
        c.Line("    maxconn 10000");
        c.Append('\n');

        c.Line("defaults");
        c.Line("    mode tcp");
        c.Line("    log global");
        c.Line("    option tcplog");
        c.Line("    option dontlognull");
        c.Line("    option redispatch");
        c.Line("    retries 3");
        c.Line("    maxconn 10000");
        c.Line("    timeout connect 10s");
        c.Line("    timeout client 30s");
        c.Line("    timeout server 30s");
        c.Line("    timeout tunnel 24d");
        c.Line("    default-server inter 2s fall 2 rise 2");
        c.Append('\n');

        c.Line("frontend stats");
        c.Line("    mode http");
        c.Line("    option httplog");
        c.Line($"    bind {Endpoint(loadBalancer.Address, StatsPort)}");
        c.Line("    stats enable");
        c.Line("    stats uri /stats");
        c.Line("    stats refresh 10s");

        if (cluster.ApiServerVip is { } apiVip)
        {
            var name = ProxyName(apiVip, ApiServerPort);
            c.Append('\n');
            c.Line($"# Kubernetes API server of {cluster.Name}");
            Frontend(c, name, apiVip, ApiServerPort);
            c.Append('\n');
            c.Line($"backend backend_{name}");
            c.Line("    balance roundrobin");
            c.Line("    option httpchk GET /readyz");
            c.Line("    http-check expect status 200");
            foreach (var n in cluster.ControlPlane)
            {
                c.Line($"    server {n.Name} {Endpoint(n.Address, ApiServerPort)} check check-ssl verify none");
            }
        }

        foreach (var (vip, port) in ServicePorts(cluster))
        {
            var name = ProxyName(vip.Address, port.Port);
            c.Append('\n');
            c.Line($"# {port.Namespace}/{port.Service} {port.Protocol} {port.Port} -> NodePort {port.NodePort.ToString(CultureInfo.InvariantCulture)}");
            if (!string.Equals(port.Protocol, "TCP", StringComparison.OrdinalIgnoreCase))
            {
                // HAProxy balances TCP only; the comment keeps the service visible to whoever reads the file.
                c.Line("# not load balanced: HAProxy proxies TCP only");
                continue;
            }

            Frontend(c, name, vip.Address, port.Port);
            c.Append('\n');
            c.Line($"backend backend_{name}");
            c.Line("    balance roundrobin");
            foreach (var n in cluster.Workers)
            {
                c.Line($"    server {n.Name} {Endpoint(n.Address, port.NodePort)} check");
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
    public static string ProxyName(IPAddress vip, int port) => $"{vip}_{port.ToString(CultureInfo.InvariantCulture)}";

    private static void Frontend(StringBuilder c, string name, IPAddress vip, int port)
    {
        c.Line($"frontend frontend_{name}");
        // transparent: a backup VM binds the VIP before keepalived moves it here.
        c.Line($"    bind {Endpoint(vip, port)} transparent");
        c.Line($"    default_backend backend_{name}");
    }

    private static string Endpoint(IPAddress address, int port) => $"{address}:{port.ToString(CultureInfo.InvariantCulture)}";

    private static StringBuilder Line(this StringBuilder text, string line) => text.Append(line).Append('\n');
}
