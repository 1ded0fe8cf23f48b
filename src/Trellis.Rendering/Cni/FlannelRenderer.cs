using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Rendering.Emit;
using Trellis.Rendering.Windows;

namespace Trellis.Rendering.Cni;

/// <summary>
/// Flannel's net-conf.json (kube-flannel-cfg) and each node's /run/flannel/subnet.env
/// (reference/ipam-and-load-balancing.md §A2, aks-hybrid-networking.md §4.2–§4.3).
/// </summary>
public static class FlannelRenderer
{
    /// <summary>Flannel's VXLAN defaults on Linux (kernel VNI 1, UDP 8472); Windows nodes force VNI 4096 on UDP 4789 everywhere.</summary>
    public const int LinuxVni = OverlayFacts.LinuxFlannelVni;
    public const int LinuxVxlanPort = OverlayFacts.LinuxFlannelVxlanPort;

    public static (int Vni, int Port) Vxlan(ResolvedCluster cluster) => OverlayFacts.Vxlan(cluster);

    public static int Mtu(ResolvedSite site) => OverlayFacts.Mtu(site);

    public static string NetConf(ResolvedSite site, ClusterTopology cluster)
    {
        RequireFlannel(cluster);
        var (vni, port) = Vxlan(cluster.Cluster);
        var backend = new JsonObject { ["Type"] = "vxlan" };
        if (cluster.Cluster.HasWindowsNodes)
        {
            // Windows flanneld names its HNS network after Backend.Name; Linux ignores the key.
            backend["Name"] = HnsNetworkRenderer.FlannelNetworkName;
        }

        backend["VNI"] = vni;
        backend["Port"] = port;

        var conf = new JsonObject
        {
            ["Network"] = cluster.Cluster.PodCidr.ToString(),
            ["SubnetLen"] = site.Settings.FlannelSubnetLen,
            ["Backend"] = backend,
        };
        return JsonText.Write(conf);
    }

    public static string SubnetEnv(ResolvedSite site, ClusterTopology cluster, PlacedNode node)
    {
        RequireFlannel(cluster);
        if (!cluster.Nodes.Contains(node))
        {
            throw new InvalidOperationException($"Node '{node.Name}' is not a node of cluster '{cluster.Name}'.");
        }

        var env = new StringBuilder();
        env.Append(CultureInfo.InvariantCulture, $"FLANNEL_NETWORK={cluster.Cluster.PodCidr}\n");
        env.Append(CultureInfo.InvariantCulture, $"FLANNEL_SUBNET={HnsNetworkRenderer.Gateway(node.PodSubnet)}/{node.PodSubnet.Length}\n");
        env.Append(CultureInfo.InvariantCulture, $"FLANNEL_MTU={Mtu(site)}\n");
        env.Append("FLANNEL_IPMASQ=true\n");
        return env.ToString();
    }

    private static void RequireFlannel(ClusterTopology cluster)
    {
        if (cluster.Cluster.Spec.PrimaryNetworkPlugin != NetworkPlugin.Flannel)
        {
            throw new InvalidOperationException($"Cluster '{cluster.Name}' uses {cluster.Cluster.Spec.PrimaryNetworkPlugin}, not Flannel.");
        }
    }
}
