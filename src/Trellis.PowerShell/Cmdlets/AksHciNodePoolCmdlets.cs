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
            WriteError(FindingRecords.From(AksHciFindings.UnknownNodePool(ClusterName, Name)));
        }

        WriteObject(pools, enumerateCollection: true);
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

    protected override void ProcessRecord() => Change(new DeleteNodePool(ClusterName, Name), $"{ClusterName}/{Name}", "Remove node pool");
}

/// <summary>Findings the module raises itself, with the Engine's codes for the same problem.</summary>
internal static class AksHciFindings
{
    public static Finding UnknownNodePool(string cluster, string pool) =>
        Finding.Error("UnknownNodePool", "nodePool", $"Cluster '{cluster}' has no node pool '{pool}'.", "List the cluster's node pools with Get-AksHciNodePool -clusterName.");
}
