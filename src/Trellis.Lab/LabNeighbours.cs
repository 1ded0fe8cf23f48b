using System.Globalization;
using System.Text.RegularExpressions;
using Trellis.Engine.Contracts;

namespace Trellis.Lab;

/// <summary>
/// The kernel's IPv4 neighbour (ARP) table as <c>ip -s ntable show name arp_cache</c> reports it. The table is one for the
/// whole machine, shared by every network namespace; only the host's own namespace may set its limits
/// (<c>net.ipv4.neigh.default.gc_thresh3</c>), so the lab reads them and never changes them.
/// </summary>
/// <param name="Limit">gc_thresh3: the most entries the table holds; a new neighbour beyond it is refused ("neighbor table overflow").</param>
/// <param name="Entries">The entries it holds now, of every namespace on the machine.</param>
/// <param name="TableFulls">How often the table was full since boot: each time, a neighbour could not be resolved and its packets were dropped.</param>
public sealed record LabNeighbourTable(int Limit, int Entries, long TableFulls);

/// <summary>
/// How many neighbour entries a lab needs, and the warnings when the machine's table is too small for it: past its limit
/// the kernel drops packets to unresolved neighbours, and a probe would report as unreachable what the plan connects.
/// </summary>
public static partial class LabNeighbours
{
    /// <summary>
    /// The entries a lab of <paramref name="plan"/> needs at most once probed: on each network, every VM (node, load balancer,
    /// DHCP server) and the gateway learn one another (k² for k of them); each node VM holds a permanent entry on its VXLAN
    /// device for every other node of its cluster; the pods of a node (its probe pod and its workload pods) share its
    /// <c>cni0</c>'s segment, so they and <c>cni0</c> learn one another (q² for q of them); and the outside client and its router.
    /// </summary>
    public static int Estimate(LabPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var segments = plan.Networks.Sum(s =>
        {
            var k = plan.Nodes.Count(n => n.Network == s.Network) + plan.Balancers.Count(b => b.Network == s.Network)
                + plan.DhcpServers.Count(d => d.Network == s.Network) + (s.Gateway is null ? 0 : 1);
            return k * k;
        });
        var overlays = plan.Overlays.Sum(o =>
        {
            var m = plan.Nodes.Count(n => n.Cluster == o.Cluster);
            return m * (m - 1);
        });
        var pods = plan.Nodes.Sum(n =>
        {
            var q = plan.Pods.Count(p => p.Index == n.Index) + plan.Workloads.Count(w => w.Node == n.Index) + 1;
            return q * q;
        });
        return segments + overlays + pods + (plan.Client is null ? 0 : 2);
    }

    /// <summary>The table as <c>ip -s ntable show name arp_cache</c> printed it (its first, table-wide block), or null when it says none.</summary>
    public static LabNeighbourTable? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // The first block is the table's own; the blocks after it, one per device ("dev NAME"), carry no limits or counters.
        var table = text.Split("\n\n", 2)[0];
        var device = table.IndexOf(" dev ", StringComparison.Ordinal);
        table = device < 0 ? table : table[..device];
        return (Number(ThreshRegex(), table), Number(EntriesRegex(), table), Number(FullsRegex(), table)) is ({ } limit, { } entries, { } fulls)
            ? new LabNeighbourTable((int)Math.Min(limit, int.MaxValue), (int)Math.Min(entries, int.MaxValue), fulls)
            : null;
    }

    /// <summary>The table now, read inside namespace <paramref name="ns"/> (the same table as everywhere); null when <c>ip</c> does not say.</summary>
    public static async Task<LabNeighbourTable?> ReadAsync(LabCommands ip, string ns, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ip);
        var run = await ip.ExecAsync(ns, "ip", ["-s", "ntable", "show", "name", "arp_cache"], cancellationToken).ConfigureAwait(false);
        return run.Succeeded ? Parse(run.Output) : null;
    }

    /// <summary>LabNeighbourTableSmall (a warning) when the lab's <paramref name="needed"/> entries and those the table holds already pass its limit.</summary>
    public static Finding? TooSmall(LabNeighbourTable table, int needed)
    {
        ArgumentNullException.ThrowIfNull(table);
        return table.Entries + needed <= table.Limit ? null : Finding.Warning("LabNeighbourTableSmall", "lab",
            $"This lab needs up to {Text(needed)} neighbour (ARP) entries and the machine's table holds {Text(table.Entries)} already, but its limit (net.ipv4.neigh.default.gc_thresh3) is {Text(table.Limit)}: the table is shared by every namespace, and past the limit the kernel drops packets to neighbours it cannot add, so the probe may report pairs as unreachable that the plan connects.",
            $"Raise the limit on the host before probing (sysctl -w net.ipv4.neigh.default.gc_thresh3={Text(Suggested(table.Entries + needed))} net.ipv4.neigh.default.gc_thresh2={Text(Suggested(table.Entries + needed) / 2)}), or bring up one cluster at a time (--cluster).");
    }

    /// <summary>LabNeighbourTableFull (a warning) when the table was full during the probe: its unreachable pairs may be the table's, not the plan's.</summary>
    public static Finding? Overflowed(LabNeighbourTable before, LabNeighbourTable after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var times = after.TableFulls - before.TableFulls;
        return times <= 0 ? null : Finding.Warning("LabNeighbourTableFull", "lab",
            $"The machine's neighbour (ARP) table was full {Text(times)} time(s) during the probe (limit {Text(after.Limit)}, net.ipv4.neigh.default.gc_thresh3): the kernel dropped packets to neighbours it could not add, so pairs reported unreachable may be the table's, not the plan's.",
            $"Raise the limit on the host (sysctl -w net.ipv4.neigh.default.gc_thresh3={Text(Suggested(after.Limit * 2))} net.ipv4.neigh.default.gc_thresh2={Text(Suggested(after.Limit * 2) / 2)}) and probe again, or bring up one cluster at a time (--cluster).");
    }

    /// <summary>The next power of two at or above <paramref name="entries"/>, at least 2048.</summary>
    private static int Suggested(int entries) => (int)Math.Max(2048, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(entries, 1)));

    private static string Text(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static long? Number(Regex regex, string text) =>
        regex.Match(text) is { Success: true } m && long.TryParse(m.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;

    [GeneratedRegex(@"\bthresh3 (\d+)")]
    private static partial Regex ThreshRegex();

    [GeneratedRegex(@"\bentries (\d+)")]
    private static partial Regex EntriesRegex();

    [GeneratedRegex(@"\btable_fulls (\d+)")]
    private static partial Regex FullsRegex();
}
