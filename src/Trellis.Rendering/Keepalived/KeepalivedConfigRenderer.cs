using System.Globalization;
using System.Net;
using Trellis.Core.Addressing;
using Trellis.Core.Planning;
using Trellis.Rendering.Emit;
using Trellis.Rendering.HaProxy;

namespace Trellis.Rendering.Keepalived;

/// <summary>
/// The keepalived.conf of one load balancer VM of a cluster: one VRRP instance that moves the API server VIP and
/// every service VIP of the cluster together to a VM whose HAProxy serves. Peers are listed by unicast, the fix for
/// VIPs flapping between several LB VMs that lose track of each other over multicast (Azure/aksArc #305). Every VM
/// starts as BACKUP with <c>nopreempt</c>, so a recovered VM does not take the VIPs back (a second failover); the
/// first VM's higher priority only decides the first election. Every value goes through
/// <see cref="ConfigFileWriter.Keepalived"/>.
/// </summary>
public static class KeepalivedConfigRenderer
{
    public const int MasterPriority = 150;
    public const int PriorityStep = 10;

    /// <summary>VRRPv2 adverts carry at most this many addresses; the rest are moved without being advertised.</summary>
    public const int MaxAdvertisedAddresses = 20;

    public const string CheckScriptName = "chk_haproxy";

    /// <summary>
    /// The check of HAProxy: an HTTP request to its monitor URI on loopback, which answers only while HAProxy accepts and
    /// serves connections (a hung or unbound HAProxy fails it; <c>pidof</c> would not). curl runs directly, not through a
    /// shell, so script security resolves no symlink it does not own.
    /// </summary>
    public static string CheckCommand =>
        $"/usr/bin/curl --silent --fail --max-time 2 --output /dev/null http://{HaProxyConfigRenderer.StatsAddress}:{HaProxyConfigRenderer.StatsPort.ToString(CultureInfo.InvariantCulture)}{HaProxyConfigRenderer.HealthPath}";

    public static string Render(ResolvedSite site, ClusterTopology cluster, PlacedVm loadBalancer, string interfaceName = "eth0")
    {
        var routerId = cluster.VirtualRouterId
            ?? throw new InvalidOperationException(
                $"Cluster {cluster.Name} has no VRRP virtual_router_id allocated ({PoolIds.VirtualRouter(cluster.Name)}); plan the site before rendering keepalived.conf.");
        var index = IndexOf(cluster, loadBalancer);
        var vips = Vips(cluster);
        var prefixLength = cluster.Cluster.Network.Prefix.Length.ToString(CultureInfo.InvariantCulture);

        var c = ConfigFileWriter.Keepalived();
        var device = c.Name(interfaceName, "the interface name");
        c.Comment($"keepalived.conf of {loadBalancer.Name} ({loadBalancer.Address}) for cluster {cluster.Name} of site {site.Spec.Name}.")
            .Comment("Rendered by Trellis from the stored plan; do not edit, re-render instead.")
            .Blank();
        c.Open(0, "global_defs")
            .Line(1, "enable_script_security")
            .Line(1, "script_user", "root")
            .Line(1, "router_id", c.Name($"{cluster.Name}-{loadBalancer.Name}", "the router_id (cluster and VM name)"))
            .Close(0)
            .Blank();

        // No weight: a failing check puts the instance in FAULT, which gives the VIPs up even under nopreempt
        // (a weight would only lower the priority, and a nopreempt backup never takes over from a live master).
        c.Open(0, "vrrp_script", CheckScriptName)
            .QuotedLine(1, "script", CheckCommand)
            .Line(1, "interval", "2")
            .Line(1, "timeout", "3")
            .Line(1, "fall", "2")
            .Line(1, "rise", "2")
            .Close(0)
            .Blank();

        c.Open(0, "vrrp_instance", c.Name(InstanceName(cluster), "the VRRP instance name (VI_ and the cluster name)"))
            .Line(1, "state", "BACKUP")
            .Line(1, "interface", device)
            .Line(1, "virtual_router_id", routerId.ToString(CultureInfo.InvariantCulture))
            .Line(1, "priority", Priority(index).ToString(CultureInfo.InvariantCulture))
            .Line(1, "advert_int", "1")
            .Line(1, "nopreempt");
        var peers = cluster.LoadBalancerVms.Where(vm => !vm.Address.Equals(loadBalancer.Address)).ToList();
        if (peers.Count == 0)
        {
            // keepalived rejects unicast_src_ip without peers (keepalived -t exits 5); a lone VM has no one to advertise to.
            c.Comment("the only load balancer VM of the cluster: no unicast peers", 1);
        }
        else
        {
            c.Line(1, "unicast_src_ip", loadBalancer.Address.ToString()).Open(1, "unicast_peer");
            foreach (var peer in peers)
            {
                c.Line(2, peer.Address.ToString());
            }

            c.Close(1);
        }

        AddressBlock(c, "virtual_ipaddress", vips.Take(MaxAdvertisedAddresses), prefixLength, device);
        AddressBlock(c, "virtual_ipaddress_excluded", vips.Skip(MaxAdvertisedAddresses), prefixLength, device);
        c.Open(1, "track_script")
            .Line(2, CheckScriptName)
            .Close(1)
            .Close(0);
        return c.ToString();
    }

    public static string InstanceName(ClusterTopology cluster) => $"VI_{cluster.Name}";

    /// <summary>150 for the first VM, 10 less for each next one (never below 1), so the first election is deterministic.</summary>
    public static int Priority(int index) => Math.Max(MasterPriority - (PriorityStep * index), 1);

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

    private static void AddressBlock(ConfigFileWriter c, string block, IEnumerable<IPAddress> addresses, string prefixLength, string device)
    {
        var list = addresses.ToList();
        if (list.Count == 0)
        {
            return;
        }

        c.Open(1, block);
        foreach (var a in list)
        {
            c.Line(2, $"{a}/{prefixLength}", "dev", device);
        }

        c.Close(1);
    }
}
