using Trellis.Core.Addressing;
using Trellis.Policy.AdminPolicy;
using Trellis.Policy.Calico;
using Trellis.Policy.Kubernetes;
using Trellis.Policy.Manifests;
using Trellis.Policy.Selectors;

namespace Trellis.Policy.Evaluation;

/// <summary>
/// Turns Kubernetes and Calico policies into one form, as Calico itself does: a Kubernetes NetworkPolicy becomes a
/// namespaced policy in tier default at order 1000 whose rules all Allow, one rule per (protocol × peer)
/// (conversion.go); Calico selectors are scoped as libcalico-go's update processors scope them.
/// </summary>
internal static class PolicyCompiler
{
    public static List<CompiledPolicy> Compile(PolicySet set, PolicyOptions options)
    {
        var tiers = set.EffectiveTiers.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var services = set.Services.ToDictionary(s => s.Id, StringComparer.Ordinal);
        var result = new List<CompiledPolicy>();
        foreach (var k in set.KubernetesPolicies)
        {
            result.Add(Compile(k, tiers[Tier.DefaultName], options));
        }

        foreach (var c in set.CalicoPolicies)
        {
            if (tiers.TryGetValue(c.Tier, out var tier))
            {
                result.Add(Compile(c, tier, services));
            }
        }

        foreach (var a in set.AdminPolicies)
        {
            result.Add(Compile(a, tiers[a.IsBaseline ? Tier.KubeBaselineName : Tier.KubeAdminName], set.Nodes));
        }

        // Felix's order: tiers by (order, name), then policies by (order, "<name>/<namespace>/<kind>").
        result.Sort((a, b) =>
        {
            var byTier = Tier.Compare(a.Tier, b.Tier);
            if (byTier != 0)
            {
                return byTier;
            }

            var byOrder = (a.Ref.Order ?? double.PositiveInfinity).CompareTo(b.Ref.Order ?? double.PositiveInfinity);
            return byOrder != 0 ? byOrder : string.CompareOrdinal(a.Ref.SortKey, b.Ref.SortKey);
        });
        return result;
    }

    private static CompiledPolicy Compile(KubernetesNetworkPolicy k, Tier tier, PolicyOptions options)
    {
        var reference = new PolicyRef(PolicyKind.KubernetesNetworkPolicy, k.Namespace, k.Name, tier.Name, Tier.KubernetesPolicyOrder, k.Source);
        var selector = k.PodSelector;
        var ns = k.Namespace;
        return new CompiledPolicy
        {
            Ref = reference,
            Tier = tier,
            Types = k.PolicyTypes,
            Selects = id => id.IsWorkload && id.Namespace == ns && selector.Matches(id.Labels),
            Ingress = CompileRules(k, reference, Direction.Ingress, options),
            Egress = CompileRules(k, reference, Direction.Egress, options),
            Origin = k,
            SourceIngressRules = k.Ingress.Count,
            SourceEgressRules = k.Egress.Count,
        };
    }

    /// <summary>k8sRuleToCalico: ports grouped by protocol (no ports: any protocol), then one Allow rule per protocol and peer.</summary>
    private static CompiledRule[] CompileRules(KubernetesNetworkPolicy k, PolicyRef reference, Direction direction, PolicyOptions options)
    {
        var rules = new List<CompiledRule>();
        var source = k.Rules(direction);
        var peerField = direction == Direction.Ingress ? "from" : "to";
        for (var i = 0; i < source.Count; i++)
        {
            var rule = source[i];
            // protocol name ("" = any protocol) -> ports (null = every port of it)
            var byProtocol = new SortedDictionary<string, List<PortMatch>?>(StringComparer.Ordinal);
            var protocols = new Dictionary<string, Protocol>(StringComparer.Ordinal);
            if (rule.Ports.Count == 0)
            {
                byProtocol[""] = null;
            }

            foreach (var port in rule.Ports)
            {
                var key = port.Protocol.Name;
                protocols[key] = port.Protocol;
                PortMatch? match = port.PortName is { } name ? PortMatch.Named(name)
                    : port.Port is { } n ? PortMatch.Range(n, port.EndPort ?? n) : null;
                if (match is null)
                {
                    byProtocol[key] = null;
                }
                else if (!byProtocol.TryGetValue(key, out var list))
                {
                    byProtocol[key] = [match.Value];
                }
                else
                {
                    list?.Add(match.Value);
                }
            }

            foreach (var (protocolName, ports) in byProtocol)
            {
                Protocol? protocol = protocolName.Length == 0 ? null : protocols[protocolName];
                var portArray = ports?.ToArray() ?? [];
                if (rule.Peers.Count == 0)
                {
                    rules.Add(PeerRule(new RuleRef(reference, direction, i, $"spec.{direction.FieldName()}[{i}]", RuleAction.Allow), protocol, EntityMatcher.Any, portArray));
                }

                for (var j = 0; j < rule.Peers.Count; j++)
                {
                    var peer = PeerMatcher(rule.Peers[j], k.Namespace, options);
                    rules.Add(PeerRule(new RuleRef(reference, direction, i, $"spec.{direction.FieldName()}[{i}].{peerField}[{j}]", RuleAction.Allow), protocol, peer, portArray));
                }
            }
        }

        return rules.ToArray();
    }

