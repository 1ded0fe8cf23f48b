using System.Net;
using CsCheck;
using Trellis.Core.Addressing;
using Trellis.Policy.AdminPolicy;
using Trellis.Policy.Calico;
using Trellis.Policy.Kubernetes;
using Trellis.Policy.Manifests;

namespace Trellis.Policy.Tests.Evaluation;

/// <summary>CsCheck generators for small random clusters: labels, namespaces, pods, network sets, tiers, Kubernetes and Calico policies, flows.</summary>
internal static class PolicyGenerators
{
    public static readonly string[] NamespaceNames = ["x", "y", "z"];
    public static readonly string[] Externals = ["203.0.113.9", "198.51.100.7", "8.8.8.8", "10.244.9.9"];
    public static readonly int[] Ports = [53, 80, 443, 5432, 8050, 8080];

    private static readonly Gen<string> LabelValue = Gen.OneOfConst("a", "b", "c");

    /// <summary>Pod labels over the keys app, tier and env, each present or not.</summary>
    public static readonly Gen<IReadOnlyDictionary<string, string>> Labels =
        Gen.Select(LabelValue.Null(), LabelValue.Null(), LabelValue.Null(), (app, tier, env) =>
        {
            var d = new Dictionary<string, string>(StringComparer.Ordinal);
            if (app is not null) { d["app"] = app; }
            if (tier is not null) { d["tier"] = tier; }
            if (env is not null) { d["env"] = env; }
            return (IReadOnlyDictionary<string, string>)d;
        });

    public static readonly Gen<NamespaceInfo[]> Namespaces =
        Gen.OneOfConst<string?>("red", "blue", null).Array[3].Select(teams => NamespaceNames.Select((ns, i) =>
        {
            var labels = new Dictionary<string, string>(StringComparer.Ordinal) { ["ns"] = ns, [NamespaceInfo.NameLabel] = ns };
            if (teams[i] is { } team)
            {
                labels["team"] = team;
            }

            return new NamespaceInfo(ns, labels);
        }).ToArray());

    private static readonly ContainerPort[][] PortChoices =
    [
        [],
        [new("http", 80, Protocol.Tcp)],
        [new("http", 8080, Protocol.Tcp), new("dns", 53, Protocol.Udp)],
        [new("pg", 5432, Protocol.Tcp), new("metrics", 8050, Protocol.Tcp)],
        [new("dns", 53, Protocol.Tcp), new(null, 443, Protocol.Tcp)],
    ];

    public static readonly Gen<Workload[]> Workloads =
        Gen.Select(Gen.Int[0, 2], Labels, Gen.OneOfConst("default", "robot"), Gen.Int[0, PortChoices.Length - 1])
            .Array[3, 8]
            .Select(pods => pods.Select((p, i) => new Workload
            {
                Namespace = NamespaceNames[p.Item1],
                Name = $"p{i}",
                Kind = "Pod",
                Labels = p.Item2,
                ServiceAccount = p.Item3,
                Ports = PortChoices[p.Item4],
                Addresses = [IPAddress.Parse($"10.244.{p.Item1 + 1}.{i + 10}")],
                // Some clusters have a hostNetwork pod (a node agent), which Calico does not police unless asked to.
                HostNetwork = i == 1 && p.Item1 == 0,
            }).ToArray());

    public static readonly Gen<NetworkSet[]> NetworkSets = Gen.Bool.Array[3].Select(pick =>
    {
        var sets = new List<NetworkSet>();
        if (pick[0])
        {
            sets.Add(new NetworkSet("ext", null, new Dictionary<string, string> { ["role"] = "ext" }, [Prefix.Parse("203.0.113.0/24")]));
        }

        if (pick[1])
        {
            sets.Add(new NetworkSet("pods-y", null, new Dictionary<string, string> { ["role"] = "podnet" }, [Prefix.Parse("10.244.2.0/24")]));
        }

        if (pick[2])
        {
            sets.Add(new NetworkSet("partner", "x", new Dictionary<string, string> { ["role"] = "partner" }, [Prefix.Parse("198.51.100.0/25")]));
        }

        return sets.ToArray();
    });

