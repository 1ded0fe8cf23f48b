using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using Trellis.Engine;
using PS = System.Management.Automation.PowerShell;

namespace Trellis.PowerShell;

/// <summary>
/// Tab completion of names from the stored site: the state is the one the command would use (its -Store or -StatePath as
/// typed so far, else TRELLIS_STORE, else TRELLIS_STATE, else .trellis/state.db under the current location). Completion never fails: a missing or
/// unreadable state completes nothing.
/// </summary>
public abstract class StoredNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        List<string> names;
        try
        {
            names = Read(fakeBoundParameters) is { } state ? [.. Names(state, fakeBoundParameters)] : [];
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return [];
        }

        var typed = (wordToComplete ?? "").Trim('\'', '"');
        return names.Distinct(StringComparer.Ordinal).Where(n => n.StartsWith(typed, StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal)
            .Select(n => new CompletionResult(Quoted(n), n, CompletionResultType.ParameterValue, n));
    }

    /// <summary>The names to offer, given the parameters bound so far (a node pool's cluster).</summary>
    protected abstract IEnumerable<string> Names(SiteState state, IDictionary bound);

    protected static string? Bound(IDictionary bound, string parameter) => bound.Contains(parameter) ? bound[parameter]?.ToString() : null;

    private static string Quoted(string name) =>
        name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') ? name : "'" + name.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static SiteState? Read(IDictionary bound)
    {
        var location = StateLocation.Resolve(Bound(bound, "Store"), Bound(bound, "StatePath"), path =>
        {
            using var ps = PS.Create(RunspaceMode.CurrentRunspace);
            var resolved = ps.AddScript("$ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($args[0])").AddArgument(path).Invoke();
            return resolved.Count == 1 ? resolved[0].ToString() : path;
        });
        if (location is SqliteLocation { Path: var file } && !File.Exists(file))
        {
            return null;
        }

        // Tab completion waits for nobody: an etcd cluster that does not answer at once completes nothing.
        return Task.Run(async () =>
        {
            using var patience = new CancellationTokenSource(CompletionPatience);
            await using var session = EngineSession.Open(location, write: false);
            return await session.Engine.ReadAsync(patience.Token).ConfigureAwait(false);
        }).GetAwaiter().GetResult();
    }

    private static readonly TimeSpan CompletionPatience = TimeSpan.FromSeconds(2);
}

/// <summary>The stored clusters' names.</summary>
public sealed class ClusterNameCompleter : StoredNameCompleter
{
    protected override IEnumerable<string> Names(SiteState state, IDictionary bound) => SiteViews.NodePools(state).Select(p => p.Cluster).Concat(SiteViews.Clusters(state).Select(c => c.Name));
}

/// <summary>The node pools of the cluster named by -clusterName (of every cluster while none is named).</summary>
public sealed class NodePoolNameCompleter : StoredNameCompleter
{
    protected override IEnumerable<string> Names(SiteState state, IDictionary bound) => SiteViews.NodePools(state, Bound(bound, "ClusterName")).Select(p => p.Name);
}

/// <summary>The stored networks' names: the host network and the cluster networks.</summary>
public sealed class NetworkNameCompleter : StoredNameCompleter
{
    protected override IEnumerable<string> Names(SiteState state, IDictionary bound) => SiteViews.Networks(state).Select(n => n.Name);
}

/// <summary>The stored cluster networks' names (New-AksHciClusterNetwork), without the host network.</summary>
public sealed class ClusterNetworkNameCompleter : StoredNameCompleter
{
    protected override IEnumerable<string> Names(SiteState state, IDictionary bound) => SiteViews.Networks(state).Where(n => n.Kind == "cluster").Select(n => n.Name);
}
