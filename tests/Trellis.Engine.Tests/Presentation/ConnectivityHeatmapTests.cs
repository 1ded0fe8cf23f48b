using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Trellis.Benchmarks;
using Trellis.Policy.Connectivity;
using Trellis.Presentation;

namespace Trellis.Engine.Tests.Presentation;

/// <summary>
/// The heatmap page: one cell per pair of workloads for small clusters, one per pair of namespaces (counting the pairs
/// of workloads) for large ones, and a connection list capped for the page.
/// </summary>
public sealed partial class ConnectivityHeatmapTests
{
    // 3 namespaces of 20 pods and their policies (the benchmark cluster's shape, small).
    private static readonly Lazy<PolicyMatrix> Report = new(() => new PolicyMatrix(ConnectivityAnalyzer.Matrix(PolicyClusters.Build(3))));

    [Fact]
    public void LargeMatrix_IsShownPerNamespace_WithPairCountsThatMatchTheCells()
    {
        var report = Report.Value;
        var html = ConnectivityHeatmap.Write(report, "big", maxWorkloadCells: 30, maxListedLines: 1_000_000);
        Assert.Contains("one row and one column per namespace (3 namespaces)", html, StringComparison.Ordinal);
        var outside = report.Nodes.Count(n => n.IsExternal);
        Assert.Equal(3 + outside, RowHeader().Count(html));

        // Every namespace pair's title counts what the cells say, pair by pair.
        var nodes = report.Nodes;
        foreach (var from in new[] { "ns000", "ns001", "ns002" })
        {
            foreach (var to in new[] { "ns000", "ns001", "ns002" })
            {
                int pairs = 0, connected = 0, all = 0;
                for (var r = 0; r < nodes.Count; r++)
                {
                    for (var c = 0; c < nodes.Count; c++)
                    {
                        if (nodes[r].Namespace == from && nodes[c].Namespace == to && report.Cell(r, c) is { } cell)
                        {
                            pairs++;
                            connected += cell.IsEmpty ? 0 : 1;
                            all += cell.IsAll ? 1 : 0;
                        }
                    }
                }

                var expected = $"{from} (20 workloads) =&gt; {to} (20 workloads) : {connected:N0} of {pairs:N0} pairs connected, {all:N0} with all connections";
                Assert.Contains(expected, html, StringComparison.Ordinal);
                Assert.Equal(from == to ? 380 : 400, pairs);
            }
        }

        // Same namespace: allow-same-namespace connects most pairs; across namespaces default-deny-all leaves few.
        Assert.Contains("ns000 (20 workloads) =&gt; ns000 (20 workloads) : 3", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Summary_CountsThePairsAlike_PerWorkloadAndPerNamespace()
    {
        var report = Report.Value;
        var perWorkload = ConnectivityHeatmap.Write(report, "t", maxWorkloadCells: 1_000, maxListedLines: 10);
        var perNamespace = ConnectivityHeatmap.Write(report, "t", maxWorkloadCells: 10, maxListedLines: 10);
        Assert.DoesNotContain("per namespace", perWorkload, StringComparison.Ordinal);
        Assert.Contains("per namespace", perNamespace, StringComparison.Ordinal);
        Assert.Equal(Summary().Match(perWorkload).Value, Summary().Match(perNamespace).Value);

        // 60 workloads: 60 × 59 ordered pairs, and each with each outside group both ways.
        var outside = report.Nodes.Count(n => n.IsExternal);
        var counts = Regex.Matches(Summary().Match(perWorkload).Value, @"([\d,]+) (all connections|some|none)")
            .Select(m => int.Parse(m.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(60 * 59 + 2 * 60 * outside, counts.Sum());
    }

    [Fact]
    public void ConnectionList_IsCappedWithANote_WhenTheReportHasMoreLines()
    {
        var report = Report.Value;
        Assert.True(report.Lines.Count > 50);
        var html = ConnectivityHeatmap.Write(report, "t", maxWorkloadCells: 1_000, maxListedLines: 50);
        Assert.Contains($"The first 50 of {report.Lines.Count:N0} lines", html, StringComparison.Ordinal);
        Assert.Equal(50, ListRow().Count(html));
        Assert.Contains(WebUtility.HtmlEncode(report.Lines[49].Source), html, StringComparison.Ordinal);

        var whole = ConnectivityHeatmap.Write(report, "t", maxWorkloadCells: 1_000, maxListedLines: report.Lines.Count);
        Assert.DoesNotContain("The first", whole, StringComparison.Ordinal);
        Assert.Equal(report.Lines.Count, ListRow().Count(whole));
    }

    [Fact]
    public void Page_EscapesItsTitle_TitlesEachCellWithItsConnections_AndLoadsNothingFromOutside()
    {
        var shop = File.ReadAllText(Path.Combine(Trellis.TestSupport.ExampleState.ExamplesDirectory, "manifests", "shop.yaml"));
        var matrix = NetworkPolicyService.Matrix(NetworkPolicyService.Load([new ManifestText("shop.yaml", shop)]));

        var html = ConnectivityHeatmap.Write(matrix, "shop <example>");

        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Contains("<title>shop &lt;example&gt;</title>", html, StringComparison.Ordinal);
        Assert.Contains("title=\"shop/web[Deployment] =&gt; shop/db[StatefulSet] : TCP 5432\"", html, StringComparison.Ordinal);
        Assert.Contains("title=\"shop/db[StatefulSet] =&gt; shop/web[Deployment] : No Connections\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
    }

    [GeneratedRegex("<th class=\"row\"")]
    private static partial Regex RowHeader();

    [GeneratedRegex("Pairs: .*? none\\.")]
    private static partial Regex Summary();

    [GeneratedRegex("<tr><td>")]
    private static partial Regex ListRow();
}
