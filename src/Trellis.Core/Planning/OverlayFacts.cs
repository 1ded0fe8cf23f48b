using System.Net;
using Trellis.Core.Addressing;
using Trellis.Core.Model;

namespace Trellis.Core.Planning;

/// <summary>
/// The overlay's fixed facts (reference §4.2–§4.4): Windows nodes accept VXLAN only on VNI ≥ 4096 and UDP 4789, which
/// is also Calico's default everywhere; Flannel on Linux alone uses VNI 1 and the kernel's 8472. The overlay MTU is the
/// underlay's less the 50-byte VXLAN header. Used by the renderers, the read views and the packet trace alike.
/// </summary>
public static class OverlayFacts
{
    public const int WindowsVni = 4096;
    public const int WindowsVxlanPort = 4789;
    public const int LinuxFlannelVni = 1;
    public const int LinuxFlannelVxlanPort = 8472;
    public const int VxlanHeaderBytes = 50;
    public const string CalicoHnsNetwork = "Calico";
    public const string FlannelHnsNetwork = "vxlan0";

    public static (int Vni, int Port) Vxlan(ResolvedCluster cluster) =>
        cluster.Spec.PrimaryNetworkPlugin == NetworkPlugin.Calico || cluster.HasWindowsNodes
            ? (WindowsVni, WindowsVxlanPort)
            : (LinuxFlannelVni, LinuxFlannelVxlanPort);

    public static int Mtu(ResolvedSite site) => site.Settings.UnderlayMtu - VxlanHeaderBytes;

    /// <summary>The HNS network a Windows node's pods attach to: "Calico", or "vxlan0" for Flannel.</summary>
    public static string HnsNetworkName(ResolvedCluster cluster) =>
        cluster.Spec.PrimaryNetworkPlugin == NetworkPlugin.Calico ? CalicoHnsNetwork : FlannelHnsNetwork;

    /// <summary>The gateway of a pod subnet: its first address.</summary>
    public static IPAddress Gateway(Prefix podSubnet) => IpNumber.ToAddress(podSubnet.First + 1, podSubnet.Family);

    /// <summary>kube-proxy's source VIP on a Windows VXLAN node: the second address of the node's pod block (10.0.0.0/26 -> 10.0.0.2).</summary>
    public static IPAddress SourceVip(Prefix podSubnet) => IpNumber.ToAddress(podSubnet.First + 2, podSubnet.Family);
}
