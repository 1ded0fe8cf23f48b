using System.Management.Automation;
using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.PowerShell;

/// <summary>One rendered configuration file: its path under the output folder and its text.</summary>
public sealed class TrellisRenderedFile
{
    public required string Path { get; init; }
    public required string Content { get; init; }
}

/// <summary>The components Export-TrellisConfig -Component takes: all, or those the Engine renders.</summary>
public sealed class RenderComponents : IValidateSetValuesGenerator
{
    public string[] GetValidValues() => ["all", .. SiteViews.Components];
}

/// <summary>
/// Export-TrellisConfig: the configuration of the real components for the stored plan (HAProxy, keepalived, Kea, Windows DHCP,
/// Flannel, Calico, HNS, MetalLB, kube-vip, Service manifests), as <c>trellis render</c> makes it: written as a tree to a folder
/// (-Path, replaced as a whole, atomically) or, without -Path, to the pipeline as objects.
/// </summary>
[Cmdlet(VerbsData.Export, "TrellisConfig", SupportsShouldProcess = true)]
[OutputType(typeof(TrellisRenderedFile), typeof(FileInfo))]
public sealed class ExportTrellisConfigCommand : TrellisCmdlet
{
    private static readonly Dictionary<string, string> Parameters = new(StringComparer.Ordinal)
    {
        ["cluster"] = "ClusterName",
        ["node"] = "NodeName",
        ["component"] = "Component",
        ["output"] = "Path",
        ["site"] = "StatePath",
    };

    /// <summary>The components to render (default: all).</summary>
    [Parameter(Position = 0)]
    [ValidateSet(typeof(RenderComponents))]
    public string[] Component { get; set; } = ["all"];

    /// <summary>The folder to write the files to; a folder Trellis rendered before is replaced, any other must be new or empty.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>Only this cluster (and its network's DHCP files).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string? ClusterName { get; set; }

    /// <summary>Only this node or load balancer VM.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? NodeName { get; set; }

    protected override void EndProcessing()
    {
        var state = WithEngine(write: false, (engine, token) => engine.ReadAsync(token));
        var which = Component.Contains("all", StringComparer.OrdinalIgnoreCase) ? [] : Component.Distinct(StringComparer.Ordinal).ToArray();
        var (files, findings) = SiteViews.Render(state, which, ClusterName, NodeName);
        WriteFindings(ParameterWords.In(findings, Parameters));
        if (files.Count == 0)
        {
            return;
        }

        if (Path is null)
        {
            foreach (var file in files)
            {
                WriteObject(new TrellisRenderedFile { Path = file.Path, Content = file.Content });
            }

            return;
        }

        var (folder, problem) = FileSystemPaths.Resolve(this, Path, "-Path");
        if (folder is null)
        {
            WriteFindings([problem!]);
            return;
        }

        var list = string.Join("\n", files.Select(f => "  + " + f.Path));
        var count = files.Count == 1 ? "1 rendered file" : $"{files.Count} rendered files";
        if (!ShouldProcess($"Write {count} to folder \"{folder}\", replacing what Trellis rendered there before:\n{list}", $"Write {count} to \"{folder}\"?", "Export-TrellisConfig"))
        {
            return;
        }

        try
        {
            var refused = Task.Run(() => RenderedTree.WriteAsync(folder, files, null, Cancellation)).GetAwaiter().GetResult();
            WriteFindings(ParameterWords.In(refused, Parameters));
            if (refused.Count == 0)
            {
                foreach (var file in files)
                {
                    WriteObject(new FileInfo(System.IO.Path.Combine(folder, file.Path)));
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WriteError(new ErrorRecord(e, "FileNotWritten", ErrorCategory.WriteError, folder)
            {
                ErrorDetails = new ErrorDetails($"The rendered files could not be written to '{folder}': {e.Message} The folder is as it was.")
                {
                    RecommendedAction = "Check that you may write to the folder's parent, and that the disk has room.",
                },
            });
        }
        catch (OperationCanceledException) when (Cancellation.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }
}
