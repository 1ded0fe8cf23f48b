using System.Management.Automation;

namespace Trellis.PowerShell;

/// <summary>One committed change of the site: who made it, when, through which command, and what it planned.</summary>
public sealed class TrellisAuditEntry
{
    public required long Revision { get; init; }
    public required DateTimeOffset Time { get; init; }
    public string? Actor { get; init; }
    public required string Command { get; init; }
    public required int Added { get; init; }
    public required int Removed { get; init; }
    public required string Summary { get; init; }

    /// <summary>The id of the plan the change committed, when it was planned and shown first (the server's plans).</summary>
    public string? Plan { get; init; }
}

/// <summary>Get-TrellisAudit: the audit log of changes, oldest first (the CLI's get audit).</summary>
[Cmdlet(VerbsCommon.Get, "TrellisAudit")]
[OutputType(typeof(TrellisAuditEntry))]
public sealed class GetTrellisAuditCommand : TrellisCmdlet
{
    /// <summary>Only the newest this many entries.</summary>
    [Parameter(Position = 0)]
    [ValidateRange(1, int.MaxValue)]
    public int? Last { get; set; }

    protected override void EndProcessing()
    {
        // The log outlives a deleted site: no stored spec is needed to read it.
        foreach (var e in WithEngine(write: false, (engine, token) => engine.ReadAuditAsync(Last, token)))
        {
            WriteObject(new TrellisAuditEntry
            {
                Revision = e.Revision, Time = e.Time, Actor = e.Actor, Command = e.Command, Added = e.Added, Removed = e.Removed, Summary = e.Summary, Plan = e.Plan,
            });
        }
    }
}
