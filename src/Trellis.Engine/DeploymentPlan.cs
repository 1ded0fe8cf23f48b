using Trellis.Core.Model;

namespace Trellis.Engine;

/// <summary>
/// The commands that build a stored AksHci site from an empty state, in the order an operator gives them: Set-AksHciConfig,
/// the cluster networks, the clusters (with their load balancer settings and node pools), one cluster's load balancer
/// count and its Kubernetes objects (MetalLB load balancers, BGP peers, services), cluster by cluster. The deployment script is these
/// commands written out; run against an empty state they give the site's allocations.
/// </summary>
internal static class DeploymentPlan
{
    public static IReadOnlyList<SpecCommand> For(SiteSpec spec)
    {
        List<SpecCommand> commands = [];
        if (spec.HostNetwork is { } host)
        {
            commands.Add(new SetHostConfig(SettingNodes.ToSetting(host), spec.CloudServiceCidr, spec.Name, ChangedSettings(spec.Settings)));
        }

        commands.AddRange(spec.ClusterNetworks.Select(n => new AddClusterNetwork(SettingNodes.ToSetting(n))));
        foreach (var c in spec.Clusters)
        {
            var lb = spec.LoadBalancerSettings.FirstOrDefault(l => l.Name == c.LoadBalancerSettings);
            commands.Add(new AddCluster(Cluster(c, lb)));
            if (c.LoadBalancerCount is { } count)
            {
                commands.Add(new ScaleLoadBalancer(c.Name, lb?.Name ?? SiteSpecDefaults.DefaultLoadBalancerSetting, count));
            }

            // A cluster's own objects follow it: addresses are planned in the order objects are added, so this order gives the
            // addresses applying the spec gives (a later cluster's API server VIP after this cluster's service VIPs).
            commands.AddRange(c.LoadBalancers.Select(l => new AddLoadBalancerPool(c.Name, l.Name, [.. l.Addresses], l.AdvertiseMode)));
            commands.AddRange(c.BgpPeers.Select(p => new AddBgpPeer(c.Name, p.Name, p.MyAsn, p.PeerAsn, p.PeerAddress ?? "", p.PeerPort)));
            commands.AddRange(c.Services.Select(s => new AddService(c.Name, s.Namespace, s.Name, [.. s.Ports], s.SharedIpKey)));
        }

        return commands;
    }

    /// <summary>The cluster as New-AksHciCluster gives it; every value explicit, so that the script does not lean on defaults that may change.</summary>
    public static ClusterSetting Cluster(ClusterSpec c, LoadBalancerSettingSpec? lb) => new(c.Name)
    {
        Vnet = c.Vnet,
        PrimaryNetworkPlugin = c.PrimaryNetworkPlugin.ToString().ToLowerInvariant(),
        KubernetesVersion = c.KubernetesVersion,
        ControlPlaneNodeCount = c.ControlPlaneNodeCount,
        ControlPlaneVmSize = c.ControlPlaneVmSize,
        LoadBalancer = lb is null ? null : SettingNodes.ToSetting(lb),
        NodePools = [.. c.NodePools.Select(p => new NodePoolSetting(p.Name, p.OsType.ToString(), p.OsSku, p.Count, p.VmSize, p.MaxPodCount))],
        PodCidr = c.PodCidr,
        ServiceCidr = c.ServiceCidr,
        VxlanVni = c.VxlanVni,
        VxlanPort = c.VxlanPort,
        VirtualRouterId = c.VirtualRouterId,
        ControlPlaneIp = c.ControlPlaneIp,
    };

    /// <summary>The planning settings that differ from the defaults, by their spec names.</summary>
    public static IReadOnlyDictionary<string, string> ChangedSettings(PlanningSettings settings)
    {
        var defaults = SettingNodes.Settings(new PlanningSettings());
        return SettingNodes.Settings(settings).Where(s => !defaults.TryGetValue(s.Key, out var d) || d != s.Value).ToDictionary(StringComparer.Ordinal);
    }
}
