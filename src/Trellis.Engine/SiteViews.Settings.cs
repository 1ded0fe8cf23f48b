using Trellis.Core.Model;

namespace Trellis.Engine;

/// <summary>The stored configuration as the settings a front end gives it (Get-AksHciConfig, Get-AksHciClusterNetwork, …).</summary>
public static partial class SiteViews
{
    /// <summary>The site's name, model, host network, cloud agent address and planning settings; null when no site is stored.</summary>
    public static HostConfig? HostConfig(SiteState state) => state.Spec is not { } spec
        ? null
        : new HostConfig(spec.Name, spec.Model.ToString(), spec.HostNetwork is { } host ? SettingNodes.ToSetting(host) : null, spec.CloudServiceCidr,
            SettingNodes.Settings(spec.Settings));

    /// <summary>The stored cluster networks (not the host network), in the order they were added.</summary>
    public static IReadOnlyList<NetworkSetting> ClusterNetworks(SiteState state) => state.Spec?.ClusterNetworks.Select(SettingNodes.ToSetting).ToList() ?? [];

    /// <summary>The stored load balancer settings (a cluster without one has one HAProxy VM, or kube-vip on AksArc).</summary>
    public static IReadOnlyList<LoadBalancerSetting> LoadBalancerSettings(SiteState state) =>
        state.Spec?.LoadBalancerSettings.Select(SettingNodes.ToSetting).ToList() ?? [];
}
