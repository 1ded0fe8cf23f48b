using System.Management.Automation;
using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.PowerShell;

/// <summary>A site spec file given to a cmdlet (-Path, relative to PowerShell's location), read as every front end reads one.</summary>
internal static class SpecInput
{
    public static SpecRead FromFile(PSCmdlet cmdlet, string path)
    {
        var (full, problem) = FileSystemPaths.Resolve(cmdlet, path, "-Path");
        return full is null ? new SpecRead(null, [problem!]) : SiteSpecs.ReadFile(full, "-Path");
    }
}

/// <summary>A cmdlet that takes a site spec as a file (-Path, or a file from the pipeline) or as text (-Yaml, or text from the pipeline).</summary>
public abstract class TrellisSpecCmdlet : TrellisCmdlet
{
    protected const string File = "Path";
    protected const string Text = "Yaml";

    /// <summary>A site spec file.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = File, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>A site spec as text (Get-Content site.yaml -Raw, or Export-TrellisSite's output).</summary>
    [Parameter(Mandatory = true, ParameterSetName = Text, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    public string Yaml { get; set; } = "";

    /// <summary>The spec of -Path or -Yaml; null in another parameter set.</summary>
    protected SpecRead? ReadSpec() => ParameterSetName switch
    {
        File => SpecInput.FromFile(this, Path),
        Text => SiteSpecs.Parse(Yaml),
        _ => null,
    };
}

/// <summary>Paths as PowerShell users give them: relative to the current location, ~ and PSDrives resolved; a path of another provider is a finding.</summary>
internal static class FileSystemPaths
{
    public static (string? Path, Finding? Problem) Resolve(PSCmdlet cmdlet, string path, string parameter)
    {
        try
        {
            var full = cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out var provider, out _);
            return provider.ImplementingType == typeof(Microsoft.PowerShell.Commands.FileSystemProvider)
                ? (full, null)
                : (null, Finding.Error("NotAFileSystemPath", parameter, $"'{path}' is a path of the {provider.Name} provider, not of the file system.", "Give a file system path."));
        }
        catch (Exception e) when (e is SessionStateException or ProviderInvocationException or PSArgumentException or NotSupportedException)
        {
            return (null, Finding.Error("FileNotFound", parameter, $"'{path}' cannot be resolved: {e.Message}", "Give the path of a file on a file system drive."));
        }
    }
}
