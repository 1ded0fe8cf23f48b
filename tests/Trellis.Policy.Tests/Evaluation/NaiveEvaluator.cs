using System.Net;
using System.Net.Sockets;
using Trellis.Core.Addressing;
using Trellis.Policy.AdminPolicy;
using Trellis.Policy.Calico;
using Trellis.Policy.Evaluation;
using Trellis.Policy.Kubernetes;
using Trellis.Policy.Manifests;
using Trellis.Policy.Selectors;

namespace Trellis.Policy.Tests.Evaluation;

/// <summary>
/// A deliberately simple second evaluator, written from the text of reference/network-policy-semantics.md and kept
/// apart from the engine: for every flow it loops over every tier, every policy and every rule, evaluates Kubernetes
/// policies with their own peer and port semantics (no conversion to Calico rules), and matches selectors against
/// the resources at an address one by one. Slow and obvious on purpose.
/// </summary>
internal sealed class NaiveEvaluator(PolicySet set, PolicyOptions options)
{
    private sealed record Side(Workload? Workload, IPAddress? Address);

    /// <summary>A labelled thing a selector can match: a pod (workload endpoint) or a network set.</summary>
    private sealed record Resource(IReadOnlyDictionary<string, string> Labels, string? Namespace, Workload? Workload);

    public bool Allowed(string from, string to, Protocol protocol, int port, int? icmpType = null, int? icmpCode = null)
    {
        if (!options.Enforcing)
        {
            return true;
        }

        var src = SideOf(from);
        var dst = SideOf(to);
        if (options.AllowSelfTraffic && src.Workload is not null && ReferenceEquals(src.Workload, dst.Workload) && Equals(src.Address, dst.Address))
        {
            return true;
        }

        // "A→B needs both sides": A's egress AND B's ingress.
        return DirectionAllows(Direction.Egress, src, src, dst, protocol, port, icmpType, icmpCode)
            && DirectionAllows(Direction.Ingress, dst, src, dst, protocol, port, icmpType, icmpCode);
    }

    private Side SideOf(string name)
    {
        var w = set.Workloads.FirstOrDefault(x => x.Id == name);
        if (w is not null)
        {
            return new Side(w, w.Addresses.Count > 0 ? w.Addresses[0] : null);
        }

        var address = IPAddress.Parse(name);
        return new Side(set.Workloads.FirstOrDefault(x => x.Addresses.Contains(address)), address);
    }