    public static readonly Tier[] Tiers = [new("t1", 100), new("t2", null, TierDefaultAction.Pass)];

    // ---- Kubernetes ----

    private static readonly Gen<LabelSelectorRequirement> Requirement =
        Gen.Select(Gen.OneOfConst("app", "tier", "env"), Gen.Int[0, 3], LabelValue.Array[1, 2], (key, op, values) => op switch
        {
            0 => new LabelSelectorRequirement(key, LabelSelectorOperator.In, values),
            1 => new LabelSelectorRequirement(key, LabelSelectorOperator.NotIn, values),
            2 => new LabelSelectorRequirement(key, LabelSelectorOperator.Exists, []),
            _ => new LabelSelectorRequirement(key, LabelSelectorOperator.DoesNotExist, []),
        });

    public static readonly Gen<LabelSelector> PodSelector = Gen.Frequency(
        (2, Gen.Const(LabelSelector.Empty)),
        (3, Gen.Select(Gen.OneOfConst("app", "tier"), LabelValue, (k, v) => LabelSelector.Of((k, v)))),
        (2, Requirement.Array[1, 2].Select(r => new LabelSelector(new Dictionary<string, string>(), r))));

    public static readonly Gen<LabelSelector> NamespaceSelector = Gen.Frequency(
        (2, Gen.Const(LabelSelector.Empty)),
        (3, Gen.OneOfConst("x", "y", "z").Select(ns => LabelSelector.Of(("ns", ns)))),
        (2, Gen.OneOfConst("red", "blue").Select(t => LabelSelector.Of(("team", t)))),
        (1, Gen.Const(new LabelSelector(new Dictionary<string, string>(), [new LabelSelectorRequirement("team", LabelSelectorOperator.DoesNotExist, [])]))));

    private static readonly Gen<IpBlock> IpBlocks = Gen.OneOfConst(
        new IpBlock(Prefix.Parse("10.244.0.0/16"), [Prefix.Parse("10.244.1.0/24")]),
        new IpBlock(Prefix.Parse("203.0.113.0/24"), []),
        new IpBlock(Prefix.Parse("0.0.0.0/0"), [Prefix.Parse("10.0.0.0/8")]),
        new IpBlock(Prefix.Parse("10.244.2.10/32"), []));

    public static readonly Gen<PolicyPeer> Peers = Gen.Frequency(
        (3, PodSelector.Select(p => new PolicyPeer(p, null, null))),
        (3, NamespaceSelector.Select(n => new PolicyPeer(null, n, null))),
        (2, Gen.Select(PodSelector, NamespaceSelector, (p, n) => new PolicyPeer(p, n, null))),
        (2, IpBlocks.Select(b => new PolicyPeer(null, null, b))));

    public static readonly Gen<PolicyPort> KubernetesPorts = Gen.OneOfConst(
        new PolicyPort(Protocol.Tcp, 80, null, null),
        new PolicyPort(Protocol.Udp, 53, null, null),
        new PolicyPort(Protocol.Tcp, null, "http", null),
        new PolicyPort(Protocol.Udp, null, "dns", null),
        new PolicyPort(Protocol.Tcp, 8000, null, 8100),
        new PolicyPort(Protocol.Tcp, null, null, null),
        new PolicyPort(Protocol.Sctp, null, null, null),
        new PolicyPort(Protocol.Tcp, 5432, null, null));

    private static readonly Gen<KubernetesRule> KubernetesRules =
        Gen.Select(Peers.Array[0, 2], KubernetesPorts.Array[0, 2], (peers, ports) => new KubernetesRule(peers, ports));

    public static readonly Gen<KubernetesNetworkPolicy> KubernetesPolicies =
        Gen.Select(Gen.Int[0, 2], PodSelector, Gen.Int[0, 3], KubernetesRules.Array[0, 2], KubernetesRules.Array[0, 2], Gen.Int[0, 999],
            (ns, selector, types, ingress, egress, id) =>
            {
                var declared = types switch
                {
                    1 => PolicyTypes.Ingress,
                    2 => PolicyTypes.Egress,
                    3 => PolicyTypes.Ingress | PolicyTypes.Egress,
                    _ => PolicyTypes.None,
                };
                return new KubernetesNetworkPolicy
                {
                    Namespace = NamespaceNames[ns],
                    Name = $"k{id}",
                    PodSelector = selector,
                    PolicyTypes = declared == PolicyTypes.None ? PolicyTypes.Ingress | (egress.Length > 0 ? PolicyTypes.Egress : 0) : declared,
                    PolicyTypesDeclared = declared != PolicyTypes.None,
                    Ingress = ingress,
                    Egress = egress,
                };
            });

