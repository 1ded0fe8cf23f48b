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
    /// column order) and with each outside range, both ways.
    /// </summary>
    private sealed record PairTable(
        string[] Ids,
        List<(int Column, ConnectionSet Connections)>[] Rows,
        ConnectionSet[][] Inbound,
        ConnectionSet[][] Outbound);

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

        // Rows of the fast matrix in parallel (it is read-only once built), the probing ones in order.
        var rows = new List<(int Column, ConnectionSet Connections)>[n];
        void Row(int r)
        {
            var row = new List<(int Column, ConnectionSet Connections)>();
            workloadRow(r, row);
            rows[r] = row;
        }

        if (fast)
        {
            Parallel.For(0, n, Row);
        }
        else
        {
            for (var r = 0; r < n; r++)
            {
                Row(r);
            }
        }

        return new PairTable(workloads.Select(w => w.Id).ToArray(), rows, inbound, outbound);
    }

    /// <summary>The matrix report of a pair table.</summary>
    private static ConnectivityReport Matrix(PolicyEngine engine, bool fast)
    {
        var outsideRanges = OutsideRanges([engine.Set], engine.Options);
        var outside = outsideRanges.Select(r => r.Range).ToList();
        var workloads = engine.Set.Workloads;
        var n = workloads.Count;
        var (ids, rows, inbound, outbound) = Pairs(engine, outsideRanges, fast);

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

        // Lines between workloads, then between workloads and the outside, where workloads that see every range alike
        // share their lines' ranges.
        var lines = new List<(string Source, string Destination, ConnectionSet Connections)>(rows.Sum(l => l.Count));
        for (var r = 0; r < n; r++)
        {
            foreach (var (c, conns) in rows[r])
            {
                lines.Add((ids[r], ids[c], conns));
            }
        }

        var inLines = new Dictionary<ConnectionSet[], List<(string Ranges, ConnectionSet Conns)>>(ColumnComparer.Instance);
        var outLines = new Dictionary<ConnectionSet[], List<(string Ranges, ConnectionSet Conns)>>(ColumnComparer.Instance);
        for (var w = 0; w < n; w++)
        {
            foreach (var (ranges, conns) in OutsideLines(outside, inbound.Select(column => column[w]).ToArray(), inLines))
            {
                lines.Add((ranges, ids[w], conns));
            }

            foreach (var (ranges, conns) in OutsideLines(outside, outbound.Select(column => column[w]).ToArray(), outLines))
            {
                lines.Add((ids[w], ranges, conns));
            }
        }

        var cells = new CellGrid(nodes.Count, (r, c) =>
            r == c ? null
            : r < n && c < n ? Find(rows[r], c)
            : r < n ? outbound[groups[c - n].Representative][r]
            : c < n ? inbound[groups[r - n].Representative][c]
            : null);
        return new ConnectivityReport(nodes, SortedLines(lines), cells)
        {
            Enforced = engine.Options.Enforcing,
            Note = engine.Options.Enforcing ? null : $"the cluster's network plugin ({engine.Options.Plugin}) enforces no network policy: every connection is allowed",
        };
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

    /// <summary>The lines ordered by source, then destination (ordinal), each name compared once through its rank.</summary>
    private static List<ConnectivityLine> SortedLines(List<(string Source, string Destination, ConnectionSet Connections)> lines)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (source, destination, _) in lines)
        {
            names.Add(source);
            names.Add(destination);
        }

        var ordered = names.ToArray();
        Array.Sort(ordered, StringComparer.Ordinal);
        var rank = new Dictionary<string, int>(ordered.Length, StringComparer.Ordinal);
        for (var i = 0; i < ordered.Length; i++)
        {
            rank[ordered[i]] = i;
        }

        var keys = new long[lines.Count];
        var order = new int[lines.Count];
        for (var i = 0; i < lines.Count; i++)
        {
            keys[i] = ((long)rank[lines[i].Source] << 32) | (uint)rank[lines[i].Destination];
            order[i] = i;
        }

        Array.Sort(keys, order);
        var sorted = new List<ConnectivityLine>(lines.Count);
        foreach (var i in order)
        {
            sorted.Add(new ConnectivityLine(lines[i].Source, lines[i].Destination, lines[i].Connections));
        }

        return sorted;
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

        var inBefore = ById(was.Ids);
        var inAfter = ById(now.Ids);
        string? Info(string id) => !inBefore.ContainsKey(id) ? "workload added" : !inAfter.ContainsKey(id) ? "workload removed" : null;

        // A source's non-empty connections by destination id.
        static Dictionary<string, ConnectionSet> RowOf(PairTable table, Dictionary<string, int> byId, string id)
        {
            var row = new Dictionary<string, ConnectionSet>(StringComparer.Ordinal);
            if (byId.TryGetValue(id, out var r))
            {
                foreach (var (c, conns) in table.Rows[r])
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
            var wasRow = RowOf(was, inBefore, id);
            var nowRow = RowOf(now, inAfter, id);
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
