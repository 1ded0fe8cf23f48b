using System.Management.Automation;
using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.PowerShell;

/// <summary>Get-AksHciNodePool -clusterName [-name]: a cluster's node pools.</summary>
[Cmdlet(VerbsCommon.Get, "AksHciNodePool")]
[OutputType(typeof(AksHciNodePool))]
public sealed class GetAksHciNodePoolCommand : AksHciCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string ClusterName { get; set; } = "";

    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NodePoolNameCompleter))]
    public string? Name { get; set; }

    protected override void ProcessRecord()
    {
        if (ReadSite(ClusterName) is not { } state)
        {
            return;
        }

        var pools = AksHciViews.NodePools(state, ClusterName, Name).ToList();
        if (Name is not null && pools.Count == 0)
        {
            WriteOwnFindings(AksHciFindings.UnknownNodePool(ClusterName, Name));
        }

        WriteObject(pools, enumerateCollection: true);
    }
}

/// <summary>New-AksHciNodePool -clusterName -name [-count] [-osType] [-osSku] [-vmSize] [-maxPodCount]: a node pool and its nodes' addresses.</summary>
[Cmdlet(VerbsCommon.New, "AksHciNodePool", SupportsShouldProcess = true)]
[OutputType(typeof(AksHciNodePool))]
public sealed class NewAksHciNodePoolCommand : AksHciCmdlet
{
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string ClusterName { get; set; } = "";

    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    [Parameter]
    public int Count { get; set; } = 1;

    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompletions("Linux", "Windows")]
    public string OsType { get; set; } = "Linux";

    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompletions("Windows2019", "Windows2022", "CBLMariner")]
    public string? OsSku { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? VmSize { get; set; }

    [Parameter]
    public int? MaxPodCount { get; set; }

    [Parameter]
    public string[]? Taints { get; set; }

    [Parameter]
    public SwitchParameter DisableAutoScaler { get; set; }

    protected override void ProcessRecord()
    {
        if (Apply(new AddNodePool(ClusterName, Name, OsType, Count, MaxPodCount, VmSize, OsSku), $"{ClusterName}/{Name}", "Add node pool") is { Applied: true }
            && ReadSite(ClusterName) is { } state)
        {
            WriteObject(AksHciViews.NodePools(state, ClusterName, Name), enumerateCollection: true);
        }
    }
}

/// <summary>Set-AksHciNodePool -clusterName -name [-count] [-vmSize]: what is given changes; takes node pools from the pipeline.</summary>
[Cmdlet(VerbsCommon.Set, "AksHciNodePool", SupportsShouldProcess = true)]
[OutputType(typeof(AksHciNodePool))]
public sealed class SetAksHciNodePoolCommand : AksHciCmdlet
{
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string ClusterName { get; set; } = "";

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("NodePoolName")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NodePoolNameCompleter))]
    public string Name { get; set; } = "";

    [Parameter]
    public int? Count { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? VmSize { get; set; }

    [Parameter]
    public bool? AutoScaler { get; set; }

    protected override void ProcessRecord()
    {
        if (Apply(new SetNodePool(ClusterName, Name, Count, VmSize), $"{ClusterName}/{Name}", "Set node pool") is { Applied: true } && ReadSite(ClusterName) is { } state)
        {
            WriteObject(AksHciViews.NodePools(state, ClusterName, Name), enumerateCollection: true);
        }
    }
}

/// <summary>Remove-AksHciNodePool -clusterName -name: the pool's nodes and every address they hold.</summary>
[Cmdlet(VerbsCommon.Remove, "AksHciNodePool", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
public sealed class RemoveAksHciNodePoolCommand : AksHciCmdlet
{
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string ClusterName { get; set; } = "";

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("NodePoolName")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NodePoolNameCompleter))]
    public string Name { get; set; } = "";

    protected override void ProcessRecord() => Apply(new DeleteNodePool(ClusterName, Name), $"{ClusterName}/{Name}", "Remove node pool");
}

/// <summary>Findings the module raises itself, with the Engine's codes for the same problem.</summary>
internal static class AksHciFindings
{
    public static Finding UnknownNodePool(string cluster, string pool) =>
        Finding.Error("UnknownNodePool", "nodePool", $"Cluster '{cluster}' has no node pool '{pool}'.", "List the cluster's node pools with Get-AksHciNodePool -clusterName.");

    public static Finding UnknownNetwork(string name, string? cluster, IReadOnlyList<AksHciVirtualNetwork> stored) => Finding.Error("UnknownNetwork", "name",
        cluster is null ? $"No cluster network '{name}' is stored." : $"Cluster '{cluster}' is not on network '{name}'.",
        stored.Count == 0 ? "The stored site has no networks." : $"Stored networks: {string.Join(", ", stored.Select(n => $"{n.Name} ({n.Kind})"))}.");
}
