using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Trellis.Core.Addressing;
using Trellis.Policy.Calico;
using Trellis.Policy.Manifests;

namespace Trellis.Policy.Evaluation;

/// <summary>
/// Answers whether a flow is allowed, and why, for one cluster's policies. <see cref="Compile"/> does the work once:
/// every policy in Calico's form and order, and for every workload the tiers and policies that apply to it per
/// direction. <see cref="Check"/> then walks only those lists. Thread-safe after compilation.
/// </summary>
public sealed class PolicyEngine
{
    private readonly CompiledEndpoint[] _endpoints;
    private readonly Dictionary<string, int> _byId;
    private readonly Dictionary<IPAddress, int> _byAddress;
    private readonly (Net Net, Identity Identity)[] _setNets;
    private readonly ConcurrentDictionary<IPAddress, Peer> _outside = new();
    private readonly Peer _unknown = new([], false, UInt128.Zero, AddressFamily.InterNetwork, -1);

    private PolicyEngine(PolicySet set, PolicyOptions options)
    {
        Set = set;
        Options = options;
        Policies = PolicyCompiler.Compile(set, options);
        var namespaces = set.Namespaces.ToDictionary(n => n.Name, StringComparer.Ordinal);
        var accounts = set.ServiceAccounts.GroupBy(a => $"{a.Namespace}/{a.Name}", StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        _setNets = set.NetworkSets
            .SelectMany(s => s.Nets.Select(n => (Net.Of(n), Identity.ForNetworkSet(s, s.Namespace is null ? null : namespaces.GetValueOrDefault(s.Namespace)))))
            .ToArray();
        _byId = new Dictionary<string, int>(StringComparer.Ordinal);
        _byAddress = [];
        _endpoints = new CompiledEndpoint[set.Workloads.Count];
        for (var i = 0; i < set.Workloads.Count; i++)
        {
            var w = set.Workloads[i];
            var identity = Identity.ForWorkload(w, namespaces.GetValueOrDefault(w.Namespace), accounts.GetValueOrDefault($"{w.Namespace}/{w.ServiceAccount}"));
            var policed = options.Polices(w);
            _endpoints[i] = new CompiledEndpoint(w, identity, PeerAt(w.Address, policed ? identity : null, i, w), policed);
            _byId[w.Id] = i;
            _byId.TryAdd($"{w.Namespace}/{w.Name}", i);
            foreach (var a in w.Addresses)
            {
                _byAddress.TryAdd(a, i);
            }
        }

        BuildPlans();
        Endpoints = _endpoints.Select(e => Evaluation.Endpoint.Of(e.Workload)).ToList();
    }

    public PolicySet Set { get; }
    public PolicyOptions Options { get; }

    /// <summary>Every workload as an endpoint, in the set's order.</summary>
    public IReadOnlyList<Endpoint> Endpoints { get; }

    internal List<CompiledPolicy> Policies { get; }

    /// <summary>Every policy in Calico's evaluation order: tiers by order then name, policies by order then name.</summary>
    public IReadOnlyList<PolicyRef> OrderedPolicies => Policies.Select(p => p.Ref).ToList();

    internal IReadOnlyList<CompiledEndpoint> Compiled => _endpoints;

    /// <summary>Every net of every network set with the set's identity (the lab's nftables compiler resolves selectors over them).</summary>
    internal IReadOnlyList<(Net Net, Identity Identity)> SetNets => _setNets;

    /// <summary>The index of a workload in <see cref="Compiled"/>, by its id; -1 when there is none.</summary>
    internal int IndexOf(Workload workload) => _byId.TryGetValue(workload.Id, out var i) ? i : -1;

    public static PolicyEngine Compile(PolicySet set, PolicyOptions? options = null) => new(set, options ?? PolicyOptions.Calico);

    /// <summary>A workload's endpoint by <c>namespace/name[Kind]</c> or <c>namespace/name</c>; null when there is none.</summary>
    public Endpoint? FindEndpoint(string id) => _byId.TryGetValue(id, out var i) ? Endpoints[i] : null;

    /// <summary>The tiers and policies that apply to a workload in one direction, in evaluation order.</summary>
    public IReadOnlyList<(string Tier, IReadOnlyList<PolicyRef> Policies)> PoliciesFor(Endpoint endpoint, Direction direction)
    {
        if (endpoint.Workload is null || !_byId.TryGetValue(endpoint.Workload.Id, out var i))
        {
            return [];
        }

        return _endpoints[i].Plan(direction).Select(t => (t.Tier.Name, (IReadOnlyList<PolicyRef>)t.Policies.Select(p => p.Ref).ToList())).ToList();
    }

    /// <summary>The workloads a policy selects.</summary>
    public IReadOnlyList<Workload> SelectedBy(PolicyRef policy)
    {
        var compiled = Policies.FirstOrDefault(p => p.Ref == policy);
        return compiled is null ? [] : Selected(compiled).Select(i => _endpoints[i].Workload).ToList();
    }

    private Dictionary<CompiledPolicy, List<int>>? _selected;

    /// <summary>Indexes of the workloads a policy selects, read off the plans (a policy governs at least one direction).</summary>
    internal IReadOnlyList<int> Selected(CompiledPolicy policy)
    {
        var map = _selected;
        if (map is null)
        {
            map = new Dictionary<CompiledPolicy, List<int>>(ReferenceEqualityComparer.Instance as IEqualityComparer<CompiledPolicy>);
            for (var i = 0; i < _endpoints.Length; i++)
            {
                foreach (var p in _endpoints[i].Ingress.SelectMany(t => t.Policies).Concat(_endpoints[i].Egress.SelectMany(t => t.Policies)).Distinct())
                {
                    if (!map.TryGetValue(p, out var list))
                    {
                        map[p] = list = [];
                    }

                    list.Add(i);
                }
            }

            _selected = map;
        }

        return map.TryGetValue(policy, out var indexes) ? indexes : [];
    }

    public Verdict Check(Flow flow)
    {
        var src = Resolve(flow.Source);
        var dst = Resolve(flow.Destination);
        var srcName = flow.Source.Name;
        var dstName = flow.Destination.Name;
        if (!Options.Enforcing)
        {
            return new Verdict(flow, new DirectionVerdict(Direction.Egress, srcName, Decision.NotEnforced), new DirectionVerdict(Direction.Ingress, dstName, Decision.NotEnforced))
            {
                Enforced = false,
                Note = $"the cluster's network plugin ({Options.Plugin}) enforces no network policy",
            };
        }

        if (Options.AllowSelfTraffic && IsSelf(src, dst))
        {
            return new Verdict(flow, new DirectionVerdict(Direction.Egress, srcName, Decision.SelfTraffic), new DirectionVerdict(Direction.Ingress, dstName, Decision.SelfTraffic));
        }

        var packet = PacketOf(flow, src, dst);
        var egress = Explain(Direction.Egress, srcName, src, src, dst, packet);
        var ingress = Explain(Direction.Ingress, dstName, dst, src, dst, packet);
        return new Verdict(flow, egress, ingress);
    }

    /// <summary>
    /// A connection to a Service: policy sees the packet after DNAT, so this is one verdict per backing workload, on the
    /// target port that the service port resolves to on that workload (a named targetPort resolves per workload).
    /// </summary>
    public IReadOnlyList<Verdict> CheckService(Endpoint source, ServiceInfo service, int port, Protocol? protocol = null)
    {
        var verdicts = new List<Verdict>();
        foreach (var sp in service.Ports)
        {
            if (sp.Port != port || (protocol is { } p && sp.Protocol != p))
            {
                continue;
            }

            for (var i = 0; i < _endpoints.Length; i++)
            {
                var e = _endpoints[i];
                if (!service.Selects(e.Workload))
                {
                    continue;
                }

                int? target = int.TryParse(sp.TargetPort, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n
                    : e.Workload.Ports.FirstOrDefault(c => c.Name == sp.TargetPort && c.Protocol == sp.Protocol)?.Port;
                if (target is { } t)
                {
                    verdicts.Add(Check(new Flow(source, Endpoints[i], sp.Protocol, t)));
                }
            }
        }

        return verdicts;
    }

    /// <summary>The hot path of the matrix: allowed or not, without explanations.</summary>
    internal bool IsAllowed(Peer src, Peer dst, in Packet packet)
    {
        if (!Options.Enforcing || (Options.AllowSelfTraffic && IsSelf(src, dst)))
        {
            return true;
        }

        return Allowed(Evaluate(Direction.Egress, src, src, dst, packet, null).Decision)
            && Allowed(Evaluate(Direction.Ingress, dst, src, dst, packet, null).Decision);
    }

    /// <summary>The same pod: the same workload at the same address (two replicas of a workload are two pods).</summary>
    internal static bool IsSelf(Peer src, Peer dst) =>
        src.WorkloadIndex >= 0 && src.WorkloadIndex == dst.WorkloadIndex && src.HasAddress == dst.HasAddress && src.Address == dst.Address;

    private static bool Allowed(Decision d) => d is not (Decision.RuleDenied or Decision.EndOfTier);

    private DirectionVerdict Explain(Direction direction, string name, Peer self, Peer src, Peer dst, in Packet packet)
    {
        var logs = new List<RuleRef>(0);
        var passed = new List<string>(0);
        var o = Evaluate(direction, self, src, dst, packet, logs, passed);
        return new DirectionVerdict(direction, name, o.Decision)
        {
            Tier = o.Tier?.Tier.Name,
            Policy = o.Rule?.Ref.Policy,
            Rule = o.Rule?.Ref,
            TierPolicies = o.Decision == Decision.EndOfTier ? Refs(o.Tier!.Policies) : [],
            Logged = logs,
            PassedTiers = passed,
        };
    }

    private static PolicyRef[] Refs(CompiledPolicy[] policies)
    {
        var refs = new PolicyRef[policies.Length];
        for (var i = 0; i < policies.Length; i++)
        {
            refs[i] = policies[i].Ref;
        }

        return refs;
    }

    internal readonly record struct Outcome(Decision Decision, TierPlan? Tier, CompiledRule? Rule);

    /// <summary>
    /// One direction on one endpoint (felix/rules/endpoints.go): tiers in order, each skipped when no policy of it applies;
    /// in a tier the policies in order and their rules in order — Allow and Deny are final, Pass leaves the tier, Log goes
    /// on; a tier that neither allowed nor passed drops the packet unless its defaultAction is Pass. After the last tier,
    /// the namespace profile allows.
    /// </summary>
    internal Outcome Evaluate(Direction direction, Peer self, Peer src, Peer dst, in Packet packet, List<RuleRef>? logs, List<string>? passed = null)
    {
        if (self.WorkloadIndex < 0 || !_endpoints[self.WorkloadIndex].Policed)
        {
            return new Outcome(Decision.NotPoliced, null, null);
        }

        var plan = _endpoints[self.WorkloadIndex].Plan(direction);
        if (plan.Length == 0)
        {
            return new Outcome(Decision.NoPolicy, null, null);
        }

        for (var t = 0; t < plan.Length; t++)
        {
            var tier = plan[t];
            var passedTier = false;
            var policies = tier.Policies;
            for (var p = 0; p < policies.Length && !passedTier; p++)
            {
                var rules = policies[p].Rules(direction);
                for (var r = 0; r < rules.Length; r++)
                {
                    var rule = rules[r];
                    if (!rule.Matches(src, dst, packet))
                    {
                        continue;
                    }

                    if (rule.Action == RuleAction.Allow)
                    {
                        return new Outcome(Decision.RuleAllowed, tier, rule);
                    }

                    if (rule.Action == RuleAction.Deny)
                    {
                        return new Outcome(Decision.RuleDenied, tier, rule);
                    }

                    if (rule.Action == RuleAction.Pass)
                    {
                        passedTier = true;
                        break;
                    }

                    logs?.Add(rule.Ref);
                }
            }

            if (!passedTier && tier.Tier.DefaultAction != TierDefaultAction.Pass)
            {
                return new Outcome(Decision.EndOfTier, tier, null);
            }

            passed?.Add(tier.Tier.Name);
        }

        return new Outcome(Decision.ProfileAllowed, null, null);
    }

    internal Packet PacketOf(Flow flow, Peer src, Peer dst)
    {
        var family = src.HasAddress ? src.Family : dst.HasAddress ? dst.Family : AddressFamily.InterNetwork;
        return new Packet(flow.Protocol, flow.Port, flow.SourcePort, flow.IcmpType, flow.IcmpCode, family == AddressFamily.InterNetworkV6 ? 6 : 4);
    }

    internal Peer Resolve(Endpoint endpoint)
    {
        if (endpoint.Workload is { } w)
        {
            if (!_byId.TryGetValue(w.Id, out var i))
            {
                throw new ArgumentException($"Workload {w.Id} is not part of the compiled policy set.", nameof(endpoint));
            }

            var e = _endpoints[i];
            return endpoint.Address is null || endpoint.Address.Equals(w.Address) ? e.Peer : PeerAt(endpoint.Address, e.Policed ? e.Identity : null, i, e.Workload);
        }

        return endpoint.Address is null ? _unknown : PeerFor(endpoint.Address);
    }

    /// <summary>An address: the workload that holds it, or an outside address with the network sets that contain it.</summary>
    internal Peer PeerFor(IPAddress address)
    {
        if (!_byAddress.TryGetValue(address, out var i))
        {
            return _outside.GetOrAdd(address, a => PeerAt(a, null, -1));
        }

        var e = _endpoints[i];
        return address.Equals(e.Workload.Address) ? e.Peer : _outside.GetOrAdd(address, a => PeerAt(a, e.Policed ? e.Identity : null, i, e.Workload));
    }

    internal Peer WorkloadPeer(int index) => _endpoints[index].Peer;

    private Peer PeerAt(IPAddress? address, Identity? workload, int index, Workload? owner = null)
    {
        var ids = new List<Identity>();
        if (workload is not null)
        {
            ids.Add(workload);
        }

        if (address is null)
        {
            return new Peer(ids.ToArray(), false, UInt128.Zero, AddressFamily.InterNetwork, index, owner);
        }

        var number = IpNumber.ToNumber(address);
        var probe = new Peer([], true, number, address.AddressFamily, index);
        foreach (var (net, identity) in _setNets)
        {
            if (net.Contains(probe) && !ids.Contains(identity))
            {
                ids.Add(identity);
            }
        }

        return new Peer(ids.ToArray(), true, number, address.AddressFamily, index, owner);
    }

    /// <summary>For every workload, the policies that select it per direction, grouped by tier in Calico's order.</summary>
    private void BuildPlans()
    {
        // Workloads with equal namespace, labels and service account are selected alike: decide once per such class.
        var classes = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < _endpoints.Length; i++)
        {
            if (_endpoints[i].Policed)
            {
                var key = ClassKey(_endpoints[i].Workload);
                if (!classes.TryGetValue(key, out var members))
                {
                    classes[key] = members = [];
                }

                members.Add(i);
            }
        }

        // A namespaced policy can only select endpoints of its namespace: test each class against its namespace's
        // policies and the global ones, kept in Calico's order.
        var candidates = new Dictionary<string, List<CompiledPolicy>>(StringComparer.Ordinal);
        List<CompiledPolicy> CandidatesFor(string ns)
        {
            if (!candidates.TryGetValue(ns, out var list))
            {
                candidates[ns] = list = Policies.Where(p => p.Ref.Namespace is null || p.Ref.Namespace == ns).ToList();
            }

            return list;
        }

        var ingress = new List<CompiledPolicy>[_endpoints.Length];
        var egress = new List<CompiledPolicy>[_endpoints.Length];
        foreach (var members in classes.Values)
        {
            var first = _endpoints[members[0]];
            var selecting = new List<CompiledPolicy>();
            foreach (var p in CandidatesFor(first.Workload.Namespace))
            {
                if (p.Selects(first.Identity))
                {
                    selecting.Add(p);
                }
            }

            var inList = selecting.Where(p => p.Governs(Direction.Ingress)).ToList();
            var outList = selecting.Where(p => p.Governs(Direction.Egress)).ToList();
            foreach (var m in members)
            {
                ingress[m] = inList;
                egress[m] = outList;
            }
        }

        // Classes selected by the same policies share one plan (pods that differ only in labels no policy tests).
        var plans = new Dictionary<List<CompiledPolicy>, TierPlan[]>(SamePolicies.Instance);
        for (var i = 0; i < _endpoints.Length; i++)
        {
            _endpoints[i].Ingress = ingress[i] is null ? [] : PlanOf(ingress[i], plans);
            _endpoints[i].Egress = egress[i] is null ? [] : PlanOf(egress[i], plans);
        }
    }

    private static TierPlan[] PlanOf(List<CompiledPolicy> policies, Dictionary<List<CompiledPolicy>, TierPlan[]> cache)
    {
        if (cache.TryGetValue(policies, out var plan))
        {
            return plan;
        }

        // Policies are already in Calico's global order, so grouping keeps both tier and policy order.
        var tiers = new List<TierPlan>();
        var i = 0;
        while (i < policies.Count)
        {
            var j = i;
            while (j < policies.Count && policies[j].Tier.Name == policies[i].Tier.Name)
            {
                j++;
            }

            tiers.Add(new TierPlan(policies[i].Tier, policies.GetRange(i, j - i).ToArray()));
            i = j;
        }

        return cache[policies] = tiers.ToArray();
    }

    /// <summary>Lists of the same policies in the same order.</summary>
    private sealed class SamePolicies : IEqualityComparer<List<CompiledPolicy>>
    {
        public static readonly SamePolicies Instance = new();

        public bool Equals(List<CompiledPolicy>? x, List<CompiledPolicy>? y)
        {
            if (ReferenceEquals(x, y))
            {
                return true;
            }

            if (x is null || y is null || x.Count != y.Count)
            {
                return false;
            }

            for (var i = 0; i < x.Count; i++)
            {
                if (!ReferenceEquals(x[i], y[i]))
                {
                    return false;
                }
            }

            return true;
        }

        public int GetHashCode(List<CompiledPolicy> list)
        {
            var hash = new HashCode();
            foreach (var p in list)
            {
                hash.Add(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(p));
            }

            return hash.ToHashCode();
        }
    }

    private static string ClassKey(Workload w) =>
        $"{w.Namespace}\n{w.ServiceAccount}\n{string.Join("\n", w.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"))}";
}

/// <summary>A workload compiled for evaluation: its identity, its peer view, and its per-direction plans.</summary>
internal sealed class CompiledEndpoint(Workload workload, Identity identity, Peer peer, bool policed)
{
    public Workload Workload { get; } = workload;
    public Identity Identity { get; } = identity;
    public Peer Peer { get; } = peer;
    /// <summary>Whether policies apply to it: not to a hostNetwork pod under Calico (<see cref="PolicyOptions.HostNetworkPoliced"/>).</summary>
    public bool Policed { get; } = policed;
    public TierPlan[] Ingress { get; set; } = [];
    public TierPlan[] Egress { get; set; } = [];

    public TierPlan[] Plan(Direction d) => d == Direction.Ingress ? Ingress : Egress;
}