    // ---- Calico ----

    private static SelectorExpression S(string text) => SelectorExpression.Parse(text);

    private static readonly Gen<SelectorExpression> EndpointSelectors = Gen.OneOfConst(
        "app == 'a'", "app != 'b'", "has(tier)", "!has(env)", "app in {'a', 'b'}", "tier not in {'c'}", "all()",
        "app == 'a' && has(tier)", "env == 'c' || tier == 'a'", "role == 'ext'", "role in {'podnet', 'partner'}", "!has(role)")
        .Select(S);

    /// <summary>notSelectors that often hit network sets, whose addresses overlap pods and outside hosts.</summary>
    private static readonly Gen<SelectorExpression> NotSelectors = Gen.OneOfConst(
        "role == 'podnet'", "role == 'ext'", "has(role)", "app == 'a'", "tier == 'b' || role == 'partner'")
        .Select(S);

    private static readonly Gen<SelectorExpression> NamespaceSelectors = Gen.OneOfConst(
        "ns == 'x'", "team == 'red'", "all()", "global()", "!has(team)", "ns in {'x', 'y'}", "global() || ns == 'y'")
        .Select(S);

    private static readonly Gen<PortMatch> CalicoPorts = Gen.OneOfConst(
        PortMatch.Single(80), PortMatch.Single(53), PortMatch.Range(8000, 8100), PortMatch.Named("http"), PortMatch.Named("dns"),
        PortMatch.Single(5432), PortMatch.Range(1, 1024));

    private static readonly Gen<Prefix> Nets = Gen.OneOfConst("10.244.0.0/16", "10.244.1.0/24", "203.0.113.0/24", "0.0.0.0/0", "8.8.8.8/32", "198.51.100.0/24")
        .Select(Prefix.Parse);

    private static Gen<EntityRule> Entities(bool ports) =>
        Gen.Select(Gen.Frequency((4, Gen.Const(0)), (5, Gen.OneOfConst(1, 2, 4, 8, 20, 32, 33, 16 | 8)), (2, Gen.Int[0, 63])), EndpointSelectors, NotSelectors, NamespaceSelectors, Nets.Array[1, 2], Nets.Array[1, 2],
                CalicoPorts.Array[1, 2], Gen.Select(CalicoPorts.Array[1, 2], Gen.OneOfConst("default", "robot")))
            .Select(t =>
            {
                var (mask, sel, notSel, nsSel, nets, notNets, p, (notP, account)) = t;
                var pick = mask & (ports ? 63 : 31);
                return new EntityRule
                {
                    Selector = (pick & 1) != 0 ? sel : null,
                    NotSelector = (pick & 2) != 0 ? notSel : null,
                    NamespaceSelector = (pick & 4) != 0 && (pick & 8) == 0 ? nsSel : null,
                    Nets = (pick & 8) != 0 ? nets : [],
                    NotNets = (pick & 16) != 0 && (pick & 4) != 0 ? notNets : [],
                    ServiceAccounts = (pick & 24) == 16 ? new ServiceAccountMatch([account], null) : null,
                    Ports = (pick & 32) != 0 ? p : [],
                    NotPorts = (pick & 32) != 0 && (pick & 1) != 0 ? notP : [],
                };
            });

