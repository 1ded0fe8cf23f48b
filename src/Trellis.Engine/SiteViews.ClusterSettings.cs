namespace Trellis.Engine;

public static partial class SiteViews
{
    /// <summary>
    /// The stored clusters as the settings that create them (New-AksHciCluster): every value explicit, the load balancer
    /// setting the cluster uses (none for the default), its node pools. Get-AksHciCluster shows its VM sizes and setting from it.
    /// </summary>
    public static IReadOnlyList<ClusterSetting> ClusterSettings(SiteState state) => state.Spec is not { } spec
        ? []
        : [.. spec.Clusters.Select(c => DeploymentPlan.Cluster(c, spec.LoadBalancerSettings.FirstOrDefault(l => l.Name == c.LoadBalancerSettings)))];
}
