using System.Management.Automation;
using Trellis.Engine;

namespace Trellis.PowerShell;

/// <summary>A flow's verdict: allowed or denied, and which policy and rule decide it in each direction (the CLI's netpol check).</summary>
public sealed class TrellisPolicyVerdict
{
    public required string Flow { get; init; }
    public required bool Allowed { get; init; }

    /// <summary>False when the cluster's plugin enforces no policy: everything is allowed then.</summary>
    public required bool Enforced { get; init; }
    public string? Note { get; init; }
    public required DirectionAnswer Egress { get; init; }
    public required DirectionAnswer Ingress { get; init; }
}

/// <summary>Test-TrellisNetworkPolicy: may A talk to B on this protocol and port, by the Kubernetes and Calico policies of the manifests?</summary>
[Cmdlet(VerbsDiagnostic.Test, "TrellisNetworkPolicy")]
[OutputType(typeof(TrellisPolicyVerdict))]
public sealed class TestTrellisNetworkPolicyCommand : TrellisPolicyCmdlet
{
    protected override void ProcessRecord()
    {
        if (Load(required: false) is not { } input)
        {
            return;
        }

        var (set, loaded) = input;

        if (NetworkPolicyService.NothingToAnalyse(false, set) is { Count: > 0 } nothing)
        {
            WriteAll([.. loaded, .. nothing]);
            return;
        }

        var (answer, findings) = NetworkPolicyService.Check(set, From, To, Port);
        WriteAll([.. loaded, .. findings]);
        if (answer is not null)
        {
            WriteObject(new TrellisPolicyVerdict
            {
                Flow = answer.Flow, Allowed = answer.Allowed, Enforced = answer.Enforced, Note = answer.Note, Egress = answer.Egress, Ingress = answer.Ingress,
            });
        }
    }
}
