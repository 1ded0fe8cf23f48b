using Trellis.Core.Model;
using Trellis.Core.Validation;

namespace Trellis.Engine;

/// <summary>
/// The AksHci configuration commands (Set-AksHciConfig, New-AksHciClusterNetwork, New-AksHciCluster, …) as changes of the
/// stored spec. What they are given is read by the spec reader, so a value gets the same checks and finding codes as in a
/// spec file, at the path the new object takes in the spec (<c>spec.clusters[2].nodePools[0].count</c>).
/// </summary>
internal static partial class SpecMutations
{
    public static (SiteSpec?, IReadOnlyList<Finding>) SetHostConfig(SiteSpec? stored, NetworkSetting vnet, string? cloudServiceCidr, string? siteName,
        IReadOnlyDictionary<string, string>? settings)
    {
        var (network, findings) = SpecFragments.Network(SettingNodes.Network(vnet), "spec.hostNetwork");
        if (network is null)
        {
            return (null, findings);
        }

        // A new site is named after its host network unless named; a stored site keeps its name (another name is SiteMismatch).
        var spec = (stored ?? new SiteSpec { Name = siteName ?? network.Name, Model = SiteModel.AksHci }) with
        {
            Name = siteName ?? stored?.Name ?? network.Name,
            HostNetwork = network,
            CloudServiceCidr = cloudServiceCidr,
        };
        return WithSettings(spec, settings);
    }

    /// <summary><paramref name="spec"/> with the planning settings <paramref name="settings"/> gives; the others keep their values.</summary>
    public static (SiteSpec?, IReadOnlyList<Finding>) WithSettings(SiteSpec spec, IReadOnlyDictionary<string, string>? settings)
    {
        if (settings is null || settings.Count == 0)
        {
            return (spec, []);
        }

        var (read, findings) = SpecFragments.Settings([.. settings], "spec.settings", spec.Settings);
        return read is null ? (null, findings) : (spec with { Settings = read }, findings);
    }

    public static (SiteSpec?, IReadOnlyList<Finding>) AddClusterNetwork(SiteSpec? spec, NetworkSetting setting)
    {
        if (spec is null)
        {
            return NoSite();
        }

        var (network, findings) = SpecFragments.Network(SettingNodes.Network(setting), $"spec.clusterNetworks[{spec.ClusterNetworks.Count}]");
        if (network is null)
        {
            return (null, findings);
        }

        if (spec.HostNetwork?.Name == network.Name || spec.ClusterNetworks.Any(n => n.Name == network.Name))
        {
            return (null, [Finding.Error("DuplicateName", "name", $"A network named '{network.Name}' already exists.", "Give every network its own name.")]);
        }

        return (spec with { ClusterNetworks = [.. spec.ClusterNetworks, network] }, findings);
    }

    public static (SiteSpec?, IReadOnlyList<Finding>) RemoveClusterNetwork(SiteSpec? spec, string name)
    {
        if (spec is null)
        {
            return NoSite();
        }

        if (!spec.ClusterNetworks.Any(n => n.Name == name))
        {
            var known = spec.ClusterNetworks.Select(n => n.Name).ToList();
            return (null, [Finding.Error("UnknownNetwork", "name",
                spec.HostNetwork?.Name == name ? $"'{name}' is the host network, not a cluster network." : $"No cluster network '{name}' is stored.",
                known.Count > 0 ? $"Stored cluster networks: {string.Join(", ", known)}." : "The stored site has no cluster networks.")]);
        }

        var users = spec.Clusters.Where(c => c.Vnet == name).Select(c => c.Name).ToList();
        if (users.Count > 0)
        {
            return (null, [Finding.Error("NetworkInUse", "name",
                $"Cluster network '{name}' is used by cluster{(users.Count > 1 ? "s" : "")} {string.Join(", ", users.Select(u => $"'{u}'"))}.",
                "Remove the clusters that use it first.")]);
        }

        return (spec with { ClusterNetworks = spec.ClusterNetworks.Where(n => n.Name != name).ToList() }, []);
    }

