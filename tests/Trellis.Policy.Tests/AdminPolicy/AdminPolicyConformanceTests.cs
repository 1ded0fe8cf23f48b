using Trellis.Policy.Calico;
using Trellis.Policy.Evaluation;
using static Trellis.Policy.Tests.AdminPolicy.ConformanceBase;

namespace Trellis.Policy.Tests.AdminPolicy;

/// <summary>
/// The cases of the network-policy-api conformance tests (conformance/tests/admin-network-policy-core-gress-rules.go,
/// -core-priority.go, -core-integration.go, with their base manifests), written in the v1alpha1 shape of the released API:
/// each PokeServer becomes a check with the same expected outcome.
/// </summary>
public sealed class AdminPolicyConformanceTests
{
    private static string Sel(string house) => $"{{ matchLabels: {{ kubernetes.io/metadata.name: {Ns(house)} }} }}";

    private static string Staff(string pod) =>
        $"{{ pods: {{ namespaceSelector: {Sel("hogwarts-staff")}, podSelector: {{ matchLabels: {{ statefulset.kubernetes.io/pod-name: {pod} }} }} }} }}";

    private const string AtThreePorts = "[ { portNumber: { protocol: TCP, port: 80 } }, { portNumber: { protocol: UDP, port: 53 } }, { portNumber: { protocol: SCTP, port: 9003 } } ]";
    private const string AtOtherThree = "[ { portNumber: { protocol: TCP, port: 8080 } }, { portNumber: { protocol: UDP, port: 5353 } }, { portNumber: { protocol: SCTP, port: 9003 } } ]";

    /// <summary>base/admin_network_policy/core-gress-rules-combined.yaml; <paramref name="swap"/> swaps rules 0 and 1 as the deny-gress case does.</summary>
    private static string GressRules(bool swap = false)
    {
        string Rules(string peer, string dir) =>
            $$"""
              - {{(swap ? "{ name: deny-ravenclaw, action: Deny" : "{ name: allow-ravenclaw, action: Allow")}}, {{peer}}: [ { namespaces: {{Sel("ravenclaw")}} } ] }
              - {{(swap ? "{ name: allow-ravenclaw, action: Allow" : "{ name: deny-ravenclaw, action: Deny")}}, {{peer}}: [ { namespaces: {{Sel("ravenclaw")}} } ] }
              - { name: pass-ravenclaw, action: Pass, {{peer}}: [ { namespaces: {{Sel("ravenclaw")}} } ] }
              - { name: deny-slytherin-80-53-9003, action: Deny, {{peer}}: [ { namespaces: {{Sel("slytherin")}} } ], ports: {{AtThreePorts}} }
              - { name: pass-slytherin-80-53-9003, action: Pass, {{peer}}: [ { namespaces: {{Sel("slytherin")}} } ], ports: {{AtThreePorts}} }
              - { name: allow-hufflepuff, action: Allow, {{peer}}: [ { namespaces: {{Sel("hufflepuff")}} } ], ports: {{(dir == "egress" ? AtOtherThree : "[ { portNumber: { protocol: TCP, port: 80 } }, { portNumber: { protocol: UDP, port: 5353 } }, { portNumber: { protocol: SCTP, port: 9003 } } ]")}} }
              - { name: deny-hufflepuff-else, action: Deny, {{peer}}: [ { namespaces: {{Sel("hufflepuff")}} } ] }
              - { name: allow-dumbledore, action: Allow, {{peer}}: [ {{Staff("professor-dumbledore-0")}} ], ports: {{AtOtherThree}} }
              - { name: deny-dumbledore-else, action: Deny, {{peer}}: [ {{Staff("professor-dumbledore-0")}} ] }
              - { name: deny-quirrell, action: Deny, {{peer}}: [ {{Staff("professor-quirrell-0")}} ], ports: {{AtOtherThree}} }
            """;

        return $$"""
            apiVersion: policy.networking.k8s.io/v1alpha1
            kind: AdminNetworkPolicy
            metadata: { name: gress-rules }
            spec:
              priority: 15
              subject: { namespaces: {{Sel("gryffindor")}} }
              egress:
            {{Rules("to", "egress")}}
              ingress:
            {{Rules("from", "ingress")}}

            """;
    }

