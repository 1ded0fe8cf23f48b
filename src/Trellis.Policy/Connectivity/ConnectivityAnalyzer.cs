using System.Net;
using System.Net.Sockets;
using Trellis.Core.Addressing;
using Trellis.Policy.Evaluation;
using Trellis.Policy.Manifests;

namespace Trellis.Policy.Connectivity;

/// <summary>Connectivity between every pair of workloads and the outside world, and how a change moves it.</summary>
public static class ConnectivityAnalyzer
{
    public static ConnectivityReport Matrix(PolicySet set, PolicyOptions? options = null) =>
        Matrix(PolicyEngine.Compile(set, options));

    public static ConnectivityReport Matrix(PolicyEngine engine) => Matrix(engine, fast: true);

    /// <summary>
    /// The reference for <see cref="Matrix(PolicyEngine)"/>: the same report, computed by probing every pair with the
    /// engine (one check per piece of the port space that the pair's rules cut). Slow; for tests and comparisons.
    /// </summary>
    public static ConnectivityReport MatrixByProbing(PolicyEngine engine) => Matrix(engine, fast: false);

    /// <summary>
    /// Every workload's connections under one engine: to each other workload (a row of the non-empty ones per source, in
    /// column order, computed by <see cref="Row"/> on demand) and with each outside range, both ways.
    /// </summary>
    private sealed record PairTable(
        string[] Ids,
        Action<int, List<(int Column, ConnectionSet Connections)>> Row,
        bool Parallel,
        ConnectionSet[][] Inbound,
        ConnectionSet[][] Outbound)
    {
        /// <summary>The rows of <paramref name="sources"/>, in parallel when the table allows it (the fast matrix is read-only once built).</summary>
        public List<(int Column, ConnectionSet Connections)>[] Rows(IReadOnlyList<int> sources)
        {
            var rows = new List<(int Column, ConnectionSet Connections)>[sources.Count];
            void One(int k)
            {
                rows[k] = [];
                Row(sources[k], rows[k]);
            }

            if (Parallel)
            {
                System.Threading.Tasks.Parallel.For(0, sources.Count, One);
            }
            else
            {
                for (var k = 0; k < sources.Count; k++)
                {
                    One(k);
                }
            }

            return rows;
        }

        public List<(int Column, ConnectionSet Connections)>[] AllRows() => Rows(Enumerable.Range(0, Ids.Length).ToArray());
    }

    /// <summary>The pair table on bitsets (<see cref="FastMatrix"/>), or by probing every pair with the engine.</summary>
    private static PairTable Pairs(PolicyEngine engine, IReadOnlyList<OutsideRange> outsideRanges, bool fast)
    {
        var workloads = engine.Set.Workloads;
        var n = workloads.Count;
        var peers = Enumerable.Range(0, n).Select(engine.WorkloadPeer).ToArray();
        var outsidePeers = outsideRanges.Select(r => engine.PeerFor(r.Representative)).ToArray();

        // Endpoints: the workloads 0..n-1, then the outside ranges n..; between(s, d) is ConnectionProbe.Connections of them.
        var all = peers.Concat(outsidePeers).ToArray();
        Func<int, int, ConnectionSet> between;
        Action<int, List<(int Column, ConnectionSet Connections)>> workloadRow;
        if (fast)
        {
            var matrix = new FastMatrix(engine, all);
            between = matrix.Between;
            workloadRow = (i, row) => matrix.Row(i, n, row);
        }
        else
        {
            between = (s, d) => ConnectionProbe.Connections(engine, all[s], all[d]);
            workloadRow = (i, row) =>
            {
                row.Clear();
                for (var j = 0; j < n; j++)
                {
                    if (j != i && between(i, j) is { IsEmpty: false } conns)
                    {
                        row.Add((j, conns));
                    }
                }
            };
        }

        // in[e][w]: outside range e to workload w; out[e][w]: workload w to range e.
        var inbound = new ConnectionSet[outsideRanges.Count][];
        var outbound = new ConnectionSet[outsideRanges.Count][];
        for (var e = 0; e < outsideRanges.Count; e++)
        {
            inbound[e] = new ConnectionSet[n];
            outbound[e] = new ConnectionSet[n];
            for (var w = 0; w < n; w++)
            {
                inbound[e][w] = between(n + e, w);
                outbound[e][w] = between(w, n + e);
            }
        }

        return new PairTable(workloads.Select(w => w.Id).ToArray(), workloadRow, fast, inbound, outbound);
    }

