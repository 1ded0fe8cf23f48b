using System.Management.Automation;
using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.PowerShell;

/// <summary>Get-AksHciCluster [-name]: the stored workload clusters.</summary>
[Cmdlet(VerbsCommon.Get, "AksHciCluster")]
[OutputType(typeof(AksHciCluster))]
public sealed class GetAksHciClusterCommand : AksHciCmdlet
{
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

/// <summary>Remove-AksHciCluster -name: the cluster, its node pools and services, and every address they hold.</summary>
[Cmdlet(VerbsCommon.Remove, "AksHciCluster", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
public sealed class RemoveAksHciClusterCommand : AksHciCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string Name { get; set; } = "";

    protected override void ProcessRecord() => Change(new DeleteCluster(Name), Name, "Remove cluster");
}

/// <summary>
/// Update-AksHciCluster -name -kubernetesVersion: a rolling upgrade, one new VM per step, each taking a node IP before the old
/// VM releases its own. Trellis keeps no catalog of releases, so the version is required where the module would take the newest.
/// </summary>
[Cmdlet(VerbsData.Update, "AksHciCluster", SupportsShouldProcess = true)]
[OutputType(typeof(AksHciCluster))]
public sealed class UpdateAksHciClusterCommand : AksHciCmdlet
{
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
            WriteError(FindingRecords.From(Finding.Error("KubernetesVersionRequired", "kubernetesVersion",
                "Update-AksHciCluster needs -kubernetesVersion: Trellis keeps no catalog of releases to pick the newest from.",
                "Name the version to upgrade to, e.g. -kubernetesVersion v1.30.4.")));
            return;
        }

        if (Change(new Upgrade(Name, version), Name, $"Upgrade cluster to {version}") is { Applied: true } && ReadSite(Name) is { } state)
        {
            WriteObject(AksHciViews.Clusters(state, Name), enumerateCollection: true);
        }
    }
}
