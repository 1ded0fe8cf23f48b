using System.Net.Sockets;
using Trellis.Policy.Evaluation;

namespace Trellis.Policy.Connectivity;

/// <summary>
/// Computes the whole <see cref="ConnectionSet"/> between two endpoints with the engine itself: the protocols, ports and
/// ICMP types that the applicable rules mention cut each protocol's range into pieces that every rule treats alike, and
/// one probe per piece decides the piece. Protocols no rule names are decided by one probe together.
/// </summary>
internal static class ConnectionProbe
{
    internal static readonly Protocol[] Shown = [Protocol.Tcp, Protocol.Udp, Protocol.Sctp];

    public static ConnectionSet Connections(PolicyEngine engine, Peer src, Peer dst)
    {
        if (!engine.Options.Enforcing || (engine.Options.AllowSelfTraffic && PolicyEngine.IsSelf(src, dst)))
        {
            return ConnectionSet.All;
        }

        var rules = Rules(engine, src, dst);
        if (rules.Count == 0 && !HasPlan(engine, src, Direction.Egress) && !HasPlan(engine, dst, Direction.Ingress))
        {
            return ConnectionSet.All;
        }

        var allowed = new Dictionary<byte, List<(int, int)>>();
        var others = false;
        foreach (var probe in Probes(rules, src, dst))
        {
            var yes = engine.IsAllowed(src, dst, probe.Packet);
            if (probe.Other)
            {
                others = yes;
                continue;
            }

            if (!allowed.TryGetValue(probe.Packet.Protocol.Number, out var list))
            {
                allowed[probe.Packet.Protocol.Number] = list = [];
            }

            if (yes)
            {
                list.Add((probe.First, probe.Last));
            }
        }

        return ConnectionSet.Create(allowed.Select(kv => (new Protocol(kv.Key), IntervalSet.FromRanges(kv.Value))), others);
    }

    /// <summary>One packet per piece of each protocol's range that the rules treat alike; Other stands for every protocol no rule names.</summary>
    internal readonly record struct Probe(Packet Packet, int First, int Last, bool Other);

    internal static List<CompiledRule> Rules(PolicyEngine engine, Peer src, Peer dst)
    {
        var rules = new List<CompiledRule>();
        Collect(engine, src, Direction.Egress, rules);
        Collect(engine, dst, Direction.Ingress, rules);
        return rules;
    }

    internal static IEnumerable<Probe> Probes(List<CompiledRule> rules, Peer src, Peer dst)
    {
        var version = (src.HasAddress ? src.Family : dst.HasAddress ? dst.Family : AddressFamily.InterNetwork) == AddressFamily.InterNetworkV6 ? 6 : 4;
        var protocols = NamedProtocols(rules);
        foreach (var probe in Pieces(rules, protocols, [dst], version))
        {
            yield return probe;
        }

        if (Other(protocols, version) is { } other)
        {
            yield return other;
        }
    }

    /// <summary>TCP, UDP and SCTP, and every protocol that a rule names (as its protocol or notProtocol).</summary>
    internal static SortedSet<byte> NamedProtocols(IEnumerable<CompiledRule> rules)
    {
        var protocols = new SortedSet<byte>(Shown.Select(p => p.Number));
        foreach (var r in rules)
        {
            if (r.Protocol is { } p)
            {
                protocols.Add(p.Number);
            }

            if (r.NotProtocol is { } q)
            {
                protocols.Add(q.Number);
            }
        }

        return protocols;
    }

