using Trellis.Engine;

namespace Trellis.PowerShell;

/// <summary>The Engine's read views as the AksHci module's objects.</summary>
internal static class AksHciViews
{
    public static IEnumerable<AksHciCluster> Clusters(SiteState state, string? name = null)
    {
        var pools = SiteViews.NodePools(state, name);
        return SiteViews.Clusters(state, name).Select(c => Cluster(c, [.. pools.Where(p => p.Cluster == c.Name)]));
    }

    public static AksHciCluster Cluster(ClusterRow c, IReadOnlyList<NodePoolRow> pools) => new()
    {
        Name = c.Name,
        ProvisioningState = c.UpgradeTarget is null ? "provisioned" : "upgrading",
        KubernetesVersion = c.KubernetesVersion,
        NodePools = [.. pools.Select(p => p.Name)],
        LinuxNodeCount = pools.Where(p => p.OsType == "Linux").Sum(p => p.Count),
        WindowsNodeCount = pools.Where(p => p.OsType == "Windows").Sum(p => p.Count),
        ControlPlaneNodeCount = c.ControlPlaneNodeCount,
        Vnet = c.Network,
        PrimaryNetworkPlugin = c.NetworkPlugin,
        LoadBalancerSku = c.LoadBalancerSku,
        LoadBalancerCount = c.LoadBalancerCount,
        ApiServerVip = c.ApiServerVip,
        PodCidr = c.PodCidr,
        ServiceCidr = c.ServiceCidr,
        VxlanVni = c.Vni,
        VxlanPort = c.VxlanPort,
        Mtu = c.Mtu,
        UpgradeTarget = c.UpgradeTarget,
    };

    public static IEnumerable<AksHciNodePool> NodePools(SiteState state, string cluster, string? name = null)
    {
        var version = SiteViews.Clusters(state, cluster) is [var c, ..] ? c.KubernetesVersion : null;
        return SiteViews.NodePools(state, cluster).Where(p => name is null || p.Name == name).Select(p => new AksHciNodePool
        {
            ClusterName = p.Cluster,
            NodePoolName = p.Name,
            Version = version,
            OsType = p.OsType,
            OsSku = p.OsSku,
            NodeCount = p.Count,
            VmSize = p.VmSize,
            MaxPodCount = p.MaxPodCount,
        });
    }
}
