using System.Globalization;
using Trellis.Policy.Calico;
using Trellis.Policy.Manifests;

namespace Trellis.Policy.Evaluation;

public enum PolicyKind
{
    KubernetesNetworkPolicy,
    NetworkPolicy,
    GlobalNetworkPolicy,
    AdminNetworkPolicy,
    BaselineAdminNetworkPolicy,
}

/// <summary>A policy as the evaluation names it: kind, namespace and name, and where Calico runs it (tier, order).</summary>
public sealed record PolicyRef(PolicyKind Kind, string? Namespace, string Name, string Tier, double? Order, SourceRef Source)
{
    public string Id => Namespace is null ? Name : $"{Namespace}/{Name}";

    /// <summary>
    /// The name Calico sorts by: Kubernetes policies become <c>knp.default.&lt;name&gt;</c>, admin policies
    /// <c>kanp.adminnetworkpolicy.&lt;name&gt;</c> and <c>kbanp.baselineadminnetworkpolicy.&lt;name&gt;</c>.
    /// </summary>
    public string CalicoName => Kind switch
    {
        PolicyKind.KubernetesNetworkPolicy => $"knp.default.{Name}",
        PolicyKind.AdminNetworkPolicy => $"kanp.adminnetworkpolicy.{Name}",
        PolicyKind.BaselineAdminNetworkPolicy => $"kbanp.baselineadminnetworkpolicy.{Name}",
        _ => Name,
    };

    public bool IsAdmin => Kind is PolicyKind.AdminNetworkPolicy or PolicyKind.BaselineAdminNetworkPolicy;

    /// <summary>Felix's tie-break for equal orders (PolKVLess): "&lt;name&gt;/&lt;namespace&gt;/&lt;kind&gt;".</summary>
    public string SortKey => $"{CalicoName}/{Namespace}/{Kind}";

    public string KindText => Kind switch
    {
        PolicyKind.KubernetesNetworkPolicy => "NetworkPolicy",
        PolicyKind.NetworkPolicy => "Calico NetworkPolicy",
        PolicyKind.AdminNetworkPolicy => "AdminNetworkPolicy",
        PolicyKind.BaselineAdminNetworkPolicy => "BaselineAdminNetworkPolicy",
        _ => "GlobalNetworkPolicy",
    };

    /// <summary>Where the policy sorts in its tier: an AdminNetworkPolicy's priority is its order.</summary>
    public string OrderText => Kind switch
    {
        PolicyKind.AdminNetworkPolicy => $"priority {Order!.Value.ToString(CultureInfo.InvariantCulture)}",
        PolicyKind.BaselineAdminNetworkPolicy => "baseline",
        _ => Order is { } o ? $"order {o.ToString(CultureInfo.InvariantCulture)}" : "order default (last)",
    };

    public override string ToString() => $"{KindText} {Id}";
}

/// <summary>
/// A rule of a policy: its index in the policy's ingress or egress list and its field path, e.g. <c>spec.ingress[0].from[1]</c>;
/// and its name when the policy names its rules (an admin policy's <c>name</c>).
/// </summary>
public sealed record RuleRef(PolicyRef Policy, Direction Direction, int Index, string Path, RuleAction Action)
{
    public string? Name { get; init; }

    public override string ToString() => $"{Policy} {Path}{(Name is null ? "" : $" \"{Name}\"")} ({Action})";
}
