using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Trellis.Core.Addressing;
using Trellis.Core.Planning;

namespace Trellis.Rendering.Keepalived;

/// <summary>
/// The keepalived.conf of one load balancer VM of a cluster: one VRRP instance that moves the API server VIP and
/// every service VIP of the cluster together to the VM whose haproxy runs. Peers are listed by unicast, the fix
/// for VIPs flapping between several LB VMs that lose track of each other over multicast (Azure/aksArc #305).
/// </summary>
public static class KeepalivedConfigRenderer
{
    public const int MasterPriority = 150;
    public const int PriorityStep = 10;
    public const int HaProxyDownWeight = -60;

    /// <summary>VRRPv2 adverts carry at most this many addresses; the rest are moved without being advertised.</summary>
    public const int MaxAdvertisedAddresses = 20;

    public static string Render(ResolvedSite site, ClusterTopology cluster, PlacedVm loadBalancer, string interfaceName = "eth0")
    {
        var routerId = cluster.VirtualRouterId
            ?? throw new InvalidOperationException(
                $"Cluster {cluster.Name} has no VRRP virtual_router_id allocated ({PoolIds.VirtualRouter(cluster.Name)}); plan the site before rendering keepalived.conf.");
        var index = IndexOf(cluster, loadBalancer);
        var vips = Vips(cluster);
        var prefixLength = cluster.Cluster.Network.Prefix.Length.ToString(CultureInfo.InvariantCulture);

        var c = new StringBuilder();
        c.Line($"# keepalived.conf of {loadBalancer.Name} ({loadBalancer.Address}) for cluster {cluster.Name} of site {site.Spec.Name}.");
        c.Line("# Rendered by Trellis from the stored plan; do not edit, re-render instead.");
        c.Append('\n');
        c.Line("global_defs {");
        c.Line("    enable_script_security");
        c.Line("    script_user root");
        c.Line($"    router_id {cluster.Name}-{loadBalancer.Name}");
        c.Line("}");
        c.Append('\n');
        c.Line("vrrp_script chk_haproxy {");
        // Through sh: with script security keepalived runs symlinks resolved, and pidof is a symlink to killall5.
        c.Line("    script \"/bin/sh -c 'pidof haproxy'\"");
        c.Line("    interval 2");
        c.Line("    fall 2");
        c.Line("    rise 2");
        c.Line($"    weight {HaProxyDownWeight.ToString(CultureInfo.InvariantCulture)}");
        c.Line("}");
        c.Append('\n');
        c.Line($"vrrp_instance {InstanceName(cluster)} {{");
        c.Line($"    state {(index == 0 ? "MASTER" : "BACKUP")}");
        c.Line($"    interface {interfaceName}");
        c.Line($"    virtual_router_id {routerId.ToString(CultureInfo.InvariantCulture)}");
        c.Line($"    priority {Priority(index).ToString(CultureInfo.InvariantCulture)}");
        c.Line("    advert_int 1");
        var peers = cluster.LoadBalancerVms.Where(vm => !vm.Address.Equals(loadBalancer.Address)).ToList();
        if (peers.Count == 0)
        {
            // keepalived rejects unicast_src_ip without peers (keepalived -t exits 5); a lone VM has no one to advertise to.
            c.Line("    # the only load balancer VM of the cluster: no unicast peers");
        }
        else
        {
            c.Line($"    unicast_src_ip {loadBalancer.Address}");
            c.Line("    unicast_peer {");
            foreach (var peer in peers)
            {
                c.Line($"        {peer.Address}");
            }

            c.Line("    }");
        }

        c.Line("    authentication {");
        c.Line("        auth_type PASS");
        c.Line($"        auth_pass {Password(site, cluster)}");
        c.Line("    }");
        AddressBlock(c, "virtual_ipaddress", vips.Take(MaxAdvertisedAddresses), prefixLength, interfaceName);
        AddressBlock(c, "virtual_ipaddress_excluded", vips.Skip(MaxAdvertisedAddresses), prefixLength, interfaceName);
        c.Line("    track_script {");
        c.Line("        chk_haproxy");
        c.Line("    }");
        c.Line("}");
        return c.ToString();
    }

    public static string InstanceName(ClusterTopology cluster) => $"VI_{cluster.Name}";

    /// <summary>150 for the first VM, 10 less for each next one (never below 1), so the election is deterministic.</summary>
    public static int Priority(int index) => Math.Max(MasterPriority - (PriorityStep * index), 1);

    /// <summary>The same 8 characters (all VRRPv2 PASS uses) on every LB VM of the cluster, derived from site and cluster.</summary>
    public static string Password(ResolvedSite site, ClusterTopology cluster) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{site.Spec.Name}/{cluster.Name}")))[..8];

    /// <summary>The API server VIP first, then the service VIPs in address order.</summary>
    public static IReadOnlyList<IPAddress> Vips(ClusterTopology cluster) =>
        cluster.ServiceVips.Select(v => v.Address).OrderBy(IpNumber.ToNumber)
            .Prepend(cluster.ApiServerVip).OfType<IPAddress>().Distinct().ToList();

    private static int IndexOf(ClusterTopology cluster, PlacedVm loadBalancer)
    {
        for (var i = 0; i < cluster.LoadBalancerVms.Count; i++)
        {
            if (cluster.LoadBalancerVms[i].Address.Equals(loadBalancer.Address))
            {
                return i;
            }
        }

        throw new ArgumentException($"{loadBalancer.Name} ({loadBalancer.Address}) is not a load balancer VM of cluster {cluster.Name}.", nameof(loadBalancer));
    }

    private static void AddressBlock(StringBuilder c, string block, IEnumerable<IPAddress> addresses, string prefixLength, string interfaceName)
    {
        var list = addresses.ToList();
        if (list.Count == 0)
        {
            return;
        }

        c.Line($"    {block} {{");
        foreach (var a in list)
        {
            c.Line($"        {a}/{prefixLength} dev {interfaceName}");
        }

        c.Line("    }");
    }

    private static StringBuilder Line(this StringBuilder text, string line) => text.Append(line).Append('\n');
}
