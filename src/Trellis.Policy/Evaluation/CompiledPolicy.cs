using Trellis.Policy.Calico;

namespace Trellis.Policy.Evaluation;

/// <summary>A rule ready to run: the protocol tests first, then ports, then addresses and selectors.</summary>
internal sealed class CompiledRule
{
    public required RuleAction Action { get; init; }
    public required RuleRef Ref { get; init; }
    public Protocol? Protocol { get; init; }
    public Protocol? NotProtocol { get; init; }
    public IcmpMatch? Icmp { get; init; }
    public IcmpMatch? NotIcmp { get; init; }
    public int? IpVersion { get; init; }
    public EntityMatcher Source { get; init; } = EntityMatcher.Any;
    public EntityMatcher Destination { get; init; } = EntityMatcher.Any;
    /// <summary>An http match Trellis cannot judge: the rule matches nothing.</summary>
    public bool Never { get; init; }

    public bool Matches(Peer src, Peer dst, in Packet p)
    {
        if (Never)
        {
            return false;
        }

        if (Protocol is { } proto && proto != p.Protocol)
        {
            return false;
        }

        if (NotProtocol is { } notProto && notProto == p.Protocol)
        {
            return false;
        }

        if (IpVersion is { } v && v != p.IpVersion)
        {
            return false;
        }

        if (Icmp is { } icmp && (!p.Protocol.IsIcmp || !icmp.Matches(p.IcmpType, p.IcmpCode) || (icmp.Type is not null && p.IcmpType is null)))
        {
            return false;
        }

        if (NotIcmp is { } notIcmp && p.Protocol.IsIcmp && p.IcmpType is not null && notIcmp.Matches(p.IcmpType, p.IcmpCode))
        {
            return false;
        }

        int? dstPort = p.Protocol.HasPorts ? p.Port : null;
        int? srcPort = p.Protocol.HasPorts ? p.SourcePort : null;
        return Destination.MatchesPorts(dst, p.Protocol, dstPort)
            && Source.MatchesPorts(src, p.Protocol, srcPort)
            && Source.MatchesPeer(src, p.Protocol, srcPort)
            && Destination.MatchesPeer(dst, p.Protocol, dstPort);
    }
}

/// <summary>A policy in Calico's form: its tier, its place in the sort, the endpoints it selects, its rules per direction.</summary>
internal sealed class CompiledPolicy
{
    public required PolicyRef Ref { get; init; }
    public required Tier Tier { get; init; }
    public required PolicyTypes Types { get; init; }
    public required Func<Identity, bool> Selects { get; init; }
    public CompiledRule[] Ingress { get; init; } = [];
    public CompiledRule[] Egress { get; init; } = [];
    /// <summary>The policy object this came from (KubernetesNetworkPolicy or CalicoPolicy).</summary>
    public required object Origin { get; init; }
    /// <summary>For the lint: how many rules the source policy has per direction (a Kubernetes rule becomes several compiled ones).</summary>
    public int SourceIngressRules { get; init; }
    public int SourceEgressRules { get; init; }

    public CompiledRule[] Rules(Direction d) => d == Direction.Ingress ? Ingress : Egress;

    public bool Governs(Direction d) => (Types & d.AsType()) != 0;
}

/// <summary>The policies of one tier that apply to an endpoint in one direction, in order.</summary>
internal sealed class TierPlan(Tier tier, CompiledPolicy[] policies)
{
    public Tier Tier { get; } = tier;
    public CompiledPolicy[] Policies { get; } = policies;
}
