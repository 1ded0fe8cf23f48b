namespace Trellis.Policy.Calico;

public enum TierDefaultAction
{
    Deny,
    Pass,
}

/// <summary>A Calico tier: tiers run in ascending order (null last, ties by name), each ending in its default action.</summary>
public sealed record Tier(string Name, double? Order, TierDefaultAction DefaultAction = TierDefaultAction.Deny)
{
    public const string DefaultName = "default";
    public const string KubeAdminName = "kube-admin";
    public const string KubeBaselineName = "kube-baseline";

    /// <summary>Built-in tier orders (api/…/v3/tier.go).</summary>
    public const double DefaultOrder = 1_000_000;
    public const double KubeAdminOrder = 1_000;
    public const double KubeBaselineOrder = 10_000_000;

    /// <summary>Kubernetes NetworkPolicies go into the default tier at this order ("We insert all the NetworkPolicy Policies at order 1000.0").</summary>
    public const double KubernetesPolicyOrder = 1000;

    public static Tier Default { get; } = new(DefaultName, DefaultOrder);
    public static Tier KubeAdmin { get; } = new(KubeAdminName, KubeAdminOrder, TierDefaultAction.Pass);
    public static Tier KubeBaseline { get; } = new(KubeBaselineName, KubeBaselineOrder, TierDefaultAction.Pass);

    public static IReadOnlyList<Tier> BuiltIn { get; } = [KubeAdmin, Default, KubeBaseline];

    public Manifests.SourceRef Source { get; init; } = Manifests.SourceRef.None;

    /// <summary>TierLess in felix's policy_sorter.go: by order (null = +Inf), then by name.</summary>
    public static int Compare(Tier a, Tier b)
    {
        var byOrder = (a.Order ?? double.PositiveInfinity).CompareTo(b.Order ?? double.PositiveInfinity);
        return byOrder != 0 ? byOrder : string.CompareOrdinal(a.Name, b.Name);
    }
}
