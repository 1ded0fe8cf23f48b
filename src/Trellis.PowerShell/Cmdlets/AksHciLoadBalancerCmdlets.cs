using System.Management.Automation;
using Trellis.Engine;

namespace Trellis.PowerShell;

/// <summary>
/// New-AksHciLoadBalancerSetting: a load balancer setting for New-AksHciCluster -loadBalancerSettings (nothing is stored until
/// a cluster uses it). HAProxy deploys -loadBalancerCount HAProxy + keepalived VMs per cluster; none deploys none (kube-vip
/// keeps the API server reachable, LoadBalancer services need a load balancer of your own).
/// </summary>
[Cmdlet(VerbsCommon.New, "AksHciLoadBalancerSetting")]
[OutputType(typeof(AksHciLoadBalancerSetting))]
public sealed class NewAksHciLoadBalancerSettingCommand : AksHciCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompletions("HAProxy", "none")]
    public string LoadBalancerSku { get; set; } = "";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? VmSize { get; set; }

    [Parameter]
    public int? LoadBalancerCount { get; set; }

    protected override void ProcessRecord() => WriteObject(new AksHciLoadBalancerSetting
    {
        Name = Name,
        LoadBalancerSku = LoadBalancerSku,
        VmSize = VmSize,
        LoadBalancerCount = LoadBalancerCount,
    });
}

/// <summary>
/// Set-AksHciLoadBalancer -clusterName -loadBalancerCount: scales one cluster's HAProxy VMs out or in (the setting it was
/// created with stays as it is for other clusters).
/// </summary>
[Cmdlet(VerbsCommon.Set, "AksHciLoadBalancer", SupportsShouldProcess = true)]
[OutputType(typeof(AksHciCluster))]
public sealed class SetAksHciLoadBalancerCommand : AksHciCmdlet
{
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string ClusterName { get; set; } = "";

    [Parameter(Mandatory = true)]
    public int LoadBalancerCount { get; set; }

    protected override void ProcessRecord()
    {
        if (ReadSite(ClusterName) is not { } before)
        {
            return;
        }

        // The Engine scales the cluster's HAProxy VMs of the setting it uses; a cluster created without one uses the default.
        var setting = SiteViews.ClusterSettings(before).FirstOrDefault(c => c.Name == ClusterName)?.LoadBalancer?.Name ?? "default";
        if (Apply(new ScaleLoadBalancer(ClusterName, setting, LoadBalancerCount), ClusterName, $"Scale load balancer to {LoadBalancerCount} VMs") is { Applied: true }
            && ReadSite(ClusterName) is { } state)
        {
            WriteObject(AksHciViews.Clusters(state, ClusterName), enumerateCollection: true);
        }
    }
}