    public static readonly Gen<CalicoRule> CalicoRules =
        Gen.Select(Gen.OneOfConst(RuleAction.Allow, RuleAction.Allow, RuleAction.Deny, RuleAction.Deny, RuleAction.Pass, RuleAction.Log),
                Gen.Int[0, 6], Gen.Bool, Entities(false), Entities(true), Gen.OneOfConst<int?>(null, null, 4, 6))
            .Select((action, protocolChoice, useSource, source, destination, ipVersion) =>
            {
                Protocol? protocol = protocolChoice switch
                {
                    1 or 2 => Protocol.Tcp,
                    3 => Protocol.Udp,
                    4 => Protocol.Icmp,
                    5 => new Protocol(17),
                    _ => null,
                };
                var ports = protocol is { HasPorts: true };
                return new CalicoRule
                {
                    Action = action,
                    Protocol = protocol,
                    NotProtocol = protocolChoice == 6 ? Protocol.Udp : null,
                    Icmp = protocol == Protocol.Icmp && useSource ? new IcmpMatch(8, null) : null,
                    NotIcmp = protocol == Protocol.Icmp && !useSource ? new IcmpMatch(3, 1) : null,
                    IpVersion = ipVersion,
                    Source = useSource ? source : EntityRule.Any,
                    Destination = ports ? destination : destination with { Ports = [], NotPorts = [] },
                };
            });

    public static readonly Gen<CalicoPolicy> CalicoPolicies =
        Gen.Select(Gen.Bool, Gen.Int[0, 2], Gen.OneOfConst("default", "t1", "t2"), Gen.OneOfConst<double?>(null, 100, 1000, 1000, 2000),
                EndpointSelectors, Gen.Int[0, 3], CalicoRules.Array[0, 3], CalicoRules.Array[0, 3])
            .SelectMany(t => Gen.Select(Gen.Int[0, 999], NamespaceSelectors.Null(), Gen.Bool).Select(extra => (t, extra)))
            .Select(x =>
            {
                var ((global, ns, tier, order, selector, types, ingress, egress), (id, nsSelector, accountSelector)) = x;
                var declared = types switch
                {
                    1 => PolicyTypes.Ingress,
                    2 => PolicyTypes.Egress,
                    3 => PolicyTypes.Ingress | PolicyTypes.Egress,
                    _ => PolicyTypes.None,
                };
                return new CalicoPolicy
                {
                    Kind = global ? CalicoPolicyKind.GlobalNetworkPolicy : CalicoPolicyKind.NetworkPolicy,
                    Name = $"c{id}",
                    Namespace = global ? null : NamespaceNames[ns],
                    Tier = tier,
                    Order = order,
                    Selector = selector,
                    NamespaceSelector = global && nsSelector is { Text: not ("global()" or "global() || ns == 'y'") } ? nsSelector : null,
                    ServiceAccountSelector = accountSelector ? S("trust == 'high'") : null,
                    Types = declared == PolicyTypes.None ? CalicoPolicy.DefaultTypes(ingress.Length > 0, egress.Length > 0) : declared,
                    TypesDeclared = declared != PolicyTypes.None,
                    Ingress = ingress,
                    Egress = egress,
                };
            });

    // ---- AdminNetworkPolicy / BaselineAdminNetworkPolicy ----

    /// <summary>A node at one of the outside addresses flows go to, so nodes peers meet traffic.</summary>
    public static readonly NodeInfo[] Nodes =
        [new("infra-1", new Dictionary<string, string> { ["role"] = "infra" }, [IPAddress.Parse("203.0.113.9")])];

    private static readonly Gen<AdminPort> AdminPorts = Gen.OneOfConst(
        AdminPort.Number(Protocol.Tcp, 80), AdminPort.Number(Protocol.Udp, 53), AdminPort.Range(Protocol.Tcp, 8000, 8100),
        AdminPort.Range(Protocol.Sctp, 1, 1024), AdminPort.Named("http"), AdminPort.Named("dns"));

    private static Gen<AdminPeer> AdminPeers(bool egress)
    {
        var pods = Gen.Frequency(
            (3, NamespaceSelector.Select(n => new AdminPeer(AdminPeerKind.Namespaces) { NamespaceSelector = n })),
            (3, Gen.Select(NamespaceSelector, PodSelector, (n, p) => new AdminPeer(AdminPeerKind.Pods) { NamespaceSelector = n, PodSelector = p })));
        return !egress ? pods : Gen.Frequency(
            (4, pods),
            (2, Nets.Array[1, 2].Select(n => new AdminPeer(AdminPeerKind.Networks) { Networks = n })),
            (1, Gen.OneOfConst("infra", "none").Select(r => new AdminPeer(AdminPeerKind.Nodes) { NodeSelector = LabelSelector.Of(("role", r)) })));
    }

