using Trellis.Core.Addressing;

namespace Trellis.Policy.Calico;

/// <summary>The source or destination of a Calico rule; every field that is set must match (ANDed).</summary>
public sealed record EntityRule
{
    public static EntityRule Any { get; } = new();

    public IReadOnlyList<Prefix> Nets { get; init; } = [];
    public IReadOnlyList<Prefix> NotNets { get; init; } = [];
    public SelectorExpression? Selector { get; init; }
    public SelectorExpression? NotSelector { get; init; }
    public SelectorExpression? NamespaceSelector { get; init; }
    public ServiceAccountMatch? ServiceAccounts { get; init; }
    public ServiceMatch? Services { get; init; }
    public IReadOnlyList<PortMatch> Ports { get; init; } = [];
    public IReadOnlyList<PortMatch> NotPorts { get; init; } = [];

    public bool IsAny =>
        Nets.Count == 0 && NotNets.Count == 0 && Selector is null && NotSelector is null && NamespaceSelector is null
        && ServiceAccounts is null && Services is null && Ports.Count == 0 && NotPorts.Count == 0;
}

/// <summary>Service accounts by name and/or by a selector over their labels (ANDed).</summary>
public sealed record ServiceAccountMatch(IReadOnlyList<string> Names, SelectorExpression? Selector);

/// <summary>A Kubernetes Service: its backing pods (and, as a destination, its target ports).</summary>
public sealed record ServiceMatch(string Name, string? Namespace);

/// <summary>A port, an inclusive range ("6040:6050"), or a named port that resolves per endpoint.</summary>
public readonly record struct PortMatch(int First, int Last, string? Name)
{
    public bool IsNamed => Name is not null;

    public static PortMatch Single(int port) => new(port, port, null);

    public static PortMatch Range(int first, int last) => new(first, last, null);

    public static PortMatch Named(string name) => new(0, 0, name);

    public override string ToString() =>
        Name ?? (First == Last ? First.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{First}:{Last}");
}
