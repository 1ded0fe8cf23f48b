using Trellis.Policy.Calico;
using Trellis.Policy.Evaluation;
using Trellis.Policy.Manifests;
using static Trellis.Policy.Tests.Calico.ShopCluster;

namespace Trellis.Policy.Tests.Evaluation;

/// <summary>
/// Rules of reference/network-policy-semantics.md pinned one by one, one test (or row) per rule, each asserting a flow
/// the rule allows and one it denies; the line numbers in the comments are the reference's.
/// </summary>
public sealed class ReferenceRulesTests
{
    private const string Cluster = """
        apiVersion: v1
        kind: Namespace
        metadata: { name: a, labels: { team: a } }
        ---
        apiVersion: v1
        kind: Namespace
        metadata: { name: b, labels: { team: b } }
        ---
        apiVersion: v1
        kind: ServiceAccount
        metadata: { name: sa1, namespace: a, labels: { trust: high } }
        ---
        apiVersion: v1
        kind: Pod
        metadata: { name: client, namespace: a, labels: { app: client } }
        spec:
          serviceAccountName: sa1
          containers: [ { name: c, image: c } ]
        status: { podIP: 10.0.1.1 }
        ---
        apiVersion: v1
        kind: Pod
        metadata: { name: server, namespace: a, labels: { app: server } }
        spec:
          containers:
            - name: s
              image: s
              ports: [ { name: http, containerPort: 8080 }, { name: dns, containerPort: 53, protocol: UDP } ]
        status: { podIP: 10.0.1.2 }
        ---
        apiVersion: v1
        kind: Pod
        metadata: { name: client, namespace: b, labels: { app: client } }
        spec: { containers: [ { name: c, image: c } ] }
        status: { podIP: 10.0.2.1 }
        ---
        apiVersion: v1
        kind: Pod
        metadata: { name: server, namespace: b, labels: { app: server } }
        spec:
          containers:
            - name: s
              image: s
              ports: [ { name: http, containerPort: 9090 } ]
        status: { podIP: 10.0.2.2 }
        """;

