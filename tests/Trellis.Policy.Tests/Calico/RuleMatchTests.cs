using Trellis.Policy.Calico;
using Trellis.Policy.Evaluation;
using static Trellis.Policy.Tests.Calico.ShopCluster;

namespace Trellis.Policy.Tests.Calico;

/// <summary>What a Calico rule matches: protocols, ICMP, ports and named ports, nets, selectors and their scopes.</summary>
public sealed class RuleMatchTests
{
    private static PolicySetBuilder Egress(string rules, string selector = "app == 'web'", string kind = "GlobalNetworkPolicy", string ns = "") => new($$"""
        apiVersion: projectcalico.org/v3
        kind: {{kind}}
        metadata: { name: rules{{(ns.Length > 0 ? $", namespace: {ns}" : "")}} }
        spec:
          selector: {{selector}}
          types: [Egress]
          egress:
        {{rules}}
        """);

    private sealed class PolicySetBuilder(string yaml)
    {
        public bool Allowed(string to, Protocol protocol, int port, string from = "shop/web") =>
            Check(With(yaml), from, to, protocol, port).Allowed;

        public Verdict Verdict(string from, string to, Protocol protocol, int port, int? icmpType = null, int? icmpCode = null, int? sourcePort = null)
        {
            var engine = PolicyEngine.Compile(With(yaml));
            return engine.Check(new Flow(Resolve(engine, from), Resolve(engine, to), protocol, port)
            {
                IcmpType = icmpType,
                IcmpCode = icmpCode,
                SourcePort = sourcePort,
            });
        }
    }

    [Fact]
    public void ProtocolByNumber_IsTheNamedProtocol()
    {
        var p = Egress("    - { action: Allow, protocol: 17 }");
        Assert.True(p.Allowed("shop/api", Protocol.Udp, 53));
        Assert.False(p.Allowed("shop/api", Protocol.Tcp, 53));
    }

    [Fact]
    public void NotProtocol_MatchesEveryOtherProtocol()
    {
        var p = Egress("    - { action: Allow, notProtocol: TCP }");
        Assert.True(p.Allowed("shop/api", Protocol.Udp, 53));
        Assert.True(p.Allowed("shop/api", Protocol.Icmp, 0));
        Assert.False(p.Allowed("shop/api", Protocol.Tcp, 80));
    }

    [Fact]
    public void IcmpTypeAndCode()
    {
        var p = Egress("    - { action: Allow, protocol: ICMP, icmp: { type: 8, code: 0 } }");
        var echo = p.Verdict("shop/web", "shop/api", Protocol.Icmp, 0, icmpType: 8, icmpCode: 0);
        var unreachable = p.Verdict("shop/web", "shop/api", Protocol.Icmp, 0, icmpType: 3, icmpCode: 1);
        Assert.True(echo.Allowed);
        Assert.False(unreachable.Allowed);
    }

    [Fact]
    public void NotIcmp_ExcludesTheType()
    {
        var p = Egress("    - { action: Allow, protocol: ICMP, notICMP: { type: 5 } }");
        Assert.True(p.Verdict("shop/web", "shop/api", Protocol.Icmp, 0, icmpType: 8).Allowed);
        Assert.False(p.Verdict("shop/web", "shop/api", Protocol.Icmp, 0, icmpType: 5, icmpCode: 1).Allowed);
    }

    [Fact]
    public void PortRangesAndNotPorts()
    {
        var p = Egress("    - { action: Allow, protocol: TCP, destination: { ports: [80, \"8000:8100\"], notPorts: [8050] } }");
        Assert.True(p.Allowed("1.1.1.1", Protocol.Tcp, 80));
        Assert.True(p.Allowed("1.1.1.1", Protocol.Tcp, 8000));
        Assert.True(p.Allowed("1.1.1.1", Protocol.Tcp, 8100));
        Assert.False(p.Allowed("1.1.1.1", Protocol.Tcp, 8050));
        Assert.False(p.Allowed("1.1.1.1", Protocol.Tcp, 8101));
        Assert.False(p.Allowed("1.1.1.1", Protocol.Udp, 80));
    }

    [Fact]
    public void NamedPort_ResolvesOnTheDestinationEndpoint()
    {
        var p = Egress("    - { action: Allow, protocol: TCP, destination: { ports: [http] } }");
        Assert.True(p.Allowed("shop/api", Protocol.Tcp, 80));
        Assert.False(p.Allowed("shop/api", Protocol.Tcp, 8080));
        Assert.False(p.Allowed("1.1.1.1", Protocol.Tcp, 80));
    }