    /// <summary>
    /// New-AksHciCluster. The cluster's load balancer setting is added to the site's unless an equal one is stored; a stored
    /// setting of that name with other values is LoadBalancerSettingConflict. A load balancer VM size without a setting gives
    /// the cluster an HAProxy setting of one VM of that size, named after the cluster.
    /// </summary>
    public static (SiteSpec?, IReadOnlyList<Finding>) AddCluster(SiteSpec? spec, ClusterSetting setting)
    {
        if (spec is null)
        {
            return NoSite();
        }

        var path = $"spec.clusters[{spec.Clusters.Count}]";
        var lbSetting = setting.LoadBalancer
            ?? (setting.LoadBalancerVmSize is { } size && size != SiteSpecDefaults.LoadBalancerVmSize ? new LoadBalancerSetting($"{setting.Name}-lb", VmSize: size) : null);
        List<Finding> findings = [];
        LoadBalancerSettingSpec? lb = null;
        if (lbSetting is not null)
        {
            var (read, lbFindings) = SpecFragments.LoadBalancerSetting(SettingNodes.LoadBalancer(lbSetting), $"spec.loadBalancerSettings[{spec.LoadBalancerSettings.Count}]");
            findings.AddRange(lbFindings);
            lb = read;
            if (read is not null && setting.LoadBalancerVmSize is { } vmSize && vmSize != read.VmSize)
            {
                findings.Add(Finding.Error("LoadBalancerSettingConflict", $"{path}.loadBalancerVmSize",
                    $"The load balancer VM size {vmSize} differs from {read.VmSize} of load balancer setting '{read.Name}'.",
                    "Give the VM size in the load balancer setting only, or the same in both."));
            }

            if (read is not null && spec.LoadBalancerSettings.FirstOrDefault(l => l.Name == read.Name) is { } stored && stored != read)
            {
                findings.Add(Finding.Error("LoadBalancerSettingConflict", $"{path}.loadBalancerSettings",
                    $"Load balancer setting '{read.Name}' is stored as {Describe(stored)}; this cluster brings {Describe(read)}.",
                    "Use the stored setting's values, or give this setting another name. One cluster's VM count can be scaled after it is created."));
            }
        }

        var (cluster, clusterFindings) = SpecFragments.Cluster(SettingNodes.Cluster(setting, lb?.Name), path);
        findings.AddRange(clusterFindings);
        if (cluster is null || findings.HasErrors())
        {
            return (null, findings);
        }

        var withSetting = lb is null || spec.LoadBalancerSettings.Any(l => l.Name == lb.Name) ? spec : spec with { LoadBalancerSettings = [.. spec.LoadBalancerSettings, lb] };

        // A pool given without maxPodCount gets what a node of its cluster and OS holds, as New-AksHciNodePool does (and stays
        // not given: SettingNodes writes maxPodCount only when the setting has it).
        var probe = withSetting with { Clusters = [.. withSetting.Clusters, cluster] };
        cluster = cluster with { NodePools = [.. cluster.NodePools.Select(p => SpecFragments.WithDefaultMaxPodCount(p, probe, cluster.Name))] };
        var (added, duplicate) = AddCluster(withSetting, cluster);
        return (added, [.. findings, .. duplicate]);
    }

    private static string Describe(LoadBalancerSettingSpec l) => $"{l.LoadBalancerSku}, VM size {l.VmSize}, {l.LoadBalancerCount} VMs";

    public static (SiteSpec?, IReadOnlyList<Finding>) SetCluster(SiteSpec? spec, string cluster, int? controlPlaneNodeCount, string? controlPlaneVmSize) =>
        WithCluster(spec, cluster, c => (c with
        {
            ControlPlaneNodeCount = controlPlaneNodeCount ?? c.ControlPlaneNodeCount,
            ControlPlaneVmSize = controlPlaneVmSize ?? c.ControlPlaneVmSize,
        }, []));

    public static (SiteSpec?, IReadOnlyList<Finding>) WithNodePool(SiteSpec? spec, string cluster, string pool, Func<NodePoolSpec, NodePoolSpec> change) =>
        WithCluster(spec, cluster, c => c.NodePools.Any(p => p.Name == pool)
            ? (c with { NodePools = c.NodePools.Select(p => p.Name == pool ? change(p) : p).ToList() }, [])
            : (null, [UnknownNodePool(cluster, pool)]));

    public static (SiteSpec?, IReadOnlyList<Finding>) AddLoadBalancerPool(SiteSpec? spec, string cluster, string name, IReadOnlyList<string> addresses, string advertiseMode) =>
        WithCluster(spec, cluster, c =>
        {
            var (pool, findings) = SpecFragments.MetalLbPool(SettingNodes.MetalLbPool(name, addresses, advertiseMode), $"{ClusterPath(spec!, cluster)}.loadBalancers[{c.LoadBalancers.Count}]");
            return pool is null ? (null, findings)
                : c.LoadBalancers.Any(l => string.Equals(l.Name, pool.Name, StringComparison.OrdinalIgnoreCase))
                    ? (null, [Finding.Error("DuplicateName", "name", $"Cluster '{cluster}' already has a load balancer '{pool.Name}'.", "Choose another name.")])
                    : (c with { LoadBalancers = [.. c.LoadBalancers, pool] }, findings);
        });

    public static (SiteSpec?, IReadOnlyList<Finding>) AddBgpPeer(SiteSpec? spec, string cluster, string name, long myAsn, long peerAsn, string peerAddress, int? peerPort) =>
        WithCluster(spec, cluster, c =>
        {
            var (peer, findings) = SpecFragments.BgpPeer(SettingNodes.BgpPeer(name, myAsn, peerAsn, peerAddress, peerPort), $"{ClusterPath(spec!, cluster)}.bgpPeers[{c.BgpPeers.Count}]");
            return peer is null ? (null, findings)
                : c.BgpPeers.Any(p => string.Equals(p.Name, peer.Name, StringComparison.OrdinalIgnoreCase))
                    ? (null, [Finding.Error("DuplicateName", "name", $"Cluster '{cluster}' already has a BGP peer '{peer.Name}'.", "Choose another name.")])
                    : (c with { BgpPeers = [.. c.BgpPeers, peer] }, findings);
        });

    private static string ClusterPath(SiteSpec spec, string cluster) => $"spec.clusters[{spec.Clusters.ToList().FindIndex(c => c.Name == cluster)}]";

    private static Finding UnknownNodePool(string cluster, string pool) =>
        Finding.Error("UnknownNodePool", "nodePool", $"Cluster '{cluster}' has no node pool '{pool}'.", "List the cluster's node pools.");
}
