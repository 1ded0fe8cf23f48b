using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Rendering.Windows;

namespace Trellis.Rendering.Cni;

/// <summary>
/// Calico resources (projectcalico.org/v3) for a cluster's VXLAN overlay: the IP pool, IPAM configuration and Felix
/// settings (reference/ipam-and-load-balancing.md §A1, aks-hybrid-networking.md §4.2–§4.4).
/// </summary>
public static class CalicoRenderer
{
    public const string PoolName = "default-ipv4-ippool";

    private const int VxlanHeaderBytes = 50;

    public static string IpPool(ResolvedSite site, ClusterTopology cluster)
    {
        RequireCalico(cluster);
        return Lf($"""
            apiVersion: projectcalico.org/v3
            kind: IPPool
            metadata:
              name: {PoolName}
            spec:
              cidr: {cluster.Cluster.PodCidr}
              blockSize: {site.Settings.CalicoBlockSize}
              ipipMode: Never
              vxlanMode: Always
              natOutgoing: true
              nodeSelector: all()

            """);
    }

    /// <summary>Calico for Windows needs strict affinity: a Windows node must never borrow addresses from another node's block.</summary>
    public static string IpamConfiguration(ResolvedSite site, ClusterTopology cluster)
    {
        RequireCalico(cluster);
        return Lf($"""
            apiVersion: projectcalico.org/v3
            kind: IPAMConfiguration
            metadata:
              name: default
            spec:
              strictAffinity: {(cluster.Cluster.HasWindowsNodes ? "true" : "false")}

            """);
    }

    /// <summary>VNI 4096 on UDP 4789 is Calico's default and the only VXLAN that Windows nodes accept.</summary>
    public static string FelixConfiguration(ResolvedSite site, ClusterTopology cluster)
    {
        RequireCalico(cluster);
        return Lf($"""
            apiVersion: projectcalico.org/v3
            kind: FelixConfiguration
            metadata:
              name: default
            spec:
              vxlanEnabled: true
              vxlanVNI: {HnsNetworkRenderer.Vni}
              vxlanPort: {HnsNetworkRenderer.VxlanPort}
              vxlanMTU: {site.Settings.UnderlayMtu - VxlanHeaderBytes}

            """);
    }

    private static void RequireCalico(ClusterTopology cluster)
    {
        if (cluster.Cluster.Spec.PrimaryNetworkPlugin != NetworkPlugin.Calico)
        {
            throw new InvalidOperationException($"Cluster '{cluster.Name}' uses {cluster.Cluster.Spec.PrimaryNetworkPlugin}, not Calico.");
        }
    }

    private static string Lf(string text) => text.ReplaceLineEndings("\n");
}