    [Fact]
    public void SourcePorts_DoNotMatchAnUnknownEphemeralPort()
    {
        var p = Egress("    - { action: Allow, protocol: UDP, source: { ports: [53] } }");
        Assert.False(p.Allowed("1.1.1.1", Protocol.Udp, 53));
        Assert.True(p.Verdict("shop/web", "1.1.1.1", Protocol.Udp, 33000, sourcePort: 53).Allowed);
    }

    [Fact]
    public void NetsAndNotNets()
    {
        var p = Egress("    - { action: Allow, destination: { nets: [0.0.0.0/0], notNets: [10.0.0.0/8] } }");
        Assert.True(p.Allowed("8.8.8.8", Protocol.Tcp, 443));
        Assert.False(p.Allowed("10.1.2.3", Protocol.Tcp, 443));
        Assert.False(p.Allowed("shop/api", Protocol.Tcp, 80));
    }

    [Fact]
    public void Nets_MatchPodAddressesToo()
    {
        var p = Egress("    - { action: Allow, destination: { nets: [10.244.2.0/24] } }");
        Assert.True(p.Allowed("db/postgres", Protocol.Tcp, 5432));
        Assert.False(p.Allowed("shop/api", Protocol.Tcp, 80));
    }

    [Fact]
    public void NotSelector_MatchesOutsideAddresses_ButANegatedSelectorDoesNot()
    {
        var not = Egress("    - { action: Allow, destination: { notSelector: app == 'postgres' } }");
        Assert.True(not.Allowed("1.1.1.1", Protocol.Tcp, 443));
        Assert.True(not.Allowed("shop/api", Protocol.Tcp, 80));
        Assert.False(not.Allowed("db/postgres", Protocol.Tcp, 5432));

        var negated = Egress("    - { action: Allow, destination: { selector: app != 'postgres' } }");
        Assert.False(negated.Allowed("1.1.1.1", Protocol.Tcp, 443));
        Assert.True(negated.Allowed("shop/api", Protocol.Tcp, 80));
        Assert.False(negated.Allowed("db/postgres", Protocol.Tcp, 5432));
    }

    [Fact]
    public void SelectorAllMatchesKnownResources_NotAllPackets()
    {
        var p = Egress("    - { action: Allow, destination: { selector: all() } }");
        Assert.True(p.Allowed("shop/api", Protocol.Tcp, 80));
        Assert.True(p.Allowed("8.8.8.8", Protocol.Udp, 53));
        Assert.False(p.Allowed("1.1.1.1", Protocol.Tcp, 443));
    }

    [Fact]
    public void NetworkSetLabels_AreMatchedBySelectors()
    {
        var p = Egress("    - { action: Allow, protocol: UDP, destination: { selector: role == 'dns', ports: [53] } }");
        Assert.True(p.Allowed("8.8.8.8", Protocol.Udp, 53));
        Assert.False(p.Allowed("1.1.1.1", Protocol.Udp, 53));
    }

    [Fact]
    public void NamespacedPolicyRuleSelector_SeesOnlyItsOwnNamespace()
    {
        var own = Egress("    - { action: Allow, destination: { selector: app == 'postgres' } }", kind: "NetworkPolicy", ns: "shop");
        Assert.False(own.Allowed("db/postgres", Protocol.Tcp, 5432));

        var other = Egress("    - { action: Allow, destination: { selector: app == 'postgres', namespaceSelector: projectcalico.org/name == 'db' } }", kind: "NetworkPolicy", ns: "shop");
        Assert.True(other.Allowed("db/postgres", Protocol.Tcp, 5432));
    }

    [Fact]
    public void NamespacedPolicyRule_WithOnlyNotSelector_IsScopedToItsNamespace()
    {
        // rules.go: the positive selector becomes the namespace selector.
        var p = Egress("    - { action: Allow, destination: { notSelector: app == 'web' } }", kind: "NetworkPolicy", ns: "shop");
        Assert.True(p.Allowed("shop/api", Protocol.Tcp, 80));
        Assert.False(p.Allowed("db/postgres", Protocol.Tcp, 5432));
        Assert.False(p.Allowed("1.1.1.1", Protocol.Tcp, 443));
    }

    [Fact]
    public void NamespacedPolicyRule_WithOnlyNets_HasNoNamespaceRestriction()
    {
        var p = Egress("    - { action: Allow, destination: { nets: [10.244.0.0/16] } }", kind: "NetworkPolicy", ns: "shop");
        Assert.True(p.Allowed("db/postgres", Protocol.Tcp, 5432));
    }