    /// <summary>A rule on one peer (the source of ingress, the destination of egress) and the destination's ports.</summary>
    private static CompiledRule PeerRule(RuleRef rule, Protocol? protocol, EntityMatcher peer, PortMatch[] ports)
    {
        var ingress = rule.Direction == Direction.Ingress;
        return new CompiledRule
        {
            Action = rule.Action,
            Ref = rule,
            Protocol = protocol,
            Source = ingress ? peer : EntityMatcher.Any,
            Destination = ingress ? new EntityMatcher { Ports = ports, IsDestination = true } : WithPorts(peer, ports),
        };
    }

    private static EntityMatcher WithPorts(EntityMatcher peer, PortMatch[] ports) => new()
    {
        Positive = peer.Positive,
        Nets = peer.Nets,
        NotNets = peer.NotNets,
        NetsOnlyOutside = peer.NetsOnlyOutside,
        Ports = ports,
        IsDestination = true,
    };

    /// <summary>k8sPeerToCalicoFields + getEndpointSelector: ipBlock becomes nets/notNets; selectors are pods-only and namespace-scoped.</summary>
    private static EntityMatcher PeerMatcher(PolicyPeer peer, string policyNamespace, PolicyOptions options)
    {
        if (peer.IpBlock is { } block)
        {
            return new EntityMatcher
            {
                Nets = [Net.Of(block.Cidr)],
                NotNets = block.Except.Select(Net.Of).ToArray(),
                NetsOnlyOutside = !options.IpBlockMatchesPods,
            };
        }

        var pods = peer.PodSelector ?? LabelSelector.Empty;
        LabelTest? nsTest = null;
        if (peer.NamespaceSelector is { } nsSel)
        {
            // A present-but-empty namespaceSelector is all(), which Calico rewrites to "any namespaced endpoint".
            nsTest = nsSel.IsEmpty ? LabelTest.Of(HasNamespace) : LabelTest.Of(nsSel);
        }

        return new EntityMatcher
        {
            Positive = new PositiveMatch
            {
                RequireWorkload = true,
                NamespaceEquals = nsTest is null ? policyNamespace : null,
                NamespaceTest = nsTest,
                EndpointTest = pods.IsEmpty ? null : LabelTest.Of(pods),
            },
        };
    }

    /// <summary>
    /// An AdminNetworkPolicy becomes a global policy in tier kube-admin whose order is its priority; the
    /// BaselineAdminNetworkPolicy one in tier kube-baseline. Both select pods only (Calico adds orchestrator == 'k8s'),
    /// and their types come from the rule lists present, as Calico converts them.
    /// </summary>
    private static CompiledPolicy Compile(AdminNetworkPolicy a, Tier tier, IReadOnlyList<NodeInfo> nodes)
    {
        var kind = a.IsBaseline ? PolicyKind.BaselineAdminNetworkPolicy : PolicyKind.AdminNetworkPolicy;
        var reference = new PolicyRef(kind, null, a.Name, tier.Name, a.Priority, a.Source);
        var subject = a.Subject;
        return new CompiledPolicy
        {
            Ref = reference,
            Tier = tier,
            Types = CalicoPolicy.DefaultTypes(a.Ingress.Count > 0, a.Egress.Count > 0),
            Selects = id => id.IsWorkload && subject.Matches(id.NamespaceLabels, id.Labels),
            Ingress = CompileRules(a, reference, Direction.Ingress, nodes),
            Egress = CompileRules(a, reference, Direction.Egress, nodes),
            Origin = a,
            SourceIngressRules = a.Ingress.Count,
            SourceEgressRules = a.Egress.Count,
        };
    }

