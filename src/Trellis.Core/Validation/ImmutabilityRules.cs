using Trellis.Core.Model;

namespace Trellis.Core.Validation;

/// <summary>
/// What AKS hybrid does not allow to change after deployment (reference §1.8, §4.1): network settings, the cloud
/// agent, a cluster's network plugin, pod and service CIDR, network and load balancer SKU, the IPAM block size.
/// </summary>
public static class ImmutabilityRules
{
    public static IReadOnlyList<Finding> Check(SiteSpec stored, SiteSpec next)
    {
        var findings = new List<Finding>();
        void Changed<T>(string path, T before, T after, string why)
        {
            if (!EqualityComparer<T>.Default.Equals(before, after))
            {
                findings.Add(Finding.Error("ImmutableField", path, $"'{path}' cannot change after deployment ({Show(before)} → {Show(after)}): {why}",
                    "Keep the deployed value; to change it, delete the affected clusters (or the site) and deploy again."));
            }
        }

        Changed("spec.model", stored.Model, next.Model, "a site is either AksHci or AKS Arc.");
        if (stored.HostNetwork is { } h && next.HostNetwork is { } h2)
        {
            NetworkFields(findings, "spec.hostNetwork", h, h2);
        }

        Changed("spec.cloudServiceCidr", stored.CloudServiceCidr, next.CloudServiceCidr, "the MOC cloud agent keeps its address.");
        if (stored.LogicalNetwork is { } l && next.LogicalNetwork is { } l2)
        {
            Changed("spec.logicalNetwork.addressPrefixes", string.Join(",", l.AddressPrefixes), string.Join(",", l2.AddressPrefixes), "a logical network's prefix is fixed.");
            Changed("spec.logicalNetwork.ipPoolStart", l.IpPoolStart, l2.IpPoolStart, "the IP pool of a logical network in use is fixed.");
            Changed("spec.logicalNetwork.ipPoolEnd", l.IpPoolEnd, l2.IpPoolEnd, "the IP pool of a logical network in use is fixed.");
            Changed("spec.logicalNetwork.gateway", l.Gateway, l2.Gateway, "network settings are immutable once deployed.");
            Changed("spec.logicalNetwork.name", l.Name, l2.Name, "a logical network cannot be renamed.");
        }

        var usedNetworks = stored.Clusters.Select(c => c.Vnet).OfType<string>().ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < next.ClusterNetworks.Count; i++)
        {
            var n2 = next.ClusterNetworks[i];
            if (usedNetworks.Contains(n2.Name) && stored.ClusterNetworks.FirstOrDefault(n => n.Name == n2.Name) is { } n1)
            {
                NetworkFields(findings, $"spec.clusterNetworks[{i}]", n1, n2);
            }
        }

        for (var i = 0; i < next.Clusters.Count; i++)
        {
            var c2 = next.Clusters[i];
            if (stored.Clusters.FirstOrDefault(c => c.Name == c2.Name) is not { } c1)
            {
                continue;
            }

            var p = $"spec.clusters[{i}]";
            Changed($"{p}.primaryNetworkPlugin", c1.PrimaryNetworkPlugin, c2.PrimaryNetworkPlugin, "the network plugin cannot be changed after you deploy the cluster.");
            Changed($"{p}.podCidr", c1.PodCidr, c2.PodCidr, "pod CIDRs cannot be changed day 2.");
            Changed($"{p}.serviceCidr", c1.ServiceCidr, c2.ServiceCidr, "service CIDRs cannot be changed day 2.");
            Changed($"{p}.vnet", c1.Vnet, c2.Vnet, "a cluster stays on the network it was deployed on.");
            Changed($"{p}.controlPlaneIp", c1.ControlPlaneIp, c2.ControlPlaneIp, "KubeVIP needs a single immutable control plane IP.");
            if (c1.PrimaryNetworkPlugin == c2.PrimaryNetworkPlugin)
            {
                var (vni1, port1) = Planning.OverlayFacts.Vxlan(c1);
                var (vni2, port2) = Planning.OverlayFacts.Vxlan(c2);
                Changed($"{p}.vxlanVni", vni1, vni2, "the VXLAN VNI cannot change after the first pod is networked (nodes would have to be drained and their overlay rebuilt).");
                Changed($"{p}.vxlanPort", port1, port2, "the VXLAN port cannot change after the first pod is networked (nodes would have to be drained and their overlay rebuilt).");
            }
            Changed($"{p}.controlPlaneVmSize", c1.ControlPlaneVmSize, c2.ControlPlaneVmSize, "control plane VM sizes are set only at cluster creation.");
            Changed($"{p}.loadBalancerSettings", Sku(stored, c1), Sku(next, c2), "changing the load balancer type requires redeploying the workload cluster.");
            if (VersionChange(c1.Name, c1.KubernetesVersion, c2.KubernetesVersion, $"{p}.kubernetesVersion") is { } version)
            {
                findings.Add(version);
            }

            for (var j = 0; j < c2.NodePools.Count; j++)
            {
                if (c1.NodePools.FirstOrDefault(np => np.Name == c2.NodePools[j].Name) is { } np1)
                {
                    Changed($"{p}.nodePools[{j}].osType", np1.OsType, c2.NodePools[j].OsType, "a node pool's OS type is fixed; add a new pool instead.");
                    Changed($"{p}.nodePools[{j}].maxPodCount", np1.MaxPodCount, c2.NodePools[j].MaxPodCount, "max pods is set when a pool is created.");
                }
            }
        }