    private bool DirectionAllows(Direction direction, Side self, Side src, Side dst, Protocol protocol, int port, int? icmpType, int? icmpCode)
    {
        if (self.Workload is null || !options.Polices(self.Workload))
        {
            return true;
        }

        var tiers = set.EffectiveTiers.OrderBy(t => t.Order ?? double.PositiveInfinity).ThenBy(t => t.Name, StringComparer.Ordinal);
        foreach (var tier in tiers)
        {
            var members = new List<(double Order, string Key, object Policy)>();
            if (tier.Name == "default")
            {
                foreach (var k in set.KubernetesPolicies)
                {
                    if (KubernetesApplies(k, self.Workload, direction))
                    {
                        members.Add((1000, $"knp.default.{k.Name}/{k.Namespace}/KubernetesNetworkPolicy", k));
                    }
                }
            }

            // "ANP → the kube-admin tier, priority → order; BANP → the kube-baseline tier" (docs/network-policy.md).
            foreach (var a in set.AdminPolicies.Where(a => a.IsBaseline ? tier.Name == "kube-baseline" : tier.Name == "kube-admin"))
            {
                if (a.Rules(direction).Count > 0 && a.Subject.Matches(NamespaceLabels(self.Workload.Namespace), self.Workload.Labels))
                {
                    members.Add((a.Priority ?? 0, a.IsBaseline ? $"kbanp.baselineadminnetworkpolicy.{a.Name}//BaselineAdminNetworkPolicy" : $"kanp.adminnetworkpolicy.{a.Name}//AdminNetworkPolicy", a));
                }
            }

            foreach (var c in set.CalicoPolicies.Where(c => c.Tier == tier.Name))
            {
                if (CalicoApplies(c, self.Workload, direction))
                {
                    members.Add((c.Order ?? double.PositiveInfinity, $"{c.Name}/{c.Namespace}/{c.Kind}", c));
                }
            }

            if (members.Count == 0)
            {
                continue;
            }

            members.Sort((a, b) => a.Order != b.Order ? a.Order.CompareTo(b.Order) : string.CompareOrdinal(a.Key, b.Key));
            var passed = false;
            foreach (var (_, _, policy) in members)
            {
                if (policy is KubernetesNetworkPolicy k)
                {
                    foreach (var rule in k.Rules(direction))
                    {
                        if (KubernetesRuleMatches(k, rule, direction, src, dst, protocol, port))
                        {
                            return true;
                        }
                    }

                    continue;
                }

                if (policy is AdminNetworkPolicy admin)
                {
                    // Rules in order: Allow and Deny decide, Pass leaves the admin policies for the NetworkPolicies.
                    var decided = admin.Rules(direction).FirstOrDefault(r => AdminRuleMatches(r, direction, src, dst, protocol, port));
                    if (decided?.Action == RuleAction.Allow)
                    {
                        return true;
                    }

                    if (decided?.Action == RuleAction.Deny)
                    {
                        return false;
                    }

                    if (decided is not null)
                    {
                        passed = true;
                        break;
                    }

                    continue;
                }

                var c = (CalicoPolicy)policy;
                foreach (var rule in c.Rules(direction))
                {
                    if (!CalicoRuleMatches(c, rule, src, dst, protocol, port, icmpType, icmpCode))
                    {
                        continue;
                    }

                    if (rule.Action == RuleAction.Allow)
                    {
                        return true;
                    }

                    if (rule.Action == RuleAction.Deny)
                    {
                        return false;
                    }

                    if (rule.Action == RuleAction.Pass)
                    {
                        passed = true;
                        break;
                    }
                }

                if (passed)
                {
                    break;
                }
            }

            if (passed || tier.DefaultAction == TierDefaultAction.Pass)
            {
                continue;
            }

            return false;
        }

        return true;
    }

    /// <summary>The API's words: any peer and any port; a rule Trellis cannot read fails closed as Calico does (Deny: everything, else nothing).</summary>
    private bool AdminRuleMatches(AdminRule rule, Direction d, Side src, Side dst, Protocol protocol, int port)
    {
        if (rule.Unsupported is not null)
        {
            return rule.Action == RuleAction.Deny;
        }

        var peer = d == Direction.Ingress ? src : dst;
        var portOk = rule.Ports is null || (protocol.HasPorts && rule.Ports.Any(p => p.Name is { } name
            ? dst.Workload is { } w && w.Ports.Any(c => c.Name == name && c.Protocol == protocol && c.Port == port)
            : p.Protocol == protocol && port >= p.First && port <= p.Last));
        return portOk && rule.Peers.Any(p => AdminPeerMatches(p, peer));
    }

    private bool AdminPeerMatches(AdminPeer p, Side peer) => p.Kind switch
    {
        AdminPeerKind.Networks => peer.Address is { } a && p.Networks.Any(n => n.Contains(a)),
        AdminPeerKind.Nodes => peer.Address is { } a && set.Nodes.Any(n => p.NodeSelector.Matches(n.Labels) && n.Addresses.Contains(a)),
        // "Note that host-networked pods are not included in this type of peer."
        _ => peer.Workload is { } w && options.Polices(w) && p.NamespaceSelector.Matches(NamespaceLabels(w.Namespace))
            && (p.Kind == AdminPeerKind.Namespaces || p.PodSelector.Matches(w.Labels)),
    };

    private static bool KubernetesApplies(KubernetesNetworkPolicy k, Workload w, Direction d) =>
        (k.PolicyTypes & (d == Direction.Ingress ? PolicyTypes.Ingress : PolicyTypes.Egress)) != 0
        && k.Namespace == w.Namespace && k.PodSelector.Matches(w.Labels);

    private bool KubernetesRuleMatches(KubernetesNetworkPolicy k, KubernetesRule rule, Direction d, Side src, Side dst, Protocol protocol, int port)
    {
        var peer = d == Direction.Ingress ? src : dst;
        var peerOk = rule.Peers.Count == 0 || rule.Peers.Any(p => PeerMatches(k, p, peer));
        var portOk = rule.Ports.Count == 0 || rule.Ports.Any(p => PortMatches(p, dst.Workload, protocol, port));
        return peerOk && portOk;
    }