    private static Gen<AdminRule> AdminRules(bool egress, bool baseline) =>
        Gen.Select(baseline ? Gen.OneOfConst(RuleAction.Allow, RuleAction.Deny) : Gen.OneOfConst(RuleAction.Allow, RuleAction.Deny, RuleAction.Pass),
                AdminPeers(egress).Array[1, 2], AdminPorts.Array[1, 2].Null(), Gen.Int[0, 19])
            .Select((action, peers, ports, odd) =>
            {
                // A named port cannot go with a nodes or networks peer (the CRD's rule); once in a while a peer Trellis cannot read.
                var portList = ports is not null && peers.Any(p => p.Kind is AdminPeerKind.Nodes or AdminPeerKind.Networks) ? ports.Where(p => p.Name is null).ToArray() : ports;
                return new AdminRule($"r{odd}", action, peers, portList is { Length: 0 } ? null : portList) { Unsupported = odd == 0 ? "domainNames" : null };
            });

    private static readonly Gen<AdminSubject> AdminSubjects = Gen.Frequency(
        (1, NamespaceSelector.Select(n => new AdminSubject(n, null))),
        (2, Gen.Select(NamespaceSelector, PodSelector, (n, p) => new AdminSubject(n, p))));

    public static readonly Gen<AdminNetworkPolicy> AdminPolicies =
        Gen.Select(Gen.OneOfConst(1, 5, 5, 10), AdminSubjects, AdminRules(false, false).Array[0, 2], AdminRules(true, false).Array[0, 2], Gen.Int[0, 99])
            .Select((priority, subject, ingress, egress, id) => new AdminNetworkPolicy
            {
                Kind = AdminPolicyKind.AdminNetworkPolicy,
                Name = $"a{id}",
                Priority = priority,
                Subject = subject,
                Ingress = ingress,
                Egress = egress,
            });

    public static readonly Gen<AdminNetworkPolicy?> Baselines =
        Gen.Select(AdminSubjects, AdminRules(false, true).Array[0, 2], AdminRules(true, true).Array[0, 2])
            .Select((subject, ingress, egress) => new AdminNetworkPolicy
            {
                Kind = AdminPolicyKind.BaselineAdminNetworkPolicy,
                Name = AdminNetworkPolicy.BaselineName,
                Subject = subject,
                Ingress = ingress,
                Egress = egress,
            })
            .Null();

    public static readonly Gen<PolicySet> Clusters =
        Gen.Select(Namespaces, Workloads, NetworkSets, KubernetesPolicies.Array[0, 4], CalicoPolicies.Array[1, 4])
            .Select((namespaces, workloads, sets, k8s, calico) => PolicySet.Empty with
            {
                Namespaces = namespaces,
                Workloads = workloads,
                NetworkSets = sets,
                ServiceAccounts = [new ServiceAccountInfo("x", "robot", new Dictionary<string, string> { ["trust"] = "high" })],
                Tiers = Tiers,
                KubernetesPolicies = k8s.DistinctBy(k => k.Id).ToArray(),
                CalicoPolicies = calico.DistinctBy(c => $"{c.Kind}/{c.Id}").ToArray(),
            })
            .SelectMany(set => Gen.Select(AdminPolicies.Array[0, 3], Baselines).Select((admin, baseline) => set with
            {
                AdminPolicies = admin.DistinctBy(a => a.Name).Concat(baseline is null ? [] : [baseline]).ToArray(),
                Nodes = Nodes,
            }));

    // ---- Bare pods: each its own identity, with a named port of its own, ipBlocks over pod addresses, many port ranges ----