    /// <summary>
    /// One rule per (protocol × peer), as for a Kubernetes policy, with the rule's own action: ports grouped by protocol,
    /// named ports on their own (any protocol: the container port's), no ports meaning every protocol.
    /// </summary>
    private static CompiledRule[] CompileRules(AdminNetworkPolicy a, PolicyRef reference, Direction direction, IReadOnlyList<NodeInfo> nodes)
    {
        var rules = new List<CompiledRule>();
        var source = a.Rules(direction);
        var peerField = direction == Direction.Ingress ? "from" : "to";
        for (var i = 0; i < source.Count; i++)
        {
            var rule = source[i];
            var path = $"spec.{direction.FieldName()}[{i}]";
            if (rule.Unsupported is not null)
            {
                // Calico's fail-closed conversion: a Deny rule it cannot convert denies everything; any other is dropped.
                var ruleRef = new RuleRef(reference, direction, i, $"{path}.{peerField}", rule.Action) { Name = rule.Name };
                rules.Add(new CompiledRule { Action = rule.Action, Ref = ruleRef, Never = rule.Action != RuleAction.Deny });
                continue;
            }

            foreach (var (protocol, ports) in AdminPortGroups(rule.Ports))
            {
                for (var j = 0; j < rule.Peers.Count; j++)
                {
                    if (AdminPeerMatcher(rule.Peers[j], nodes) is { } peer)
                    {
                        var ruleRef = new RuleRef(reference, direction, i, $"{path}.{peerField}[{j}]", rule.Action) { Name = rule.Name };
                        rules.Add(PeerRule(ruleRef, protocol, peer, ports));
                    }
                }
            }
        }

        return rules.ToArray();
    }

    /// <summary>(protocol, ports): null ports are every port of every protocol; named ports go under no protocol.</summary>
    private static IEnumerable<(Protocol? Protocol, PortMatch[] Ports)> AdminPortGroups(IReadOnlyList<AdminPort>? ports)
    {
        if (ports is null)
        {
            yield return (null, []);
            yield break;
        }

        var named = ports.Where(p => p.Name is not null).Select(p => PortMatch.Named(p.Name!)).ToArray();
        if (named.Length > 0)
        {
            yield return (null, named);
        }

        foreach (var group in ports.Where(p => p.Name is null).GroupBy(p => p.Protocol!.Value).OrderBy(g => g.Key.Number))
        {
            yield return (group.Key, group.Select(p => PortMatch.Range(p.First, p.Last)).ToArray());
        }
    }

    /// <summary>Pods of selected namespaces, selected pods, node addresses, or CIDRs (which match pods too); null when a nodes peer selects no loaded node.</summary>
    private static EntityMatcher? AdminPeerMatcher(AdminPeer peer, IReadOnlyList<NodeInfo> nodes)
    {
        switch (peer.Kind)
        {
            case AdminPeerKind.Namespaces or AdminPeerKind.Pods:
                var pods = peer.Kind == AdminPeerKind.Pods && !peer.PodSelector.IsEmpty ? LabelTest.Of(peer.PodSelector) : null;
                return new EntityMatcher
                {
                    Positive = new PositiveMatch
                    {
                        RequireWorkload = true,
                        NamespaceTest = peer.NamespaceSelector.IsEmpty ? null : LabelTest.Of(peer.NamespaceSelector),
                        EndpointTest = pods,
                    },
                };
            case AdminPeerKind.Nodes:
                var addresses = NodeAddresses(peer, nodes).Select(a => Net.Of(new Prefix(a, IpNumber.Bits(a.AddressFamily)))).ToArray();
                return addresses.Length == 0 ? null : new EntityMatcher { Nets = addresses };
            default:
                return new EntityMatcher { Nets = peer.Networks.Select(Net.Of).ToArray() };
        }
    }

    /// <summary>The addresses of the nodes a nodes peer selects.</summary>
    internal static IEnumerable<System.Net.IPAddress> NodeAddresses(AdminPeer peer, IReadOnlyList<NodeInfo> nodes) =>
        nodes.Where(n => peer.NodeSelector.Matches(n.Labels)).SelectMany(n => n.Addresses).Distinct();

    private static readonly Selector HasNamespace = CalicoSelector.Parse($"has({Identity.NamespaceLabel})");

    private static CompiledPolicy Compile(CalicoPolicy c, Tier tier, Dictionary<string, ServiceInfo> services)
    {
        var kind = c.Kind == CalicoPolicyKind.NetworkPolicy ? PolicyKind.NetworkPolicy : PolicyKind.GlobalNetworkPolicy;
        var reference = new PolicyRef(kind, c.Namespace, c.Name, tier.Name, c.Order, c.Source);
        var selector = c.Selector.Selector;
        var nsSelector = c.NamespaceSelector?.Selector;
        var saSelector = c.ServiceAccountSelector?.Selector;
        var ns = c.Namespace;
        Func<Identity, bool> selects = id =>
            id.IsWorkload
            && (ns is null || id.Namespace == ns)
            && selector.Matches(id.Labels, id.IsGlobal)
            && (nsSelector is null || nsSelector.Matches(id.NamespaceLabels, id.IsGlobal))
            && (saSelector is null || saSelector.Matches(id.AccountLabels, id.IsGlobal));
        return new CompiledPolicy
        {
            Ref = reference,
            Tier = tier,
            Types = c.Types,
            Selects = selects,
            Ingress = CompileRules(c, reference, Direction.Ingress, services),
            Egress = CompileRules(c, reference, Direction.Egress, services),
            Origin = c,
            SourceIngressRules = c.Ingress.Count,
            SourceEgressRules = c.Egress.Count,
        };
    }