    private bool PeerMatches(KubernetesNetworkPolicy k, PolicyPeer p, Side peer)
    {
        if (p.IpBlock is { } block)
        {
            return peer.Address is not null && block.Contains(peer.Address) && (options.IpBlockMatchesPods || peer.Workload is null);
        }

        if (peer.Workload is not { } w || !options.Polices(w))
        {
            return false;
        }

        var podOk = p.PodSelector?.Matches(w.Labels) ?? true;
        var nsOk = p.NamespaceSelector is { } ns ? ns.Matches(NamespaceLabels(w.Namespace)) : w.Namespace == k.Namespace;
        return podOk && nsOk;
    }

    private static bool PortMatches(PolicyPort p, Workload? destination, Protocol protocol, int port)
    {
        if (p.Protocol != protocol)
        {
            return false;
        }

        if (p.PortName is { } name)
        {
            return destination is not null && destination.Ports.Any(c => c.Name == name && c.Protocol == protocol && c.Port == port);
        }

        return p.Port is not { } first || (port >= first && port <= (p.EndPort ?? first));
    }

    private bool CalicoApplies(CalicoPolicy c, Workload w, Direction d)
    {
        if ((c.Types & (d == Direction.Ingress ? PolicyTypes.Ingress : PolicyTypes.Egress)) == 0 || !options.Polices(w))
        {
            return false;
        }

        if (c.Namespace is not null && c.Namespace != w.Namespace)
        {
            return false;
        }

        return c.Selector.Selector.Matches(CalicoLabels(w))
            && (c.NamespaceSelector is null || c.NamespaceSelector.Selector.Matches(NamespaceLabels(w.Namespace)))
            && (c.ServiceAccountSelector is null || c.ServiceAccountSelector.Selector.Matches(AccountLabels(w)));
    }

    private bool CalicoRuleMatches(CalicoPolicy c, CalicoRule r, Side src, Side dst, Protocol protocol, int port, int? icmpType, int? icmpCode)
    {
        if (r.HasHttpMatch || (r.Protocol is { } p && p != protocol) || (r.NotProtocol is { } np && np == protocol))
        {
            return false;
        }

        var version = (src.Address ?? dst.Address)?.AddressFamily == AddressFamily.InterNetworkV6 ? 6 : 4;
        if (r.IpVersion is { } v && v != version)
        {
            return false;
        }

        if (r.Icmp is { } icmp && !(protocol.IsIcmp && (icmp.Type is null || icmp.Type == icmpType) && (icmp.Code is null || icmp.Code == icmpCode)))
        {
            return false;
        }

        if (r.NotIcmp is { } notIcmp && protocol.IsIcmp && icmpType is not null && (notIcmp.Type is null || notIcmp.Type == icmpType) && (notIcmp.Code is null || notIcmp.Code == icmpCode))
        {
            return false;
        }

        return EntityMatches(c, r.Source, src, null, protocol)
            && EntityMatches(c, r.Destination, dst, protocol.HasPorts ? port : null, protocol);
    }

    private bool EntityMatches(CalicoPolicy c, EntityRule e, Side side, int? port, Protocol protocol)
    {
        Assert.Null(e.Services);
        if (e.Ports.Count > 0 && (port is null || !e.Ports.Any(m => PortIs(m, side.Workload, protocol, port.Value))))
        {
            return false;
        }

        if (port is { } pn && e.NotPorts.Any(m => PortIs(m, side.Workload, protocol, pn)))
        {
            return false;
        }

        if (e.Nets.Count > 0 && (side.Address is null || !e.Nets.Any(n => n.Contains(side.Address))))
        {
            return false;
        }

        if (side.Address is not null && e.NotNets.Any(n => n.Contains(side.Address)))
        {
            return false;
        }

        var resources = ResourcesAt(side);
        var selector = Given(e.Selector);
        var not = Given(e.NotSelector);
        var nsSelector = Given(e.NamespaceSelector);
        var accounts = e.ServiceAccounts is { } sa && (sa.Names.Count > 0 || Given(sa.Selector));

        // "In a namespaced NetworkPolicy rule with no namespaceSelector, the rule's selector/notSelector matches only
        // endpoints in the policy's namespace. A rule with only nets gets no namespace restriction."
        var scopedToOwnNamespace = !nsSelector && c.Namespace is not null && (selector || not || accounts);
        if (selector || accounts || nsSelector || scopedToOwnNamespace)
        {
            bool Positive(Resource r) =>
                (!nsSelector || NamespaceSelectorMatches(e.NamespaceSelector!.Selector, r))
                && (!scopedToOwnNamespace || r.Namespace == c.Namespace)
                && (!selector || e.Selector!.Selector.Matches(r.Labels, r.Namespace is null))
                && (!accounts || AccountsMatch(e.ServiceAccounts!, r));
            if (!resources.Any(Positive))
            {
                return false;
            }
        }

        return !not || !resources.Any(r => e.NotSelector!.Selector.Matches(r.Labels, r.Namespace is null));
    }