        if (stored.Clusters.Count > 0)
        {
            Changed("spec.settings.calicoBlockSize", stored.Settings.CalicoBlockSize, next.Settings.CalicoBlockSize, "an IPPool's blockSize can only be set when the pool is created.");
            Changed("spec.settings.flannelSubnetLen", stored.Settings.FlannelSubnetLen, next.Settings.FlannelSubnetLen, "nodes keep their pod subnets.");
        }

        return findings;
    }

    /// <summary>
    /// A version change a deployed cluster can take: never down, and up by one minor version at a time (Kubernetes' version
    /// skew policy: v1.29 → v1.30 → v1.31). Versions that do not parse are left to InvalidKubernetesVersion.
    /// </summary>
    public static Finding? VersionChange(string cluster, string running, string target, string path)
    {
        if (!KubernetesVersion.TryParse(running, out var from) || !KubernetesVersion.TryParse(target, out var to))
        {
            return null;
        }

        if (to < from)
        {
            return Finding.Error("DowngradeNotSupported", path, $"Cluster '{cluster}' runs {from}; Kubernetes cannot be downgraded to {to}.", $"Keep {from} or upgrade.");
        }

        if (!to.IsWithinOneMinorOf(from))
        {
            var next = new KubernetesVersion(from.Major, from.Minor + 1, 0);
            return Finding.Error("UpgradeSkipsMinorVersion", path,
                $"Cluster '{cluster}' runs {from}; Kubernetes upgrades one minor version at a time, so it cannot go to {to} directly.",
                $"Upgrade to the latest {next.MinorText} patch release first, then on one minor version per upgrade up to {to.MinorText}.");
        }

        return null;
    }

    private static string Sku(SiteSpec site, ClusterSpec c) =>
        c.LoadBalancerSettings is null
            ? site.Model == SiteModel.AksArc ? "None" : "HAProxy"
            : site.LoadBalancerSettings.FirstOrDefault(l => l.Name == c.LoadBalancerSettings)?.LoadBalancerSku.ToString() ?? "?";

    private static void NetworkFields(List<Finding> findings, string path, NetworkSpec a, NetworkSpec b)
    {
        var fields = new (string Name, string? Before, string? After)[]
        {
            ("ipAllocationMethod", a.IpAllocationMethod.ToString(), b.IpAllocationMethod.ToString()),
            ("ipAddressPrefix", a.IpAddressPrefix, b.IpAddressPrefix),
            ("gateway", a.Gateway, b.Gateway),
            ("dnsServers", string.Join(",", a.DnsServers), string.Join(",", b.DnsServers)),
            ("vlanID", a.VlanId?.ToString(System.Globalization.CultureInfo.InvariantCulture), b.VlanId?.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("vswitchName", a.VswitchName, b.VswitchName),
            ("k8sNodeIpPoolStart", a.K8sNodeIpPoolStart, b.K8sNodeIpPoolStart),
            ("k8sNodeIpPoolEnd", a.K8sNodeIpPoolEnd, b.K8sNodeIpPoolEnd),
            ("vipPoolStart", a.VipPoolStart, b.VipPoolStart),
            ("vipPoolEnd", a.VipPoolEnd, b.VipPoolEnd),
            ("name", a.Name, b.Name),
        };
        foreach (var (name, before, after) in fields.Where(f => f.Before != f.After))
        {
            findings.Add(Finding.Error("ImmutableField", $"{path}.{name}",
                $"'{path}.{name}' cannot change after deployment ({Show(before)} → {Show(after)}): AKS hybrid does not allow any network configuration change once deployed; pools cannot grow.",
                "Keep the deployed value; to change networking you must remove the clusters and deploy again."));
        }
    }

    private static string Show<T>(T value) => value is null ? "none" : value.ToString() ?? "none";
}
