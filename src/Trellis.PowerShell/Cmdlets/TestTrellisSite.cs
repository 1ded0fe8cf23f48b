using System.Management.Automation;
using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.PowerShell;

/// <summary>
/// Test-TrellisSite: $true when a site spec (a file, YAML text, or the stored site) breaks no rule, else $false; every finding
/// is written at once, errors as ErrorRecords and warnings as warnings (the CLI's validate).
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "TrellisSite", DefaultParameterSetName = Stored)]
[OutputType(typeof(bool))]
public sealed class TestTrellisSiteCommand : TrellisSpecCmdlet
{
    private const string Stored = "Stored";

    protected override void ProcessRecord()
    {
        IReadOnlyList<Finding> findings;
        if (ReadSpec() is not { } read)
        {
            // The stored site, read as every view reads it: rules added after it was applied are warnings.
            var state = WithEngine(write: false, (engine, token) => engine.ReadAsync(token));
            findings = [.. ParameterWords.In([.. SiteViews.RequireSite(state), .. SiteViews.Findings(state)], ParameterWords.Read)];
        }
        else
        {
            findings = read.Document is { } spec ? [.. read.Findings, .. SiteSpecs.Validate(spec)] : read.Findings;
        }

        WriteFindings(findings.OrderByDescending(f => f.Severity));
        WriteObject(!findings.HasErrors());
    }
}
