using System.Collections;
using System.Management.Automation;
using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.PowerShell;

/// <summary>One item judged by one policy assignment, as Get-TrellisCompliance writes it (one object per item, for Where-Object).</summary>
public sealed class TrellisComplianceItem
{
    public required string Assignment { get; init; }
    public required string Definition { get; init; }
    public required string Effect { get; init; }
    public required string Item { get; init; }
    public required string Path { get; init; }

    /// <summary>Compliant, NonCompliant or Exempt.</summary>
    public required string State { get; init; }

    public string? Reason { get; init; }
    public string? Exemption { get; init; }
    public DateTimeOffset? ExemptUntil { get; init; }
}

/// <summary>
/// Import-TrellisPolicy: stores the PolicyDefinition and PolicyAssignment documents of a YAML file with the site (the CLI's
/// policy apply), each replacing the stored one of its name; -WhatIf shows what it adds and changes and writes nothing.
/// </summary>
[Cmdlet(VerbsData.Import, "TrellisPolicy", SupportsShouldProcess = true)]
[OutputType(typeof(TrellisSiteChange))]
public sealed class ImportTrellisPolicyCommand : TrellisCmdlet
{
    /// <summary>A file of policy definitions and assignments.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    protected override void ProcessRecord()
    {
        var (full, problem) = FileSystemPaths.Resolve(this, Path, "-Path");
        if (full is null)
        {
            WriteFindings([problem!]);
            return;
        }

        var (document, findings) = GovernanceFiles.ReadFile(full, "-Path");
        WriteFindings(findings);
        if (document is null)
        {
            return;
        }

        var site = WithEngine(write: false, (engine, token) => engine.ReadAsync(token)).SiteName ?? "";
        if (Change(new ApplyGovernance(document), $"the policies of site '{site}'", "Store policies") is { Applied: true } result)
        {
            WriteObject(TrellisSiteChange.From(site, result));
        }
    }
}

/// <summary>
/// Get-TrellisCompliance: every item each enabled policy assignment judges, compliant, non-compliant (with the reason) or
/// exempt (the CLI's policy compliance); -ManifestPath adds the Kubernetes manifests for the rules that read them.
/// </summary>
[Cmdlet(VerbsCommon.Get, "TrellisCompliance")]
[OutputType(typeof(TrellisComplianceItem))]
public sealed class GetTrellisComplianceCommand : TrellisCmdlet
{
    /// <summary>Kubernetes manifests (files or folders) for the rules about NetworkPolicies and LoadBalancer services' pods.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string[]? ManifestPath { get; set; }

    protected override void EndProcessing()
    {
        IReadOnlyList<ManifestText>? manifests = null;
        if (ManifestPath is { Length: > 0 } paths)
        {
            var resolved = new List<string>();
            foreach (var path in paths)
            {
                var (full, problem) = FileSystemPaths.Resolve(this, path, "-ManifestPath");
                if (full is null)
                {
                    WriteFindings([problem!]);
                    return;
                }

                resolved.Add(full);
            }

            var (read, problems) = ManifestFiles.Read(resolved);
            WriteFindings(problems);
            if (problems.HasErrors())
            {
                return;
            }

            manifests = read;
        }

        var report = WithEngine(write: false, (engine, token) => manifests is null ? engine.ReadComplianceAsync(token) : engine.ReadComplianceAsync(manifests, token));
        WriteFindings(report.Findings);
        foreach (var assignment in report.Assignments)
        {
            foreach (var item in assignment.Items)
            {
                WriteObject(new TrellisComplianceItem
                {
                    Assignment = assignment.Assignment, Definition = assignment.Definition, Effect = assignment.Effect, Item = item.Item, Path = item.Path,
                    State = item.State, Reason = item.Reason, Exemption = item.Exemption, ExemptUntil = item.ExemptUntil,
                });
            }
        }
    }
}

/// <summary>
/// Remove-TrellisPolicy: removes one stored policy assignment, or definition (-Kind Definition), from the site (the CLI's
/// policy delete), after asking (ConfirmImpact High); -WhatIf names what it would remove and writes nothing. Takes names from
/// the pipeline: objects with a Name, or Get-TrellisCompliance's items (their Assignment), each assignment removed once.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "TrellisPolicy", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
public sealed class RemoveTrellisPolicyCommand : TrellisCmdlet
{
    private static readonly IReadOnlyDictionary<string, string> Words = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["name"] = "Name",
        ["kind"] = "Kind",
    };

    private readonly HashSet<(string, string)> _seen = [];

    /// <summary>The stored assignment's or definition's name.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Assignment")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PolicyNameCompleter))]
    public string Name { get; set; } = "";

    /// <summary>What Name names: an Assignment (default) or a Definition.</summary>
    [Parameter]
    [ValidateSet("Assignment", "Definition")]
    public string Kind { get; set; } = "Assignment";

    protected override void ProcessRecord()
    {
        var kind = Kind.ToLowerInvariant();
        if (!_seen.Add((kind, Name)))
        {
            WriteVerbose($"Policy {kind} '{Name}' was already handled by this command.");
            return;
        }

        Change(new DeleteGovernance(kind, Name), Name, $"Remove policy {kind}", Words);
    }
}

/// <summary>The names of the stored policy assignments, or definitions when -Kind Definition is given.</summary>
public sealed class PolicyNameCompleter : StoredNameCompleter
{
    protected override IEnumerable<string> Names(SiteState state, IDictionary bound)
    {
        var view = SiteViews.Governance(state);
        return string.Equals(Bound(bound, "Kind"), "Definition", StringComparison.OrdinalIgnoreCase)
            ? view.Definitions.Select(d => d.Name)
            : view.Assignments.Select(a => a.Name);
    }
}
