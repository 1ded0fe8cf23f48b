using Trellis.Policy.Calico;

namespace Trellis.Policy.Evaluation;

/// <summary>What decided one direction of a flow.</summary>
public enum Decision
{
    /// <summary>An Allow rule matched.</summary>
    RuleAllowed,
    /// <summary>A Deny rule matched.</summary>
    RuleDenied,
    /// <summary>A tier had policies for the endpoint and none allowed or passed the packet: dropped at the end of the tier.</summary>
    EndOfTier,
    /// <summary>No policy selects the endpoint in this direction: the namespace profile allows it.</summary>
    NoPolicy,
    /// <summary>Policies passed the packet on (Pass, or a tier whose defaultAction is Pass) and the namespace profile allowed it.</summary>
    ProfileAllowed,
    /// <summary>Not a Calico workload endpoint (an outside address, a hostNetwork pod): nothing is evaluated on this side.</summary>
    NotPoliced,
    /// <summary>A pod cannot block access to itself.</summary>
    SelfTraffic,
    /// <summary>The cluster's network plugin (Flannel) enforces no network policy.</summary>
    NotEnforced,
}

/// <summary>The egress of the source, or the ingress of the destination, and what decided it.</summary>
public sealed record DirectionVerdict(Direction Direction, string Endpoint, Decision Decision)
{
    public bool Allowed => Decision is not (Decision.RuleDenied or Decision.EndOfTier);

    /// <summary>The deciding tier: the rule's tier, or the tier whose end dropped the packet.</summary>
    public string? Tier { get; init; }
    public PolicyRef? Policy { get; init; }
    public RuleRef? Rule { get; init; }
    public RuleAction? Action => Rule?.Action;
    public int? RuleIndex => Rule?.Index;
    /// <summary>Policies of the tier that dropped the packet at its end.</summary>
    public IReadOnlyList<PolicyRef> TierPolicies { get; init; } = [];
    /// <summary>Log rules that matched on the way (Log continues to the next rule).</summary>
    public IReadOnlyList<RuleRef> Logged { get; init; } = [];
    /// <summary>Tiers the packet passed out of on its way to the profile.</summary>
    public IReadOnlyList<string> PassedTiers { get; init; } = [];

    public string Explanation => Decision switch
    {
        Decision.RuleAllowed or Decision.RuleDenied =>
            $"{(Decision == Decision.RuleAllowed ? "allowed" : "denied")} by tier {Tier}, {Policy} ({Policy!.OrderText}), {Rule!.Direction.FieldName()} rule {Rule.Index}{(Rule.Name is null ? "" : $" \"{Rule.Name}\"")} ({Rule.Path}, {Rule.Action})",
        Decision.EndOfTier =>
            $"end of tier {Tier} (denied): {string.Join(", ", TierPolicies.Select(p => p.ToString()))} select{(TierPolicies.Count == 1 ? "s" : "")} {Endpoint} and no rule allowed or passed it",
        Decision.NoPolicy => "no policy selects this endpoint (allowed by default)",
        Decision.ProfileAllowed => $"passed by tier{(PassedTiers.Count == 1 ? "" : "s")} {string.Join(", ", PassedTiers)}; allowed by the namespace profile",
        Decision.NotPoliced => "not a Calico workload endpoint: no policy applies",
        Decision.SelfTraffic => "a pod cannot block access to itself",
        _ => "the network plugin enforces no network policy (allowed)",
    };

    public override string ToString() => $"{Direction.FieldName()} of {Endpoint}: {Explanation}";
}

/// <summary>
/// The answer for a flow: allowed when the source's egress AND the destination's ingress allow it. Reply traffic of an
/// allowed connection is allowed implicitly.
/// </summary>
public sealed record Verdict(Flow Flow, DirectionVerdict Egress, DirectionVerdict Ingress)
{
    public bool Allowed => Egress.Allowed && Ingress.Allowed;

    /// <summary>False when the cluster's plugin enforces no policy: then everything is allowed and the verdict says so.</summary>
    public bool Enforced { get; init; } = true;

    public string? Note { get; init; }

    public override string ToString() =>
        $"{Flow}: {(Allowed ? "allowed" : "denied")}{(Note is null ? "" : $" ({Note})")}\n  {Egress}\n  {Ingress}";
}
