using System.Net.Sockets;
using Trellis.Policy.Calico;
using Trellis.Policy.Evaluation;

namespace Trellis.Policy.Connectivity;

/// <summary>
/// The connections between every pair of endpoints, computed on bitsets rather than one probe per pair and piece.
/// Endpoints that share a plan (and how its rules' own side matches them) share a group. Each group cuts every protocol's
/// range at the ports its own rules name (named ports resolved on every port profile that has the name) into pieces it
/// treats alike, and one walk of the plan per piece, as <see cref="PolicyEngine.Evaluate"/> does it, decides the piece
/// for every peer at once. A pair merges the pieces of its egress and its ingress group and assembles its set with its
/// own protocols and "other protocols" probe, as the probing gives it (<see cref="ConnectionProbe.Connections"/>): the
/// pair's own pieces are unions of the merged ones. Pairs whose rules test the IP version or a destination service fall
/// back to probing.
/// </summary>
/// <remarks>
/// No piece is shared by all groups: a cluster of many policies, each with its own port range and named ports, cuts the
/// port space into thousands of pieces, but each group walks only its own few.
/// </remarks>
internal sealed class FastMatrix
{
    private const int Open = -1;
    private const int Complex = -2;

    private readonly PolicyEngine _engine;
    private readonly Peer[] _peers;
    private readonly int _words;
    private readonly ulong[] _all;
    private readonly int[] _egressGroup;
    private readonly int[] _ingressGroup;
    /// <summary>Peers whose ingress is decided by probing (<see cref="Complex"/>).</summary>
    private readonly ulong[] _complexIngress;
    /// <summary>Peers without ingress policy (<see cref="Open"/>).</summary>
    private readonly ulong[] _openIngress;
    private readonly int[] _profile;
    private readonly List<Peer> _profileRep = [];
    private readonly List<List<int>> _profileMembers = [];
    /// <summary>The port profiles with a container port of each name.</summary>
    private readonly Dictionary<string, List<int>> _profilesByPortName = new(StringComparer.Ordinal);
    private readonly List<Group> _egress = [];
    private readonly List<Group> _ingress = [];
    private readonly Dictionary<EntityMatcher, ulong[]> _matcherBits = new(ReferenceEqualityComparer.Instance as IEqualityComparer<EntityMatcher>);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(CompiledRule, PacketKey), (ulong[]? Mask, int Id)> _portMasks = new();
    private int _maskIds;
    private readonly Dictionary<string, ulong[]> _matcherByFingerprint = new(StringComparer.Ordinal);
    /// <summary>Connection sets already made, by their flat ranges; bounded, so that a long matrix does not keep every pair's.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int[], ConnectionSet> _sets = new(ContentComparer<int>.Instance);
    /// <summary>Decisions alike share one bitset: most groups allow the same peers as many others (none, a namespace, all).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ulong[], ulong[]> _decisions = new(ContentComparer<ulong>.Instance);
    private const int MaxSets = 1 << 16;
    [ThreadStatic]
    private static List<int>? t_content;
    /// <summary>What groups decide: one key per protocol that some rule names (and TCP, UDP, SCTP), then one per "other protocols" probe.</summary>
    private readonly List<Key> _keys = [];
    private int[,] _pairSets = new int[0, 0];
    private List<PairProtocols> _pairProtocols = [];
    private readonly int[] _peerClass;
    private readonly List<int> _classRep = [];
    private readonly List<List<int>> _classMembers = [];
    private readonly Dictionary<string, List<int>> _classesByNamespace = new(StringComparer.Ordinal);

    private readonly record struct PacketKey(byte Protocol, int Port, int? Type, int? Code);

    /// <summary>A protocol's whole range (<see cref="ConnectionSet.Domain"/>), or the probe for every protocol a pair does not name.</summary>
    private readonly record struct Key(Protocol Protocol, bool Other, int Last);

    /// <summary>The protocols a pair probes one by one (their keys), and the key of its "other protocols" probe (-1 when none is left).</summary>
    private sealed record PairProtocols(Protocol[] Explicit, int[] ExplicitKeys, int OtherKey);

    /// <summary>A group's decision of one key: pieces starting at <see cref="Firsts"/>, each with the peers it allows.</summary>
    private sealed record Pieces(int[] Firsts, ulong[][] Allowed);

    private sealed class Group(TierPlan[] plan, bool[] self, int profile)
    {
        /// <summary>The peers in the group.</summary>
        public List<int> Members { get; } = [];

        public TierPlan[] Plan { get; } = plan;
        /// <summary>Per rule of the plan in order: whether its own side (source of egress, destination of ingress) matches the group.</summary>
        public bool[] Self { get; } = self;
        public int Profile { get; } = profile;
        public int ProtocolSet { get; set; }
        /// <summary>Per key, the group's pieces and the peers the plan allows on each; and the union of them all.</summary>
        public Pieces[]? Results { get; set; }
        public ulong[]? Any { get; set; }
    }

