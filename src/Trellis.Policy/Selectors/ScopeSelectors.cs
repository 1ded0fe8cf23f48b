namespace Trellis.Policy.Selectors;

/// <summary><c>all()</c>: matches every endpoint.</summary>
public sealed record AllSelector : Selector
{
    public override bool Matches(IReadOnlyDictionary<string, string> labels, bool isGlobal = false) => true;

    public override string ToString() => "all()";
}

/// <summary><c>global()</c>: matches only non-namespaced endpoints (GlobalNetworkSet, host endpoint).</summary>
public sealed record GlobalSelector : Selector
{
    public override bool Matches(IReadOnlyDictionary<string, string> labels, bool isGlobal = false) => isGlobal;

    public override string ToString() => "global()";
}