    /// <summary>A Kubernetes policy in the default tier that allows all ingress to a/server.</summary>
    private const string AllowAllToServer = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: { name: allow-all, namespace: a }
        spec:
          podSelector: { matchLabels: { app: server } }
          ingress: [ {} ]
        """;

    private static PolicySet Load(params string[] policies)
    {
        var set = LoadWithFindings(policies);
        Assert.Empty(set.Findings);
        return set;
    }

    private static PolicySet LoadWithFindings(params string[] policies) =>
        ManifestLoader.LoadText(string.Join("\n---\n", policies.Prepend(Cluster)), "reference.yaml");

    private static bool Allowed(PolicySet set, string from, string to, Protocol protocol, int port) =>
        Check(set, from, to, protocol, port).Allowed;

    private static Verdict Icmp(PolicySet set, string from, string to, Protocol protocol, int type)
    {
        var engine = PolicyEngine.Compile(set);
        return engine.Check(new Flow(Resolve(engine, from), Resolve(engine, to), protocol, 0) { IcmpType = type });
    }

    // ---- Kubernetes NetworkPolicy ----

    [Fact]
    public void KubernetesPolicyWithoutPodSelector_SelectsEveryPodOfItsNamespace()
    {
        // L23: a missing podSelector defaults to empty.
        var set = Load("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: nops, namespace: a }
            spec:
              policyTypes: [Ingress]
            """);
        Assert.False(Allowed(set, "a/client", "a/server", Protocol.Tcp, 8080));
        Assert.False(Allowed(set, "b/client", "a/client", Protocol.Tcp, 80));
        Assert.True(Allowed(set, "b/client", "b/server", Protocol.Tcp, 9090));
    }

    [Fact]
    public void ExplicitEmptyIngressList_IsolatesAndAllowsNothing()
    {
        // L31-32: `ingress: []` with Ingress in the types only isolates.
        var set = Load("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: emptying, namespace: a }
            spec:
              podSelector: { matchLabels: { app: server } }
              ingress: []
            """);
        var v = Check(set, "a/client", "a/server", Protocol.Tcp, 8080);
        Assert.False(v.Allowed);
        Assert.Equal(Decision.EndOfTier, v.Ingress.Decision);
        Assert.True(Allowed(set, "a/server", "a/client", Protocol.Tcp, 80));
        Assert.True(Allowed(set, "a/client", "b/server", Protocol.Tcp, 9090));
    }

    [Fact]
    public void ExplicitEmptyFromAndPorts_MeanAllPeersAndAllPorts()
    {
        // L37: an empty `from` means all peers, an empty `ports` all ports.
        var set = Load("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: emptyfrom, namespace: a }
            spec:
              podSelector: { matchLabels: { app: server } }
              ingress: [ { from: [], ports: [] } ]
            """);
        var v = Check(set, "b/client", "a/server", Protocol.Tcp, 8080);
        Assert.True(v.Allowed);
        Assert.Equal(Decision.RuleAllowed, v.Ingress.Decision);
        Assert.Equal("emptyfrom", v.Ingress.Policy!.Name);
        Assert.Equal(Decision.RuleAllowed, Check(set, "1.2.3.4", "a/server", Protocol.Udp, 53).Ingress.Decision);
    }

    [Fact]
    public void EmptyPodAndNamespaceSelectorsInOnePeer_MatchEveryPodButNoOutsideAddress()
    {
        // L44: both selectors in one peer are ANDed; present-but-empty selectors select all pods of all namespaces.
        var set = Load("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: bothempty, namespace: a }
            spec:
              podSelector: { matchLabels: { app: server } }
              ingress: [ { from: [ { podSelector: {}, namespaceSelector: {} } ] } ]
            """);
        Assert.True(Allowed(set, "b/client", "a/server", Protocol.Tcp, 8080));
        Assert.True(Allowed(set, "a/client", "a/server", Protocol.Tcp, 8080));
        Assert.False(Allowed(set, "1.2.3.4", "a/server", Protocol.Tcp, 8080));
    }

    [Fact]
    public void KubernetesPortWithoutProtocol_IsTcp()
    {
        // L54: protocol defaults to TCP.
        var set = Load("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: p80, namespace: a }
            spec:
              podSelector: { matchLabels: { app: server } }
              ingress: [ { ports: [ { port: 80 } ] } ]
            """);
        Assert.True(Allowed(set, "a/client", "a/server", Protocol.Tcp, 80));
        Assert.False(Allowed(set, "a/client", "a/server", Protocol.Udp, 80));
        Assert.False(Allowed(set, "a/client", "a/server", Protocol.Sctp, 80));
        Assert.False(Allowed(set, "a/client", "a/server", Protocol.Tcp, 81));
    }

    [Theory]
    [InlineData("", false)]
    [InlineData(", protocol: UDP", true)]
    public void KubernetesNamedPort_MatchesOnlyWithTheProtocolOfItsContainerPort(string protocol, bool udpAllowed)
    {
        // L56 with L54: `dns` is a UDP container port, so the TCP default finds no port of that name.
        var set = Load($$"""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: named, namespace: a }
            spec:
              podSelector: { matchLabels: { app: server } }
              ingress: [ { ports: [ { port: dns{{protocol}} } ] } ]
            """);
        Assert.Equal(udpAllowed, Allowed(set, "a/client", "a/server", Protocol.Udp, 53));
        Assert.False(Allowed(set, "a/client", "a/server", Protocol.Tcp, 53));
    }

    [Fact]
    public void EmptyPolicyTypes_IsDefaultedLikeUnset_SoEgressRulesIsolateEgress()
    {
        // L172: the API server defaults `policyTypes: []` as if unset: Ingress, plus Egress because egress rules exist.
        var set = Load("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: emptytypes, namespace: a }
            spec:
              podSelector: { matchLabels: { app: client } }
              policyTypes: []
              egress: [ { to: [ { ipBlock: { cidr: 9.9.9.9/32 } } ] } ]
            """);
        var allowed = Check(set, "a/client", "9.9.9.9", Protocol.Tcp, 80);
        Assert.True(allowed.Allowed);
        Assert.Equal("emptytypes", allowed.Egress.Policy!.Name);
        Assert.False(Allowed(set, "a/client", "1.2.3.4", Protocol.Tcp, 80));
        Assert.False(Allowed(set, "a/server", "a/client", Protocol.Tcp, 80));
    }

    // ---- Calico resources and types ----

    [Fact]
    public void NamespacedCalicoPolicySelector_CoversOnlyItsNamespace()
    {
        // L87: projectcalico.org/namespace == '<ns>' is ANDed into the selector.
        var set = Load("""
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: { name: iso, namespace: a }
            spec:
              selector: app == 'server'
              ingress: [ { action: Deny } ]
            """);
        Assert.False(Allowed(set, "a/client", "a/server", Protocol.Tcp, 8080));
        Assert.True(Allowed(set, "b/client", "b/server", Protocol.Tcp, 9090));
    }

    [Fact]
    public void ServiceAccountSelectorOfANamespacedPolicy_SelectsByTheEndpointsAccount()
    {
        // L89: serviceAccountSelector works on NetworkPolicy too; a/client runs as sa1 (trust: high), a/server does not.
        var set = Load("""
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: { name: sasel, namespace: a }
            spec:
              serviceAccountSelector: trust == 'high'
              ingress: [ { action: Deny } ]
            """);
        Assert.False(Allowed(set, "b/client", "a/client", Protocol.Tcp, 80));
        Assert.True(Allowed(set, "a/client", "a/server", Protocol.Tcp, 8080));
    }

    [Theory]
    [InlineData("", false, true)]
    [InlineData("ingress: [ { action: Deny } ]", false, true)]
    [InlineData("egress: [ { action: Deny } ]", true, false)]
    [InlineData("ingress: [ { action: Deny } ]\n  egress: [ { action: Deny } ]", false, false)]
    public void CalicoTypesDefault_FollowsTheRulesPresent(string rules, bool ingressAllowed, bool egressAllowed)
    {
        // L96-99: no rules or ingress only -> Ingress; egress only -> Egress; both -> Ingress, Egress.
        var set = Load($$"""
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: { name: both, namespace: a }
            spec:
              selector: app == 'client'
              {{rules}}
            """);
        Assert.Equal(ingressAllowed, Allowed(set, "a/server", "a/client", Protocol.Tcp, 80));
        Assert.Equal(egressAllowed, Allowed(set, "a/client", "a/server", Protocol.Tcp, 8080));
    }

    [Fact]
    public void ExplicitTypes_LeaveTheRulesOfAnUnlistedDirectionOut()
    {
        // L104: a policy takes part in a direction only if that direction is in its types.
        const string policy = """
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: { name: t, namespace: a }
            spec:
              selector: app == 'client'
              types: [Ingress]
              ingress: [ { action: Allow } ]
              egress: [ { action: Deny } ]
            """;
        var set = Load(policy);
        var egress = Check(set, "a/client", "a/server", Protocol.Tcp, 8080);
        Assert.True(egress.Allowed);
        Assert.Equal(Decision.NoPolicy, egress.Egress.Decision);
        Assert.Equal(Decision.RuleAllowed, Check(set, "a/server", "a/client", Protocol.Tcp, 80).Ingress.Decision);
        Assert.False(Allowed(Load(policy.Replace("types: [Ingress]", "types: [Ingress, Egress]", StringComparison.Ordinal)), "a/client", "a/server", Protocol.Tcp, 8080));
    }

    // ---- Calico tiers and ordering ----

    [Fact]
    public void TierWithoutOrder_RunsAfterEveryOrderedTier()
    {
        // L105: a nil tier order counts as +infinity, so it runs after the default tier.
        const string noOrder = """
            apiVersion: projectcalico.org/v3
            kind: Tier
            metadata: { name: noorder }
            spec: {}
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: noorder.deny }
            spec:
              tier: noorder
              selector: app == 'server'
              ingress: [ { action: Deny } ]
            """;
        var alone = Check(Load(noOrder), "a/client", "a/server", Protocol.Tcp, 8080);
        Assert.False(alone.Allowed);
        Assert.Equal("noorder", alone.Ingress.Tier);
        var afterDefault = Check(Load(noOrder, AllowAllToServer), "a/client", "a/server", Protocol.Tcp, 8080);
        Assert.True(afterDefault.Allowed);
        Assert.Equal("default", afterDefault.Ingress.Tier);
    }

    [Theory]
    [InlineData("alpha", false)]
    [InlineData("zeta", true)]
    public void TiersOfEqualOrder_RunInNameOrder(string denyTier, bool allowed)
    {
        // L105: equal tier orders break on the tier name; "beta" allows, the other tier denies.
        var set = Load($$"""
            apiVersion: projectcalico.org/v3
            kind: Tier
            metadata: { name: beta }
            spec: { order: 100 }
            ---
            apiVersion: projectcalico.org/v3
            kind: Tier
            metadata: { name: {{denyTier}} }
            spec: { order: 100 }
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: beta.allow }
            spec:
              tier: beta
              selector: app == 'server'
              ingress: [ { action: Allow } ]
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: {{denyTier}}.deny }
            spec:
              tier: {{denyTier}}
              selector: app == 'server'
              ingress: [ { action: Deny } ]
            """);
        var v = Check(set, "a/client", "a/server", Protocol.Tcp, 8080);
        Assert.Equal(allowed, v.Allowed);
        Assert.Equal(allowed ? "beta" : denyTier, v.Ingress.Tier);
    }

    [Theory]
    [InlineData("aaa", false)]
    [InlineData("zzz", true)]
    public void TierAtTheDefaultTiersOrder_RunsBeforeOrAfterItByName(string tier, bool allowed)
    {
        // L105: a tier at order 1,000,000 sorts against "default" by name.
        var set = Load($$"""
            apiVersion: projectcalico.org/v3
            kind: Tier
            metadata: { name: {{tier}} }
            spec: { order: 1000000 }
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: {{tier}}.deny }
            spec:
              tier: {{tier}}
              selector: app == 'server'
              ingress: [ { action: Deny } ]
            """, AllowAllToServer);
        var v = Check(set, "a/client", "a/server", Protocol.Tcp, 8080);
        Assert.Equal(allowed, v.Allowed);
        Assert.Equal(allowed ? "default" : tier, v.Ingress.Tier);
    }

    [Theory]
    [InlineData("x", false)]
    [InlineData("x-y", false)]
    [InlineData("x0", true)]
    public void EqualPolicyOrder_BreaksTiesOnTheNameNamespaceKindString(string globalName, bool allowed)
    {
        // L106: "<name>/<namespace>/<kind>" compared as one string: "x//…" and "x-y//…" sort before "x/a/…", "x0//…" after it.
        var set = Load($$"""
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: {{globalName}} }
            spec:
              order: 10
              selector: app == 'server'
              ingress: [ { action: Deny } ]
            ---
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: { name: x, namespace: a }
            spec:
              order: 10
              selector: app == 'server'
              ingress: [ { action: Allow } ]
            """);
        var v = Check(set, "a/client", "a/server", Protocol.Tcp, 8080);
        Assert.Equal(allowed, v.Allowed);
        Assert.Equal(allowed ? PolicyKind.NetworkPolicy : PolicyKind.GlobalNetworkPolicy, v.Ingress.Policy!.Kind);
    }

    [Fact]
    public void Pass_SkipsTheRestOfItsTier()
    {
        // L107: Pass goes to the next tier (here none, so the profile); the later Deny of the same tier never runs.
        const string policies = """
            apiVersion: projectcalico.org/v3
            kind: Tier
            metadata: { name: sec }
            spec: { order: 100 }
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: sec.pass }
            spec:
              tier: sec
              order: 1
              selector: app == 'server'
              ingress: [ { action: Pass } ]
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: sec.deny }
            spec:
              tier: sec
              order: 2
              selector: app == 'server'
              ingress: [ { action: Deny } ]
            """;
        var v = Check(Load(policies), "a/client", "a/server", Protocol.Tcp, 8080);
        Assert.True(v.Allowed);
        Assert.Equal(Decision.ProfileAllowed, v.Ingress.Decision);
        Assert.Equal(["sec"], v.Ingress.PassedTiers);
        var denyFirst = Check(Load(policies.Replace("order: 1\n", "order: 3\n", StringComparison.Ordinal)), "a/client", "a/server", Protocol.Tcp, 8080);
        Assert.False(denyFirst.Allowed);
        Assert.Equal("sec.deny", denyFirst.Ingress.Policy!.Name);
    }

    [Fact]
    public void Allow_SkipsLaterTiers()
    {
        // L107: an Allow returns from the endpoint's policy chain, so the default tier's Deny never runs.
        const string deny = """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: deny }
            spec:
              selector: app == 'server'
              ingress: [ { action: Deny } ]
            """;
        var set = Load("""
            apiVersion: projectcalico.org/v3
            kind: Tier
            metadata: { name: sec }
            spec: { order: 100 }
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: sec.allow }
            spec:
              tier: sec
              selector: app == 'server'
              ingress: [ { action: Allow } ]
            """, deny);
        var v = Check(set, "a/client", "a/server", Protocol.Tcp, 8080);
        Assert.True(v.Allowed);
        Assert.Equal("sec", v.Ingress.Tier);
        Assert.Equal("sec.allow", v.Ingress.Policy!.Name);
        Assert.False(Allowed(Load(deny), "a/client", "a/server", Protocol.Tcp, 8080));
    }

    [Fact]
    public void TierWhosePoliciesDoNotGovernADirection_IsSkippedInThatDirection()
    {
        // L104/L109: sec has only an Egress policy for a/server, so its end-of-tier drop does not apply to ingress.
        var set = Load("""
            apiVersion: projectcalico.org/v3
            kind: Tier
            metadata: { name: sec }
            spec: { order: 100 }
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: sec.egress }
            spec:
              tier: sec
              selector: app == 'server'
              types: [Egress]
              egress: [ { action: Deny } ]
            """);
        var ingress = Check(set, "a/client", "a/server", Protocol.Tcp, 8080);
        Assert.True(ingress.Allowed);
        Assert.Equal(Decision.NoPolicy, ingress.Ingress.Decision);
        var egress = Check(set, "a/server", "a/client", Protocol.Tcp, 80);
        Assert.False(egress.Allowed);
        Assert.Equal("sec", egress.Egress.Tier);
    }

    [Fact]
    public void NamespaceProfile_AllowsIngressFromOtherNamespaces()
    {
        // L112: the kns.<namespace> profile allows all ingress (the code, not the docs' "same namespace").
        var set = Load("""
            apiVersion: projectcalico.org/v3
            kind: Tier
            metadata: { name: sec }
            spec: { order: 100 }
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: sec.pass-b }
            spec:
              tier: sec
              selector: app == 'server'
              ingress:
                - action: Pass
                  source: { namespaceSelector: team == 'b' }
                - action: Deny
            """);
        var fromB = Check(set, "b/client", "a/server", Protocol.Tcp, 8080);
        Assert.True(fromB.Allowed);
        Assert.Equal(Decision.ProfileAllowed, fromB.Ingress.Decision);
        Assert.False(Allowed(set, "a/client", "a/server", Protocol.Tcp, 8080));
    }

    [Fact]
    public void KubeAdminTier_RunsBeforeOtherTiersAndPassesByDefault()
    {
        // L115-116: kube-admin has order 1,000 and defaultAction Pass.
        var set = Load("""
            apiVersion: projectcalico.org/v3
            kind: Tier
            metadata: { name: user }
            spec: { order: 2000 }
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: user.deny }
            spec:
              tier: user
              selector: app == 'server'
              ingress: [ { action: Deny } ]
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: kube-admin.allow }
            spec:
              tier: kube-admin
              selector: app == 'server'
              ingress: [ { action: Allow, source: { selector: app == 'client' } } ]
            """);
        var admitted = Check(set, "a/client", "a/server", Protocol.Tcp, 8080);
        Assert.True(admitted.Allowed);
        Assert.Equal("kube-admin", admitted.Ingress.Tier);
        var passed = Check(set, "1.2.3.4", "a/server", Protocol.Tcp, 8080);
        Assert.False(passed.Allowed);
        Assert.Equal(Decision.RuleDenied, passed.Ingress.Decision);
        Assert.Equal("user", passed.Ingress.Tier);
    }

    [Fact]
    public void KubeBaselineTier_RunsAfterTheDefaultTierAndPassesByDefault()
    {
        // L117-118: kube-baseline has order 10,000,000 and defaultAction Pass.
        const string baselineDeny = """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: kube-baseline.deny }
            spec:
              tier: kube-baseline
              selector: app == 'server'
              ingress: [ { action: Deny } ]
            """;
        var alone = Check(Load(baselineDeny), "a/client", "a/server", Protocol.Tcp, 8080);
        Assert.False(alone.Allowed);
        Assert.Equal("kube-baseline", alone.Ingress.Tier);
        var afterDefault = Check(Load(baselineDeny, AllowAllToServer), "a/client", "a/server", Protocol.Tcp, 8080);
        Assert.True(afterDefault.Allowed);
        Assert.Equal("default", afterDefault.Ingress.Tier);

        var only443 = Load("""
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: kube-baseline.only443 }
            spec:
              tier: kube-baseline
              selector: app == 'server'
              ingress: [ { action: Allow, protocol: TCP, destination: { ports: [443] } } ]
            """);
        Assert.Equal(Decision.RuleAllowed, Check(only443, "a/client", "a/server", Protocol.Tcp, 443).Ingress.Decision);
        Assert.Equal(Decision.ProfileAllowed, Check(only443, "a/client", "a/server", Protocol.Tcp, 80).Ingress.Decision);
    }

    // ---- Calico rules ----

    [Fact]
    public void UdpLiteAndIcmpV6_AreAcceptedProtocols()
    {
        // L123: protocol takes TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or 1-255.
        var set = Load("""
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: protos }
            spec:
              selector: app == 'server'
              ingress:
                - { action: Allow, protocol: UDPLite }
                - { action: Allow, protocol: ICMPv6, icmp: { type: 128 } }
            """);
        Assert.True(Allowed(set, "a/client", "a/server", Protocol.UdpLite, 5000));
        Assert.False(Allowed(set, "a/client", "a/server", Protocol.Udp, 5000));
        Assert.True(Icmp(set, "a/client", "a/server", Protocol.IcmpV6, 128).Allowed);
        Assert.False(Icmp(set, "a/client", "a/server", Protocol.IcmpV6, 129).Allowed);
        Assert.False(Icmp(set, "a/client", "a/server", Protocol.Icmp, 128).Allowed);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("256")]
    public void ProtocolNumberOutside1To255_IsRejected(string protocol)
    {
        // L123: numbers are 1-255.
        var set = LoadWithFindings($$"""
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: protos }
            spec:
              selector: app == 'server'
              ingress: [ { action: Allow, protocol: {{protocol}} } ]
            """);
        Assert.Contains(set.Findings, f => f.Code == "ProtocolInvalid");
        Assert.Empty(set.CalicoPolicies);
    }

    [Fact]
    public void SelectorAndNotSelector_AreAnded()
    {
        // L124: every criterion of a rule is ANDed, positive and negative alike.
        var set = Load("""
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: g }
            spec:
              selector: app == 'server'
              ingress:
                - action: Allow
                  source: { selector: app == 'client', notSelector: projectcalico.org/namespace == 'b' }
            """);
        Assert.True(Allowed(set, "a/client", "a/server", Protocol.Tcp, 8080));
        Assert.False(Allowed(set, "b/client", "a/server", Protocol.Tcp, 8080));
    }

    [Theory]
    [InlineData("low", false)]
    [InlineData("high", true)]
    public void ServiceAccountNamesAndSelector_AreAnded(string trust, bool allowed)
    {
        // L129: serviceAccounts {names, selector} must both match; sa1 is labelled trust: high.
        var set = Load($$"""
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: sa }
            spec:
              selector: app == 'server'
              ingress:
                - action: Allow
                  source: { serviceAccounts: { names: [sa1], selector: trust == '{{trust}}' } }
            """);
        Assert.Equal(allowed, Allowed(set, "a/client", "a/server", Protocol.Tcp, 8080));
        Assert.False(Allowed(set, "b/client", "a/server", Protocol.Tcp, 8080));
    }

    [Theory]
    [InlineData("GlobalNetworkPolicy", "", "selector")]
    [InlineData("NetworkPolicy", ", namespace: a", "selector")]
    [InlineData("GlobalNetworkPolicy", "", "namespaceSelector")]
    public void EmptySelectorText_IsAnOmittedSelector(string kind, string ns, string field)
    {
        // L131/L158: an empty selector is all(), and all() as a rule selector would match only known endpoints, yet
        // `selector: ""` is an omitted field and matches all packets.
        const string template = """
            apiVersion: projectcalico.org/v3
            kind: KIND
            metadata: { name: emptysel NS }
            spec:
              selector: app == 'server'
              ingress: [ { action: Allow, source: { FIELD: SELECTOR } } ]
            """;
        string Policy(string selector) => template.Replace("KIND", kind, StringComparison.Ordinal).Replace(" NS", ns, StringComparison.Ordinal)
            .Replace("FIELD", field, StringComparison.Ordinal).Replace("SELECTOR", selector, StringComparison.Ordinal);
        var empty = Load(Policy("\"\""));
        Assert.True(Allowed(empty, "1.2.3.4", "a/server", Protocol.Tcp, 8080));
        Assert.True(Allowed(empty, "b/client", "a/server", Protocol.Tcp, 8080));
        Assert.False(Allowed(Load(Policy("all()")), "1.2.3.4", "a/server", Protocol.Tcp, 8080));
    }

    [Fact]
    public void EmptyRuleNamespaceSelectorInAGlobalPolicy_MeansAllNamespaces()
    {
        // L138.
        var set = Load("""
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: g }
            spec:
              selector: app == 'server'
              ingress:
                - action: Allow
                  source: { selector: app == 'client', namespaceSelector: "" }
            """);
        Assert.True(Allowed(set, "a/client", "a/server", Protocol.Tcp, 8080));
        Assert.True(Allowed(set, "b/client", "a/server", Protocol.Tcp, 8080));
        Assert.False(Allowed(set, "b/server", "a/server", Protocol.Tcp, 8080));
    }

    [Theory]
    [InlineData("selector: \"projectcalico.org/orchestrator == 'k8s' && projectcalico.org/namespace == 'b'\"", "b/client", "a/client")]
    [InlineData("serviceAccounts: { selector: projectcalico.org/name == 'sa1' }", "a/client", "b/client")]
    [InlineData("namespaceSelector: projectcalico.org/name == 'b'", "b/client", "a/client")]
    public void AutomaticLabels_AreMatchedBySelectors(string source, string allowedFrom, string deniedFrom)
    {
        // L140: projectcalico.org/name on namespaces and service accounts, /namespace and /orchestrator on endpoints.
        var set = Load($$"""
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: lbl }
            spec:
              selector: app == 'server'
              ingress:
                - action: Allow
                  source: { {{source}} }
            """);
        Assert.True(Allowed(set, allowedFrom, "a/server", Protocol.Tcp, 8080));
        Assert.False(Allowed(set, deniedFrom, "a/server", Protocol.Tcp, 8080));
    }

    [Fact]
    public void KubernetesPodSelectorPeer_DoesNotMatchNetworkSets_ButACalicoSelectorDoes()
    {
        // L166: a podSelector becomes "projectcalico.org/orchestrator == 'k8s' && ...", which no network set carries.
        const string networkSet = """
            apiVersion: projectcalico.org/v3
            kind: NetworkSet
            metadata: { name: ext, namespace: a, labels: { app: client } }
            spec: { nets: [ 8.8.8.0/24 ] }
            """;
        var kubernetes = Load(networkSet, """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: frompods, namespace: a }
            spec:
              podSelector: { matchLabels: { app: server } }
              ingress: [ { from: [ { podSelector: { matchLabels: { app: client } } } ] } ]
            """);
        Assert.True(Allowed(kubernetes, "a/client", "a/server", Protocol.Tcp, 8080));
        Assert.False(Allowed(kubernetes, "8.8.8.8", "a/server", Protocol.Tcp, 8080));

        var calico = Load(networkSet, """
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: { name: fromsel, namespace: a }
            spec:
              selector: app == 'server'
              ingress: [ { action: Allow, source: { selector: app == 'client' } } ]
            """);
        Assert.True(Allowed(calico, "8.8.8.8", "a/server", Protocol.Tcp, 8080));
        Assert.False(Allowed(calico, "1.2.3.4", "a/server", Protocol.Tcp, 8080));
    }

    [Fact]
    public void NamedPortInNotPorts_ResolvesPerEndpoint()
    {
        // L143-144/L175: `http` is 8080 on a/server and 9090 on b/server.
        var set = Load("""
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: notnamed }
            spec:
              selector: app == 'server'
              ingress: [ { action: Allow, protocol: TCP, destination: { notPorts: [http, "1:79"] } } ]
            """);
        Assert.False(Allowed(set, "a/client", "a/server", Protocol.Tcp, 8080));
        Assert.True(Allowed(set, "a/client", "a/server", Protocol.Tcp, 9090));
        Assert.False(Allowed(set, "b/client", "b/server", Protocol.Tcp, 9090));
        Assert.True(Allowed(set, "b/client", "b/server", Protocol.Tcp, 8080));
        Assert.True(Allowed(set, "a/client", "a/server", Protocol.Tcp, 80));
        Assert.False(Allowed(set, "a/client", "a/server", Protocol.Tcp, 79));
    }

    [Theory]
    [InlineData("ICMP")]
    [InlineData("UDPLite")]
    public void RulePortsWithoutTcpUdpOrSctp_RejectThePolicy(string protocol)
    {
        // L125: ports require protocol TCP, UDP or SCTP; the rejected policy selects nothing.
        var set = LoadWithFindings($$"""
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: ports }
            spec:
              selector: app == 'server'
              ingress: [ { action: Allow, protocol: {{protocol}}, destination: { ports: [80] } } ]
            """);
        Assert.Equal("RulePortsNeedProtocol", Assert.Single(set.Findings).Code);
        Assert.Empty(set.CalicoPolicies);
        Assert.Equal(Decision.NoPolicy, Check(set, "a/client", "a/server", Protocol.Tcp, 8080).Ingress.Decision);
    }

    [Fact]
    public void RulePortsWithSctpByNumber_AreAccepted()
    {
        // L125 with L123: 132 is SCTP.
        var set = Load("""
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: sctp }
            spec:
              selector: app == 'server'
              ingress: [ { action: Allow, protocol: 132, destination: { ports: ["9:10"] } } ]
            """);
        Assert.True(Allowed(set, "a/client", "a/server", Protocol.Sctp, 9));
        Assert.False(Allowed(set, "a/client", "a/server", Protocol.Sctp, 11));
        Assert.False(Allowed(set, "a/client", "a/server", Protocol.Tcp, 9));
    }

    [Fact]
    public void RuleServiceAccountsOfANamespacedPolicy_StayInItsNamespace()
    {
        // L134 applied to serviceAccounts: b/c2 runs as a service account also named sa1, in namespace b.
        var set = Load("""
            apiVersion: v1
            kind: ServiceAccount
            metadata: { name: sa1, namespace: b, labels: { trust: high } }
            ---
            apiVersion: v1
            kind: Pod
            metadata: { name: c2, namespace: b, labels: { app: c2 } }
            spec: { serviceAccountName: sa1, containers: [ { name: c, image: c } ] }
            status: { podIP: 10.0.2.3 }
            ---
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: { name: bysa, namespace: a }
            spec:
              selector: app == 'server'
              ingress: [ { action: Allow, source: { serviceAccounts: { names: [sa1] } } } ]
            """);
        Assert.True(Allowed(set, "a/client", "a/server", Protocol.Tcp, 8080));
        Assert.False(Allowed(set, "b/c2", "a/server", Protocol.Tcp, 8080));
    }
}