    /// <summary>
    /// The matrix's lines as they are computed, in the report's order (<see cref="Matrix(PolicyEngine)"/> gives the same):
    /// rows of workloads are computed a batch at a time and dropped once written, so memory stays bounded by the cluster,
    /// not by the number of lines. For writing a matrix too large to hold (<see cref="ConnectivityText.Write(ConnectivityLines, TextWriter)"/>).
    /// </summary>
    public static ConnectivityLines MatrixLines(PolicySet set, PolicyOptions? options = null) => MatrixLines(PolicyEngine.Compile(set, options));

    /// <inheritdoc cref="MatrixLines(PolicySet, PolicyOptions?)"/>
    public static ConnectivityLines MatrixLines(PolicyEngine engine)
    {
        var outsideRanges = OutsideRanges([engine.Set], engine.Options);
        var table = Pairs(engine, outsideRanges, fast: true);
        return new ConnectivityLines(OrderedLines(table, outsideRanges.Select(r => r.Range).ToList(), table.Rows))
        {
            Enforced = engine.Options.Enforcing,
            Note = NotEnforcedNote(engine.Options),
        };
    }

    private static string? NotEnforcedNote(PolicyOptions options) =>
        options.Enforcing ? null : $"the cluster's network plugin ({options.Plugin}) enforces no network policy: every connection is allowed";

    /// <summary>The matrix report of a pair table.</summary>
    private static ConnectivityReport Matrix(PolicyEngine engine, bool fast)
    {
        var outsideRanges = OutsideRanges([engine.Set], engine.Options);
        var outside = outsideRanges.Select(r => r.Range).ToList();
        var workloads = engine.Set.Workloads;
        var n = workloads.Count;
        var table = Pairs(engine, outsideRanges, fast);
        var (inbound, outbound) = (table.Inbound, table.Outbound);
        var rows = table.AllRows();

        // Heatmap nodes: workloads, then outside ranges merged where every workload sees them alike.
        var nodes = workloads.Select(w => new ConnectivityNode(w.Id, false, w.Namespace, [])).ToList();
        var groups = new List<(List<AddressRange> Ranges, int Representative)>();
        for (var e = 0; e < outside.Count; e++)
        {
            var same = groups.FindIndex(g => SameColumn(inbound[g.Representative], inbound[e]) && SameColumn(outbound[g.Representative], outbound[e]));
            if (same >= 0)
            {
                groups[same].Ranges.Add(outside[e]);
            }
            else
            {
                groups.Add(([outside[e]], e));
            }
        }

        foreach (var g in groups)
        {
            var merged = MergeAdjacent(g.Ranges);
            nodes.Add(new ConnectivityNode(RangesText(merged), true, null, merged));
        }

        var lines = OrderedLines(table, outside, sources => sources.Select(r => rows[r]).ToArray()).ToList();
        var cells = new CellGrid(nodes.Count, (r, c) =>
            r == c ? null
            : r < n && c < n ? Find(rows[r], c)
            : r < n ? outbound[groups[c - n].Representative][r]
            : c < n ? inbound[groups[r - n].Representative][c]
            : null);
        return new ConnectivityReport(nodes, lines, cells)
        {
            Enforced = engine.Options.Enforcing,
            Note = NotEnforcedNote(engine.Options),
        };
    }

    /// <summary>Sources whose rows are computed together: enough to keep both cores busy, few enough to hold.</summary>
    private const int RowBatch = 512;

