using System.Management.Automation;
using Trellis.Engine;

namespace Trellis.PowerShell;

/// <summary>One hop of a traced packet: where it is, what happens there, the policy verdict if one is taken, and the facts behind it.</summary>
public sealed class TrellisTraceHop
{
    public required int Step { get; init; }
    public required string Where { get; init; }
    public required string What { get; init; }
    public string? Verdict { get; init; }
    public required bool Dropped { get; init; }
    public required IReadOnlyList<string> Facts { get; init; }
}

/// <summary>The path a packet takes through the planned site (the CLI's trace): delivered or dropped, hop by hop.</summary>
public sealed class TrellisTrace
{
    public required string Question { get; init; }
    public required bool Delivered { get; init; }
    public required IReadOnlyList<TrellisTraceHop> Hops { get; init; }
    public required IReadOnlyList<string> Notes { get; init; }

    /// <summary>The hops' places, in order.</summary>
    public string Route => string.Join(" -> ", Hops.Select(h => h.Where));
}

/// <summary>Get-TrellisTrace: the path a packet takes through the planned site, with the policy verdict at each hop.</summary>
[Cmdlet(VerbsCommon.Get, "TrellisTrace")]
[OutputType(typeof(TrellisTrace))]
public sealed class GetTrellisTraceCommand : TrellisPolicyCmdlet
{
    protected override void ProcessRecord()
    {
        // A trace needs the planned cluster: the stored site's when no -SitePath is given.
        if (Load(required: true) is not { } input)
        {
            return;
        }

        var (set, loaded) = input;

        var (trace, findings) = NetworkPolicyService.Trace(set, From, To, Port);
        WriteAll([.. loaded, .. findings]);
        if (trace is not null)
        {
            WriteObject(new TrellisTrace
            {
                Question = trace.Question,
                Delivered = trace.Delivered,
                Hops = [.. trace.Hops.Select((h, i) => new TrellisTraceHop { Step = i + 1, Where = h.Where, What = h.What, Verdict = h.Verdict, Dropped = h.Dropped, Facts = h.Facts })],
                Notes = trace.Notes,
            });
        }
    }
}
