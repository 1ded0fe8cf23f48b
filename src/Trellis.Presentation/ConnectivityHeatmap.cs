using System.Globalization;
using System.Net;
using System.Text;
using Trellis.Engine;

namespace Trellis.Presentation;

/// <summary>
/// A self-contained HTML page: a heatmap of sources (rows) against destinations (columns), grouped by namespace, each
/// cell coloured by how open it is and titled with its connections; then the connection list with a filter. Up to
/// <see cref="MaxWorkloadCells"/> workloads get a row and a column each; a larger cluster gets one per namespace, each
/// cell counting the pairs of workloads it stands for, so that 10,000 pods are 500 × 500 cells rather than 10⁸.
/// </summary>
public static class ConnectivityHeatmap
{
    /// <summary>The most workloads shown one per row and column.</summary>
    public const int MaxWorkloadCells = 250;

    /// <summary>The most lines in the page's connection list (text, JSON and CSV give them all).</summary>
    public const int MaxListedLines = 5_000;

    /// <summary>A row or column: one node of the report, or the workloads of one namespace.</summary>
    private sealed record Axis(string Label, string Name, string? Namespace, bool IsExternal, int[] Members);

    /// <summary>The pairs of workloads (or outside groups) a cell stands for, how many have connections, and how many all.</summary>
    private record struct Tally(long Pairs, long Connected, long All);

    public static string Write(PolicyMatrix report, string title = "Trellis connectivity") =>
        Write(report, title, MaxWorkloadCells, MaxListedLines);

    public static string Write(PolicyMatrix report, string title, int maxWorkloadCells, int maxListedLines)
    {
        var nodes = report.Nodes;
        var workloads = nodes.Count(n => !n.IsExternal);
        var byNamespace = workloads > maxWorkloadCells;
        var axes = byNamespace ? NamespaceAxes(nodes) : nodes.Select((n, i) => new Axis(Short(n), n.Name, n.Namespace, n.IsExternal, [i])).ToList();
        var tallies = byNamespace ? NamespaceTallies(report, axes) : null;
        Tally TallyOf(int r, int c)
        {
            if (tallies is not null)
            {
                return tallies[r, c];
            }

            return report.Cell(r, c) is { } cell ? new Tally(1, cell.IsEmpty ? 0 : 1, cell.IsAll ? 1 : 0) : default;
        }

        var total = default(Tally);
        for (var r = 0; r < axes.Count; r++)
        {
            for (var c = 0; c < axes.Count; c++)
            {
                var t = TallyOf(r, c);
                total = new Tally(total.Pairs + t.Pairs, total.Connected + t.Connected, total.All + t.All);
            }
        }

        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").Append(E(title)).Append("</title>\n<style>\n")
          .Append(Css).Append("</style>\n</head>\n<body>\n<h1>").Append(E(title)).Append("</h1>\n");
        if (report.Note is { } note)
        {
            sb.Append("<p class=\"note\">").Append(E(note)).Append("</p>\n");
        }

        sb.Append("<p class=\"summary\">")
          .Append(N(workloads)).Append(" workloads, ")
          .Append(N(nodes.Count(n => n.IsExternal))).Append(" outside address groups. Pairs: ")
          .Append("<span class=\"k all\"></span> ").Append(N(total.All)).Append(" all connections, ")
          .Append("<span class=\"k some\"></span> ").Append(N(total.Connected - total.All)).Append(" some, ")
          .Append("<span class=\"k none\"></span> ").Append(N(total.Pairs - total.Connected)).Append(" none.")
          .Append(" Rows are sources, columns destinations; hover a cell for its connections.</p>\n");
        if (byNamespace)
        {
            sb.Append("<p class=\"note\">More than ").Append(N(maxWorkloadCells)).Append(" workloads: one row and one column per namespace (")
              .Append(N(axes.Count(a => !a.IsExternal))).Append(" namespaces). A cell is green when every pair of workloads it stands for has all ")
              .Append("connections, grey when none has any, amber otherwise; its title counts the pairs.</p>\n");
        }

        sb.Append("<div class=\"grid\"><table id=\"heat\">\n<thead><tr><th class=\"corner\">source \\ destination</th>");
        for (var c = 0; c < axes.Count; c++)
        {
            sb.Append("<th class=\"col").Append(Break(axes, c)).Append("\"><div>").Append(E(axes[c].Label)).Append("</div></th>");
        }

        sb.Append("</tr></thead>\n<tbody>\n");
        for (var r = 0; r < axes.Count; r++)
        {
            sb.Append("<tr class=\"").Append(Break(axes, r).Trim()).Append("\"><th class=\"row\" title=\"").Append(E(axes[r].Name)).Append("\">")
              .Append(E(axes[r].Label)).Append("</th>");
            for (var c = 0; c < axes.Count; c++)
            {
                string css, text;
                if (tallies is null)
                {
                    (css, text) = report.Cell(r, c) is { } cell
                        ? (cell.IsAll ? "all" : cell.IsEmpty ? "none" : "some", cell.ToString())
                        : ("self", r == c ? "itself" : "—");
                }
                else
                {
                    var t = tallies[r, c];
                    css = t.Pairs == 0 ? "self" : t.All == t.Pairs ? "all" : t.Connected == 0 ? "none" : "some";
                    text = t.Pairs == 0 ? "—" : $"{N(t.Connected)} of {N(t.Pairs)} pairs connected, {N(t.All)} with all connections";
                }

                sb.Append("<td class=\"").Append(css).Append(Break(axes, c)).Append("\" title=\"")
                  .Append(E($"{axes[r].Name} => {axes[c].Name} : {text}")).Append("\"></td>");
            }

            sb.Append("</tr>\n");
        }

        sb.Append("</tbody></table></div>\n<h2>Allowed connections</h2>\n");
        if (report.Lines.Count > maxListedLines)
        {
            sb.Append("<p class=\"note\">The first ").Append(N(maxListedLines)).Append(" of ").Append(N(report.Lines.Count))
              .Append(" lines. <code>trellis netpol matrix -o text</code> (or <code>csv</code>, <code>json</code>) lists them all.</p>\n");
        }

        sb.Append("<input id=\"filter\" placeholder=\"filter, e.g. TCP 443 or a namespace\">\n")
          .Append("<table id=\"list\"><thead><tr><th>source</th><th>destination</th><th>connections</th></tr></thead><tbody>\n");
        foreach (var l in report.Lines.Take(maxListedLines))
        {
            sb.Append("<tr><td>").Append(E(l.Source)).Append("</td><td>").Append(E(l.Destination)).Append("</td><td>")
              .Append(E(l.Connections.ToString())).Append("</td></tr>\n");
        }

        sb.Append("</tbody></table>\n<script>\n").Append(Script).Append("</script>\n</body>\n</html>\n");
        return sb.ToString();
    }

