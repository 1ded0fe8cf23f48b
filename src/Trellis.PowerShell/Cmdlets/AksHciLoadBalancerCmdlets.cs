using System.Management.Automation;

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
