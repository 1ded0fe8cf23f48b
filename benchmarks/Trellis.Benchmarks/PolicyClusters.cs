using System.Net;
using Trellis.Core.Addressing;
using Trellis.Policy;
using Trellis.Policy.Calico;
using Trellis.Policy.Evaluation;
using Trellis.Policy.Kubernetes;
using Trellis.Policy.Manifests;

namespace Trellis.Benchmarks;

/// <summary>
/// Large clusters with a realistic mix of policies, built in code. Shared by the benchmarks and by
/// tests/Trellis.Policy.Tests, which links this file, so both use the same cluster.
/// </summary>
/// <remarks>
/// <para>
/// Every namespace has 20 bare pods: 4 frontend, 6 api, 4 worker, 2 db, 2 cache and 2 batch. Each kind has its own
/// named container ports, so the named port <c>http</c> resolves to a different number depending on the pod. In every
/// 50th namespace the last pod is a hostNetwork node agent.
/// </para>
/// <para>
/// Each namespace has 4 policies, so 500 namespaces give 2,000 policies. Three are Kubernetes NetworkPolicies:
/// </para>
/// <list type="bullet">
/// <item><c>default-deny-all</c>: denies all ingress and egress.</item>
/// <item><c>allow-same-namespace</c>: allows traffic within the namespace, egress to the team's namespaces (named
///   port http, 8000–8100, 5432), and DNS egress on port 53.</item>
/// <item>One app-to-app policy, chosen in turn from four kinds:
///   api from the team's frontends and from prod workers (named port, port range, ipBlock with except);
///   db from api (named port) and from batch pods in prod namespaces (matchExpressions);
///   worker egress (ipBlock with except, and api pods of prod namespaces);
///   frontend from the internet (ipBlock 0.0.0.0/0 except the private ranges).</item>
/// </list>
/// <para>
/// The fourth is a Calico policy in one of three tiers:
/// </para>
/// <list type="bullet">
/// <item>4% are GlobalNetworkPolicies in the <c>security</c> tier (order 100): they deny block-listed nets and a
///   GlobalNetworkSet; the last of them ends in Pass.</item>
/// <item>8% are GlobalNetworkPolicies in the <c>platform</c> tier (order 500, defaultAction Pass): they allow
///   monitoring scrapes and cluster DNS.</item>
/// <item>The rest are namespaced NetworkPolicies. Half are in the platform tier (cache from api and worker, by
///   named port). The other half are in the default tier at order 500, before the Kubernetes policies at 1000: batch
///   egress to a partner NetworkSet, and a Deny of frontend to batch that overrides the same-namespace allow.</item>
/// </list>
/// </remarks>
public static class PolicyClusters
{
    /// <summary>Pods per namespace.</summary>
    public const int PodsPerNamespace = 20;

    /// <summary>Policies per namespace: 3 Kubernetes and 1 Calico.</summary>
    public const int PoliciesPerNamespace = 4;

    /// <summary>The scale: 10,000 pods in 500 namespaces with 2,000 policies.</summary>
    public static PolicySet Large() => Build(500);

    /// <summary>1,000 pods in 50 namespaces with 200 policies, small enough for the naive evaluator.</summary>
    public static PolicySet Small() => Build(50);

    private static readonly string[] Apps = ["frontend", "api", "worker", "db", "cache", "batch"];

    private static readonly ContainerPort[] FrontendPorts = [new("http", 8080, Protocol.Tcp), new("metrics", 9090, Protocol.Tcp)];
    private static readonly ContainerPort[] ApiPorts = [new("http", 8000, Protocol.Tcp), new("grpc", 9000, Protocol.Tcp), new("metrics", 9090, Protocol.Tcp)];
    private static readonly ContainerPort[] WorkerPorts = [new("metrics", 9091, Protocol.Tcp)];
    private static readonly ContainerPort[] DbPorts = [new("pg", 5432, Protocol.Tcp), new("metrics", 9187, Protocol.Tcp)];
    private static readonly ContainerPort[] CachePorts = [new("redis", 6379, Protocol.Tcp), new("metrics", 9121, Protocol.Tcp)];
    private static readonly ContainerPort[] NoPorts = [];

