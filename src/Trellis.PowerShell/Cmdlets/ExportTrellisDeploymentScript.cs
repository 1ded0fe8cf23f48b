using System.Management.Automation;
using Trellis.Engine;

namespace Trellis.PowerShell;

/// <summary>
/// Export-TrellisDeploymentScript: the script that deploys the stored site on the real product, as <c>trellis render deploy-script</c>
/// writes it: the AksHci cmdlets (rehearsed in this module, the script plans the same addresses) or, for an AksArc site, the az
/// commands of a POSIX shell script. To a file (-Path, atomically) or, without -Path, as text to the pipeline.
/// </summary>
[Cmdlet(VerbsData.Export, "TrellisDeploymentScript", SupportsShouldProcess = true)]
[OutputType(typeof(string), typeof(FileInfo))]
public sealed class ExportTrellisDeploymentScriptCommand : TrellisCmdlet
{
    /// <summary>The file to write; without it the script is written to the pipeline as one string.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>AksHci: the default of the script's -WorkingDir (Set-AksHciConfig -workingDir).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? WorkingDir { get; set; }

    /// <summary>AksHci: the default of the script's -CloudConfigLocation.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CloudConfigLocation { get; set; }

    /// <summary>AksHci: the default of the script's -ImageDir.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ImageDir { get; set; }

    /// <summary>AksArc: the resource group the az commands use when RESOURCE_GROUP is not set.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ResourceGroup { get; set; }

    /// <summary>AksArc: the custom location the az commands use when CUSTOM_LOCATION is not set.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CustomLocation { get; set; }

    protected override void EndProcessing()
    {
        var state = WithEngine(write: false, (engine, token) => engine.ReadAsync(token));
        var (files, findings) = SiteViews.DeploymentScript(state, new DeploymentScriptOptions(WorkingDir, CloudConfigLocation, ImageDir, ResourceGroup, CustomLocation));
        WriteFindings(ParameterWords.In(findings, ParameterWords.Read));
        if (files.Count == 0)
        {
            return;
        }

        var script = files[0];
        if (Path is null)
        {
            WriteObject(script.Content);
            return;
        }

        var (file, problem) = FileSystemPaths.Resolve(this, Path, "-Path");
        if (file is null)
        {
            WriteFindings([problem!]);
        }
        else if (ShouldProcess(file, $"Write the deployment script of site '{state.SiteName}' ({script.Path})"))
        {
            OutputFile.Write(this, file, script.Content);
        }
    }
}
