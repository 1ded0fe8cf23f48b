using Trellis.Policy.Manifests;

namespace Trellis.Policy.Calico;

public enum CalicoPolicyKind
{
    NetworkPolicy,
    GlobalNetworkPolicy,
}

public enum RuleAction
{
    Allow,
    Deny,
    Pass,
    Log,
}

/// <summary>A projectcalico.org/v3 NetworkPolicy (namespaced) or GlobalNetworkPolicy, with <c>types</c> defaulted as Calico does.</summary>
public sealed record CalicoPolicy
{
    public required CalicoPolicyKind Kind { get; init; }
    public required string Name { get; init; }
    /// <summary>Null for a GlobalNetworkPolicy.</summary>
    public string? Namespace { get; init; }
    public string Tier { get; init; } = Calico.Tier.DefaultName;
    /// <summary>Null orders last (+Inf).</summary>
    public double? Order { get; init; }
    /// <summary>Which endpoints the policy applies to; empty means all() (of its namespace, for a NetworkPolicy).</summary>
    public SelectorExpression Selector { get; init; } = SelectorExpression.All;
    /// <summary>GlobalNetworkPolicy only: which namespaces' endpoints; null when not written.</summary>
    public SelectorExpression? NamespaceSelector { get; init; }
    public SelectorExpression? ServiceAccountSelector { get; init; }
    /// <summary>Effective types: as written, or defaulted from which rule lists are present (Calico's table).</summary>
    public PolicyTypes Types { get; init; } = PolicyTypes.Ingress;
    public bool TypesDeclared { get; init; }
    public IReadOnlyList<CalicoRule> Ingress { get; init; } = [];
    public IReadOnlyList<CalicoRule> Egress { get; init; } = [];
    public SourceRef Source { get; init; } = SourceRef.None;

    public string Id => Namespace is null ? Name : $"{Namespace}/{Name}";

    public IReadOnlyList<CalicoRule> Rules(Direction direction) => direction == Direction.Ingress ? Ingress : Egress;

    /// <summary>Calico's default for <c>types</c> when it is not written.</summary>
    public static PolicyTypes DefaultTypes(bool hasIngressRules, bool hasEgressRules) =>
        !hasEgressRules ? PolicyTypes.Ingress : !hasIngressRules ? PolicyTypes.Egress : PolicyTypes.Ingress | PolicyTypes.Egress;

    public override string ToString() => $"{Kind} {Id}";
}

/// <summary>One Calico rule: every criterion ANDed, including the negative ones.</summary>
public sealed record CalicoRule
{
    public required RuleAction Action { get; init; }
    public Protocol? Protocol { get; init; }
    public Protocol? NotProtocol { get; init; }
    public IcmpMatch? Icmp { get; init; }
    public IcmpMatch? NotIcmp { get; init; }
    /// <summary>4 or 6; null for both.</summary>
    public int? IpVersion { get; init; }
    public EntityRule Source { get; init; } = EntityRule.Any;
    public EntityRule Destination { get; init; } = EntityRule.Any;
    /// <summary>An application-layer (http) match: needs Calico's ALP with Istio, so Trellis cannot judge it and lets the rule match nothing.</summary>
    public bool HasHttpMatch { get; init; }
}

/// <summary>ICMP type and code; a null code matches every code of the type.</summary>
public sealed record IcmpMatch(int? Type, int? Code)
{
    public bool Matches(int? type, int? code) =>
        (Type is null || type == Type) && (Code is null || code == Code);
}