    [Theory]
    // AdminNetworkPolicyGress "allow-gress across different protocols": rule 0 (Allow) comes before rule 1 (Deny).
    [InlineData("gryffindor", "harry-potter-0", "tcp", "ravenclaw", "luna-lovegood-0", 80, true)]
    [InlineData("gryffindor", "harry-potter-1", "udp", "ravenclaw", "luna-lovegood-0", 53, true)]
    [InlineData("gryffindor", "harry-potter-0", "sctp", "ravenclaw", "luna-lovegood-0", 9003, true)]
    [InlineData("ravenclaw", "luna-lovegood-0", "tcp", "gryffindor", "harry-potter-0", 80, true)]
    [InlineData("ravenclaw", "luna-lovegood-1", "udp", "gryffindor", "harry-potter-0", 53, true)]
    [InlineData("ravenclaw", "luna-lovegood-1", "sctp", "gryffindor", "harry-potter-0", 9003, true)]
    // "allow-gress at the specified ports": hufflepuff allowed on rule 5's ports, denied otherwise by rule 6.
    [InlineData("gryffindor", "harry-potter-0", "tcp", "hufflepuff", "cedric-diggory-1", 8080, true)]
    [InlineData("gryffindor", "harry-potter-1", "tcp", "hufflepuff", "cedric-diggory-1", 80, false)]
    [InlineData("gryffindor", "harry-potter-0", "udp", "hufflepuff", "cedric-diggory-1", 5353, true)]
    [InlineData("gryffindor", "harry-potter-1", "udp", "hufflepuff", "cedric-diggory-1", 53, false)]
    [InlineData("gryffindor", "harry-potter-0", "sctp", "hufflepuff", "cedric-diggory-1", 9003, true)]
    [InlineData("gryffindor", "harry-potter-1", "sctp", "hufflepuff", "cedric-diggory-1", 9005, false)]
    [InlineData("hufflepuff", "cedric-diggory-0", "tcp", "gryffindor", "harry-potter-1", 80, true)]
    [InlineData("hufflepuff", "cedric-diggory-1", "tcp", "gryffindor", "harry-potter-1", 8080, false)]
    [InlineData("hufflepuff", "cedric-diggory-0", "udp", "gryffindor", "harry-potter-1", 5353, true)]
    [InlineData("hufflepuff", "cedric-diggory-1", "udp", "gryffindor", "harry-potter-1", 53, false)]
    [InlineData("hufflepuff", "cedric-diggory-0", "sctp", "gryffindor", "harry-potter-1", 9003, true)]
    [InlineData("hufflepuff", "cedric-diggory-1", "sctp", "gryffindor", "harry-potter-1", 9005, false)]
    // "deny-gress at the specified ports": slytherin denied on rule 3's ports; elsewhere no rule matches and nothing else applies.
    [InlineData("gryffindor", "harry-potter-0", "tcp", "slytherin", "draco-malfoy-0", 80, false)]
    [InlineData("gryffindor", "harry-potter-1", "tcp", "slytherin", "draco-malfoy-0", 8080, true)]
    [InlineData("gryffindor", "harry-potter-0", "udp", "slytherin", "draco-malfoy-0", 53, false)]
    [InlineData("gryffindor", "harry-potter-1", "udp", "slytherin", "draco-malfoy-0", 5353, true)]
    [InlineData("slytherin", "draco-malfoy-0", "tcp", "gryffindor", "harry-potter-1", 80, false)]
    [InlineData("slytherin", "draco-malfoy-1", "sctp", "gryffindor", "harry-potter-1", 9003, false)]
    [InlineData("slytherin", "draco-malfoy-1", "sctp", "gryffindor", "harry-potter-1", 9005, true)]
    // AdminNetworkPolicyPodSelectorGress: dumbledore allowed at rule 7's ports, quirrell denied at rule 9's.
    [InlineData("hogwarts-staff", "professor-dumbledore-0", "tcp", "gryffindor", "harry-potter-0", 8080, true)]
    [InlineData("hogwarts-staff", "professor-dumbledore-0", "udp", "gryffindor", "harry-potter-0", 5353, true)]
    [InlineData("hogwarts-staff", "professor-dumbledore-0", "sctp", "gryffindor", "harry-potter-0", 9003, true)]
    [InlineData("hogwarts-staff", "professor-dumbledore-0", "tcp", "gryffindor", "harry-potter-0", 80, false)]
    [InlineData("hogwarts-staff", "professor-quirrell-0", "tcp", "gryffindor", "harry-potter-0", 8080, false)]
    [InlineData("hogwarts-staff", "professor-quirrell-0", "udp", "gryffindor", "harry-potter-0", 5353, false)]
    [InlineData("hogwarts-staff", "professor-quirrell-0", "sctp", "gryffindor", "harry-potter-0", 9003, false)]
    [InlineData("hogwarts-staff", "professor-quirrell-1", "tcp", "gryffindor", "harry-potter-0", 8080, true)]
    public void GressRules_DecideAsTheConformanceSuiteExpects(string fromHouse, string from, string protocol, string toHouse, string to, int port, bool allowed)
    {
        var v = Poke(Load(GressRules()), fromHouse, from, protocol, toHouse, to, port);
        Assert.True(allowed == v.Allowed, v.ToString());
    }

