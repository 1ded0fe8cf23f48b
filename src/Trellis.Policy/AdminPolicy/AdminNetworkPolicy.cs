using Trellis.Core.Addressing;
using Trellis.Policy.Calico;
using Trellis.Policy.Kubernetes;
using Trellis.Policy.Manifests;

namespace Trellis.Policy.AdminPolicy;

public enum AdminPolicyKind
{
    AdminNetworkPolicy,
    BaselineAdminNetworkPolicy,
}

/// <summary>
/// A policy.networking.k8s.io/v1alpha1 AdminNetworkPolicy (priority-ordered, before NetworkPolicy) or the cluster's one
/// BaselineAdminNetworkPolicy (after NetworkPolicy). Cluster scoped; rules Allow, Deny or (ANP only) Pass.
/// </summary>
public sealed record AdminNetworkPolicy
{
    /// <summary>The only name a BaselineAdminNetworkPolicy may have (the CRD's validation: a singleton).</summary>
    public const string BaselineName = "default";
    public const int MaxPriority = 1000;
    /// <summary>The CRD's MaxItems on rules per direction, peers per rule and ports per rule.</summary>
    public const int MaxItems = 100;
    /// <summary>The CRD's MaxItems on the CIDRs of one networks peer.</summary>
    public const int MaxNetworks = 25;

    public required AdminPolicyKind Kind { get; init; }
    public required string Name { get; init; }
    /// <summary>0 (first) to 1000; null for a BaselineAdminNetworkPolicy.</summary>
    public int? Priority { get; init; }
    public required AdminSubject Subject { get; init; }
    public IReadOnlyList<AdminRule> Ingress { get; init; } = [];
    public IReadOnlyList<AdminRule> Egress { get; init; } = [];
    public SourceRef Source { get; init; } = SourceRef.None;

    public bool IsBaseline => Kind == AdminPolicyKind.BaselineAdminNetworkPolicy;

    public IReadOnlyList<AdminRule> Rules(Direction direction) => direction == Direction.Ingress ? Ingress : Egress;

    public override string ToString() => $"{Kind} {Name}";
}

/// <summary>The pods a policy applies to: those of the selected namespaces, narrowed by a pod selector when the subject is <c>pods</c>.</summary>
public sealed record AdminSubject(LabelSelector Namespaces, LabelSelector? Pods)
{
    public bool Matches(IReadOnlyDictionary<string, string> namespaceLabels, IReadOnlyDictionary<string, string> podLabels) =>
        Namespaces.Matches(namespaceLabels) && (Pods is null || Pods.Matches(podLabels));
}

/// <summary>
/// One rule: the action on traffic from (ingress) or to (egress) any of the peers on any of the ports. Ports null: every
/// port of every protocol. <see cref="Unsupported"/> names what Trellis cannot evaluate (a domainNames or sameLabels peer);
/// such a rule is kept as Calico keeps it: a Deny rule denies everything, an Allow or Pass rule matches nothing.
/// </summary>
public sealed record AdminRule(string? Name, RuleAction Action, IReadOnlyList<AdminPeer> Peers, IReadOnlyList<AdminPort>? Ports)
{
    public string? Unsupported { get; init; }
}

public enum AdminPeerKind
{
    Namespaces,
    Pods,
    Nodes,
    Networks,
}

/// <summary>
/// One peer, exactly one of: all pods of the selected namespaces; the selected pods of the selected namespaces; the
/// addresses of the selected nodes (egress); CIDRs (egress), which match pod addresses too.
/// </summary>
public sealed record AdminPeer(AdminPeerKind Kind)
{
    public LabelSelector NamespaceSelector { get; init; } = LabelSelector.Empty;
    public LabelSelector PodSelector { get; init; } = LabelSelector.Empty;
    public LabelSelector NodeSelector { get; init; } = LabelSelector.Empty;
    public IReadOnlyList<Prefix> Networks { get; init; } = [];
}

/// <summary>portNumber (First = Last), portRange (inclusive), or namedPort (Name; its protocol is the container port's).</summary>
public sealed record AdminPort(Protocol? Protocol, int First, int Last, string? Name)
{
    public static AdminPort Number(Protocol protocol, int port) => new(protocol, port, port, null);

    public static AdminPort Range(Protocol protocol, int first, int last) => new(protocol, first, last, null);

    public static AdminPort Named(string name) => new(null, 0, 0, name);

    public override string ToString() => Name ?? (First == Last ? $"{Protocol} {First}" : $"{Protocol} {First}-{Last}");
}