    /// <summary>
    /// <paramref name="namespaces"/> namespaces of <see cref="PodsPerNamespace"/> pods and <see cref="PoliciesPerNamespace"/>
    /// policies each, pods at 10.244.0.1 onwards (250 per /24).
    /// </summary>
    public static PolicySet Build(int namespaces)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(namespaces, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(namespaces, 3_000);
        var nsInfos = new List<NamespaceInfo>(namespaces);
        var workloads = new List<Workload>(namespaces * PodsPerNamespace);
        var k8s = new List<KubernetesNetworkPolicy>(namespaces * 3);
        var calico = new List<CalicoPolicy>(namespaces);
        var security = Math.Max(1, namespaces / 25);
        var platform = Math.Max(1, namespaces * 2 / 25);
        for (var n = 0; n < namespaces; n++)
        {
            var ns = NamespaceName(n);
            nsInfos.Add(new NamespaceInfo(ns, new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [NamespaceInfo.NameLabel] = ns,
                ["team"] = Team(n),
                ["env"] = n % 5 == 0 ? "dev" : "prod",
                ["monitoring"] = n % 50 == 0 ? "true" : "false",
            }));
            for (var p = 0; p < PodsPerNamespace; p++)
            {
                workloads.Add(Pod(n, p));
            }

            k8s.Add(new KubernetesNetworkPolicy
            {
                Namespace = ns,
                Name = "default-deny-all",
                PolicyTypes = PolicyTypes.Ingress | PolicyTypes.Egress,
                PolicyTypesDeclared = true,
            });
            k8s.Add(new KubernetesNetworkPolicy
            {
                Namespace = ns,
                Name = "allow-same-namespace",
                PolicyTypes = PolicyTypes.Ingress | PolicyTypes.Egress,
                PolicyTypesDeclared = true,
                Ingress = [new KubernetesRule([new PolicyPeer(LabelSelector.Empty, null, null)], [])],
                Egress =
                [
                    new KubernetesRule([new PolicyPeer(LabelSelector.Empty, null, null)], []),
                    new KubernetesRule(
                        [new PolicyPeer(null, LabelSelector.Of(("team", Team(n))), null)],
                        [new PolicyPort(Protocol.Tcp, null, "http", null), new PolicyPort(Protocol.Tcp, 8000, null, 8100), new PolicyPort(Protocol.Tcp, 5432, null, null)]),
                    new KubernetesRule([], [new PolicyPort(Protocol.Udp, 53, null, null), new PolicyPort(Protocol.Tcp, 53, null, null)]),
                ],
            });
            k8s.Add(AppPolicy(n));
            calico.Add(n < security ? SecurityPolicy(n, last: n == security - 1) : n < security + platform ? PlatformPolicy(n) : NamespacedCalicoPolicy(n));
        }

