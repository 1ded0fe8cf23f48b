using Trellis.Core.Addressing;

namespace Trellis.Policy.Connectivity;

/// <summary>A row/column of the matrix: a workload, or outside addresses that every workload treats alike.</summary>
public sealed record ConnectivityNode(string Name, bool IsExternal, string? Namespace, IReadOnlyList<AddressRange> Ranges)
{
    public override string ToString() => Name;
}

/// <summary>One line of the connectivity list: <c>src => dst : conns</c>.</summary>
public sealed record ConnectivityLine(string Source, string Destination, ConnectionSet Connections)
{
    public override string ToString() => $"{Source} => {Destination} : {Connections}";
}

/// <summary>
/// Allowed connections between every pair of workloads and between workloads and the outside world (the address ranges
/// that policies mention, split into disjoint ranges and merged again where they behave alike).
/// </summary>
public sealed record ConnectivityReport(
    IReadOnlyList<ConnectivityNode> Nodes,
    IReadOnlyList<ConnectivityLine> Lines,
    IReadOnlyList<IReadOnlyList<ConnectionSet?>> Cells)
{
    /// <summary>False when the cluster's plugin enforces no policy (everything is then allowed).</summary>
    public bool Enforced { get; init; } = true;

    public string? Note { get; init; }

    /// <summary>The cell from one node to another; null on the diagonal (a pod cannot block itself).</summary>
    public ConnectionSet? Cell(string from, string to)
    {
        var i = IndexOf(from);
        var j = IndexOf(to);
        return i < 0 || j < 0 ? null : Cells[i][j];
    }

    // Node names to indexes, built on first use per list of nodes (kept out of the record's fields and equality).
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IReadOnlyList<ConnectivityNode>, Dictionary<string, int>> Indexes = new();

    private int IndexOf(string name)
    {
        var index = Indexes.GetValue(Nodes, nodes =>
        {
            var index = new Dictionary<string, int>(nodes.Count, StringComparer.Ordinal);
            for (var i = 0; i < nodes.Count; i++)
            {
                index.TryAdd(nodes[i].Name, i);
            }

            return index;
        });
        return index.TryGetValue(name, out var at) ? at : -1;
    }

    public override string ToString() => ConnectivityText.Write(this);
}

/// <summary>
/// The lines of a matrix as they are computed (<see cref="ConnectivityAnalyzer.MatrixLines(Evaluation.PolicyEngine)"/>), in the
/// report's order, to be written once: a matrix too large to hold in memory is written as it goes.
/// </summary>
public sealed record ConnectivityLines(IEnumerable<ConnectivityLine> Lines)
{
    /// <summary>False when the cluster's plugin enforces no policy (everything is then allowed).</summary>
    public bool Enforced { get; init; } = true;

    public string? Note { get; init; }

    public static ConnectivityLines Of(ConnectivityReport report) => new(report.Lines) { Enforced = report.Enforced, Note = report.Note };
}

public enum DiffKind
{
    Added,
    Removed,
    Changed,
}

/// <summary>A connection that a change opens or closes (or both: changed).</summary>
public sealed record DiffLine(DiffKind Kind, string Source, string Destination, ConnectionSet Before, ConnectionSet After)
{
    public ConnectionSet Opened => After.Except(Before);
    public ConnectionSet Closed => Before.Except(After);

    /// <summary>"workload added" or "workload removed" when an end exists on one side only.</summary>
    public string? Info { get; init; }

    public override string ToString() =>
        $"{Kind.ToString().ToLowerInvariant()}: {Source} => {Destination} : before {Before}, after {After}{(Info is null ? "" : $" ({Info})")}";
}

/// <summary>Which connections a change of manifests opens and closes.</summary>
public sealed record ConnectivityDiff(IReadOnlyList<DiffLine> Lines)
{
    public bool IsEmpty => Lines.Count == 0;

    public IEnumerable<DiffLine> Opening => Lines.Where(l => !l.Opened.IsEmpty);

    public IEnumerable<DiffLine> Closing => Lines.Where(l => !l.Closed.IsEmpty);

    /// <summary>"+ src => dst : opened" and "- src => dst : closed" lines.</summary>
    public override string ToString()
    {
        var text = new List<string>();
        foreach (var l in Lines)
        {
            var info = l.Info is null ? "" : $"  ({l.Info})";
            if (!l.Opened.IsEmpty)
            {
                text.Add($"+ {l.Source} => {l.Destination} : {l.Opened}{info}");
            }

            if (!l.Closed.IsEmpty)
            {
                text.Add($"- {l.Source} => {l.Destination} : {l.Closed}{info}");
            }
        }

        return string.Join("\n", text);
    }
}
