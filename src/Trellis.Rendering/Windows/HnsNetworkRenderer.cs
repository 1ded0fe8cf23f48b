using System.Net;
using System.Text.Json.Nodes;
using Trellis.Core.Addressing;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Rendering.Emit;

namespace Trellis.Rendering.Windows;

/// <summary>
/// The HNS overlay network of a Windows node, with the kube-proxy settings that go with it
/// (reference/aks-hybrid-networking.md §4.2, §4.4).
/// </summary>
public static class HnsNetworkRenderer
{
    public const string CalicoNetworkName = OverlayFacts.CalicoHnsNetwork;
    public const string FlannelNetworkName = OverlayFacts.FlannelHnsNetwork;

    public static string NetworkName(ResolvedCluster cluster) => OverlayFacts.HnsNetworkName(cluster);

    /// <summary>The gateway of a pod subnet: its first address.</summary>
    public static IPAddress Gateway(Prefix podSubnet) => OverlayFacts.Gateway(podSubnet);

    /// <summary>kube-proxy's source VIP on a VXLAN node: the second address of the node's pod block (10.0.0.0/26 -> 10.0.0.2).</summary>
    public static IPAddress SourceVip(Prefix podSubnet) => OverlayFacts.SourceVip(podSubnet);

    public static string Render(ResolvedSite site, ClusterTopology cluster, PlacedNode node)
    {
        if (node.Os != OsType.Windows)
        {
            throw new InvalidOperationException($"Node '{node.Name}' of cluster '{cluster.Name}' runs {node.Os}; only Windows nodes have an HNS network.");
        }

        var name = NetworkName(cluster.Cluster);
        // The cluster's own VXLAN, as Flannel or Calico on its Linux nodes runs it (validation keeps it one Windows takes).
        var (vni, vxlanPort) = OverlayFacts.Vxlan(cluster.Cluster);
        var network = new JsonObject
        {
            ["Name"] = name,
            ["Type"] = "Overlay",
            ["ManagementIP"] = node.Address.ToString(),
        };

        // HNS takes the DNS servers as one comma-separated string; without any it uses the host's.
        if (cluster.Cluster.Network.DnsServers.Count > 0)
        {
            network["DNSServerList"] = string.Join(",", cluster.Cluster.Network.DnsServers);
        }

        network["Subnets"] = new JsonArray(new JsonObject
        {
            ["AddressPrefix"] = node.PodSubnet.ToString(),
            ["GatewayAddress"] = Gateway(node.PodSubnet).ToString(),
            ["Policies"] = new JsonArray(new JsonObject { ["Type"] = "VSID", ["VSID"] = vni }),
        });
        network["KubeProxy"] = new JsonObject
        {
            ["NetworkName"] = name,
            ["SourceVip"] = SourceVip(node.PodSubnet).ToString(),
            ["VxlanPort"] = vxlanPort,
        };

        return JsonText.Write(network);
    }
}