        return PolicySet.Empty with
        {
            Namespaces = nsInfos,
            Workloads = workloads,
            KubernetesPolicies = k8s,
            CalicoPolicies = calico,
            Tiers = [new Tier("security", 100), new Tier("platform", 500, TierDefaultAction.Pass)],
            NetworkSets =
            [
                new NetworkSet("blocklist", null, new Dictionary<string, string> { ["role"] = "blocklist" }, [Prefix.Parse("198.51.100.0/24")]),
                new NetworkSet("partners", null, new Dictionary<string, string> { ["role"] = "partner" }, [Prefix.Parse("203.0.113.0/24")]),
            ],
        };
    }

    /// <summary>
    /// <paramref name="count"/> seeded random flows over a set built by <see cref="Build"/>: 40% to a pod of the source's
    /// namespace, 40% to any pod, 20% between a pod and an outside address (either way), on a mix of ports the policies
    /// name (DNS, http, the port range, pg, redis, metrics, 443) and some they do not. Endpoints are named as the naive
    /// evaluator takes them: a workload's <c>namespace/name[Kind]</c> or an IP address.
    /// </summary>
    public static PolicyFlowSpec[] SampleFlows(PolicySet set, int count, int seed)
    {
        var random = new Random(seed);
        var pods = set.Workloads;
        var flows = new PolicyFlowSpec[count];
        for (var i = 0; i < count; i++)
        {
            var index = random.Next(pods.Count);
            var from = pods[index].Id;
            var (protocol, port) = FlowPorts[random.Next(FlowPorts.Length)];
            var roll = random.Next(10);
            if (roll < 4)
            {
                var first = index / PodsPerNamespace * PodsPerNamespace;
                flows[i] = new PolicyFlowSpec(from, pods[first + random.Next(PodsPerNamespace)].Id, protocol, port);
            }
            else if (roll < 8)
            {
                flows[i] = new PolicyFlowSpec(from, pods[random.Next(pods.Count)].Id, protocol, port);
            }
            else
            {
                var outside = OutsideAddresses[random.Next(OutsideAddresses.Length)];
                flows[i] = roll == 8 ? new PolicyFlowSpec(from, outside, protocol, port) : new PolicyFlowSpec(outside, from, protocol, port);
            }
        }

        return flows;
    }

    /// <summary>The engine's flows for named ones, as the differential test makes them: a name the engine does not know is an address.</summary>
    public static Flow[] EngineFlows(PolicyEngine engine, IEnumerable<PolicyFlowSpec> specs) =>
        specs.Select(f => new Flow(EndpointOf(engine, f.From), EndpointOf(engine, f.To), f.Protocol, f.Port)).ToArray();

    private static Endpoint EndpointOf(PolicyEngine engine, string name) => engine.FindEndpoint(name) ?? Endpoint.External(name);

    private static readonly (Protocol Protocol, int Port)[] FlowPorts =
    [
        (Protocol.Udp, 53), (Protocol.Tcp, 53), (Protocol.Tcp, 80), (Protocol.Tcp, 443), (Protocol.Tcp, 5432), (Protocol.Tcp, 6379),
        (Protocol.Tcp, 8000), (Protocol.Tcp, 8050), (Protocol.Tcp, 8080), (Protocol.Tcp, 8443), (Protocol.Tcp, 9090), (Protocol.Udp, 9090),
    ];

    private static readonly string[] OutsideAddresses =
        ["8.8.8.8", "10.1.2.3", "10.96.0.10", "192.168.1.9", "192.168.7.7", "198.18.1.4", "198.51.100.20", "203.0.113.5"];

    public static string NamespaceName(int n) => $"ns{n:D3}";

    private static string Team(int n) => $"team{n % 25}";

    private static Workload Pod(int n, int p)
    {
        var app = p switch
        {
            < 4 => Apps[0],
            < 10 => Apps[1],
            < 14 => Apps[2],
            < 16 => Apps[3],
            < 18 => Apps[4],
            _ => Apps[5],
        };
        var hostNetwork = n % 50 == 0 && p == PodsPerNamespace - 1;
        var index = n * PodsPerNamespace + p;
        return new Workload
        {
            Namespace = NamespaceName(n),
            Name = hostNetwork ? "node-agent" : $"{app}-{p}",
            Kind = "Pod",
            Labels = hostNetwork
                ? new Dictionary<string, string>(StringComparer.Ordinal) { ["app"] = "node-agent" }
                : new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["app"] = app,
                    ["tier"] = app switch { "frontend" => "web", "db" or "cache" => "data", _ => "backend" },
                    ["version"] = p % 2 == 0 ? "v1" : "v2",
                },
            Ports = app switch
            {
                "frontend" => FrontendPorts,
                "api" => ApiPorts,
                "worker" => WorkerPorts,
                "db" => DbPorts,
                "cache" => CachePorts,
                _ => NoPorts,
            },
            HostNetwork = hostNetwork,
            // Pods in 10.244.0.0/16 (Calico's default pod CIDR); hostNetwork pods at their node's address.
            Addresses = [hostNetwork ? IPAddress.Parse($"10.0.1.{n / 50 + 10}") : IPAddress.Parse($"10.244.{index / 250}.{index % 250 + 1}")],
        };
    }

    private static KubernetesNetworkPolicy AppPolicy(int n)
    {
        var ns = NamespaceName(n);
        var prodNamespaces = new LabelSelector(new Dictionary<string, string>(StringComparer.Ordinal), [new LabelSelectorRequirement("env", LabelSelectorOperator.In, ["prod"])]);
        return (n % 4) switch
        {
            0 => new KubernetesNetworkPolicy
            {
                Namespace = ns,
                Name = "api-from-frontends",
                PodSelector = LabelSelector.Of(("app", "api")),
                PolicyTypes = PolicyTypes.Ingress,
                Ingress =
                [
                    new KubernetesRule(
                        [
                            new PolicyPeer(LabelSelector.Of(("app", "frontend")), LabelSelector.Of(("team", Team(n))), null),
                            new PolicyPeer(LabelSelector.Of(("app", "worker")), prodNamespaces, null),
                        ],
                        [new PolicyPort(Protocol.Tcp, null, "http", null), new PolicyPort(Protocol.Tcp, 8000, null, 8100)]),
                    new KubernetesRule(
                        [new PolicyPeer(null, null, new IpBlock(Prefix.Parse("192.168.0.0/16"), [Prefix.Parse("192.168.1.0/24")]))],
                        [new PolicyPort(Protocol.Tcp, 443, null, null)]),
                ],
            },
            1 => new KubernetesNetworkPolicy
            {
                Namespace = ns,
                Name = "db-from-api",
                PodSelector = LabelSelector.Of(("app", "db")),
                PolicyTypes = PolicyTypes.Ingress,
                Ingress =
                [
                    new KubernetesRule([new PolicyPeer(LabelSelector.Of(("app", "api")), null, null)], [new PolicyPort(Protocol.Tcp, null, "pg", null)]),
                    new KubernetesRule([new PolicyPeer(LabelSelector.Of(("app", "batch")), prodNamespaces, null)], [new PolicyPort(Protocol.Tcp, 5432, null, null)]),
                ],
            },
            2 => new KubernetesNetworkPolicy
            {
                Namespace = ns,
                Name = "worker-egress",
                PodSelector = LabelSelector.Of(("app", "worker")),
                PolicyTypes = PolicyTypes.Egress,
                PolicyTypesDeclared = true,
                Egress =
                [
                    new KubernetesRule(
                        [new PolicyPeer(null, null, new IpBlock(Prefix.Parse("10.0.0.0/8"), [Prefix.Parse("10.244.0.0/16")]))],
                        [new PolicyPort(Protocol.Tcp, 443, null, null)]),
                    new KubernetesRule([new PolicyPeer(LabelSelector.Of(("app", "api")), prodNamespaces, null)], [new PolicyPort(Protocol.Tcp, null, "http", null)]),
                ],
            },
            _ => new KubernetesNetworkPolicy
            {
                Namespace = ns,
                Name = "frontend-from-internet",
                PodSelector = LabelSelector.Of(("app", "frontend")),
                PolicyTypes = PolicyTypes.Ingress,
                Ingress =
                [
                    new KubernetesRule(
                        [new PolicyPeer(null, null, new IpBlock(Prefix.Parse("0.0.0.0/0"), [Prefix.Parse("10.0.0.0/8"), Prefix.Parse("172.16.0.0/12"), Prefix.Parse("192.168.0.0/16")]))],
                        [new PolicyPort(Protocol.Tcp, 80, null, null), new PolicyPort(Protocol.Tcp, 443, null, null), new PolicyPort(Protocol.Tcp, null, "http", null)]),
                ],
            },
        };
    }

    /// <summary>
    /// Security tier: deny a block-listed /24 both ways (every fifth policy also denies the blocklist GlobalNetworkSet).
    /// Only the last policy of the tier, by order, ends in Pass, as Calico's tiered-policy guide recommends: a Pass
    /// earlier in the tier would skip the policies after it.
    /// </summary>
    private static CalicoPolicy SecurityPolicy(int n, bool last)
    {
        var net = Prefix.Parse($"198.18.{n % 256}.0/24");
        var ingress = new List<CalicoRule> { new() { Action = RuleAction.Deny, Source = new EntityRule { Nets = [net] } } };
        var egress = new List<CalicoRule> { new() { Action = RuleAction.Deny, Destination = new EntityRule { Nets = [net] } } };
        if (n % 5 == 0)
        {
            ingress.Add(new CalicoRule { Action = RuleAction.Deny, Protocol = Protocol.Tcp, Source = new EntityRule { Selector = SelectorExpression.Parse("role == 'blocklist'") } });
        }

        if (last)
        {
            ingress.Add(new CalicoRule { Action = RuleAction.Pass });
            egress.Add(new CalicoRule { Action = RuleAction.Pass });
        }

        return new CalicoPolicy
        {
            Kind = CalicoPolicyKind.GlobalNetworkPolicy,
            Name = $"security-blocklist-{n}",
            Tier = "security",
            Order = 10 + n,
            Selector = SelectorExpression.All,
            Types = PolicyTypes.Ingress | PolicyTypes.Egress,
            TypesDeclared = true,
            Ingress = ingress,
            Egress = egress,
        };
    }

    /// <summary>Platform tier (defaultAction Pass): monitoring scrapes of one app's metrics port, and cluster DNS.</summary>
    private static CalicoPolicy PlatformPolicy(int n) => new()
    {
        Kind = CalicoPolicyKind.GlobalNetworkPolicy,
        Name = $"platform-{Apps[n % Apps.Length]}-{n}",
        Tier = "platform",
        Order = n,
        Selector = SelectorExpression.Parse($"app == '{Apps[n % Apps.Length]}'"),
        NamespaceSelector = SelectorExpression.Parse(n % 2 == 0 ? "env == 'prod'" : "has(team)"),
        Types = PolicyTypes.Ingress | PolicyTypes.Egress,
        TypesDeclared = true,
        Ingress =
        [
            new CalicoRule
            {
                Action = RuleAction.Allow,
                Protocol = Protocol.Tcp,
                Source = new EntityRule { NamespaceSelector = SelectorExpression.Parse("monitoring == 'true'") },
                Destination = new EntityRule { Ports = [PortMatch.Named("metrics")] },
            },
        ],
        Egress =
        [
            new CalicoRule
            {
                Action = RuleAction.Allow,
                Protocol = Protocol.Udp,
                Destination = new EntityRule { Nets = [Prefix.Parse("10.96.0.10/32")], Ports = [PortMatch.Single(53)] },
            },
        ],
    };

    /// <summary>A namespaced Calico NetworkPolicy: cache ingress in the platform tier, or batch rules in the default tier.</summary>
    private static CalicoPolicy NamespacedCalicoPolicy(int n) => n % 2 == 0
        ? new CalicoPolicy
        {
            Kind = CalicoPolicyKind.NetworkPolicy,
            Namespace = NamespaceName(n),
            Name = "cache-from-api",
            Tier = "platform",
            Order = 100,
            Selector = SelectorExpression.Parse("app == 'cache'"),
            Types = PolicyTypes.Ingress,
            Ingress =
            [
                new CalicoRule
                {
                    Action = RuleAction.Allow,
                    Protocol = Protocol.Tcp,
                    Source = new EntityRule { Selector = SelectorExpression.Parse("app in {'api', 'worker'}") },
                    Destination = new EntityRule { Ports = [PortMatch.Named("redis")] },
                },
            ],
        }
        : new CalicoPolicy
        {
            Kind = CalicoPolicyKind.NetworkPolicy,
            Namespace = NamespaceName(n),
            Name = "batch-rules",
            Tier = Tier.DefaultName,
            Order = 500,
            Selector = SelectorExpression.Parse("app == 'batch'"),
            Types = PolicyTypes.Ingress | PolicyTypes.Egress,
            TypesDeclared = true,
            Ingress =
            [
                new CalicoRule { Action = RuleAction.Deny, Source = new EntityRule { Selector = SelectorExpression.Parse("app == 'frontend'") } },
            ],
            Egress =
            [
                new CalicoRule
                {
                    Action = RuleAction.Allow,
                    Protocol = Protocol.Tcp,
                    Destination = new EntityRule { Selector = SelectorExpression.Parse("role == 'partner'"), NamespaceSelector = SelectorExpression.Parse("global()"), Ports = [PortMatch.Range(443, 443), PortMatch.Range(8443, 8445)] },
                },
                new CalicoRule { Action = RuleAction.Deny, Protocol = Protocol.Tcp, Destination = new EntityRule { NotNets = [Prefix.Parse("10.0.0.0/8")] } },
            ],
        };
}

/// <summary>A flow by endpoint names (<c>namespace/name[Kind]</c> or an IP address), as both evaluators take it.</summary>
public sealed record PolicyFlowSpec(string From, string To, Protocol Protocol, int Port)
{
    public override string ToString() => $"{From} => {To} : {Protocol} {Port}";
}
