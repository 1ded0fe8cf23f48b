using System.Net;
using System.Net.Sockets;
using Trellis.Core.Addressing;
using Trellis.Policy.Calico;
using Trellis.Policy.Evaluation;
using Trellis.Policy.Manifests;

namespace Trellis.Policy.Nftables;

/// <summary>A pod of the lab: the engine's workload at the lab's address, seen as the engine sees a packet from that address.</summary>
internal sealed record LabPod(string Key, Workload Workload, IPAddress Address, UInt128 Number, Peer Peer);

/// <summary>
/// One compiled rule as nft matches: the rule matches a packet when some alternative matches it (each alternative is a
/// conjunction of nft expressions) and no guard does (a guard is a conjunction whose match means "this rule does not
/// apply": notPorts, notICMP). An empty alternative matches everything.
/// </summary>
internal sealed record NftRule(IReadOnlyList<IReadOnlyList<string>> Alternatives, IReadOnlyList<IReadOnlyList<string>> Guards);

/// <summary>
/// Translates the engine's compiled rules for one pod and one direction. The pod's own side of a rule (the source of its
/// egress, the destination of its ingress) is decided here with the engine's own matcher, since it is always that pod;
/// the other side becomes address sets resolved over the lab's pods, as Felix resolves selectors to IP sets: a selector
/// is the addresses of the lab pods whose identities match it plus the nets of the network sets that match it; a named
/// port of the other side is address.protocol.port triples of the lab pods that declare it.
/// </summary>
internal sealed class RuleTranslator(PolicyEngine engine, IReadOnlyList<LabPod> pods)
{
    private static readonly IReadOnlyList<string> Everything = [];

    /// <summary>Every address the engine counts as a workload's (its own and the lab's): where a Cilium-style ipBlock does not match.</summary>
    private readonly (UInt128, UInt128)[] _workloadAddresses = pods.Select(p => (p.Number, p.Number))
        .Concat(engine.Set.Workloads.SelectMany(w => w.Addresses).Where(a => a.AddressFamily == AddressFamily.InterNetwork)
            .Select(a => (IpNumber.ToNumber(a), IpNumber.ToNumber(a))))
        .ToArray();

    /// <summary>The nft form of <paramref name="rule"/> on <paramref name="self"/>'s <paramref name="direction"/>; null when it can match no IPv4 packet of the lab.</summary>
    public NftRule? Translate(CompiledRule rule, Direction direction, LabPod self)
    {
        if (rule.Never || rule.IpVersion == 6)
        {
            return null;
        }

        var common = new List<string>();
        var guards = new List<IReadOnlyList<string>>();
        var groups = new List<List<IReadOnlyList<string>>>();
        if (rule.Protocol is { } protocol)
        {
            common.Add(NftText.ProtocolIn([protocol.Number]));
        }

        if (rule.NotProtocol is { } notProtocol)
        {
            if (rule.Protocol == notProtocol)
            {
                return null;
            }

            common.Add($"meta l4proto != {NftText.Protocol(notProtocol.Number)}");
        }

        if (rule.Icmp is { } icmp)
        {
            if (rule.Protocol is { IsIcmp: false })
            {
                return null;
            }

            common.AddRange(Icmp(icmp, protocolKnown: rule.Protocol is not null));
        }

        if (rule.NotIcmp is { } notIcmp && rule.Protocol is not { IsIcmp: false })
        {
            guards.Add(Icmp(notIcmp, protocolKnown: false));
        }

        var selfIsSource = direction == Direction.Egress;
        foreach (var destination in new[] { true, false })
        {
            var entity = destination ? rule.Destination : rule.Source;
            var isSelf = destination != selfIsSource;
            var portField = destination ? "dport" : "sport";
            var addressField = destination ? "daddr" : "saddr";
            if (entity.Ports.Length > 0)
            {
                var alternatives = PortAlternatives(entity.Ports, rule.Protocol, isSelf ? self : null, addressField, portField, guard: false);
                if (alternatives.Count == 0)
                {
                    return null;
                }

                groups.Add(alternatives);
            }

            if (entity.NotPorts.Length > 0)
            {
                guards.AddRange(PortAlternatives(entity.NotPorts, rule.Protocol, isSelf ? self : null, addressField, portField, guard: true));
            }

            if (!(isSelf ? SelfPeer(entity, rule.Protocol, self, common) : OtherPeer(entity, rule.Protocol, addressField, common)))
            {
                return null;
            }
        }

        // The alternatives of each group are ORed, the groups ANDed: their product, each after the common part.
        IEnumerable<IReadOnlyList<string>> product = [common];
        foreach (var group in groups)
        {
            product = product.SelectMany(a => group.Select(b => (IReadOnlyList<string>)[.. a, .. b])).ToList();
        }

        return new NftRule(product.ToList(), guards);
    }