    [Fact]
    public void NamespaceSelectorAll_MeansAnyNamespacedEndpoint_AndGlobalOnlyNonNamespaced()
    {
        var all = Egress("    - { action: Allow, destination: { namespaceSelector: all() } }");
        Assert.True(all.Allowed("db/postgres", Protocol.Tcp, 5432));
        Assert.False(all.Allowed("8.8.8.8", Protocol.Udp, 53));

        var global = Egress("    - { action: Allow, destination: { namespaceSelector: global() } }");
        Assert.False(global.Allowed("db/postgres", Protocol.Tcp, 5432));
        Assert.True(global.Allowed("8.8.8.8", Protocol.Udp, 53));
        Assert.False(global.Allowed("1.1.1.1", Protocol.Udp, 53));
    }

    [Fact]
    public void ServiceAccountsInRules_ByNameAndBySelector()
    {
        var byName = Egress("    - { action: Allow, source: { serviceAccounts: { names: [web-sa] } } }", selector: "all()");
        Assert.True(byName.Allowed("db/postgres", Protocol.Tcp, 5432, from: "shop/web"));
        Assert.False(byName.Allowed("db/postgres", Protocol.Tcp, 5432, from: "shop/api"));

        var bySelector = Egress("    - { action: Allow, source: { serviceAccounts: { selector: trust == 'high' } } }", selector: "all()");
        Assert.True(bySelector.Allowed("db/postgres", Protocol.Tcp, 5432, from: "shop/web"));
        Assert.False(bySelector.Allowed("db/postgres", Protocol.Tcp, 5432, from: "shop/api"));
    }

    [Fact]
    public void PolicyServiceAccountSelector_AndGlobalNamespaceSelector_ChooseTheEndpoints()
    {
        var set = With("""
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: high-trust-isolated }
            spec:
              namespaceSelector: team == 'web'
              serviceAccountSelector: trust == 'high'
              ingress: [ { action: Deny } ]
            """);
        Assert.False(Check(set, "shop/api", "shop/web", Protocol.Tcp, 8080).Allowed);
        Assert.True(Check(set, "shop/web", "shop/api", Protocol.Tcp, 80).Allowed);
    }

    [Fact]
    public void DestinationService_MatchesItsBackendsOnTheTargetPort()
    {
        var p = Egress("    - { action: Allow, destination: { services: { name: postgres, namespace: db } } }");
        Assert.True(p.Allowed("db/postgres", Protocol.Tcp, 5432));
        Assert.False(p.Allowed("db/postgres", Protocol.Tcp, 5433));
        Assert.False(p.Allowed("shop/api", Protocol.Tcp, 5432));
    }

    [Fact]
    public void IpVersion_LimitsTheRuleToOneFamily()
    {
        var p = Egress("    - { action: Allow, ipVersion: 6 }");
        Assert.False(p.Allowed("8.8.8.8", Protocol.Tcp, 443));
        Assert.True(Egress("    - { action: Allow, ipVersion: 4 }").Allowed("8.8.8.8", Protocol.Tcp, 443));
    }

    [Fact]
    public void HttpMatch_CannotBeJudged_SoTheRuleMatchesNothing()
    {
        var p = Egress("    - { action: Allow, http: { methods: [GET] } }");
        Assert.False(p.Allowed("shop/api", Protocol.Tcp, 80));
    }
}

public sealed class ServiceCheckTests
{
    [Fact]
    public void CheckService_EvaluatesEachBackendOnItsTargetPort()
    {
        var set = ShopCluster.With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: pg, namespace: db }
            spec:
              podSelector: { matchLabels: { app: postgres } }
              ingress:
                - from: [ { namespaceSelector: { matchLabels: { team: web } }, podSelector: { matchLabels: { app: api } } } ]
                  ports: [ { port: pg } ]
            """);
        var engine = PolicyEngine.Compile(set);
        var service = set.Services.Single();
        var fromApi = Assert.Single(engine.CheckService(engine.FindEndpoint("shop/api")!, service, 5432));
        Assert.True(fromApi.Allowed);
        Assert.Equal(5432, fromApi.Flow.Port);
        Assert.False(Assert.Single(engine.CheckService(engine.FindEndpoint("shop/web")!, service, 5432)).Allowed);
        Assert.Empty(engine.CheckService(engine.FindEndpoint("shop/web")!, service, 80));
    }
}