    /// <summary>One axis entry per namespace (in the order workloads list them), then one per outside group.</summary>
    private static List<Axis> NamespaceAxes(IReadOnlyList<MatrixNode> nodes)
    {
        var members = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var order = new List<string>();
        var axes = new List<Axis>();
        for (var i = 0; i < nodes.Count; i++)
        {
            if (nodes[i].IsExternal)
            {
                continue;
            }

            var ns = nodes[i].Namespace ?? "";
            if (!members.TryGetValue(ns, out var list))
            {
                members[ns] = list = [];
                order.Add(ns);
            }

            list.Add(i);
        }

        foreach (var ns in order)
        {
            var count = members[ns].Count;
            // No namespace for the border between blocks: every row is its own namespace here.
            axes.Add(new Axis(ns, $"{ns} ({N(count)} workload{(count == 1 ? "" : "s")})", null, false, members[ns].ToArray()));
        }

        for (var i = 0; i < nodes.Count; i++)
        {
            if (nodes[i].IsExternal)
            {
                axes.Add(new Axis(Short(nodes[i]), nodes[i].Name, null, true, [i]));
            }
        }

        return axes;
    }

    /// <summary>
    /// The tallies between axis entries: workload pairs from the report's lines (a line per connected pair), every
    /// pair that has no line being unconnected; pairs with an outside group from its cells.
    /// </summary>
    private static Tally[,] NamespaceTallies(PolicyMatrix report, List<Axis> axes)
    {
        var nodes = report.Nodes;
        var axisOf = new int[nodes.Count];
        var workloadIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var a = 0; a < axes.Count; a++)
        {
            foreach (var m in axes[a].Members)
            {
                axisOf[m] = a;
                if (!axes[a].IsExternal)
                {
                    workloadIndex.TryAdd(nodes[m].Name, m);
                }
            }
        }