    [Theory]
    // "deny-gress across different protocols": with rules 0 and 1 swapped, Deny comes first.
    [InlineData("gryffindor", "harry-potter-0", "tcp", "ravenclaw", "luna-lovegood-1", 80)]
    [InlineData("gryffindor", "harry-potter-1", "udp", "ravenclaw", "luna-lovegood-1", 53)]
    [InlineData("gryffindor", "harry-potter-0", "sctp", "ravenclaw", "luna-lovegood-1", 9003)]
    [InlineData("ravenclaw", "luna-lovegood-0", "tcp", "gryffindor", "harry-potter-1", 80)]
    [InlineData("ravenclaw", "luna-lovegood-1", "udp", "gryffindor", "harry-potter-1", 53)]
    public void GressRules_RuleOrderDecides_WhenDenyComesFirst(string fromHouse, string from, string protocol, string toHouse, string to, int port)
    {
        var v = Poke(Load(GressRules(swap: true)), fromHouse, from, protocol, toHouse, to, port);
        Assert.False(v.Allowed, v.ToString());
        var side = fromHouse == "gryffindor" ? v.Egress : v.Ingress;
        Assert.Equal(Decision.RuleDenied, side.Decision);
        Assert.Equal(0, side.RuleIndex);
        Assert.Equal("deny-ravenclaw", side.Rule!.Name);
    }

    [Fact]
    public void GressRules_PassToANamespaceWithoutPolicies_IsAllowedByDefault()
    {
        // Rules 0 and 1 removed: the Pass of rule 2 hands ravenclaw's traffic on; no NetworkPolicy or baseline applies.
        var yaml = GressRules().Replace("  - { name: allow-ravenclaw", "  #", StringComparison.Ordinal).Replace("  - { name: deny-ravenclaw", "  #", StringComparison.Ordinal);
        var v = Poke(Load(yaml), "gryffindor", "harry-potter-0", "tcp", "ravenclaw", "luna-lovegood-0", 80);
        Assert.True(v.Allowed, v.ToString());
        Assert.Equal(Decision.ProfileAllowed, v.Egress.Decision);
        Assert.Equal(["kube-admin"], v.Egress.PassedTiers);
    }

