using System.Management.Automation;
using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.PowerShell;

/// <summary>What a committed change did to the site: the objects it added, changed and removed, and the addresses it took and gave back.</summary>
public sealed class TrellisSiteChange
{
    public required string Site { get; init; }
    public required long Revision { get; init; }
    public required IReadOnlyList<ObjectChange> Changes { get; init; }
    public required IReadOnlyList<Allocation> Added { get; init; }
    public required IReadOnlyList<Allocation> Released { get; init; }
    public required IReadOnlyList<UpgradeStep> UpgradeSteps { get; init; }

    internal static TrellisSiteChange From(string site, CommandResult result) => new()
    {
        Site = site,
        Revision = result.Revision,
        Changes = result.Changes,
        Added = result.Allocations?.Added ?? [],
        Released = result.Allocations?.Removed ?? [],
        UpgradeSteps = result.UpgradeSteps,
    };
}

/// <summary>
/// Import-TrellisSite: makes the stored site match a YAML site spec (the CLI's apply) in one transaction; -WhatIf shows the plan
/// (objects and addresses) and writes nothing.
/// </summary>
[Cmdlet(VerbsData.Import, "TrellisSite", SupportsShouldProcess = true, DefaultParameterSetName = Text)]
[OutputType(typeof(TrellisSiteChange))]
public sealed class ImportTrellisSiteCommand : TrellisSpecCmdlet
{
    protected override void ProcessRecord()
    {
        var read = ReadSpec()!;
        WriteFindings(read.Findings);
        if (read.Document is not { } spec)
        {
            return;
        }

        if (Change(new ApplySpec(spec), spec.SiteName, "Apply site spec") is { Applied: true } result)
        {
            WriteObject(TrellisSiteChange.From(spec.SiteName, result));
        }
    }
}

/// <summary>Export-TrellisSite: the stored site as its YAML spec, as text or to a file (Import-TrellisSite or trellis apply take it back).</summary>
[Cmdlet(VerbsData.Export, "TrellisSite", SupportsShouldProcess = true)]
[OutputType(typeof(string), typeof(FileInfo))]
public sealed class ExportTrellisSiteCommand : TrellisCmdlet
{
    /// <summary>The file to write; without it the YAML is written to the pipeline.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    protected override void EndProcessing()
    {
        var state = WithEngine(write: false, (engine, token) => engine.ReadAsync(token));
        var (yaml, findings) = SpecExport.Yaml(state);
        WriteFindings(ParameterWords.In(findings, ParameterWords.Read));
        if (yaml is null)
        {
            return;
        }

        if (Path is null)
        {
            WriteObject(yaml);
            return;
        }

        var (file, problem) = FileSystemPaths.Resolve(this, Path, "-Path");
        if (file is null)
        {
            WriteFindings([problem!]);
        }
        else if (ShouldProcess(file, $"Write the spec of site '{state.SiteName}'"))
        {
            OutputFile.Write(this, file, yaml);
        }
    }
}

/// <summary>Writes a file atomically (<see cref="OutputFiles"/>); a failure is an ErrorRecord naming the file, never an exception.</summary>
internal static class OutputFile
{
    public static bool Write(TrellisCmdlet cmdlet, string path, string text)
    {
        try
        {
            Task.Run(() => OutputFiles.WriteAsync(path, text)).GetAwaiter().GetResult();
            cmdlet.WriteObject(new FileInfo(path));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            cmdlet.WriteError(new ErrorRecord(e, "FileNotWritten", ErrorCategory.WriteError, path)
            {
                ErrorDetails = new ErrorDetails($"'{path}' could not be written: {e.Message} Nothing was changed.")
                {
                    RecommendedAction = "Check that the folder exists and that you may write there.",
                },
            });
            return false;
        }
    }
}
