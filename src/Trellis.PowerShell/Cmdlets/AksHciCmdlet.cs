using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.PowerShell;

/// <summary>What the AksHci cmdlets share beyond <see cref="TrellisCmdlet"/>: reading the stored site, NoSite and UnknownCluster as errors.</summary>
public abstract class AksHciCmdlet : TrellisCmdlet
{
    /// <summary>The stored site, or null after writing why there is none to show (NoSite, UnknownCluster for <paramref name="cluster"/>).</summary>
    protected SiteState? ReadSite(string? cluster = null)
    {
        var state = WithEngine(write: false, (engine, token) => engine.ReadAsync(token));
        var problems = SiteViews.RequireSite(state).Concat(SiteViews.CheckCluster(state, cluster)).ToList();
        WriteFindings(problems);
        return problems.HasErrors() ? null : state;
    }

    /// <summary>The stored state as it is, site or none (a command that creates the site reads an empty one).</summary>
    protected SiteState ReadState() => WithEngine(write: false, (engine, token) => engine.ReadAsync(token));
}