    /// <summary>base/admin_network_policy/core-priority-field.yaml, with the second policy's priority as given.</summary>
    private static string Priorities(int second)
    {
        var peer = $"[ {{ pods: {{ namespaceSelector: {{ matchLabels: {{ conformance-house: slytherin }} }}, podSelector: {{ matchLabels: {{ conformance-house: slytherin }} }} }} }} ]";
        const string subject = "{ pods: { namespaceSelector: { matchLabels: { conformance-house: gryffindor } }, podSelector: { matchLabels: { conformance-house: gryffindor } } } }";
        return $$"""
            apiVersion: policy.networking.k8s.io/v1alpha1
            kind: AdminNetworkPolicy
            metadata: { name: priority-50-example }
            spec:
              priority: 50
              subject: {{subject}}
              ingress: [ { name: deny-all-ingress-from-slytherin, action: Deny, from: {{peer}} } ]
              egress: [ { name: deny-all-egress-to-slytherin, action: Deny, to: {{peer}} } ]
            ---
            apiVersion: policy.networking.k8s.io/v1alpha1
            kind: AdminNetworkPolicy
            metadata: { name: old-priority-60-new-priority-40-example }
            spec:
              priority: {{second}}
              subject: {{subject}}
              ingress: [ { name: pass-all-ingress-from-slytherin, action: Pass, from: {{peer}} } ]
              egress: [ { name: pass-all-egress-to-slytherin, action: Pass, to: {{peer}} } ]
            ---
            apiVersion: policy.networking.k8s.io/v1alpha1
            kind: BaselineAdminNetworkPolicy
            metadata: { name: default }
            spec:
              subject: {{subject}}
              ingress: [ { name: allow-all-ingress-from-slytherin, action: Allow, from: {{peer}} } ]
              egress: [ { name: allow-all-egress-to-slytherin, action: Allow, to: {{peer}} } ]

            """;
    }

    [Fact]
    public void Priority_TheLowerNumberDecides()
    {
        // AdminNetworkPolicyPriorityField: at 50 the Deny runs before the Pass at 60.
        var set = Load(Priorities(60));
        var inbound = Poke(set, "slytherin", "draco-malfoy-0", "tcp", "gryffindor", "harry-potter-0", 80);
        Assert.False(inbound.Allowed);
        Assert.Equal("priority-50-example", inbound.Ingress.Policy!.Name);
        Assert.Equal("priority 50", inbound.Ingress.Policy.OrderText);
        Assert.False(Poke(set, "gryffindor", "harry-potter-1", "udp", "slytherin", "draco-malfoy-1", 53).Allowed);

        // Updated to 40, the Pass runs first and the baseline's Allow decides.
        set = Load(Priorities(40));
        var passed = Poke(set, "slytherin", "draco-malfoy-0", "tcp", "gryffindor", "harry-potter-0", 80);
        Assert.True(passed.Allowed, passed.ToString());
        Assert.Equal("kube-baseline", passed.Ingress.Tier);
        Assert.Equal(PolicyKind.BaselineAdminNetworkPolicy, passed.Ingress.Policy!.Kind);
        Assert.True(Poke(set, "gryffindor", "harry-potter-1", "udp", "slytherin", "draco-malfoy-1", 53).Allowed);
    }