    private static CompiledRule[] CompileRules(CalicoPolicy c, PolicyRef reference, Direction direction, Dictionary<string, ServiceInfo> services)
    {
        var source = c.Rules(direction);
        var rules = new CompiledRule[source.Count];
        for (var i = 0; i < source.Count; i++)
        {
            var r = source[i];
            rules[i] = new CompiledRule
            {
                Action = r.Action,
                Ref = new RuleRef(reference, direction, i, $"spec.{direction.FieldName()}[{i}]", r.Action),
                Protocol = r.Protocol,
                NotProtocol = r.NotProtocol,
                Icmp = r.Icmp,
                NotIcmp = r.NotIcmp,
                IpVersion = r.IpVersion,
                Source = Entity(r.Source, c.Namespace, isDestination: false, services),
                Destination = Entity(r.Destination, c.Namespace, isDestination: true, services),
                Never = r.HasHttpMatch,
            };
        }

        return rules;
    }

    private static bool Given(SelectorExpression? s) => s is not null && !string.IsNullOrWhiteSpace(s.Text);

    /// <summary>getEndpointSelector: the namespace part is added when a selector, notSelector or namespaceSelector is written.</summary>
    private static EntityMatcher Entity(EntityRule e, string? policyNamespace, bool isDestination, Dictionary<string, ServiceInfo> services)
    {
        var hasSelector = Given(e.Selector);
        var hasNot = Given(e.NotSelector);
        var hasNsSelector = Given(e.NamespaceSelector);
        var hasAccounts = e.ServiceAccounts is not null && (e.ServiceAccounts.Names.Count > 0 || Given(e.ServiceAccounts.Selector));
        PositiveMatch? positive = null;
        var nsApplies = (hasNsSelector || policyNamespace is not null) && (hasSelector || hasNot || hasNsSelector || hasAccounts);
        if (nsApplies || hasSelector || hasAccounts)
        {
            positive = new PositiveMatch
            {
                NamespaceEquals = nsApplies && !hasNsSelector ? policyNamespace : null,
                NamespaceTest = nsApplies && hasNsSelector ? LabelTest.Of(RewriteNamespaceSelector(e.NamespaceSelector!.Selector)) : null,
                EndpointTest = hasSelector ? LabelTest.Of(e.Selector!.Selector) : null,
                AccountNames = hasAccounts && e.ServiceAccounts!.Names.Count > 0 ? new HashSet<string>(e.ServiceAccounts.Names, StringComparer.Ordinal) : null,
                AccountTest = hasAccounts && Given(e.ServiceAccounts!.Selector) ? LabelTest.Of(e.ServiceAccounts.Selector!.Selector) : null,
            };
        }

        ServiceInfo? service = null;
        if (e.Services is { } s)
        {
            services.TryGetValue($"{s.Namespace ?? policyNamespace ?? "default"}/{s.Name}", out service);
        }

        return new EntityMatcher
        {
            Positive = positive,
            Not = hasNot ? LabelTest.Of(e.NotSelector!.Selector) : null,
            Nets = e.Nets.Select(Net.Of).ToArray(),
            NotNets = e.NotNets.Select(Net.Of).ToArray(),
            Ports = e.Ports.ToArray(),
            NotPorts = e.NotPorts.ToArray(),
            HasService = e.Services is not null,
            Service = service,
            IsDestination = isDestination,
        };
    }

    /// <summary>
    /// Calico rewrites a rule's namespaceSelector on its canonical text: all() becomes has(projectcalico.org/namespace)
    /// (any namespaced endpoint) and global() becomes its negation (only non-namespaced resources).
    /// </summary>
    internal static Selector RewriteNamespaceSelector(Selector selector)
    {
        var text = selector.ToString();
        var rewritten = text
            .Replace("all()", $"has({Identity.NamespaceLabel})", StringComparison.Ordinal)
            .Replace("global()", $"!has({Identity.NamespaceLabel})", StringComparison.Ordinal);
        return rewritten == text ? selector : CalicoSelector.Parse(rewritten);
    }
}