        var tallies = new Tally[axes.Count, axes.Count];
        for (var r = 0; r < axes.Count; r++)
        {
            for (var c = 0; c < axes.Count; c++)
            {
                var (from, to) = (axes[r], axes[c]);
                if (from.IsExternal && to.IsExternal)
                {
                    continue;
                }

                if (from.IsExternal || to.IsExternal)
                {
                    var t = default(Tally);
                    foreach (var m in from.Members)
                    {
                        foreach (var n in to.Members)
                        {
                            if (report.Cell(m, n) is { } cell)
                            {
                                t = new Tally(t.Pairs + 1, t.Connected + (cell.IsEmpty ? 0 : 1), t.All + (cell.IsAll ? 1 : 0));
                            }
                        }
                    }

                    tallies[r, c] = t;
                }
                else
                {
                    var pairs = (long)from.Members.Length * to.Members.Length - (r == c ? from.Members.Length : 0);
                    tallies[r, c] = new Tally(pairs, 0, 0);
                }
            }
        }

        foreach (var line in report.Lines)
        {
            if (workloadIndex.TryGetValue(line.Source, out var s) && workloadIndex.TryGetValue(line.Destination, out var d))
            {
                ref var t = ref tallies[axisOf[s], axisOf[d]];
                t = t with { Connected = t.Connected + 1, All = t.All + (line.Connections.IsAll ? 1 : 0) };
            }
        }

        return tallies;
    }

    private static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A thicker line where the namespace changes, so each namespace reads as a block.</summary>
    private static string Break(List<Axis> axes, int i) =>
        i > 0 && (axes[i].Namespace != axes[i - 1].Namespace || axes[i].IsExternal != axes[i - 1].IsExternal) ? " ns" : "";

    private static string Short(MatrixNode node) => node.IsExternal && node.Name.Length > 40 ? node.Name[..37] + "..." : node.Name;

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private const string Css = """
        body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1f2933; }
        h1 { font-size: 20px; margin: 0 0 8px; } h2 { font-size: 16px; margin-top: 28px; }
        .note { background: #fff4e5; border-left: 4px solid #f59e0b; padding: 8px 12px; }
        .summary { color: #52606d; }
        .k { display: inline-block; width: 12px; height: 12px; vertical-align: middle; border-radius: 2px; }
        .grid { overflow: auto; max-height: 80vh; border: 1px solid #d9e2ec; display: inline-block; max-width: 100%; }
        #heat { border-collapse: collapse; }
        #heat th, #heat td { padding: 0; }
        #heat thead th { position: sticky; top: 0; background: #fff; z-index: 2; vertical-align: bottom; }
        #heat th.col div { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; padding: 4px 2px; font-weight: 500; font-size: 12px; }
        #heat th.row { position: sticky; left: 0; background: #fff; z-index: 1; text-align: right; white-space: nowrap; padding: 0 8px; font-weight: 500; font-size: 12px; }
        #heat th.corner { position: sticky; left: 0; z-index: 3; font-size: 11px; color: #7b8794; }
        #heat td { width: 18px; height: 18px; min-width: 18px; border: 1px solid #fff; }
        #heat td.ns, #heat th.ns { border-left: 2px solid #7b8794; }
        #heat tr.ns td, #heat tr.ns th { border-top: 2px solid #7b8794; }
        .all { background: #2f9e44; } .some { background: #f59f00; } .none { background: #e9ecef; }
        td.self { background: repeating-linear-gradient(45deg, #ced4da, #ced4da 3px, #f1f3f5 3px, #f1f3f5 6px); }
        #heat td.hl { outline: 2px solid #1c7ed6; outline-offset: -2px; }
        #heat td:hover { outline: 2px solid #1f2933; outline-offset: -2px; }
        #filter { padding: 6px 8px; width: 320px; margin-bottom: 8px; }
        #list { border-collapse: collapse; } #list td, #list th { border-bottom: 1px solid #e4e7eb; padding: 4px 12px 4px 0; text-align: left; font-family: ui-monospace, monospace; font-size: 12px; }

        """;

    private const string Script = """
        const heat = document.getElementById('heat');
        heat.addEventListener('mouseover', e => {
          const td = e.target.closest('td'); if (!td) return;
          heat.querySelectorAll('td.hl').forEach(c => c.classList.remove('hl'));
          const col = td.cellIndex;
          td.parentElement.querySelectorAll('td').forEach(c => c.classList.add('hl'));
          heat.querySelectorAll('tbody tr').forEach(r => r.cells[col] && r.cells[col].classList.add('hl'));
        });
        document.getElementById('filter').addEventListener('input', e => {
          const q = e.target.value.toLowerCase();
          document.querySelectorAll('#list tbody tr').forEach(r => r.style.display = r.textContent.toLowerCase().includes(q) ? '' : 'none');
        });

        """;
}
