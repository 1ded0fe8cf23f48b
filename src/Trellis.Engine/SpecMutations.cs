using Trellis.Core.Model;
using Trellis.Core.Validation;

namespace Trellis.Engine;

/// <summary>
/// The imperative commands (New-AksHciNodePool, Set-AksHciNodePool -count, Set-AksHciLoadBalancer, Remove-...) as
/// changes of the stored spec, so that they take the same validate-plan-commit path as apply.
/// </summary>
internal static partial class SpecMutations
{
    public static (SiteSpec? Spec, IReadOnlyList<Finding> Findings) NoSite() =>
        (null, [TrellisEngine.NoSite]);

    private static (SiteSpec?, IReadOnlyList<Finding>) UnknownCluster(string cluster) =>
        (null, [TrellisEngine.UnknownCluster(cluster)]);

    private static (SiteSpec?, IReadOnlyList<Finding>) WithCluster(SiteSpec? spec, string cluster, Func<ClusterSpec, (ClusterSpec?, IReadOnlyList<Finding>)> change)
    {
        if (spec is null)
        {
            return NoSite();
        }

        var c = spec.Clusters.FirstOrDefault(x => x.Name == cluster);
        if (c is null)
        {
            return UnknownCluster(cluster);
        }

        var (changed, findings) = change(c);
        return changed is null ? (null, findings) : (spec with { Clusters = spec.Clusters.Select(x => x.Name == cluster ? changed : x).ToList() }, findings);
    }

    public static (SiteSpec?, IReadOnlyList<Finding>) ScaleNodePool(SiteSpec? spec, string cluster, string pool, int count) =>
        WithNodePool(spec, cluster, pool, p => p with { Count = count });

    public static (SiteSpec?, IReadOnlyList<Finding>) ScaleControlPlane(SiteSpec? spec, string cluster, int count) =>
        WithCluster(spec, cluster, c => (c with { ControlPlaneNodeCount = count }, []));

    public static (SiteSpec?, IReadOnlyList<Finding>) AddNodePool(SiteSpec? spec, string cluster, NodePoolSpec pool) =>
        WithCluster(spec, cluster, c => c.NodePools.Any(p => p.Name == pool.Name)
            ? (null, [Finding.Error("DuplicateName", "name", $"Cluster '{cluster}' already has a node pool '{pool.Name}'.", "Choose another name, or scale the pool.")])
            : (c with { NodePools = [.. c.NodePools, pool] }, []));

    public static (SiteSpec?, IReadOnlyList<Finding>) DeleteNodePool(SiteSpec? spec, string cluster, string pool) =>
        WithCluster(spec, cluster, c => c.NodePools.Any(p => p.Name == pool)
            ? (c with { NodePools = c.NodePools.Where(p => p.Name != pool).ToList() }, [])
            : (null, [UnknownNodePool(cluster, pool)]));

    public static (SiteSpec?, IReadOnlyList<Finding>) AddService(SiteSpec? spec, string cluster, ServiceSpec service) =>
        WithCluster(spec, cluster, c => c.Services.Any(s => s.Namespace == service.Namespace && s.Name == service.Name)
            ? (null, [Finding.Error("DuplicateName", "name", $"Service {service.Namespace}/{service.Name} already exists in '{cluster}'.", "Remove it first or choose another name.")])
            : (c with { Services = [.. c.Services, service] }, []));

    public static (SiteSpec?, IReadOnlyList<Finding>) RemoveService(SiteSpec? spec, string cluster, string ns, string name) =>
        WithCluster(spec, cluster, c => c.Services.Any(s => s.Namespace == ns && s.Name == name)
            ? (c with { Services = c.Services.Where(s => !(s.Namespace == ns && s.Name == name)).ToList() }, [])
            : (null, [Finding.Error("UnknownService", "name", $"Cluster '{cluster}' has no service {ns}/{name}.", "List the cluster's services.")]));

    public static (SiteSpec?, IReadOnlyList<Finding>) DeleteCluster(SiteSpec? spec, string cluster)
    {
        if (spec is null)
        {
            return NoSite();
        }

        return spec.Clusters.Any(c => c.Name == cluster)
            ? (spec with { Clusters = spec.Clusters.Where(c => c.Name != cluster).ToList() }, [])
            : UnknownCluster(cluster);
    }

    public static (SiteSpec?, IReadOnlyList<Finding>) AddCluster(SiteSpec? spec, ClusterSpec cluster) =>
        spec is null ? NoSite() : spec.Clusters.Any(c => c.Name == cluster.Name)
            ? (null, [Finding.Error("DuplicateName", "name", $"Cluster '{cluster.Name}' already exists.", "Choose another name.")])
            : (spec with { Clusters = [.. spec.Clusters, cluster] }, []);

    /// <summary>
    /// Set-AksHciLoadBalancer -clusterName -loadBalancerCount: scales the HAProxy VMs of that one cluster. The setting
    /// stays as it is, so other clusters created from it keep their count.
    /// </summary>
    public static (SiteSpec?, IReadOnlyList<Finding>) SetLoadBalancerCount(SiteSpec? spec, string cluster, string setting, int count)
    {
        // A cluster created without a setting has the default one (one HAProxy VM), by the name the resolved site gives it.
        var isDefault = setting == SiteSpecDefaults.DefaultLoadBalancerSetting && spec?.LoadBalancerSettings.All(l => l.Name != setting) == true;
        if (spec is not null && !isDefault && !spec.LoadBalancerSettings.Any(l => l.Name == setting))
        {
            return (null, [Finding.Error("UnknownLoadBalancerSetting", "loadBalancer", $"No load balancer setting '{setting}'.", "List the stored clusters to see which settings they use.")]);
        }

        return WithCluster(spec, cluster, c => c.LoadBalancerSettings == setting || (isDefault && c.LoadBalancerSettings is null)
            ? (c with { LoadBalancerCount = count }, [])
            : (null, [Finding.Error("LoadBalancerSettingNotUsed", "loadBalancer",
                $"Cluster '{cluster}' uses {(c.LoadBalancerSettings is null ? "the default load balancer" : $"load balancer setting '{c.LoadBalancerSettings}'")}, not '{setting}'.",
                "Name the load balancer setting this cluster uses (the stored clusters show it); the count changes only this cluster.")]));
    }
}
