using Trellis.Core.Addressing;
using Trellis.Policy.Manifests;

namespace Trellis.Policy.Kubernetes;

/// <summary>A networking.k8s.io/v1 NetworkPolicy as the API server stores it (policyTypes defaulted).</summary>
public sealed record KubernetesNetworkPolicy
{
    public required string Namespace { get; init; }
    public required string Name { get; init; }
    /// <summary>Which pods of <see cref="Namespace"/> the policy applies to; a missing podSelector is empty, so all pods.</summary>
    public LabelSelector PodSelector { get; init; } = LabelSelector.Empty;
    /// <summary>Effective types: as written, or Ingress plus Egress when the policy has egress rules (types.go defaults).</summary>
    public PolicyTypes PolicyTypes { get; init; } = PolicyTypes.Ingress;
    /// <summary>Whether <see cref="PolicyTypes"/> was written in the manifest rather than defaulted.</summary>
    public bool PolicyTypesDeclared { get; init; }
    public IReadOnlyList<KubernetesRule> Ingress { get; init; } = [];
    public IReadOnlyList<KubernetesRule> Egress { get; init; } = [];
    public SourceRef Source { get; init; } = SourceRef.None;

    public string Id => $"{Namespace}/{Name}";

    /// <summary>The name Calico gives the converted policy (it breaks order ties on it).</summary>
    public string CalicoName => $"knp.default.{Name}";

    public IReadOnlyList<KubernetesRule> Rules(Direction direction) => direction == Direction.Ingress ? Ingress : Egress;

    public override string ToString() => $"NetworkPolicy {Id}";
}

/// <summary>One ingress (from) or egress (to) rule: peers ORed, ports ORed, and the two ANDed. Empty lists mean all.</summary>
public sealed record KubernetesRule(IReadOnlyList<PolicyPeer> Peers, IReadOnlyList<PolicyPort> Ports);

/// <summary>
/// A NetworkPolicyPeer. podSelector alone: pods of the policy's namespace; namespaceSelector alone: all pods of the selected
/// namespaces; both: the selected pods of the selected namespaces; ipBlock excludes the other two.
/// </summary>
public sealed record PolicyPeer(LabelSelector? PodSelector, LabelSelector? NamespaceSelector, IpBlock? IpBlock);

/// <summary>cidr minus the except prefixes.</summary>
public sealed record IpBlock(Prefix Cidr, IReadOnlyList<Prefix> Except)
{
    public bool Contains(System.Net.IPAddress address)
    {
        if (!Cidr.Contains(address))
        {
            return false;
        }

        foreach (var e in Except)
        {
            if (e.Contains(address))
            {
                return false;
            }
        }

        return true;
    }

    public override string ToString() => Except.Count == 0 ? Cidr.ToString() : $"{Cidr} except {string.Join(",", Except)}";
}

/// <summary>A NetworkPolicyPort: protocol (default TCP), a number or a named port (null: every port of the protocol), and endPort.</summary>
public sealed record PolicyPort(Protocol Protocol, int? Port, string? PortName, int? EndPort)
{
    public override string ToString() =>
        $"{Protocol} {(PortName ?? (Port is null ? "all" : EndPort is { } e ? $"{Port}-{e}" : Port.ToString()))}";
}
