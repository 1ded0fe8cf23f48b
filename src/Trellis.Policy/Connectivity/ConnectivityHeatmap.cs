using System.Globalization;
using System.Net;
using System.Text;

namespace Trellis.Policy.Connectivity;

/// <summary>
/// A self-contained HTML page: a heatmap of sources (rows) against destinations (columns), grouped by namespace, each
/// cell coloured by how open it is and titled with its connections; then the connection list with a filter.
/// </summary>
public static class ConnectivityHeatmap
{
    public static string Write(ConnectivityReport report, string title = "Trellis connectivity")
    {
        var nodes = report.Nodes;
        var open = 0;
        var partial = 0;
        var closed = 0;
        foreach (var row in report.Cells)
        {
            foreach (var cell in row)
            {
                if (cell is null)
                {
                    continue;
                }

                if (cell.IsAll)
                {
                    open++;
                }
                else if (cell.IsEmpty)
                {
                    closed++;
                }
                else
                {
                    partial++;
                }
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
          .Append(nodes.Count(n => !n.IsExternal).ToString(CultureInfo.InvariantCulture)).Append(" workloads, ")
          .Append(nodes.Count(n => n.IsExternal).ToString(CultureInfo.InvariantCulture)).Append(" outside address groups. Pairs: ")
          .Append("<span class=\"k all\"></span> ").Append(open.ToString(CultureInfo.InvariantCulture)).Append(" all connections, ")
          .Append("<span class=\"k some\"></span> ").Append(partial.ToString(CultureInfo.InvariantCulture)).Append(" some, ")
          .Append("<span class=\"k none\"></span> ").Append(closed.ToString(CultureInfo.InvariantCulture)).Append(" none.")
          .Append(" Rows are sources, columns destinations; hover a cell for its connections.</p>\n");

        sb.Append("<div class=\"grid\"><table id=\"heat\">\n<thead><tr><th class=\"corner\">source \\ destination</th>");
        for (var c = 0; c < nodes.Count; c++)
        {
            sb.Append("<th class=\"col").Append(Break(nodes, c)).Append("\"><div>").Append(E(Short(nodes[c]))).Append("</div></th>");
        }

        sb.Append("</tr></thead>\n<tbody>\n");
        for (var r = 0; r < nodes.Count; r++)
        {
            sb.Append("<tr class=\"").Append(Break(nodes, r).Trim()).Append("\"><th class=\"row\" title=\"").Append(E(nodes[r].Name)).Append("\">")
              .Append(E(Short(nodes[r]))).Append("</th>");
            for (var c = 0; c < nodes.Count; c++)
            {
                var cell = report.Cells[r][c];
                var css = cell is null ? "self" : cell.IsAll ? "all" : cell.IsEmpty ? "none" : "some";
                var text = cell is null ? (r == c ? "itself" : "—") : cell.ToString();
                sb.Append("<td class=\"").Append(css).Append(Break(nodes, c)).Append("\" title=\"")
                  .Append(E($"{nodes[r].Name} => {nodes[c].Name} : {text}")).Append("\"></td>");
            }

            sb.Append("</tr>\n");
        }

        sb.Append("</tbody></table></div>\n<h2>Allowed connections</h2>\n<input id=\"filter\" placeholder=\"filter, e.g. TCP 443 or a namespace\">\n")
          .Append("<table id=\"list\"><thead><tr><th>source</th><th>destination</th><th>connections</th></tr></thead><tbody>\n");
        foreach (var l in report.Lines)
        {
            sb.Append("<tr><td>").Append(E(l.Source)).Append("</td><td>").Append(E(l.Destination)).Append("</td><td>")
              .Append(E(l.Connections.ToString())).Append("</td></tr>\n");
        }

        sb.Append("</tbody></table>\n<script>\n").Append(Script).Append("</script>\n</body>\n</html>\n");
        return sb.ToString();
    }

    /// <summary>A thicker line where the namespace changes, so each namespace reads as a block.</summary>
    private static string Break(IReadOnlyList<ConnectivityNode> nodes, int i) =>
        i > 0 && (nodes[i].Namespace != nodes[i - 1].Namespace || nodes[i].IsExternal != nodes[i - 1].IsExternal) ? " ns" : "";

    private static string Short(ConnectivityNode node) => node.IsExternal && node.Name.Length > 40 ? node.Name[..37] + "..." : node.Name;

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
