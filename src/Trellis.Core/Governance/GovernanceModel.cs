namespace Trellis.Core.Governance;

/// <summary>What an assignment does with an item its rule finds non-compliant.</summary>
public enum PolicyEffect
{
    /// <summary>A plan that makes an item non-compliant is refused (<c>PolicyDenied</c>, naming the assignment).</summary>
    Deny,

    /// <summary>The plan goes through; the item is reported non-compliant (<c>PolicyNonCompliant</c>, and in the compliance report).</summary>
    Audit,

    /// <summary>The assignment is kept but not evaluated.</summary>
    Disabled,
}

/// <summary>The type of a definition's parameter.</summary>
public enum PolicyParameterType
{
    String,
    Number,
    Boolean,
    StringList,
}

/// <summary>A parameter value: exactly one of text, number, flag or list, as the parameter's type says.</summary>
public sealed record PolicyValue(string? Text = null, double? Number = null, bool? Flag = null, IReadOnlyList<string>? List = null)
{
    public override string ToString() =>
        Text ?? Number?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? (Flag is { } f ? (f ? "true" : "false") : null)
        ?? "[" + string.Join(", ", List ?? []) + "]";
}

/// <summary>A parameter a definition takes: its name, type, the value it has when an assignment gives none (none: required), and what it means.</summary>
public sealed record PolicyParameter(string Name, PolicyParameterType Type, PolicyValue? Default = null, string? Description = null);

/// <summary>What a rule is evaluated on, one item at a time.</summary>
public enum PolicyTarget
{
    Cluster,
    NodePool,
    Service,

    /// <summary>A network's node IP pool, DHCP scope or VIP pool, as the change leaves it (the Engine's plan).</summary>
    Pool,

    /// <summary>A namespace of the Kubernetes manifests given (policy compliance -f).</summary>
    Namespace,
}

/// <summary>
/// A rule about the planned site, with parameters: a built-in (<see cref="Builtin"/>, one of <see cref="BuiltInDefinitions"/>)
/// or a rule expression (<see cref="Expression"/>, Expressions/README.md) that an item must satisfy. Items are the
/// <see cref="Target"/>s of the site.
/// </summary>
public sealed record PolicyDefinition(string Name, string Description, PolicyTarget Target, IReadOnlyList<PolicyParameter> Parameters, string? Builtin = null,
    string? Expression = null);

/// <summary>Where an assignment applies: the whole site, one cluster, or one namespace (of one cluster, or of every cluster).</summary>
public sealed record PolicyScope(string? Cluster = null, string? Namespace = null)
{
    public override string ToString() =>
        (Cluster, Namespace) switch
        {
            (null, null) => "the site",
            ({ } c, null) => $"cluster '{c}'",
            (null, { } n) => $"namespace '{n}' of every cluster",
            var (c, n) => $"namespace '{n}' of cluster '{c}'",
        };
}

/// <summary>An item the assignment does not judge, and why; until <see cref="ExpiresAt"/> when given.</summary>
/// <param name="Item">The item's id as the compliance report names it (cluster/a, cluster/a/nodepool/win, cluster/a/service/shop/web).</param>
public sealed record PolicyExemption(string Item, string Reason, DateTimeOffset? ExpiresAt = null)
{
    public bool AppliesAt(DateTimeOffset now) => ExpiresAt is not { } end || now < end;
}

/// <summary>A definition bound to a scope with parameter values and an effect, and the items it exempts.</summary>
public sealed record PolicyAssignment(string Name, string Definition, PolicyScope Scope, PolicyEffect Effect,
    IReadOnlyDictionary<string, PolicyValue> Parameters, IReadOnlyList<PolicyExemption> Exemptions, string? Description = null);

/// <summary>The definitions and assignments stored with a site (built-in definitions are not stored: every site has them).</summary>
public sealed record GovernanceSet(IReadOnlyList<PolicyDefinition> Definitions, IReadOnlyList<PolicyAssignment> Assignments)
{
    public static GovernanceSet Empty { get; } = new([], []);

    /// <summary>Whether an enabled assignment judges items of <paramref name="target"/> (pools need the capacity after a plan).</summary>
    public bool Judges(PolicyTarget target) =>
        Assignments.Any(a => a.Effect != PolicyEffect.Disabled && Definition(a.Definition)?.Target == target);

    /// <summary>The prefix of the names of assignments and definitions a site inherits from its fleet (<c>fleet/calico-only</c>).</summary>
    public const string FleetPrefix = "fleet/";

    /// <summary>Whether <paramref name="name"/> is of an assignment or definition the site inherits from its fleet.</summary>
    public static bool IsInherited(string name) => name.StartsWith(FleetPrefix, StringComparison.Ordinal);

    /// <summary>
    /// This (a site's own) set with the <paramref name="fleet"/>'s assignments and definitions, each named with
    /// <see cref="FleetPrefix"/>: names are DNS-1123 labels, so an inherited name never equals a site's own, and a fleet
    /// assignment keeps naming the fleet's definition even where the site has one of the same name.
    /// </summary>
    public GovernanceSet Inheriting(GovernanceSet fleet)
    {
        if (fleet.Assignments.Count + fleet.Definitions.Count == 0)
        {
            return this;
        }

        var own = fleet.Definitions.Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        return new GovernanceSet(
            [.. Definitions, .. fleet.Definitions.Select(d => d with { Name = FleetPrefix + d.Name })],
            [.. Assignments, .. fleet.Assignments.Select(a => a with { Name = FleetPrefix + a.Name, Definition = own.Contains(a.Definition) ? FleetPrefix + a.Definition : a.Definition })]);
    }

    /// <summary>A definition by name: a stored one, else a built-in.</summary>
    public PolicyDefinition? Definition(string name) =>
        Definitions.FirstOrDefault(d => d.Name == name) ?? BuiltInDefinitions.Find(name);
}