    /// <summary>
    /// Every line, ordered by source, then destination (ordinal): between workloads, then between workloads and the
    /// outside, where workloads that see every range alike share their lines' ranges. <paramref name="rows"/> gives the
    /// rows of a batch of workloads, which are dropped once their lines are out.
    /// </summary>
    private static IEnumerable<ConnectivityLine> OrderedLines(
        PairTable table, IReadOnlyList<AddressRange> outside, Func<IReadOnlyList<int>, List<(int Column, ConnectionSet Connections)>[]> rows)
    {
        var ids = table.Ids;
        var n = ids.Length;
        var inLines = new Dictionary<ConnectionSet[], List<(string Ranges, ConnectionSet Conns)>>(ColumnComparer.Instance);
        var outLines = new Dictionary<ConnectionSet[], List<(string Ranges, ConnectionSet Conns)>>(ColumnComparer.Instance);
        var outOf = new List<(string Ranges, ConnectionSet Conns)>[n];
        var into = new Dictionary<string, List<(int Workload, ConnectionSet Conns)>>(StringComparer.Ordinal);
        for (var w = 0; w < n; w++)
        {
            foreach (var (ranges, conns) in OutsideLines(outside, table.Inbound.Select(column => column[w]).ToArray(), inLines))
            {
                if (!into.TryGetValue(ranges, out var list))
                {
                    into[ranges] = list = [];
                }

                list.Add((w, conns));
            }

            outOf[w] = OutsideLines(outside, table.Outbound.Select(column => column[w]).ToArray(), outLines);
        }

        // Every name by its rank, so that lines sort on numbers: workloads 0..n-1, then the outside ranges' texts.
        var texts = into.Keys.Union(outOf.SelectMany(l => l.Select(x => x.Ranges)), StringComparer.Ordinal).ToArray();
        var names = ids.Concat(texts).ToArray();
        var order = Enumerable.Range(0, names.Length).ToArray();
        Array.Sort(order, (a, b) => a == b ? 0 : string.CompareOrdinal(names[a], names[b]) is var c and not 0 ? c : a.CompareTo(b));
        var rank = new int[names.Length];
        for (var k = 0; k < order.Length; k++)
        {
            rank[order[k]] = k;
        }

        var textRank = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var t = 0; t < texts.Length; t++)
        {
            textRank[texts[t]] = rank[n + t];
        }

        // Sources in order, a batch at a time; names alike (two workloads with one id) are one source.
        var batch = new List<int>(RowBatch);
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            batch.Clear();
            while (end < order.Length && (batch.Count < RowBatch || (end > start && names[order[end]] == names[order[end - 1]])))
            {
                if (order[end] < n)
                {
                    batch.Add(order[end]);
                }

                end++;
            }

            var batchRows = rows(batch);
            var rowOf = new Dictionary<int, List<(int Column, ConnectionSet Connections)>>(batch.Count);
            for (var k = 0; k < batch.Count; k++)
            {
                rowOf[batch[k]] = batchRows[k];
            }

            var lines = new List<(int Rank, int Seq, ConnectivityLine Line)>();
            for (var k = start; k < end; k++)
            {
                var source = order[k];
                var name = names[source];
                if (source < n)
                {
                    foreach (var (c, conns) in rowOf[source])
                    {
                        lines.Add((rank[c], lines.Count, new ConnectivityLine(name, ids[c], conns)));
                    }

                    foreach (var (ranges, conns) in outOf[source])
                    {
                        lines.Add((textRank[ranges], lines.Count, new ConnectivityLine(name, ranges, conns)));
                    }
                }
                else
                {
                    // A range that is only ever a destination is no source.
                    foreach (var (w, conns) in into.GetValueOrDefault(name) ?? [])
                    {
                        lines.Add((rank[w], lines.Count, new ConnectivityLine(name, ids[w], conns)));
                    }
                }

                if (k + 1 < end && names[order[k + 1]] == name)
                {
                    continue;
                }

                lines.Sort((x, y) => x.Rank != y.Rank ? x.Rank.CompareTo(y.Rank) : x.Seq.CompareTo(y.Seq));
                foreach (var line in lines)
                {
                    yield return line.Line;
                }

                lines.Clear();
            }

