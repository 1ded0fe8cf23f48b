using System.Net;
using Trellis.Core.Addressing;
using Trellis.Core.Model;

namespace Trellis.Core.Planning;

/// <summary>
/// The overlay's fixed facts (reference §4.2–§4.4): Windows nodes accept VXLAN only on VNI ≥ 4096 and UDP 4789, which
/// is also Calico's default everywhere; Flannel on Linux alone defaults to VNI 1 and the kernel's 8472. A cluster's VXLAN
/// is fixed when it is created, since it cannot change under running pods: Windows-ready unless the spec says otherwise,
/// as AKS hybrid lets a Windows node pool join any cluster. The overlay MTU is the underlay's less the 50-byte VXLAN
/// header. Used by the renderers, the read views and the packet trace alike.
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

    public static (int Vni, int Port) Vxlan(ResolvedCluster cluster) => Vxlan(cluster.Spec);

    /// <summary>The VXLAN a cluster was created with: the spec's, else VNI 4096 on UDP 4789 (Calico always uses those).</summary>
    public static (int Vni, int Port) Vxlan(ClusterSpec cluster) => cluster.PrimaryNetworkPlugin == NetworkPlugin.Calico
        ? (WindowsVni, WindowsVxlanPort)
        : (cluster.VxlanVni ?? WindowsVni, cluster.VxlanPort ?? WindowsVxlanPort);

    /// <summary>Whether Windows nodes can join an overlay of this VNI and port.</summary>
    public static bool TakesWindowsNodes((int Vni, int Port) vxlan) => vxlan.Vni >= WindowsVni && vxlan.Port == WindowsVxlanPort;

    /// <summary>
    /// Fixes each Flannel cluster's VXLAN in the spec about to be stored: a cluster already stored keeps the VNI and port
    /// it runs (unless the new spec names others, which immutability then refuses); a new one takes the spec's or the default.
    /// </summary>
    public static SiteSpec FixVxlan(SiteSpec? stored, SiteSpec next) => next with
    {
        Clusters = next.Clusters.Select(c =>
        {
            if (c.PrimaryNetworkPlugin != NetworkPlugin.Flannel)
            {
                return c;
            }

            var deployed = stored?.Clusters.FirstOrDefault(s => s.Name == c.Name && s.PrimaryNetworkPlugin == NetworkPlugin.Flannel);
            var (vni, port) = deployed is null ? Vxlan(c) : Vxlan(deployed);
            return c with { VxlanVni = c.VxlanVni ?? vni, VxlanPort = c.VxlanPort ?? port };
        }).ToList(),
    };

    /// <summary>
    /// A spec stored before VXLAN was fixed at creation: its Flannel clusters without Windows nodes were rendered with
    /// Flannel's Linux defaults (VNI 1, UDP 8472), and keep them.
    /// </summary>
    public static SiteSpec KeepStoredVxlan(SiteSpec stored) => stored with
    {
        Clusters = stored.Clusters.Select(c => c.PrimaryNetworkPlugin == NetworkPlugin.Flannel && c.VxlanVni is null && c.VxlanPort is null
            ? c.NodePools.Any(p => p.OsType == OsType.Windows && p.Count > 0)
                ? c with { VxlanVni = WindowsVni, VxlanPort = WindowsVxlanPort }
                : c with { VxlanVni = LinuxFlannelVni, VxlanPort = LinuxFlannelVxlanPort }
            : c).ToList(),
    };

    public static int Mtu(ResolvedSite site) => site.Settings.UnderlayMtu - VxlanHeaderBytes;

    /// <summary>The HNS network a Windows node's pods attach to: "Calico", or "vxlan0" for Flannel.</summary>
    public static string HnsNetworkName(ResolvedCluster cluster) =>
        cluster.Spec.PrimaryNetworkPlugin == NetworkPlugin.Calico ? CalicoHnsNetwork : FlannelHnsNetwork;

    /// <summary>The gateway of a pod subnet: its first address.</summary>
    public static IPAddress Gateway(Prefix podSubnet) => IpNumber.ToAddress(podSubnet.First + 1, podSubnet.Family);

    /// <summary>kube-proxy's source VIP on a Windows VXLAN node: the second address of the node's pod block (10.0.0.0/26 -> 10.0.0.2).</summary>
    public static IPAddress SourceVip(Prefix podSubnet) => IpNumber.ToAddress(podSubnet.First + 2, podSubnet.Family);

    /// <summary>
    /// The first address a pod of the node takes: after the gateway on Linux (10.0.0.0/26 -> 10.0.0.2); on a Windows node
    /// after the gateway and kube-proxy's source VIP (-> 10.0.0.3), the block's network, gateway, source VIP and broadcast
    /// addresses being the 4 a Windows-owned block reserves.
    /// </summary>
    public static IPAddress FirstPodAddress(Prefix podSubnet, bool windows) => IpNumber.ToAddress(podSubnet.First + (windows ? 3u : 2u), podSubnet.Family);
}
