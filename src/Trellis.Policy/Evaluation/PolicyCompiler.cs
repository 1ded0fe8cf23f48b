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
                    rules.Add(K8sRule(reference, direction, i, $"spec.{direction.FieldName()}[{i}]", protocol, EntityMatcher.Any, portArray));
                }

                for (var j = 0; j < rule.Peers.Count; j++)
                {
                    var peer = PeerMatcher(rule.Peers[j], k.Namespace, options);
                    rules.Add(K8sRule(reference, direction, i, $"spec.{direction.FieldName()}[{i}].{peerField}[{j}]", protocol, peer, portArray));
                }
            }
        }

        return rules.ToArray();
    }

    private static CompiledRule K8sRule(PolicyRef reference, Direction direction, int index, string path, Protocol? protocol, EntityMatcher peer, PortMatch[] ports)
    {
        var portsOnly = new EntityMatcher { Ports = ports, IsDestination = true };
        var destination = direction == Direction.Ingress ? portsOnly : WithPorts(peer, ports);
        return new CompiledRule
        {
            Action = RuleAction.Allow,
            Ref = new RuleRef(reference, direction, index, path, RuleAction.Allow),
            Protocol = protocol,
            Source = direction == Direction.Ingress ? peer : EntityMatcher.Any,
            Destination = destination,
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