    private static bool Given(SelectorExpression? s) => s is not null && !string.IsNullOrWhiteSpace(s.Text);

    private bool AccountsMatch(ServiceAccountMatch sa, Resource r)
    {
        if (sa.Names.Count > 0 && (r.Workload is null || !sa.Names.Contains(r.Workload.ServiceAccount)))
        {
            return false;
        }

        var labels = r.Workload is null ? new Dictionary<string, string>() : AccountLabels(r.Workload);
        return !Given(sa.Selector) || sa.Selector!.Selector.Matches(labels, r.Namespace is null);
    }

    /// <summary>"all() means any namespaced endpoint ... global() means only non-namespaced things."</summary>
    private bool NamespaceSelectorMatches(Selector s, Resource r) => s switch
    {
        AllSelector => r.Namespace is not null,
        GlobalSelector => r.Namespace is null,
        NotSelector n => !NamespaceSelectorMatches(n.Operand, r),
        AndSelector a => a.Terms.All(t => NamespaceSelectorMatches(t, r)),
        OrSelector o => o.Terms.Any(t => NamespaceSelectorMatches(t, r)),
        _ => s.Matches(r.Namespace is null ? new Dictionary<string, string>() : NamespaceLabels(r.Namespace), r.Namespace is null),
    };

    private static bool PortIs(PortMatch m, Workload? w, Protocol protocol, int port) =>
        m.Name is { } name
            ? w is not null && w.Ports.Any(c => c.Name == name && c.Protocol == protocol && c.Port == port)
            : port >= m.First && port <= m.Last;

    /// <summary>The known resources at an address: the pod that holds it, and every network set whose nets contain it.</summary>
    private List<Resource> ResourcesAt(Side side)
    {
        var list = new List<Resource>();
        if (side.Workload is { } w && options.Polices(w))
        {
            list.Add(new Resource(CalicoLabels(w), w.Namespace, w));
        }

        if (side.Address is { } address)
        {
            foreach (var s in set.NetworkSets.Where(s => s.Nets.Any(n => n.Contains(address))))
            {
                var labels = new Dictionary<string, string>(s.Labels);
                if (s.Namespace is not null)
                {
                    labels["projectcalico.org/namespace"] = s.Namespace;
                }

                list.Add(new Resource(labels, s.Namespace, null));
            }
        }

        return list;
    }

    private static Dictionary<string, string> CalicoLabels(Workload w) => new(w.Labels)
    {
        ["projectcalico.org/namespace"] = w.Namespace,
        ["projectcalico.org/orchestrator"] = "k8s",
        ["projectcalico.org/serviceaccount"] = w.ServiceAccount,
    };

    private Dictionary<string, string> AccountLabels(Workload w)
    {
        var account = set.ServiceAccounts.FirstOrDefault(a => a.Namespace == w.Namespace && a.Name == w.ServiceAccount);
        return new Dictionary<string, string>(account?.Labels ?? new Dictionary<string, string>()) { ["projectcalico.org/name"] = w.ServiceAccount };
    }

    private Dictionary<string, string> NamespaceLabels(string ns) =>
        new(set.Namespace(ns)?.Labels ?? new Dictionary<string, string>())
        {
            ["kubernetes.io/metadata.name"] = ns,
            ["projectcalico.org/name"] = ns,
        };
}
