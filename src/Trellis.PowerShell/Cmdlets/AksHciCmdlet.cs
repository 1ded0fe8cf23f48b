using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.PowerShell;

/// <summary>What the AksHci cmdlets share beyond <see cref="TrellisCmdlet"/>: reading the stored site, NoSite and UnknownCluster as errors.</summary>
public abstract class AksHciCmdlet : TrellisCmdlet
{
    /// <summary>The Engine's field words this cmdlet has parameters for: a finding at such a path names the parameter (-ClusterName, -Name).</summary>
    protected virtual IReadOnlyDictionary<string, string> Parameters => AksHciWords.NodePool;

    /// <summary><see cref="TrellisCmdlet.Change"/> with findings that name this cmdlet's parameters.</summary>
    protected CommandResult? Apply(SiteCommand command, string target, string action) => Change(command, target, action, Parameters);

    /// <summary>Findings the module raises itself, named in this cmdlet's parameters.</summary>
    protected void WriteOwnFindings(params Finding[] findings) => WriteFindings(ParameterWords.In(findings, Parameters));

    /// <summary>The stored site, or null after writing why there is none to show (NoSite, UnknownCluster for <paramref name="cluster"/>).</summary>
    protected SiteState? ReadSite(string? cluster = null)
    {
        var state = WithEngine(write: false, (engine, token) => engine.ReadAsync(token));
        var problems = SiteViews.RequireSite(state).Concat(SiteViews.CheckCluster(state, cluster)).ToList();
        WriteFindings(ParameterWords.In(problems, Parameters));
        return problems.HasErrors() ? null : state;
    }

    /// <summary>The stored state as it is, site or none (a command that creates the site reads an empty one).</summary>
    protected SiteState ReadState() => WithEngine(write: false, (engine, token) => engine.ReadAsync(token));
}

/// <summary>The Engine's words and the AksHci parameters that carry them, per kind of cmdlet.</summary>
internal static class AksHciWords
{
    /// <summary>Cmdlets of a cluster's objects: -ClusterName, and -Name for the node pool or network.</summary>
    public static readonly IReadOnlyDictionary<string, string> NodePool = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["cluster"] = "ClusterName", ["nodePool"] = "Name", ["name"] = "Name", ["site"] = "StatePath", ["vnet"] = "Vnet", ["macPoolEnd"] = "MacPoolEnd",
    };

    /// <summary>Cmdlets that name a cluster by -Name (Get/Set/Remove/Update-AksHciCluster, New-AksHciCluster).</summary>
    public static readonly IReadOnlyDictionary<string, string> Cluster = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["cluster"] = "Name", ["name"] = "Name", ["version"] = "KubernetesVersion", ["kubernetesVersion"] = "KubernetesVersion", ["site"] = "StatePath",
    };
}
