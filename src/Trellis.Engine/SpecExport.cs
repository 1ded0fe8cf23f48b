using Trellis.Engine.Contracts;

namespace Trellis.Engine;

/// <summary>The stored site as the YAML spec an operator applies: what `apply` of this text on an empty state plans again.</summary>
public static class SpecExport
{
    /// <summary>The stored spec as YAML (<c>kind: Site</c>, the fields <see cref="SiteSpecs.Parse"/> reads), or NoSite.</summary>
    public static (string? Yaml, IReadOnlyList<Finding> Findings) Yaml(SiteState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Spec is { } spec ? (Rendering.Spec.SiteSpecYaml.Write(spec), []) : (null, SiteViews.RequireSite(state));
    }
}