    /// <summary>base/api_integration/core-anp-np-banp.yaml, with the ANP's actions and the NetworkPolicy as a case changes them.</summary>
    private static string Integration(string ingressAction = "Deny", string egressAction = "Deny", bool networkPolicy = true)
    {
        var slytherin = "[ { namespaces: { matchLabels: { conformance-house: slytherin } } } ]";
        var yaml = $$"""
            apiVersion: policy.networking.k8s.io/v1alpha1
            kind: AdminNetworkPolicy
            metadata: { name: pass-example }
            spec:
              priority: 10
              subject: { namespaces: { matchLabels: { conformance-house: gryffindor } } }
              ingress: [ { name: deny-all-ingress-from-slytherin, action: {{ingressAction}}, from: {{slytherin}} } ]
              egress: [ { name: deny-all-egress-to-slytherin, action: {{egressAction}}, to: {{slytherin}} } ]
            ---
            apiVersion: policy.networking.k8s.io/v1alpha1
            kind: BaselineAdminNetworkPolicy
            metadata: { name: default }
            spec:
              subject: { namespaces: { matchLabels: { conformance-house: gryffindor } } }
              ingress: [ { name: deny-all-ingress-from-slytherin, action: Deny, from: {{slytherin}} } ]
              egress: [ { name: deny-all-egress-to-slytherin, action: Deny, to: {{slytherin}} } ]
            ---

            """;
        return !networkPolicy ? yaml : yaml + $$"""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: allow-gress-from-to-slytherin-to-gryffindor, namespace: {{Ns("gryffindor")}} }
            spec:
              podSelector:
              policyTypes: [ Ingress, Egress ]
              ingress: [ { from: [ { namespaceSelector: { matchLabels: { conformance-house: slytherin } } } ] } ]
              egress: [ { to: [ { namespaceSelector: { matchLabels: { conformance-house: slytherin } } } ] } ]

            """;
    }

    [Fact]
    public void Integration_AdminDenyBeatsTheNetworkPolicysAllow()
    {
        var set = Load(Integration());
        var inbound = Poke(set, "slytherin", "draco-malfoy-0", "tcp", "gryffindor", "harry-potter-0", 80);
        Assert.False(inbound.Allowed);
        Assert.Equal(Decision.RuleDenied, inbound.Ingress.Decision);
        Assert.Equal("kube-admin", inbound.Ingress.Tier);
        Assert.Contains("AdminNetworkPolicy pass-example (priority 10), ingress rule 0 \"deny-all-ingress-from-slytherin\"", inbound.Ingress.Explanation, StringComparison.Ordinal);
        Assert.False(Poke(set, "slytherin", "draco-malfoy-1", "tcp", "gryffindor", "harry-potter-0", 8080).Allowed);
        Assert.False(Poke(set, "gryffindor", "harry-potter-0", "tcp", "slytherin", "draco-malfoy-0", 80).Allowed);
        Assert.False(Poke(set, "gryffindor", "harry-potter-1", "tcp", "slytherin", "draco-malfoy-0", 8080).Allowed);
    }

    [Fact]
    public void Integration_PassHandsTheDecisionToTheNetworkPolicy()
    {
        var inbound = Poke(Load(Integration(ingressAction: "Pass")), "slytherin", "draco-malfoy-0", "tcp", "gryffindor", "harry-potter-0", 80);
        Assert.True(inbound.Allowed, inbound.ToString());
        Assert.Equal("default", inbound.Ingress.Tier);
        Assert.Equal(PolicyKind.KubernetesNetworkPolicy, inbound.Ingress.Policy!.Kind);
        var outbound = Poke(Load(Integration(egressAction: "Pass")), "gryffindor", "harry-potter-1", "tcp", "slytherin", "draco-malfoy-0", 8080);
        Assert.True(outbound.Allowed, outbound.ToString());
    }

    [Fact]
    public void Integration_WithoutTheNetworkPolicy_PassReachesTheBaseline()
    {
        var set = Load(Integration(ingressAction: "Pass", egressAction: "Pass", networkPolicy: false));
        var inbound = Poke(set, "slytherin", "draco-malfoy-0", "tcp", "gryffindor", "harry-potter-0", 80);
        Assert.False(inbound.Allowed);
        Assert.Equal("kube-baseline", inbound.Ingress.Tier);
        Assert.Equal(RuleAction.Deny, inbound.Ingress.Action);
        Assert.False(Poke(set, "gryffindor", "harry-potter-1", "tcp", "slytherin", "draco-malfoy-0", 8080).Allowed);
    }
}
