namespace Trellis.Policy.Selectors;

/// <summary>A parsed Calico selector: an expression over an endpoint's labels (see <see cref="CalicoSelector"/>).</summary>
public abstract record Selector
{
    /// <summary><c>all()</c>: every endpoint; also what an empty selector means.</summary>
    public static Selector All { get; } = new AllSelector();

    /// <summary>Whether an endpoint with these labels matches. isGlobal: the endpoint is a non-namespaced resource (GlobalNetworkSet, host endpoint); only global() tests it.</summary>
    public abstract bool Matches(IReadOnlyDictionary<string, string> labels, bool isGlobal = false);

    /// <summary>Canonical text that parses back to an equal selector.</summary>
    public abstract override string ToString();
}