    /// <summary>A guard runs on its own, so it always names the protocol; a rule's match does when the rule does not.</summary>
    private static List<string> Icmp(IcmpMatch icmp, bool protocolKnown)
    {
        // The type and code are the first two bytes of the ICMP header, for ICMP and ICMPv6 alike (the engine tests both the same way).
        var parts = protocolKnown ? new List<string>() : [NftText.ProtocolIn([1, 58])];
        if (icmp.Type is { } type)
        {
            parts.Add($"@th,0,8 {NftText.Number(type, 0, 255)}");
        }

        if (icmp.Code is { } code)
        {
            parts.Add($"@th,8,8 {NftText.Number(code, 0, 255)}");
        }

        return parts;
    }

    /// <summary>
    /// Packets whose port is in <paramref name="ports"/>: numeric ranges for every protocol with ports, and named ports as
    /// the owner declares them — the pod itself (protocol.port pairs), or every lab pod at its address (triples).
    /// </summary>
    private List<IReadOnlyList<string>> PortAlternatives(PortMatch[] ports, Protocol? ruleProtocol, LabPod? self, string addressField, string portField, bool guard)
    {
        byte[] protocols = ruleProtocol is { } p ? (p.HasPorts ? [p.Number] : []) : NftText.PortProtocols;
        var alternatives = new List<IReadOnlyList<string>>();
        if (protocols.Length == 0)
        {
            return alternatives;
        }

        var ranges = ports.Where(m => !m.IsNamed).Select(m => (m.First, m.Last)).ToList();
        if (ranges.Count > 0)
        {
            // th reads the ports of any transport header: the protocol test comes first (the rule's own when it has one).
            var port = $"th {portField} {NftText.PortSet(ranges)}";
            alternatives.Add(ruleProtocol is null || guard ? [NftText.ProtocolIn(protocols), port] : [port]);
        }

        var names = ports.Where(m => m.IsNamed).Select(m => m.Name!).ToHashSet(StringComparer.Ordinal);
        if (names.Count == 0)
        {
            return alternatives;
        }

        if (self is not null)
        {
            var pairs = NamedPorts(self.Workload, names, protocols).Select(cp => $"{NftText.Protocol(cp.Protocol.Number)} . {NftText.Port(cp.Port)}").ToList();
            if (pairs.Count > 0)
            {
                alternatives.Add([$"meta l4proto . th {portField} {NftText.Set(pairs)}"]);
            }
        }
        else
        {
            var triples = pods.SelectMany(pod => NamedPorts(pod.Workload, names, protocols)
                .Select(cp => $"{NftText.Address(pod.Number)} . {NftText.Protocol(cp.Protocol.Number)} . {NftText.Port(cp.Port)}")).ToList();
            if (triples.Count > 0)
            {
                alternatives.Add([$"ip {addressField} . meta l4proto . th {portField} {NftText.Set(triples)}"]);
            }
        }

        return alternatives;
    }

    /// <summary>A workload's container ports with one of these names on one of these protocols (EntityMatcher.NamedPortIs).</summary>
    private static IEnumerable<ContainerPort> NamedPorts(Workload workload, HashSet<string> names, byte[] protocols) =>
        workload.Ports.Where(cp => cp.Name is not null && names.Contains(cp.Name) && protocols.Contains(cp.Protocol.Number));

    /// <summary>
    /// The pod's own side, decided by the engine's matcher on the pod's peer. Only a destination service depends on the
    /// packet (its target ports on the pod): that becomes protocol.port pairs.
    /// </summary>
    private static bool SelfPeer(EntityMatcher entity, Protocol? ruleProtocol, LabPod self, List<string> common)
    {
        if (!(entity.HasService && entity.IsDestination))
        {
            return entity.MatchesPeer(self.Peer, default, null);
        }

        var pairs = ServiceTargets(entity, ruleProtocol, self)
            .Where(t => entity.MatchesPeer(self.Peer, t.Protocol, t.Port))
            .Select(t => $"{NftText.Protocol(t.Protocol.Number)} . {NftText.Port(t.Port)}")
            .ToList();
        if (pairs.Count == 0)
        {
            return false;
        }

        common.Add($"meta l4proto . th dport {NftText.Set(pairs)}");
        return true;
    }