            start = end;
        }
    }

    /// <summary>A workload's connections to column <paramref name="c"/>: its row holds the non-empty ones, by column.</summary>
    private static ConnectionSet Find(List<(int Column, ConnectionSet Connections)> row, int c)
    {
        int lo = 0, hi = row.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var at = row[mid].Column;
            if (at == c)
            {
                return row[mid].Connections;
            }

            if (at < c)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return ConnectionSet.None;
    }

    private static bool SameColumn(ConnectionSet[] a, ConnectionSet[] b)
    {
        for (var i = 0; i < a.Length; i++)
        {
            if (!a[i].Equals(b[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Outside ranges grouped by their connections, once per distinct column of connections.</summary>
    private static List<(string Ranges, ConnectionSet Conns)> OutsideLines(
        IReadOnlyList<AddressRange> outside, ConnectionSet[] column, Dictionary<ConnectionSet[], List<(string Ranges, ConnectionSet Conns)>> known)
    {
        if (!known.TryGetValue(column, out var lines))
        {
            known[column] = lines = GroupRanges(outside, e => column[e]).Select(g => (RangesText(g.Ranges), g.Conns)).ToList();
        }

        return lines;
    }

    /// <summary>Columns of connections compared by value.</summary>
    private sealed class ColumnComparer : IEqualityComparer<ConnectionSet[]>
    {
        public static readonly ColumnComparer Instance = new();

        public bool Equals(ConnectionSet[]? x, ConnectionSet[]? y) => x is not null && y is not null && x.Length == y.Length && SameColumn(x, y);

        public int GetHashCode(ConnectionSet[] column)
        {
            var hash = new HashCode();
            foreach (var set in column)
            {
                hash.Add(set);
            }

            return hash.ToHashCode();
        }
    }

    /// <summary>
    /// Which connections <paramref name="after"/> opens and closes relative to <paramref name="before"/>: the two
    /// clusters' pair tables (<see cref="FastMatrix"/>) over the outside ranges that either mentions, compared pair by pair.
    /// </summary>
    public static ConnectivityDiff Diff(PolicySet before, PolicySet after, PolicyOptions? options = null) => Diff(before, after, options, fast: true);

    /// <summary>
    /// The reference for <see cref="Diff(PolicySet, PolicySet, PolicyOptions?)"/>: the same comparison, on pair tables
    /// computed by probing every pair with both engines. Slow; for tests and comparisons.
    /// </summary>
    public static ConnectivityDiff DiffByProbing(PolicySet before, PolicySet after, PolicyOptions? options = null) => Diff(before, after, options, fast: false);

    private static ConnectivityDiff Diff(PolicySet before, PolicySet after, PolicyOptions? options, bool fast)
    {
        options ??= PolicyOptions.Calico;
        var outsideRanges = OutsideRanges([before, after], options);
        var outside = outsideRanges.Select(r => r.Range).ToList();
        var was = Pairs(PolicyEngine.Compile(before, options), outsideRanges, fast);
        var now = Pairs(PolicyEngine.Compile(after, options), outsideRanges, fast);

        // A workload is the last one with its id, as the engine finds it by name.
        static Dictionary<string, int> ById(string[] ids)
        {
            var index = new Dictionary<string, int>(ids.Length, StringComparer.Ordinal);
            for (var i = 0; i < ids.Length; i++)
            {
                index[ids[i]] = i;
            }

            return index;
        }

        var wasRows = was.AllRows();
        var nowRows = now.AllRows();
        var inBefore = ById(was.Ids);
        var inAfter = ById(now.Ids);
        string? Info(string id) => !inBefore.ContainsKey(id) ? "workload added" : !inAfter.ContainsKey(id) ? "workload removed" : null;

        // A source's non-empty connections by destination id.
        static Dictionary<string, ConnectionSet> RowOf(PairTable table, List<(int Column, ConnectionSet Connections)>[] rows, Dictionary<string, int> byId, string id)
        {
            var row = new Dictionary<string, ConnectionSet>(StringComparer.Ordinal);
            if (byId.TryGetValue(id, out var r))
            {
                foreach (var (c, conns) in rows[r])
                {
                    if (byId[table.Ids[c]] == c && table.Ids[c] != id)
                    {
                        row[table.Ids[c]] = conns;
                    }
                }
            }

            return row;
        }

        var lines = new List<DiffLine>();
        foreach (var id in inBefore.Keys.Union(inAfter.Keys))
        {
            var wasRow = RowOf(was, wasRows, inBefore, id);
            var nowRow = RowOf(now, nowRows, inAfter, id);
            foreach (var d in wasRow.Keys.Union(nowRow.Keys))
            {
                var x = wasRow.GetValueOrDefault(d, ConnectionSet.None);
                var y = nowRow.GetValueOrDefault(d, ConnectionSet.None);
                if (!x.Equals(y))
                {
                    lines.Add(Line(id, d, x, y) with { Info = Info(id) ?? Info(d) });
                }
            }

            ConnectionSet[] Column(PairTable table, Dictionary<string, int> byId, ConnectionSet[][] sets) =>
                byId.TryGetValue(id, out var w) ? sets.Select(range => range[w]).ToArray() : outside.Select(_ => ConnectionSet.None).ToArray();

            foreach (var (ranges, x, y) in GroupChanges(outside, Column(was, inBefore, was.Inbound), Column(now, inAfter, now.Inbound)))
            {
                lines.Add(Line(RangesText(ranges), id, x, y) with { Info = Info(id) });
            }

            foreach (var (ranges, x, y) in GroupChanges(outside, Column(was, inBefore, was.Outbound), Column(now, inAfter, now.Outbound)))
            {
                lines.Add(Line(id, RangesText(ranges), x, y) with { Info = Info(id) });
            }
        }

        lines.Sort((x, y) =>
        {
            var c = string.CompareOrdinal(x.Source, y.Source);
            return c != 0 ? c : string.CompareOrdinal(x.Destination, y.Destination);
        });
        return new ConnectivityDiff(lines);
    }

    private static DiffLine Line(string s, string d, ConnectionSet was, ConnectionSet now) =>
        new(was.IsEmpty ? DiffKind.Added : now.IsEmpty ? DiffKind.Removed : DiffKind.Changed, s, d, was, now);

    private static IEnumerable<(List<AddressRange> Ranges, ConnectionSet Was, ConnectionSet Now)> GroupChanges(
        IReadOnlyList<AddressRange> outside, ConnectionSet[] was, ConnectionSet[] now)
    {
        var groups = new List<(List<AddressRange> Ranges, ConnectionSet Was, ConnectionSet Now)>();
        for (var e = 0; e < outside.Count; e++)
        {
            if (was[e].Equals(now[e]))
            {
                continue;
            }

            var g = groups.FindIndex(x => x.Was.Equals(was[e]) && x.Now.Equals(now[e]));
            if (g >= 0)
            {
                groups[g].Ranges.Add(outside[e]);
            }
            else
            {
                groups.Add(([outside[e]], was[e], now[e]));
            }
        }

        return groups.Select(g => (MergeAdjacent(g.Ranges), g.Was, g.Now));
    }

    /// <summary>Outside ranges with the same connections to one workload, merged (netpol-analyzer's ip-block lines).</summary>
    private static IEnumerable<(List<AddressRange> Ranges, ConnectionSet Conns)> GroupRanges(IReadOnlyList<AddressRange> outside, Func<int, ConnectionSet> conns)
    {
        var groups = new List<(List<AddressRange> Ranges, ConnectionSet Conns)>();
        for (var e = 0; e < outside.Count; e++)
        {
            var c = conns(e);
            if (c.IsEmpty)
            {
                continue;
            }

            var g = groups.FindIndex(x => x.Conns.Equals(c));
            if (g >= 0)
            {
                groups[g].Ranges.Add(outside[e]);
            }
            else
            {
                groups.Add(([outside[e]], c));
            }
        }

        return groups.Select(g => (MergeAdjacent(g.Ranges), g.Conns));
    }

    internal static List<AddressRange> MergeAdjacent(IEnumerable<AddressRange> ranges)
    {
        var merged = new List<AddressRange>();
        foreach (var r in ranges.OrderBy(r => r.Family).ThenBy(r => r.First))
        {
            if (merged.Count > 0 && merged[^1].Family == r.Family && merged[^1].Last != IpNumber.MaxValue(r.Family) && merged[^1].Last + 1 >= r.First)
            {
                merged[^1] = new AddressRange(merged[^1].First, UInt128.Max(merged[^1].Last, r.Last), r.Family);
            }
            else
            {
                merged.Add(r);
            }
        }

        return merged;
    }

    internal static string RangesText(IEnumerable<AddressRange> ranges) =>
        string.Join(",", ranges.Select(r => $"{r.Start}-{r.End}"));

    /// <summary>An outside range and the address that stands for it in probes (one that no workload holds).</summary>
    internal readonly record struct OutsideRange(AddressRange Range, IPAddress Representative);

    /// <summary>
    /// The outside world as disjoint ranges: the address space cut at every CIDR that a policy or network set mentions,
    /// less the cluster's pod CIDRs when they are known. Without them, a range is probed at an address no workload holds,
    /// and a range made only of workload addresses is left out (those are the workloads themselves).
    /// </summary>
    internal static List<OutsideRange> OutsideRanges(IEnumerable<PolicySet> sets, PolicyOptions options)
    {
        var nets = new List<Prefix>();
        var holes = new List<AddressRange>(options.PodCidrs.Select(p => p.Range));
        var podAddresses = new HashSet<UInt128>();
        var v6 = false;
        foreach (var set in sets)
        {
            foreach (var k in set.KubernetesPolicies)
            {
                foreach (var peer in k.Ingress.Concat(k.Egress).SelectMany(r => r.Peers))
                {
                    if (peer.IpBlock is { } block)
                    {
                        nets.Add(block.Cidr);
                        nets.AddRange(block.Except);
                    }
                }
            }

            foreach (var c in set.CalicoPolicies)
            {
                foreach (var r in c.Ingress.Concat(c.Egress))
                {
                    nets.AddRange(r.Source.Nets);
                    nets.AddRange(r.Source.NotNets);
                    nets.AddRange(r.Destination.Nets);
                    nets.AddRange(r.Destination.NotNets);
                }
            }

            nets.AddRange(set.NetworkSets.SelectMany(s => s.Nets));
            nets.AddRange(set.AdminPolicyNets());
            foreach (var address in set.Workloads.SelectMany(w => w.Addresses))
            {
                podAddresses.Add(IpNumber.ToNumber(address));
                v6 |= address.AddressFamily == AddressFamily.InterNetworkV6;
            }
        }

        var families = new List<AddressFamily> { AddressFamily.InterNetwork };
        if (v6 || nets.Any(p => p.Family == AddressFamily.InterNetworkV6) || holes.Any(h => h.Family == AddressFamily.InterNetworkV6))
        {
            families.Add(AddressFamily.InterNetworkV6);
        }

        var result = new List<OutsideRange>();
        foreach (var family in families)
        {
            var max = IpNumber.MaxValue(family);
            var cuts = new SortedSet<UInt128> { UInt128.Zero };
            foreach (var p in nets.Where(p => p.Family == family))
            {
                cuts.Add(p.First);
                if (p.Last < max)
                {
                    cuts.Add(p.Last + 1);
                }
            }

            var points = cuts.ToList();
            var familyHoles = holes.Where(h => h.Family == family).ToList();
            for (var i = 0; i < points.Count; i++)
            {
                var range = new AddressRange(points[i], i + 1 < points.Count ? points[i + 1] - 1 : max, family);
                foreach (var piece in range.Except(familyHoles))
                {
                    var probe = piece.First;
                    while (podAddresses.Contains(probe) && probe < piece.Last)
                    {
                        probe++;
                    }

                    if (!podAddresses.Contains(probe))
                    {
                        result.Add(new OutsideRange(piece, IpNumber.ToAddress(probe, family)));
                    }
                }
            }
        }

        return result;
    }
}