    /// <param name="decide">Decide every group's pieces now (the matrix needs them; <see cref="ReplayRules"/> does not).</param>
    public FastMatrix(PolicyEngine engine, Peer[] peers, bool decide = true)
    {
        _engine = engine;
        _peers = peers;
        var n = peers.Length;
        _words = (n + 63) / 64;
        _all = new ulong[_words];
        for (var i = 0; i < n; i++)
        {
            _all[i >> 6] |= 1UL << i;
        }

        // Peers alike for selectors: the same identities (workload identities compared by what selectors can see).
        _peerClass = new int[n];
        var idKeys = new Dictionary<Identity, string>(ReferenceEqualityComparer.Instance as IEqualityComparer<Identity>);
        var classes = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < n; i++)
        {
            var key = string.Join("\u0001", peers[i].Identities.Select(id => idKeys.TryGetValue(id, out var k) ? k : idKeys[id] = IdentityKey(id)));
            if (!classes.TryGetValue(key, out var c))
            {
                classes[key] = c = _classRep.Count;
                _classRep.Add(i);
                _classMembers.Add([]);
                foreach (var ns in peers[i].Identities.Select(id => id.Namespace).OfType<string>().Distinct())
                {
                    if (!_classesByNamespace.TryGetValue(ns, out var list))
                    {
                        _classesByNamespace[ns] = list = [];
                    }

                    list.Add(c);
                }
            }

            _classMembers[c].Add(i);

            _peerClass[i] = c;
        }

