using System.Management.Automation;
using Trellis.Engine.Contracts;

namespace Trellis.PowerShell;

/// <summary>One allocation as the module writes it: a typed object the format view shows as a table.</summary>
public sealed class TrellisIpAllocation
{
    public required string Pool { get; init; }
    public required string Address { get; init; }
    public required string Owner { get; init; }
    public string? Detail { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public required long Revision { get; init; }
}

/// <summary>Get-TrellisIpAllocation: who holds which address, prefix and port (the CLI's get allocations).</summary>
[Cmdlet(VerbsCommon.Get, "TrellisIpAllocation")]
[OutputType(typeof(TrellisIpAllocation))]
public sealed class GetTrellisIpAllocationCommand : TrellisCmdlet
{
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string? ClusterName { get; set; }

    protected override void EndProcessing()
    {
        var list = WithEngine(write: false, (engine, token) => engine.ReadAllocationsAsync(ClusterName, token));
        WriteFindings(list.Findings);
        foreach (var a in list.Allocations)
        {
            WriteObject(new TrellisIpAllocation
            {
                Pool = a.Pool, Address = a.Address, Owner = a.Owner, Detail = a.Detail, ExpiresAt = a.ExpiresAt, Revision = list.Revision,
            });
        }
    }
}
