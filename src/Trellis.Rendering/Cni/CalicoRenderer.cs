using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Rendering.Emit;
using Trellis.Rendering.Windows;

namespace Trellis.Rendering.Cni;

/// <summary>
/// Calico for a cluster's VXLAN overlay. AKS hybrid and AKS Arc install Calico with the Tigera operator, so the primary
/// output is the operator's Installation (operator.tigera.io/v1), which owns the IP pool; the projectcalico.org/v3
/// IPPool and FelixConfiguration are an alternative for a Calico installed from manifests only, since the operator
/// fights raw pool objects (reference/aks-hybrid-networking.md Appendix B, ipam-and-load-balancing.md §A1).
/// </summary>
public static class CalicoRenderer
{
    public const string PoolName = "default-ipv4-ippool";

    private const string ManifestOnly =
        "Alternative for a Calico installed from manifests, without the Tigera operator. With the operator (as AKS hybrid and AKS Arc install Calico) apply installation.yaml instead: the operator owns the IP pool and fights this object.";

    /// <summary>The Tigera operator's Installation: the IP pool (cidr, blockSize, VXLAN, NAT, nodeSelector), MTU, and the Windows HNS dataplane where Windows pools exist.</summary>
    public static string Installation(ResolvedSite site, ClusterTopology cluster)
    {
        RequireCalico(cluster);
        var network = new YamlMap
        {
            ["bgp"] = "Disabled",
            ["mtu"] = OverlayFacts.Mtu(site),
            ["ipPools"] = new[]
            {
                new YamlMap
                {
                    ["name"] = PoolName,
                    ["cidr"] = cluster.Cluster.PodCidr.ToString(),
                    ["blockSize"] = site.Settings.CalicoBlockSize,
                    ["encapsulation"] = "VXLAN",
                    ["natOutgoing"] = "Enabled",
                    ["nodeSelector"] = "all()",
                },
            },
        };
        var spec = new YamlMap { ["calicoNetwork"] = network };
        if (cluster.Cluster.HasWindowsNodes)
        {
            // Calico for Windows through the operator: the HNS dataplane, and the service range kube-proxy on Windows needs.
            network["windowsDataplane"] = "HNS";
            spec["serviceCIDRs"] = new[] { cluster.Cluster.ServiceCidr.ToString() };
        }

        return YamlText.Document(YamlMap.KubernetesObject("operator.tigera.io/v1", "Installation", "default", null, spec),
            [$"Calico of cluster {cluster.Name} as AKS hybrid and AKS Arc install it: the Tigera operator's Installation (primary)."]);
    }

    public static string IpPool(ResolvedSite site, ClusterTopology cluster)
    {
        RequireCalico(cluster);
        return YamlText.Document(YamlMap.KubernetesObject("projectcalico.org/v3", "IPPool", PoolName, null, new YamlMap
        {
            ["cidr"] = cluster.Cluster.PodCidr.ToString(),
            ["blockSize"] = site.Settings.CalicoBlockSize,
            ["ipipMode"] = "Never",
            ["vxlanMode"] = "Always",
            ["natOutgoing"] = true,
            ["nodeSelector"] = "all()",
        }), [ManifestOnly]);
    }

    /// <summary>Calico for Windows needs strict affinity: a Windows node must never borrow addresses from another node's block. Applies with the operator too.</summary>
    public static string IpamConfiguration(ResolvedSite site, ClusterTopology cluster)
    {
        RequireCalico(cluster);
        return YamlText.Document(YamlMap.KubernetesObject("projectcalico.org/v3", "IPAMConfiguration", "default", null, new YamlMap
        {
            ["strictAffinity"] = cluster.Cluster.HasWindowsNodes,
        }));
    }

    /// <summary>VNI 4096 on UDP 4789 is Calico's default and the only VXLAN that Windows nodes accept.</summary>
    public static string FelixConfiguration(ResolvedSite site, ClusterTopology cluster)
    {
        RequireCalico(cluster);
        return YamlText.Document(YamlMap.KubernetesObject("projectcalico.org/v3", "FelixConfiguration", "default", null, new YamlMap
        {
            ["vxlanEnabled"] = true,
            ["vxlanVNI"] = OverlayFacts.Vxlan(cluster.Cluster).Vni,
            ["vxlanPort"] = OverlayFacts.Vxlan(cluster.Cluster).Port,
            ["vxlanMTU"] = OverlayFacts.Mtu(site),
        }), [ManifestOnly]);
    }


    private static void RequireCalico(ClusterTopology cluster)
    {
        if (cluster.Cluster.Spec.PrimaryNetworkPlugin != NetworkPlugin.Calico)
        {
            throw new InvalidOperationException($"Cluster '{cluster.Name}' uses {cluster.Cluster.Spec.PrimaryNetworkPlugin}, not Calico.");
        }
    }
}