    /// <summary>
    /// One probe per piece of each of <paramref name="protocols"/>' ranges that every rule treats alike, named ports
    /// resolved on each of <paramref name="destinations"/> (the pieces of each destination are unions of these).
    /// </summary>
    internal static IEnumerable<Probe> Pieces(IReadOnlyCollection<CompiledRule> rules, SortedSet<byte> protocols, IReadOnlyList<Peer> destinations, int version)
    {
        foreach (var number in protocols)
        {
            var protocol = new Protocol(number);
            var domain = ConnectionSet.Domain(protocol).Ranges[0];
            var cuts = new SortedSet<int> { domain.First };
            foreach (var r in rules)
            {
                if (r.Protocol is { } rp && rp != protocol)
                {
                    continue;
                }

                if (protocol.HasPorts)
                {
                    foreach (var dst in destinations)
                    {
                        PortCuts(r.Destination, dst, protocol, cuts);
                    }
                }
                else if (protocol.IsIcmp)
                {
                    IcmpCuts(r.Icmp, cuts);
                    IcmpCuts(r.NotIcmp, cuts);
                }
            }

            var points = cuts.Where(c => c >= domain.First && c <= domain.Last).ToList();
            for (var i = 0; i < points.Count; i++)
            {
                var first = points[i];
                var last = i + 1 < points.Count ? points[i + 1] - 1 : domain.Last;
                var packet = protocol.HasPorts ? new Packet(protocol, first, null, null, null, version)
                    : protocol.IsIcmp ? new Packet(protocol, 0, null, first >> 8, first & 255, version)
                    : new Packet(protocol, 0, null, null, null, version);
                yield return new Probe(packet, first, last, false);
            }
        }
    }

    /// <summary>The probe for every protocol not in <paramref name="protocols"/>: the first such number; null when none is left.</summary>
    internal static Probe? Other(SortedSet<byte> protocols, int version)
    {
        var other = Enumerable.Range(1, 255).Select(n => (byte)n).FirstOrDefault(n => !protocols.Contains(n));
        return other == 0 ? null : new Probe(new Packet(new Protocol(other), 0, null, null, null, version), 0, 0, true);
    }

    private static bool HasPlan(PolicyEngine engine, Peer peer, Direction d) =>
        peer.WorkloadIndex >= 0 && engine.Compiled[peer.WorkloadIndex].Policed && engine.Compiled[peer.WorkloadIndex].Plan(d).Length > 0;

    private static void Collect(PolicyEngine engine, Peer peer, Direction d, List<CompiledRule> rules)
    {
        if (peer.WorkloadIndex < 0 || !engine.Compiled[peer.WorkloadIndex].Policed)
        {
            return;
        }

        foreach (var tier in engine.Compiled[peer.WorkloadIndex].Plan(d))
        {
            foreach (var p in tier.Policies)
            {
                rules.AddRange(p.Rules(d));
            }
        }
    }

    internal static void PortCuts(EntityMatcher e, Peer dst, Protocol protocol, SortedSet<int> cuts)
    {
        foreach (var list in new[] { e.Ports, e.NotPorts })
        {
            foreach (var m in list)
            {
                if (m.Name is null)
                {
                    Cut(cuts, m.First, m.Last);
                }
                else if (dst.Workload is { } w)
                {
                    foreach (var cp in w.Ports)
                    {
                        if (cp.Name == m.Name && cp.Protocol == protocol)
                        {
                            Cut(cuts, cp.Port, cp.Port);
                        }
                    }
                }
            }
        }

        if (e.HasService && e.Service is { } svc && dst.Workload is { } backend)
        {
            foreach (var sp in svc.Ports)
            {
                if (int.TryParse(sp.TargetPort, System.Globalization.CultureInfo.InvariantCulture, out var n))
                {
                    Cut(cuts, n, n);
                }
                else
                {
                    foreach (var cp in backend.Ports.Where(cp => cp.Name == sp.TargetPort))
                    {
                        Cut(cuts, cp.Port, cp.Port);
                    }
                }
            }
        }
    }

    internal static void IcmpCuts(Calico.IcmpMatch? icmp, SortedSet<int> cuts)
    {
        if (icmp?.Type is { } t)
        {
            if (icmp.Code is { } c)
            {
                Cut(cuts, (t << 8) | c, (t << 8) | c);
            }
            else
            {
                Cut(cuts, t << 8, (t << 8) | 255);
            }
        }
    }

    private static void Cut(SortedSet<int> cuts, int first, int last)
    {
        cuts.Add(first);
        cuts.Add(last + 1);
    }
}