    /// <summary>
    /// Pods that no two policies see alike: labels of their own (<c>app: bN</c>), a named port of their own (<c>npN</c>)
    /// and an <c>http</c> port whose number differs from pod to pod, both on numbers that the port ranges overlap.
    /// </summary>
    public static readonly Gen<Workload[]> BarePods =
        Gen.Select(Gen.Int[0, 2], Gen.OneOfConst(Protocol.Tcp, Protocol.Udp), Gen.Int[0, 4], Gen.Bool)
            .Array[3, 8]
            .Select(pods => pods.Select((p, i) => new Workload
            {
                Namespace = NamespaceNames[p.Item1],
                Name = $"b{i}",
                Kind = "Pod",
                Labels = new Dictionary<string, string>(StringComparer.Ordinal) { ["app"] = $"b{i}", ["tier"] = i % 2 == 0 ? "a" : "b" },
                Ports = p.Item4
                    ? [new($"np{i}", 8000 + i * 5 + p.Item3, p.Item2), new("http", 8040 + i, Protocol.Tcp)]
                    : [new($"np{i}", 8000 + i * 5 + p.Item3, p.Item2)],
                Addresses = [IPAddress.Parse($"10.244.{p.Item1 + 1}.{i + 10}")],
            }).ToArray());

    /// <summary>Port ranges of every width over the pods' port numbers, single ports, and the pods' named ports.</summary>
    private static readonly Gen<PolicyPort> BarePorts = Gen.Frequency(
        (4, Gen.Select(Gen.OneOfConst(Protocol.Tcp, Protocol.Tcp, Protocol.Udp), Gen.Int[7990, 8060], Gen.Int[0, 30], (p, first, width) => new PolicyPort(p, first, null, first + width))),
        (1, Gen.Select(Gen.OneOfConst(Protocol.Tcp, Protocol.Udp), Gen.Int[7990, 8060], (p, port) => new PolicyPort(p, port, null, null))),
        (3, Gen.Select(Gen.OneOfConst(Protocol.Tcp, Protocol.Tcp, Protocol.Udp), Gen.Int[0, 7], (p, k) => new PolicyPort(p, null, $"np{k}", null))),
        (1, Gen.Const(new PolicyPort(Protocol.Tcp, null, "http", null))));

    /// <summary>ipBlocks that match pods: one pod's address, a /28 of a few, a namespace's /24 less another's.</summary>
    private static readonly Gen<IpBlock> BareIpBlocks = Gen.Frequency(
        (3, Gen.Select(Gen.Int[1, 3], Gen.Int[10, 17], (ns, host) => new IpBlock(Prefix.Parse($"10.244.{ns}.{host}/32"), []))),
        (1, Gen.Const(new IpBlock(Prefix.Parse("10.244.1.0/28"), []))),
        (1, Gen.Int[1, 3].Select(ns => new IpBlock(Prefix.Parse("10.244.0.0/16"), [Prefix.Parse($"10.244.{ns}.0/24")]))));

    private static readonly Gen<LabelSelector> BarePodSelector = Gen.Frequency(
        (3, Gen.Int[0, 7].Select(k => LabelSelector.Of(("app", $"b{k}")))),
        (1, Gen.OneOfConst("a", "b").Select(t => LabelSelector.Of(("tier", t)))),
        (1, Gen.Const(LabelSelector.Empty)));

    private static readonly Gen<PolicyPeer> BarePeers = Gen.Frequency(
        (3, BareIpBlocks.Select(b => new PolicyPeer(null, null, b))),
        (2, BarePodSelector.Select(p => new PolicyPeer(p, null, null))),
        (1, NamespaceSelector.Select(n => new PolicyPeer(null, n, null))));

    private static readonly Gen<KubernetesRule> BareRules =
        Gen.Select(BarePeers.Array[0, 2], BarePorts.Array[0, 3], (peers, ports) => new KubernetesRule(peers, ports));

    public static readonly Gen<KubernetesNetworkPolicy> BarePolicies =
        Gen.Select(Gen.Int[0, 2], BarePodSelector, Gen.Int[1, 3], BareRules.Array[0, 2], BareRules.Array[0, 2], Gen.Int[0, 999],
            (ns, selector, types, ingress, egress, id) => new KubernetesNetworkPolicy
            {
                Namespace = NamespaceNames[ns],
                Name = $"bare{id}",
                PodSelector = selector,
                PolicyTypes = types switch { 1 => PolicyTypes.Ingress, 2 => PolicyTypes.Egress, _ => PolicyTypes.Ingress | PolicyTypes.Egress },
                PolicyTypesDeclared = true,
                Ingress = ingress,
                Egress = egress,
            });

