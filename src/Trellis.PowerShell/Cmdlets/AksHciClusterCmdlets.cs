using System.Management.Automation;
using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.PowerShell;

/// <summary>Get-AksHciCluster [-name]: the stored workload clusters.</summary>
[Cmdlet(VerbsCommon.Get, "AksHciCluster")]
[OutputType(typeof(AksHciCluster))]
public sealed class GetAksHciClusterCommand : AksHciCmdlet
{
    protected override IReadOnlyDictionary<string, string> Parameters => AksHciWords.Cluster;

    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string? Name { get; set; }

    protected override void ProcessRecord()
    {
        if (ReadSite(Name) is { } state)
        {
            WriteObject(AksHciViews.Clusters(state, Name), enumerateCollection: true);
        }
    }
}

/// <summary>
/// New-AksHciCluster: the node-pool parameter set (-nodePoolName …) or the old one (-linuxNodeCount/-windowsNodeCount, pools
/// &lt;name&gt;-linux and &lt;name&gt;-windows). Every rule and default that depends on the site is the Engine's.
/// </summary>
[Cmdlet(VerbsCommon.New, "AksHciCluster", DefaultParameterSetName = NodeCounts, SupportsShouldProcess = true)]
[OutputType(typeof(AksHciCluster))]
public sealed class NewAksHciClusterCommand : AksHciCmdlet
{
    protected override IReadOnlyDictionary<string, string> Parameters => AksHciWords.Cluster;

    private const string NodeCounts = "NodeCounts";
    private const string NodePool = "NodePool";

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? KubernetesVersion { get; set; }