        // Peers alike for named ports: the same container ports.
        _profile = new int[n];
        var profiles = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < n; i++)
        {
            var w = peers[i].Workload;
            var key = w is null ? "-" : "+" + string.Join(";", w.Ports.Select(p => $"{p.Name}/{p.Port}/{p.Protocol.Number}"));
            if (!profiles.TryGetValue(key, out var p))
            {
                profiles[key] = p = _profileRep.Count;
                _profileRep.Add(peers[i]);
                _profileMembers.Add([]);
                foreach (var name in w?.Ports.Select(cp => cp.Name).OfType<string>().Distinct(StringComparer.Ordinal) ?? [])
                {
                    if (!_profilesByPortName.TryGetValue(name, out var list))
                    {
                        _profilesByPortName[name] = list = [];
                    }

                    list.Add(p);
                }
            }

            _profile[i] = p;
            _profileMembers[p].Add(i);
        }

        _egressGroup = Groups(Direction.Egress, _egress);
        _ingressGroup = Groups(Direction.Ingress, _ingress);
        _complexIngress = new ulong[_words];
        _openIngress = new ulong[_words];
        for (var i = 0; i < n; i++)
        {
            switch (_ingressGroup[i])
            {
                case Complex:
                    _complexIngress[i >> 6] |= 1UL << i;
                    break;
                case Open:
                    _openIngress[i >> 6] |= 1UL << i;
                    break;
                case var h:
                    _ingress[h].Members.Add(i);
                    break;
            }

            if (_egressGroup[i] >= 0)
            {
                _egress[_egressGroup[i]].Members.Add(i);
            }
        }

        BuildKeys();

        // Every matcher's bits first (they are cached in plain dictionaries), then the groups' decisions in parallel.
        foreach (var (groups, direction) in new[] { (_egress, Direction.Egress), (_ingress, Direction.Ingress) })
        {
            foreach (var group in groups)
            {
                foreach (var rule in Rules(group.Plan, direction))
                {
                    MatcherBits(rule.Source);
                    MatcherBits(rule.Destination);
                }
            }
        }

        if (!decide)
        {
            return;
        }

        Parallel.For(0, _egress.Count + _ingress.Count, k =>
        {
            if (k < _egress.Count)
            {
                Decided(_egress[k], Direction.Egress);
            }
            else
            {
                Decided(_ingress[k - _egress.Count], Direction.Ingress);
            }
        });
    }

    /// <summary>Everything a selector, namespace selector or service account test can see of an identity.</summary>
    private static string IdentityKey(Identity id) =>
        $"{(id.IsWorkload ? "w" : "s")}\u0002{id.Namespace}\u0002{id.ServiceAccount}\u0002{Labels(id.Labels)}\u0002{Labels(id.NamespaceLabels)}\u0002{Labels(id.AccountLabels)}";

    private static string Labels(IReadOnlyDictionary<string, string> labels) =>
        string.Join("\u0003", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}\u0004{l.Value}"));

    private int[] Groups(Direction direction, List<Group> groups)
    {
        var result = new int[_peers.Length];
        var index = new Dictionary<(TierPlan[], string, int), int>();
        for (var i = 0; i < _peers.Length; i++)
        {
            var peer = _peers[i];
            if (peer.WorkloadIndex < 0 || !_engine.Compiled[peer.WorkloadIndex].Policed || _engine.Compiled[peer.WorkloadIndex].Plan(direction).Length == 0)
            {
                result[i] = Open;
                continue;
            }

            var plan = _engine.Compiled[peer.WorkloadIndex].Plan(direction);
            var self = new List<bool>();
            var complex = false;
            foreach (var rule in Rules(plan, direction))
            {
                complex |= rule.IpVersion is not null || rule.Destination.HasService;
                var own = direction == Direction.Egress ? rule.Source : rule.Destination;
                self.Add(Has(MatcherBits(own), i));
            }

            if (complex)
            {
                result[i] = Complex;
                continue;
            }

            var bits = string.Create(self.Count, self, (span, s) =>
            {
                for (var k = 0; k < s.Count; k++)
                {
                    span[k] = s[k] ? '1' : '0';
                }
            });
            var profile = direction == Direction.Ingress ? _profile[i] : -1;
            if (!index.TryGetValue((plan, bits, profile), out var g))
            {
                index[(plan, bits, profile)] = g = groups.Count;
                groups.Add(new Group(plan, self.ToArray(), profile));
            }

            result[i] = g;
        }

        return result;
    }

    private static IEnumerable<CompiledRule> Rules(TierPlan[] plan, Direction direction)
    {
        foreach (var tier in plan)
        {
            foreach (var p in tier.Policies)
            {
                foreach (var r in p.Rules(direction))
                {
                    yield return r;
                }
            }
        }
    }

    private static bool Has(ulong[] bits, int i) => (bits[i >> 6] & (1UL << i)) != 0;

    /// <summary>The peers an entity matcher's address and selector part matches (its ports aside).</summary>
    private ulong[] MatcherBits(EntityMatcher m)
    {
        if (m.IsAny)
        {
            return _all;
        }

        if (_matcherBits.TryGetValue(m, out var bits))
        {
            return bits;
        }

        // Matchers alike in what they test share their bits (every namespace's copy of a policy, say).
        var fingerprint = m.HasService ? null : Fingerprint(m);
        if (fingerprint is not null && _matcherByFingerprint.TryGetValue(fingerprint, out bits))
        {
            return _matcherBits[m] = bits;
        }

        bits = new ulong[_words];
        if (m.Nets.Length > 0 || m.NotNets.Length > 0 || m.HasService)
        {
            for (var i = 0; i < _peers.Length; i++)
            {
                if (m.MatchesPeer(_peers[i], Protocol.Tcp, null))
                {
                    bits[i >> 6] |= 1UL << i;
                }
            }
        }
        else
        {
            // A selector bound to one namespace can only match peers with an identity in it.
            IEnumerable<int> candidates = m.Positive?.NamespaceEquals is { } ns
                ? _classesByNamespace.GetValueOrDefault(ns) ?? []
                : Enumerable.Range(0, _classRep.Count);
            foreach (var c in candidates)
            {
                if (m.MatchesPeer(_peers[_classRep[c]], Protocol.Tcp, null))
                {
                    foreach (var i in _classMembers[c])
                    {
                        bits[i >> 6] |= 1UL << i;
                    }
                }
            }
        }

        if (fingerprint is not null)
        {
            _matcherByFingerprint[fingerprint] = bits;
        }

        return _matcherBits[m] = bits;
    }

    private static string Fingerprint(EntityMatcher m)
    {
        var sb = new System.Text.StringBuilder();
        if (m.Positive is { } p)
        {
            sb.Append("P\u0001").Append(p.NamespaceEquals ?? "\u0002").Append('\u0001').Append(p.NamespaceTest?.Key ?? "\u0002")
                .Append('\u0001').Append(p.RequireWorkload).Append('\u0001').Append(p.EndpointTest?.Key ?? "\u0002")
                .Append('\u0001').Append(p.AccountNames is null ? "\u0002" : string.Join("\u0003", p.AccountNames.Order(StringComparer.Ordinal)))
                .Append('\u0001').Append(p.AccountTest?.Key ?? "\u0002");
        }

        sb.Append("\u0001N\u0001").Append(m.Not?.Key ?? "\u0002");
        sb.Append("\u0001nets\u0001").Append(m.NetsOnlyOutside).Append(string.Join(",", m.Nets.Select(n => $"{n.Family}/{n.First}/{n.Last}")));
        sb.Append("\u0001notnets\u0001").Append(string.Join(",", m.NotNets.Select(n => $"{n.Family}/{n.First}/{n.Last}")));
        return sb.ToString();
    }

    /// <summary>The tests of a rule that depend on the packet alone (probes carry no source port and their IP version is never asked).</summary>
    private static bool PacketMatches(CompiledRule rule, in Packet p)
    {
        if (rule.Never)
        {
            return false;
        }

        if (rule.Protocol is { } proto && proto != p.Protocol)
        {
            return false;
        }

        if (rule.NotProtocol is { } notProto && notProto == p.Protocol)
        {
            return false;
        }

        if (rule.Icmp is { } icmp && (!p.Protocol.IsIcmp || !icmp.Matches(p.IcmpType, p.IcmpCode) || (icmp.Type is not null && p.IcmpType is null)))
        {
            return false;
        }

        if (rule.NotIcmp is { } notIcmp && p.Protocol.IsIcmp && p.IcmpType is not null && notIcmp.Matches(p.IcmpType, p.IcmpCode))
        {
            return false;
        }

        int? srcPort = p.Protocol.HasPorts ? p.SourcePort : null;
        return rule.Source.MatchesPorts(EmptyPeer, p.Protocol, srcPort);
    }

    private static readonly Peer EmptyPeer = new([], false, UInt128.Zero, AddressFamily.InterNetwork, -1);

    private static bool HasNamedPorts(EntityMatcher m) =>
        Array.Exists(m.Ports, p => p.Name is not null) || Array.Exists(m.NotPorts, p => p.Name is not null);

    private static IEnumerable<string> PortNames(EntityMatcher m) =>
        m.Ports.Concat(m.NotPorts).Select(p => p.Name).OfType<string>();

    /// <summary>The port profiles that resolve some named port of <paramref name="m"/>; every other profile resolves none.</summary>
    private IEnumerable<int> NamedProfiles(EntityMatcher m) =>
        PortNames(m).SelectMany(name => _profilesByPortName.GetValueOrDefault(name) ?? []).Distinct();

    /// <summary>
    /// For an egress rule: the destinations whose ports it matches for the packet, null for all, empty when none; and an
    /// id that tells masks apart. Only the profiles that have one of the rule's port names can differ from the others.
    /// </summary>
    private (ulong[]? Mask, int Id) PortMask(CompiledRule rule, in Packet p)
    {
        int? dstPort = p.Protocol.HasPorts ? p.Port : null;
        var unnamed = rule.Destination.MatchesPorts(EmptyPeer, p.Protocol, dstPort);
        if (!HasNamedPorts(rule.Destination))
        {
            return unnamed ? (null, 1) : ([], 0);
        }

        var key = (rule, KeyOf(p));
        if (_portMasks.TryGetValue(key, out var known))
        {
            return known;
        }

        ulong[]? mask = null;
        foreach (var profile in NamedProfiles(rule.Destination))
        {
            if (rule.Destination.MatchesPorts(_profileRep[profile], p.Protocol, dstPort) == unnamed)
            {
                continue;
            }

            mask ??= unnamed ? (ulong[])_all.Clone() : new ulong[_words];
            foreach (var i in _profileMembers[profile])
            {
                mask[i >> 6] ^= 1UL << i;
            }
        }

        (ulong[]? Mask, int Id) result = unnamed ? (null, 1) : ([], 0);
        if (mask is not null)
        {
            result = (mask, Interlocked.Increment(ref _maskIds) + 1);
        }

        return _portMasks.GetOrAdd(key, result);
    }

    private static void Or(ulong[] a, ulong[] b)
    {
        for (var i = 0; i < a.Length; i++)
        {
            a[i] |= b[i];
        }
    }

    private static PacketKey KeyOf(in Packet p) => new(p.Protocol.Number, p.Port, p.IcmpType, p.IcmpCode);

    /// <summary>Scratch bitsets of one plan walk, reused from walk to walk by one thread.</summary>
    private sealed class WalkState(int words)
    {
        /// <summary>Peers no rule has decided yet.</summary>
        public ulong[] Undecided { get; } = new ulong[words];
        /// <summary>Peers passed on by a rule of the current tier.</summary>
        public ulong[] Passed { get; } = new ulong[words];
        /// <summary>The peers the current rule matches.</summary>
        public ulong[] Hits { get; } = new ulong[words];
        /// <summary>The current rule's hits still undecided and not passed: what it decides.</summary>
        public ulong[] Open { get; } = new ulong[words];
    }

    /// <summary>
    /// Walks the group's plan for a packet as <see cref="PolicyEngine.Evaluate"/> does, for every peer at once: tiers in
    /// order, each matching rule deciding (Allow, Deny) or passing on (Pass) the peers still open to it, and a tier that
    /// does not pass by default denying what nothing decided. <paramref name="onRule"/> sees each rule that matches some
    /// peer, with <paramref name="state"/>'s Hits and Open set for it (its action already applied to Undecided and Passed).
    /// Afterwards Undecided holds the peers no tier decided, which the profiles allow.
    /// </summary>
    private void Walk(Group group, Direction direction, Packet packet, WalkState state, Action<CompiledRule, int> onRule)
    {
        var (undecided, passed, hits, open) = (state.Undecided, state.Passed, state.Hits, state.Open);
        Array.Copy(_all, undecided, _words);
        var k = 0;
        foreach (var tier in group.Plan)
        {
            Array.Clear(passed);
            foreach (var policy in tier.Policies)
            {
                foreach (var rule in policy.Rules(direction))
                {
                    var index = k++;
                    if (!RulePeers(group, direction, rule, index, packet, out var peers, out var mask))
                    {
                        continue;
                    }

                    var decides = rule.Action is RuleAction.Allow or RuleAction.Deny;
                    var passes = rule.Action == RuleAction.Pass;
                    for (var i = 0; i < _words; i++)
                    {
                        var h = mask is null ? peers[i] : peers[i] & mask[i];
                        var o = h & undecided[i] & ~passed[i];
                        hits[i] = h;
                        open[i] = o;
                        if (decides)
                        {
                            undecided[i] &= ~o;
                        }
                        else if (passes)
                        {
                            passed[i] |= o;
                        }
                    }

                    onRule(rule, index);
                }
            }

            if (tier.Tier.DefaultAction != TierDefaultAction.Pass)
            {
                for (var i = 0; i < _words; i++)
                {
                    undecided[i] &= passed[i];
                }
            }
        }
    }

    /// <summary>The peers the group's direction allows for a packet: destinations for egress, sources for ingress.</summary>
    private ulong[] Decide(Group group, Direction direction, Packet packet, WalkState state)
    {
        var allowed = new ulong[_words];
        Walk(group, direction, packet, state, (rule, _) =>
        {
            if (rule.Action == RuleAction.Allow)
            {
                Or(allowed, state.Open);
            }
        });
        Or(allowed, state.Undecided);
        return allowed;
    }

    /// <summary>The peers whose plan in <paramref name="direction"/> is replayed by probing, not by <see cref="ReplayRules"/>.</summary>
    public IEnumerable<int> ProbedPeers(Direction direction)
    {
        var groups = direction == Direction.Egress ? _egressGroup : _ingressGroup;
        for (var i = 0; i < groups.Length; i++)
        {
            if (groups[i] == Complex)
            {
                yield return i;
            }
        }
    }

    /// <summary>
    /// For the shadowed-rule analysis: every group's plan in <paramref name="direction"/> walked for every piece of its own (<see cref="Probes"/>) as
    /// <see cref="Decide"/> walks it, reporting each rule that matches some pair of a group member and a peer (itself
    /// aside when self traffic is allowed): whether it matched one still undecided and not passed in its tier, and,
    /// on demand, what decided first a pair that it matched too late. Groups of <see cref="ProbedPeers"/> are not walked.
    /// </summary>
    /// <remarks><paramref name="matched"/> must call the blocker function before it returns, if at all.</remarks>
    public void ReplayRules(Direction direction, Action<CompiledRule, bool, Func<string?>> matched)
    {
        var state = new WalkState(_words);
        var late = new ulong[_words];
        foreach (var group in direction == Direction.Egress ? _egress : _ingress)
        {
            // A group of one pod cannot pair with itself when self traffic is allowed.
            var alone = _engine.Options.AllowSelfTraffic && group.Members.Count == 1 ? group.Members[0] : -1;
            bool AnyPair(ulong[] bits) => bits.AsSpan().ContainsAnyExcept(0UL) && (alone < 0 || FirstBit(bits, except: alone) >= 0);

            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var packet in Enumerable.Range(0, _keys.Count).SelectMany(k => Probes(group, direction, k)).Select(p => p.Packet))
            {
                if (!seen.Add(Signature(group, direction, packet, withLog: true)))
                {
                    continue;
                }

                Walk(group, direction, packet, state, (rule, index) =>
                {
                    if (!AnyPair(state.Hits))
                    {
                        return;
                    }

                    matched(rule, AnyPair(state.Open), () =>
                    {
                        for (var i = 0; i < _words; i++)
                        {
                            late[i] = state.Hits[i] & ~state.Open[i];
                        }

                        var peer = FirstBit(late, except: alone);
                        return peer < 0 ? null : FirstDecider(group, direction, packet, peer, index);
                    });
                });
            }
        }
    }

    /// <summary>
    /// The peers rule number <paramref name="index"/> of the group's plan matches for a packet: those of
    /// <paramref name="peers"/> that <paramref name="mask"/> (when not null) also holds. False when it matches none.
    /// </summary>
    private bool RulePeers(Group group, Direction direction, CompiledRule rule, int index, in Packet packet, out ulong[] peers, out ulong[]? mask)
    {
        peers = _all;
        mask = null;
        if (!group.Self[index] || !PacketMatches(rule, packet))
        {
            return false;
        }

        if (direction == Direction.Egress)
        {
            mask = PortMask(rule, packet).Mask;
            peers = MatcherBits(rule.Destination);
            return mask is not { Length: 0 };
        }

        int? dstPort = packet.Protocol.HasPorts ? packet.Port : null;
        peers = MatcherBits(rule.Source);
        return rule.Destination.MatchesPorts(_profileRep[group.Profile], packet.Protocol, dstPort);
    }

    /// <summary>What decided a packet for one peer before rule number <paramref name="before"/>: a rule, a Pass, or a tier's end.</summary>
    private string? FirstDecider(Group group, Direction direction, in Packet packet, int peer, int before)
    {
        var k = 0;
        foreach (var tier in group.Plan)
        {
            string? passedBy = null;
            foreach (var policy in tier.Policies)
            {
                foreach (var rule in policy.Rules(direction))
                {
                    var index = k++;
                    if (index == before)
                    {
                        return passedBy;
                    }

                    if (passedBy is not null || rule.Action == RuleAction.Log || !RulePeers(group, direction, rule, index, packet, out var peers, out var mask)
                        || !Has(peers, peer) || (mask is not null && !Has(mask, peer)))
                    {
                        continue;
                    }

                    if (rule.Action is RuleAction.Allow or RuleAction.Deny)
                    {
                        return rule.Ref.ToString();
                    }

                    passedBy = rule.Ref.ToString();
                }
            }

            if (passedBy is null && tier.Tier.DefaultAction == TierDefaultAction.Deny)
            {
                return $"the end of tier {tier.Tier.Name} (deny)";
            }
        }

        return null;
    }

    /// <summary>The lowest set bit, other than <paramref name="except"/>; -1 when there is none.</summary>
    private static int FirstBit(ulong[] bits, int except = -1)
    {
        for (var i = 0; i < bits.Length; i++)
        {
            var word = bits[i];
            if (except >> 6 == i && except >= 0)
            {
                word &= ~(1UL << except);
            }

            if (word != 0)
            {
                return (i << 6) + System.Numerics.BitOperations.TrailingZeroCount(word);
            }
        }

        return -1;
    }

    /// <summary>What <see cref="ConnectionProbe.Connections"/> gives for peers <paramref name="i"/> to <paramref name="j"/>.</summary>
    public ConnectionSet Between(int i, int j)
    {
        if (!_engine.Options.Enforcing || (_engine.Options.AllowSelfTraffic && PolicyEngine.IsSelf(_peers[i], _peers[j])))
        {
            return ConnectionSet.All;
        }

        var g = _egressGroup[i];
        var h = _ingressGroup[j];
        if (g == Complex || h == Complex)
        {
            return ConnectionProbe.Connections(_engine, _peers[i], _peers[j]);
        }

        if (g == Open && h == Open)
        {
            return ConnectionSet.All;
        }

        Pieces[]? eg = null;
        Pieces[]? ing = null;
        if (g >= 0)
        {
            var group = Decided(_egress[g], Direction.Egress);
            if (!Has(group.Any!, j))
            {
                return ConnectionSet.None;
            }

            eg = group.Results!;
        }

        if (h >= 0)
        {
            var group = Decided(_ingress[h], Direction.Ingress);
            if (!Has(group.Any!, i))
            {
                return ConnectionSet.None;
            }

            ing = group.Results!;
        }

        // The pair's ranges per protocol and its "other protocols" bit, written flat: the key of the sets already made.
        var pairId = _pairSets[g >= 0 ? _egress[g].ProtocolSet : 0, h >= 0 ? _ingress[h].ProtocolSet : 0];
        var pair = _pairProtocols[pairId];
        var content = t_content ??= new List<int>(64);
        content.Clear();
        content.Add(pairId);
        var some = false;
        for (var p = 0; p < pair.Explicit.Length; p++)
        {
            var k = pair.ExplicitKeys[p];
            var at = content.Count;
            content.Add(0);
            Merge(eg?[k], j, ing?[k], i, _keys[k].Last, content);
            content[at] = (content.Count - at - 1) / 2;
            some |= content[at] > 0;
        }

        var others = pair.OtherKey >= 0
            && (eg is null || Has(eg[pair.OtherKey].Allowed[0], j))
            && (ing is null || Has(ing[pair.OtherKey].Allowed[0], i));
        if (!some && !others)
        {
            return ConnectionSet.None;
        }

        content.Add(others ? 1 : 0);
        var key = content.ToArray();
        if (_sets.TryGetValue(key, out var set))
        {
            return set;
        }

        set = Assemble(pair, key);
        if (_sets.Count < MaxSets)
        {
            _sets.TryAdd(key, set);
        }

        return set;
    }

    /// <summary>The set of a pair's flat ranges (<see cref="Between"/>).</summary>
    private static ConnectionSet Assemble(PairProtocols pair, int[] content)
    {
        var allowed = new (Protocol, IntervalSet)[pair.Explicit.Length];
        var at = 1;
        for (var p = 0; p < allowed.Length; p++)
        {
            var ranges = new (int First, int Last)[content[at++]];
            for (var r = 0; r < ranges.Length; r++, at += 2)
            {
                ranges[r] = (content[at], content[at + 1]);
            }

            allowed[p] = (pair.Explicit[p], IntervalSet.FromRanges(ranges));
        }

        return ConnectionSet.Create(allowed, content[at] == 1);
    }

    /// <summary>
    /// Appends the ranges of one protocol that both sides allow, as first and last: the egress pieces for destination
    /// <paramref name="j"/> cut with the ingress pieces for source <paramref name="i"/> (a side without policy allows all).
    /// </summary>
    private static void Merge(Pieces? egress, int j, Pieces? ingress, int i, int last, List<int> into)
    {
        var start = into.Count;
        int a = 0, b = 0;
        var first = egress?.Firsts[0] ?? ingress!.Firsts[0];
        while (true)
        {
            var nextA = egress is not null && a + 1 < egress.Firsts.Length ? egress.Firsts[a + 1] : int.MaxValue;
            var nextB = ingress is not null && b + 1 < ingress.Firsts.Length ? ingress.Firsts[b + 1] : int.MaxValue;
            var next = Math.Min(nextA, nextB);
            if ((egress is null || Has(egress.Allowed[a], j)) && (ingress is null || Has(ingress.Allowed[b], i)))
            {
                var end = next == int.MaxValue ? last : next - 1;
                if (into.Count > start && into[^1] + 1 == first)
                {
                    into[^1] = end;
                }
                else
                {
                    into.Add(first);
                    into.Add(end);
                }
            }

            if (next == int.MaxValue)
            {
                return;
            }

            a += nextA == next ? 1 : 0;
            b += nextB == next ? 1 : 0;
            first = next;
        }
    }

    /// <summary>Arrays compared by content.</summary>
    private sealed class ContentComparer<T> : IEqualityComparer<T[]>
        where T : unmanaged, IEquatable<T>
    {
        public static readonly ContentComparer<T> Instance = new();

        public bool Equals(T[]? x, T[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(T[] content)
        {
            var hash = new HashCode();
            hash.AddBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(content.AsSpan()));
            return hash.ToHashCode();
        }
    }

    /// <summary>
    /// Row <paramref name="i"/> of the workload matrix: the peers among the first <paramref name="count"/> (itself aside)
    /// that <paramref name="i"/> may reach, with what it may send them. Only destinations that some probe lets out of
    /// <paramref name="i"/> and whose ingress some probe lets <paramref name="i"/> into (<see cref="Admitting"/>) are
    /// assembled, and those decided by probing; every other pair gets nothing, as probing finds.
    /// </summary>
    public void Row(int i, int count, List<(int Column, ConnectionSet Connections)> into)
    {
        into.Clear();
        var g = _egressGroup[i];
        if (g == Complex || !_engine.Options.Enforcing)
        {
            for (var j = 0; j < count; j++)
            {
                Add(j);
            }

            return;
        }

        var any = g >= 0 ? _egress[g].Any! : null;
        var admitting = Admitting(i);
        for (var w = 0; w < _words && w << 6 < count; w++)
        {
            var word = (admitting[w] & (any is null ? ~0UL : any[w])) | _complexIngress[w];
            while (word != 0)
            {
                var j = (w << 6) + System.Numerics.BitOperations.TrailingZeroCount(word);
                word &= word - 1;
                if (j >= count)
                {
                    break;
                }

                Add(j);
            }
        }

        void Add(int j)
        {
            if (j != i && Between(i, j) is { IsEmpty: false } set)
            {
                into.Add((j, set));
            }
        }
    }

    /// <summary>
    /// The peers whose ingress lets some probe in from <paramref name="i"/>: open ones, and the members of every ingress
    /// group that lets <paramref name="i"/> in on some piece.
    /// </summary>
    private ulong[] Admitting(int i)
    {
        var admitting = (ulong[])_openIngress.Clone();
        foreach (var group in _ingress)
        {
            if (Has(group.Any!, i))
            {
                foreach (var m in group.Members)
                {
                    admitting[m >> 6] |= 1UL << m;
                }
            }
        }

        return admitting;
    }

    private ulong[] Shared(ulong[] bits) => _decisions.GetOrAdd(bits, bits);

    [ThreadStatic]
    private static WalkState? t_state;

    private Group Decided(Group group, Direction direction)
    {
        if (group.Results is null)
        {
            var results = new Pieces[_keys.Count];
            var any = new ulong[_words];
            var bySignature = new Dictionary<string, ulong[]>(StringComparer.Ordinal);
            var state = t_state is { } reused && reused.Undecided.Length == _words ? reused : t_state = new WalkState(_words);
            for (var k = 0; k < results.Length; k++)
            {
                var probes = Probes(group, direction, k);
                var firsts = new int[probes.Count];
                var allowed = new ulong[probes.Count][];
                for (var p = 0; p < probes.Count; p++)
                {
                    var packet = probes[p].Packet;
                    var signature = Signature(group, direction, packet);
                    if (!bySignature.TryGetValue(signature, out var r))
                    {
                        bySignature[signature] = r = Shared(Decide(group, direction, packet, state));
                        Or(any, r);
                    }

                    firsts[p] = probes[p].First;
                    allowed[p] = r;
                }

                results[k] = new Pieces(firsts, allowed);
            }

            group.Any = Shared(any);
            group.Results = results;
        }

        return group;
    }

    /// <summary>
    /// The group's pieces of key <paramref name="k"/>: its protocol's range cut at the ports (or ICMP types) that the
    /// group's own rules name, named ports resolved on the group's profile (ingress) or on every profile with the name
    /// (egress; the empty peer cuts at the numbered ports alone); or the one probe of "other protocols".
    /// </summary>
    private List<ConnectionProbe.Probe> Probes(Group group, Direction direction, int k)
    {
        var key = _keys[k];
        if (key.Other)
        {
            return [new ConnectionProbe.Probe(new Packet(key.Protocol, 0, null, null, null, 4), 0, 0, true)];
        }

        var rules = Rules(group.Plan, direction).ToList();
        IReadOnlyList<Peer> destinations = direction == Direction.Ingress
            ? [_profileRep[group.Profile]]
            : [EmptyPeer, .. rules.SelectMany(r => NamedProfiles(r.Destination)).Distinct().Select(p => _profileRep[p])];
        return ConnectionProbe.Pieces(rules, [key.Protocol.Number], destinations, 4).ToList();
    }

    /// <summary>
    /// How the group's rules see a packet: packets alike here get the same decision. Log rules decide nothing and are
    /// left out unless <paramref name="withLog"/> (the rule replay reports them too).
    /// </summary>
    private string Signature(Group group, Direction direction, in Packet packet, bool withLog = false)
    {
        var sb = new System.Text.StringBuilder();
        var k = 0;
        int? dstPort = packet.Protocol.HasPorts ? packet.Port : null;
        foreach (var tier in group.Plan)
        {
            foreach (var policy in tier.Policies)
            {
                foreach (var rule in policy.Rules(direction))
                {
                    if (!group.Self[k++] || (rule.Action == RuleAction.Log && !withLog) || !PacketMatches(rule, packet))
                    {
                        sb.Append('0');
                    }
                    else if (direction == Direction.Ingress)
                    {
                        sb.Append(rule.Destination.MatchesPorts(_profileRep[group.Profile], packet.Protocol, dstPort) ? '1' : '0');
                    }
                    else
                    {
                        sb.Append('[').Append(PortMask(rule, packet).Id).Append(']');
                    }
                }
            }
        }

        return sb.ToString();
    }

    /// <summary>
    /// The keys: every protocol that some rule names (and TCP, UDP, SCTP), then one "other protocols" probe per protocol
    /// that some pair probes as its other (a pair probes the protocols its rules name, and one other for the rest).
    /// </summary>
    private void BuildKeys()
    {
        var rules = _engine.Policies.SelectMany(p => p.Ingress.Concat(p.Egress)).ToList();
        var keyOf = new Dictionary<byte, int>();
        foreach (var number in ConnectionProbe.NamedProtocols(rules))
        {
            var protocol = new Protocol(number);
            keyOf[number] = _keys.Count;
            _keys.Add(new Key(protocol, false, ConnectionSet.Domain(protocol).Ranges[0].Last));
        }

        // The protocol sets of plans, and of pairs.
        var setIds = new Dictionary<string, int>(StringComparer.Ordinal);
        var setList = new List<SortedSet<byte>>();
        int SetOf(SortedSet<byte> set)
        {
            var key = string.Join(",", set);
            if (!setIds.TryGetValue(key, out var id))
            {
                setIds[key] = id = setList.Count;
                setList.Add(set);
            }

            return id;
        }

        SetOf(ConnectionProbe.NamedProtocols([]));
        foreach (var (groups, direction) in new[] { (_egress, Direction.Egress), (_ingress, Direction.Ingress) })
        {
            foreach (var group in groups)
            {
                group.ProtocolSet = SetOf(ConnectionProbe.NamedProtocols(Rules(group.Plan, direction)));
            }
        }

        var planSets = setList.Count;
        _pairSets = new int[planSets, planSets];
        var pairSets = new List<PairProtocols>();
        var pairIds = new Dictionary<string, int>(StringComparer.Ordinal);
        var others = new Dictionary<byte, int>();
        for (var a = 0; a < planSets; a++)
        {
            for (var b = 0; b < planSets; b++)
            {
                var union = new SortedSet<byte>(setList[a]);
                union.UnionWith(setList[b]);
                var key = string.Join(",", union);
                if (!pairIds.TryGetValue(key, out var id))
                {
                    pairIds[key] = id = pairSets.Count;
                    var otherKey = -1;
                    if (ConnectionProbe.Other(union, 4) is { } other && !others.TryGetValue(other.Packet.Protocol.Number, out otherKey))
                    {
                        others[other.Packet.Protocol.Number] = otherKey = _keys.Count;
                        _keys.Add(new Key(other.Packet.Protocol, true, 0));
                    }

                    pairSets.Add(new PairProtocols(union.Select(n => new Protocol(n)).ToArray(), union.Select(n => keyOf[n]).ToArray(), otherKey));
                }

                _pairSets[a, b] = id;
            }
        }

        _pairProtocols = pairSets;
    }
}