    /// <summary>Calico rules over the bare pods: port ranges and named ports, as ports and notPorts, from pod addresses.</summary>
    private static readonly Gen<CalicoRule> BareCalicoRules =
        Gen.Select(Gen.OneOfConst(RuleAction.Allow, RuleAction.Deny, RuleAction.Pass), Gen.OneOfConst(Protocol.Tcp, Protocol.Udp), Gen.Int[7990, 8060], Gen.Int[0, 30],
                Gen.Int[0, 7], Gen.Int[0, 3], BareIpBlocks)
            .Select((action, protocol, first, width, k, shape, block) => new CalicoRule
            {
                Action = action,
                Protocol = protocol,
                Source = shape == 3 ? new EntityRule { Nets = [block.Cidr] } : EntityRule.Any,
                Destination = shape switch
                {
                    0 => new EntityRule { Ports = [PortMatch.Range(first, first + width), PortMatch.Named($"np{k}")] },
                    1 => new EntityRule { NotPorts = [PortMatch.Named($"np{k}")] },
                    2 => new EntityRule { Ports = [PortMatch.Range(first, first + width)], NotPorts = [PortMatch.Named("http")] },
                    _ => new EntityRule { Ports = [PortMatch.Range(first, first + width)] },
                },
            });

    public static readonly Gen<CalicoPolicy> BareCalicoPolicies =
        Gen.Select(Gen.Int[0, 7], Gen.OneOfConst("default", "t1", "t2"), BareCalicoRules.Array[0, 2], BareCalicoRules.Array[0, 2], Gen.Int[0, 999])
            .Select((k, tier, ingress, egress, id) => new CalicoPolicy
            {
                Kind = CalicoPolicyKind.GlobalNetworkPolicy,
                Name = $"cb{id}",
                Tier = tier,
                Order = 100 + k,
                Selector = S(k < 6 ? $"app == 'b{k}'" : "all()"),
                Types = CalicoPolicy.DefaultTypes(ingress.Length > 0, egress.Length > 0),
                Ingress = ingress,
                Egress = egress,
            });

    /// <summary>Clusters of <see cref="BarePods"/> under policies with port ranges, named ports and ipBlocks over pod addresses.</summary>
    public static readonly Gen<PolicySet> BarePodSets =
        Gen.Select(Namespaces, BarePods, BarePolicies.Array[1, 6], BareCalicoPolicies.Array[0, 2])
            .Select((namespaces, workloads, k8s, calico) => PolicySet.Empty with
            {
                Namespaces = namespaces,
                Workloads = workloads,
                Tiers = Tiers,
                KubernetesPolicies = k8s.DistinctBy(k => k.Id).ToArray(),
                CalicoPolicies = calico.DistinctBy(c => c.Id).ToArray(),
            });

    /// <summary>A flow between two names of the cluster (workload ids or outside addresses).</summary>
    public sealed record FlowSpec(int From, int To, Protocol Protocol, int Port, int? IcmpType, int? IcmpCode);

    /// <summary>Mostly workloads (indexes below 100 pick one), sometimes an outside address.</summary>
    private static readonly Gen<int> Ends = Gen.Frequency((4, Gen.Int[0, 99]), (1, Gen.Int[100, 103]));

    public static readonly Gen<FlowSpec> Flows =
        Gen.Select(Ends, Ends, Gen.OneOfConst(Protocol.Tcp, Protocol.Tcp, Protocol.Udp, Protocol.Sctp, Protocol.Icmp),
            Gen.OneOfConst(Ports), Gen.OneOfConst<int?>(null, 0, 3, 8), Gen.OneOfConst<int?>(null, 0, 1),
            (f, t, p, port, type, code) => new FlowSpec(f, t, p, port, type, code));

    public static string Name(PolicySet set, int pick) => pick < 100 ? set.Workloads[pick % set.Workloads.Count].Id : Externals[pick - 100];
}