    [Parameter]
    public int? ControlPlaneNodeCount { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ControlPlaneVmSize { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? LoadBalancerVmSize { get; set; }

    [Parameter]
    [LoadBalancerSettingTransformation]
    [ValidateNotNull]
    public AksHciLoadBalancerSetting? LoadBalancerSettings { get; set; }

    [Parameter]
    [VirtualNetworkTransformation]
    [ValidateNotNull]
    [ArgumentCompleter(typeof(NetworkNameCompleter))]
    public AksHciVirtualNetwork? Vnet { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompletions("calico", "flannel")]
    public string? PrimaryNetworkPlugin { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = NodePool)]
    [ValidateNotNullOrEmpty]
    public string? NodePoolName { get; set; }

    [Parameter(ParameterSetName = NodePool)]
    public int NodeCount { get; set; } = 1;

    [Parameter(ParameterSetName = NodePool)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompletions("Linux", "Windows")]
    public string OsType { get; set; } = "Linux";

    [Parameter(ParameterSetName = NodePool)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompletions("Windows2019", "Windows2022", "CBLMariner")]
    public string? OsSku { get; set; }

    [Parameter(ParameterSetName = NodePool)]
    public string[]? Taints { get; set; }

    [Parameter(ParameterSetName = NodeCounts)]
    public int LinuxNodeCount { get; set; } = 1;

    [Parameter(ParameterSetName = NodeCounts)]
    public int WindowsNodeCount { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? NodeVmSize { get; set; }

    [Parameter]
    public int? NodeMaxPodCount { get; set; }

    [Parameter]
    public SwitchParameter EnableAdAuth { get; set; }

    [Parameter]
    public SwitchParameter EnableMonitoring { get; set; }

    [Parameter]
    public SwitchParameter EnableAutoScaler { get; set; }

    [Parameter]
    public SwitchParameter EnableAzureRBAC { get; set; }

    [Parameter]
    public string? AutoScalerProfileName { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PodCidr { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ServiceCidr { get; set; }

    [Parameter]
    public int? VxlanVni { get; set; }

    [Parameter]
    public int? VxlanPort { get; set; }

    [Parameter]
    public int? VirtualRouterId { get; set; }

    /// <summary>
    /// Trellis: more node pools created with the cluster in the same change (hashtables of name, osType, osSku, count, vmSize,
    /// maxPodCount), so that they take the addresses the site's spec gives them; AksHci adds them with New-AksHciNodePool
    /// afterwards. The deployment script passes them only when rehearsed in this module.
    /// </summary>
    [Parameter(ParameterSetName = NodePool)]
    [ValidateNotNull]
    public System.Collections.Hashtable[] AdditionalNodePool { get; set; } = [];

    protected override void ProcessRecord()
    {
        if (AdditionalPools() is not { } additional)
        {
            return;
        }

        IReadOnlyList<NodePoolSetting> pools = ParameterSetName == NodePool
            ? [new NodePoolSetting(NodePoolName!, OsType, OsSku, NodeCount, NodeVmSize, NodeMaxPodCount), .. additional]
            : [new NodePoolSetting($"{Name}-linux", "Linux", null, LinuxNodeCount, NodeVmSize, NodeMaxPodCount),
                new NodePoolSetting($"{Name}-windows", "Windows", null, WindowsNodeCount, NodeVmSize, NodeMaxPodCount)];
        var cluster = new ClusterSetting(Name)
        {
            Vnet = Vnet?.Name,
            PrimaryNetworkPlugin = PrimaryNetworkPlugin,
            KubernetesVersion = KubernetesVersion,
            ControlPlaneNodeCount = ControlPlaneNodeCount,
            ControlPlaneVmSize = ControlPlaneVmSize,
            LoadBalancerVmSize = LoadBalancerVmSize,
            LoadBalancer = LoadBalancerSettings is null ? null : AksHciViews.Setting(LoadBalancerSettings),
            NodePools = pools,
            PodCidr = PodCidr,
            ServiceCidr = ServiceCidr,
            VxlanVni = VxlanVni,
            VxlanPort = VxlanPort,
            VirtualRouterId = VirtualRouterId,
        };
        if (Apply(new AddCluster(cluster), Name, "Create cluster") is { Applied: true } && ReadSite(Name) is { } state)
        {
            WriteObject(AksHciViews.Clusters(state, Name), enumerateCollection: true);
        }
    }

    /// <summary>-AdditionalNodePool as node pool settings, or null after the findings of a count that is not a whole number.</summary>
    private List<NodePoolSetting>? AdditionalPools()
    {
        List<NodePoolSetting> pools = [];
        List<Finding> wrong = [];
        for (var i = 0; i < AdditionalNodePool.Length; i++)
        {
            var pool = AdditionalNodePool[i];
            var at = i;
            string? Text(string key) => pool[key] is { } v ? LanguagePrimitives.ConvertTo<string>(v) : null;
            int? Number(string key)
            {
                if (pool[key] is not { } v)
                {
                    return null;
                }

                if (LanguagePrimitives.TryConvertTo<int>(v, out var n))
                {
                    return n;
                }

                wrong.Add(Finding.Error("WrongType", $"additionalNodePool[{at}].{key}", $"'{v}' is not a whole number.", "Give a whole number."));
                return null;
            }

            pools.Add(new NodePoolSetting(Text("name") ?? "", Text("osType") ?? "Linux", Text("osSku"), Number("count") ?? 1, Text("vmSize"), Number("maxPodCount")));
        }

        if (wrong.Count > 0)
        {
            WriteOwnFindings([.. wrong]);
            return null;
        }

        return pools;
    }
}

/// <summary>Set-AksHciCluster -name [-controlPlaneNodeCount] [-controlPlaneVmSize]: what is given changes; takes clusters from the pipeline.</summary>
[Cmdlet(VerbsCommon.Set, "AksHciCluster", SupportsShouldProcess = true)]
[OutputType(typeof(AksHciCluster))]
public sealed class SetAksHciClusterCommand : AksHciCmdlet
{
    protected override IReadOnlyDictionary<string, string> Parameters => AksHciWords.Cluster;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string Name { get; set; } = "";

    [Parameter]
    public int? ControlPlaneNodeCount { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ControlPlaneVmSize { get; set; }

    [Parameter]
    public bool? EnableAutoScaler { get; set; }

    [Parameter]
    public string? AutoScalerProfileName { get; set; }

    protected override void ProcessRecord()
    {
        if (Apply(new SetCluster(Name, ControlPlaneNodeCount, ControlPlaneVmSize), Name, "Set cluster") is { Applied: true } && ReadSite(Name) is { } state)
        {
            WriteObject(AksHciViews.Clusters(state, Name), enumerateCollection: true);
        }
    }
}

/// <summary>Remove-AksHciCluster -name: the cluster, its node pools and services, and every address they hold.</summary>
[Cmdlet(VerbsCommon.Remove, "AksHciCluster", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
public sealed class RemoveAksHciClusterCommand : AksHciCmdlet
{
    protected override IReadOnlyDictionary<string, string> Parameters => AksHciWords.Cluster;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string Name { get; set; } = "";

    protected override void ProcessRecord() => Apply(new DeleteCluster(Name), Name, "Remove cluster");
}

/// <summary>
/// Update-AksHciCluster -name -kubernetesVersion: a rolling upgrade, one new VM per step, each taking a node IP before the old
/// VM releases its own. Trellis keeps no catalog of releases, so the version is required where the module would take the newest.
/// </summary>
[Cmdlet(VerbsData.Update, "AksHciCluster", SupportsShouldProcess = true)]
[OutputType(typeof(AksHciCluster))]
public sealed class UpdateAksHciClusterCommand : AksHciCmdlet
{
    protected override IReadOnlyDictionary<string, string> Parameters => AksHciWords.Cluster;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string Name { get; set; } = "";

    [Parameter]
    public string? KubernetesVersion { get; set; }

    /// <summary>The module's OS-image-only update: its VMs are replaced like a version upgrade's; Trellis plans it as one to the same version.</summary>
    [Parameter]
    public SwitchParameter OperatingSystem { get; set; }

    protected override void ProcessRecord()
    {
        var version = KubernetesVersion;
        if (string.IsNullOrEmpty(version))
        {
            WriteOwnFindings(Finding.Error("KubernetesVersionRequired", "kubernetesVersion",
                "Update-AksHciCluster needs -kubernetesVersion: Trellis keeps no catalog of releases to pick the newest from.",
                "Name the version to upgrade to, e.g. -kubernetesVersion v1.30.4."));
            return;
        }

        if (Apply(new Upgrade(Name, version), Name, $"Upgrade cluster to {version}") is { Applied: true } && ReadSite(Name) is { } state)
        {
            WriteObject(AksHciViews.Clusters(state, Name), enumerateCollection: true);
        }
    }
}
