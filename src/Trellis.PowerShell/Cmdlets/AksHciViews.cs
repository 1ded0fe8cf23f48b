using Trellis.Engine;

namespace Trellis.PowerShell;

/// <summary>The Engine's read views as the AksHci module's objects.</summary>
internal static class AksHciViews
{
    public static IEnumerable<AksHciCluster> Clusters(SiteState state, string? name = null)
    {
        var pools = SiteViews.NodePools(state, name);
        var settings = SiteViews.ClusterSettings(state);
        return SiteViews.Clusters(state, name).Select(c => Cluster(c, [.. pools.Where(p => p.Cluster == c.Name)], settings.FirstOrDefault(s => s.Name == c.Name)));
    }

    public static AksHciCluster Cluster(ClusterRow c, IReadOnlyList<NodePoolRow> pools, ClusterSetting? setting) => new()
    {
        Name = c.Name,
        ProvisioningState = c.UpgradeTarget is null ? "provisioned" : "upgrading",
        KubernetesVersion = c.KubernetesVersion,
        NodePools = [.. pools.Select(p => p.Name)],
        LinuxNodeCount = pools.Where(p => p.OsType == "Linux").Sum(p => p.Count),
        WindowsNodeCount = pools.Where(p => p.OsType == "Windows").Sum(p => p.Count),
        ControlPlaneNodeCount = c.ControlPlaneNodeCount,
        ControlPlaneVmSize = setting?.ControlPlaneVmSize,
        LoadBalancerSettings = setting?.LoadBalancer?.Name,
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

    public static AksHciVirtualNetwork Network(NetworkSetting n, string? kind) => new()
    {
        Name = n.Name,
        VswitchName = n.VswitchName,
        IpAllocationMethod = n.IpAllocationMethod,
        IpAddressPrefix = n.IpAddressPrefix,
        Gateway = n.Gateway,
        DnsServers = [.. n.DnsServers],
        Vlanid = n.VlanId,
        VipPoolStart = n.VipPoolStart,
        VipPoolEnd = n.VipPoolEnd,
        K8snodeIPPoolStart = n.K8sNodeIpPoolStart,
        K8snodeIPPoolEnd = n.K8sNodeIpPoolEnd,
        DhcpScope = n.DhcpScope,
        Kind = kind,
    };

    public static NetworkSetting Setting(AksHciVirtualNetwork n) => new(n.Name, n.VswitchName, n.IpAllocationMethod, n.IpAddressPrefix, n.Gateway,
        n.DnsServers, n.Vlanid, n.K8snodeIPPoolStart, n.K8snodeIPPoolEnd, n.VipPoolStart, n.VipPoolEnd, n.DhcpScope);

    /// <summary>Every stored network as the module's object: the host network, then the cluster networks.</summary>
    public static IEnumerable<AksHciVirtualNetwork> Networks(SiteState state)
    {
        if (SiteViews.HostConfig(state)?.Vnet is { } host)
        {
            yield return Network(host, "host");
        }

        foreach (var n in SiteViews.ClusterNetworks(state))
        {
            yield return Network(n, "cluster");
        }
    }

    public static AksHciConfig? Config(SiteState state) => SiteViews.HostConfig(state) is not { } config ? null : new AksHciConfig
    {
        SiteName = config.SiteName,
        Model = config.Model,
        Vnet = config.Vnet is { } vnet ? Network(vnet, "host") : null,
        CloudServiceCidr = config.CloudServiceCidr,
        PlanningSetting = new System.Collections.Hashtable(config.Settings.ToDictionary(s => s.Key, s => (object?)s.Value), StringComparer.OrdinalIgnoreCase),
    };

    public static LoadBalancerSetting Setting(AksHciLoadBalancerSetting l) => new(l.Name, l.LoadBalancerSku, l.VmSize, l.LoadBalancerCount);
}
