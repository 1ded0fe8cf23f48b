using System.Globalization;
using Trellis.Policy.Calico;
using Trellis.Policy.Manifests;

namespace Trellis.Policy.Evaluation;

public enum PolicyKind
{
    KubernetesNetworkPolicy,
    NetworkPolicy,
    GlobalNetworkPolicy,
}

/// <summary>A policy as the evaluation names it: kind, namespace and name, and where Calico runs it (tier, order).</summary>
public sealed record PolicyRef(PolicyKind Kind, string? Namespace, string Name, string Tier, double? Order, SourceRef Source)
{
    public string Id => Namespace is null ? Name : $"{Namespace}/{Name}";

    /// <summary>The name Calico sorts by: Kubernetes policies become <c>knp.default.&lt;name&gt;</c>.</summary>
    public string CalicoName => Kind == PolicyKind.KubernetesNetworkPolicy ? $"knp.default.{Name}" : Name;

    /// <summary>Felix's tie-break for equal orders (PolKVLess): "&lt;name&gt;/&lt;namespace&gt;/&lt;kind&gt;".</summary>
    public string SortKey => $"{CalicoName}/{Namespace}/{Kind}";

    public string KindText => Kind switch
    {
        PolicyKind.KubernetesNetworkPolicy => "NetworkPolicy",
        PolicyKind.NetworkPolicy => "Calico NetworkPolicy",
        _ => "GlobalNetworkPolicy",
    };

    public string OrderText => Order is { } o ? o.ToString(CultureInfo.InvariantCulture) : "default (last)";

    public override string ToString() => $"{KindText} {Id}";
}

/// <summary>A rule of a policy: its index in the policy's ingress or egress list and its field path, e.g. <c>spec.ingress[0].from[1]</c>.</summary>
public sealed record RuleRef(PolicyRef Policy, Direction Direction, int Index, string Path, RuleAction Action)
{
    public override string ToString() => $"{Policy} {Path} ({Action})";
}