    /// <summary>The other side: nets, selectors and services as address conditions; false when nothing can match.</summary>
    private bool OtherPeer(EntityMatcher entity, Protocol? ruleProtocol, string field, List<string> common)
    {
        if (entity.Nets.Length > 0)
        {
            var nets = V4(entity.Nets);
            if (nets.Count == 0)
            {
                return false;
            }

            common.Add($"ip {field} {NftText.AddressSet(nets)}");
            if (entity.NetsOnlyOutside && _workloadAddresses.Length > 0)
            {
                common.Add($"ip {field} != {NftText.AddressSet(_workloadAddresses)}");
            }
        }

        var notNets = V4(entity.NotNets);
        if (notNets.Count > 0)
        {
            common.Add($"ip {field} != {NftText.AddressSet(notNets)}");
        }

        if (entity.Positive is { } positive)
        {
            var matching = Matching(positive.Matches);
            if (matching.Count == 0)
            {
                return false;
            }

            common.Add($"ip {field} {NftText.AddressSet(matching)}");
        }

        if (entity.Not is { } not)
        {
            var matching = Matching(id => not.Matches(id.Labels, id.IsGlobal));
            if (matching.Count > 0)
            {
                common.Add($"ip {field} != {NftText.AddressSet(matching)}");
            }
        }

        if (entity.HasService)
        {
            if (entity.Service is not { } service)
            {
                return false;
            }

            if (!entity.IsDestination)
            {
                var selected = pods.Where(p => service.Selects(p.Workload)).Select(p => (p.Number, p.Number)).ToList();
                if (selected.Count == 0)
                {
                    return false;
                }

                common.Add($"ip {field} {NftText.AddressSet(selected)}");
            }
            else
            {
                var triples = pods.SelectMany(p => ServiceTargets(entity, ruleProtocol, p)
                    .Select(t => $"{NftText.Address(p.Number)} . {NftText.Protocol(t.Protocol.Number)} . {NftText.Port(t.Port)}")).ToList();
                if (triples.Count == 0)
                {
                    return false;
                }

                common.Add($"ip {field} . meta l4proto . th dport {NftText.Set(triples)}");
            }
        }

        return true;
    }

    /// <summary>The (protocol, port) pairs a destination service's ports resolve to on one pod, when the service selects it.</summary>
    private static IEnumerable<(Protocol Protocol, int Port)> ServiceTargets(EntityMatcher entity, Protocol? ruleProtocol, LabPod pod)
    {
        if (entity.Service is not { } service || !service.Selects(pod.Workload))
        {
            yield break;
        }

        foreach (var sp in service.Ports)
        {
            if (!sp.Protocol.HasPorts || (ruleProtocol is { } rp && rp != sp.Protocol))
            {
                continue;
            }

            if (int.TryParse(sp.TargetPort, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
            {
                yield return (sp.Protocol, n);
                continue;
            }

            // A named target port: every container port of the pod with that name and protocol (EntityMatcher.NamedPortIs).
            foreach (var cp in pod.Workload.Ports)
            {
                if (EntityMatcher.NamedPortIs(pod.Workload, sp.TargetPort, sp.Protocol, cp.Port))
                {
                    yield return (sp.Protocol, cp.Port);
                }
            }
        }
    }

    /// <summary>The lab pods any of whose identities match, and the IPv4 nets of the network sets that match.</summary>
    private List<(UInt128, UInt128)> Matching(Func<Identity, bool> matches)
    {
        var ranges = pods.Where(p => p.Peer.Identities.Any(matches)).Select(p => (p.Number, p.Number)).ToList();
        foreach (var (net, identity) in engine.SetNets)
        {
            if (net.Family == AddressFamily.InterNetwork && matches(identity))
            {
                ranges.Add((net.First, net.Last));
            }
        }

        return ranges;
    }

    private static List<(UInt128, UInt128)> V4(Net[] nets) =>
        nets.Where(n => n.Family == AddressFamily.InterNetwork).Select(n => (n.First, n.Last)).ToList();
}
