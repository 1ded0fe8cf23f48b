using Trellis.Engine.Contracts;

namespace Trellis.PowerShell;

/// <summary>
/// Findings with the model's field names that a cmdlet has parameters for named by those parameters (the Engine speaks for
/// every front end: <c>cluster</c> is -ClusterName here, --cluster in the CLI). Other paths (spec fields) stay as they are.
/// </summary>
internal static class ParameterWords
{
    public static IEnumerable<Finding> In(IEnumerable<Finding> findings, IReadOnlyDictionary<string, string> parameters) =>
        findings.Select(f => parameters.TryGetValue(f.Path, out var name) ? f with { Path = "-" + name } : f);

    /// <summary>The parameters of cmdlets that read the stored site: the state file and the cluster.</summary>
    public static readonly IReadOnlyDictionary<string, string> Read = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["cluster"] = "ClusterName",
        ["site"] = "StatePath",
    };
}
