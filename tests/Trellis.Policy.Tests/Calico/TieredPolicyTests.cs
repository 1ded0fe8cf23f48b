using Trellis.Policy.Calico;
using Trellis.Policy.Evaluation;
using static Trellis.Policy.Tests.Calico.ShopCluster;

namespace Trellis.Policy.Tests.Calico;

/// <summary>Calico's evaluation model: tiers, order and its tie-break, Allow/Deny/Pass/Log, end of tier, profiles.</summary>
public sealed class TieredPolicyTests
{
    private const string AllowWebToApi = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: { name: allow-web, namespace: shop }
        spec:
          podSelector: { matchLabels: { app: api } }
          ingress:
            - from: [ { podSelector: { matchLabels: { app: web } } } ]
        """;

    [Fact]
    public void NoPolicy_AllowsByDefault_AndSaysSo()
    {
        var v = Check(With(""), "shop/web", "shop/api", Protocol.Tcp, 80);
        Assert.True(v.Allowed);
        Assert.Equal(Decision.NoPolicy, v.Ingress.Decision);
        Assert.Equal("no policy selects this endpoint (allowed by default)", v.Ingress.Explanation);
    }

    [Fact]
    public void KubernetesPolicy_SitsInTheDefaultTierAtOrder1000()
    {
        var v = Check(With(AllowWebToApi), "shop/web", "shop/api", Protocol.Tcp, 80);
        Assert.True(v.Allowed);
        Assert.Equal(Decision.RuleAllowed, v.Ingress.Decision);
        Assert.Equal("default", v.Ingress.Tier);
        Assert.Equal(1000, v.Ingress.Policy!.Order);
        Assert.Equal(PolicyKind.KubernetesNetworkPolicy, v.Ingress.Policy.Kind);
        Assert.Equal(0, v.Ingress.RuleIndex);
        Assert.Equal("spec.ingress[0].from[0]", v.Ingress.Rule!.Path);
        Assert.Equal(RuleAction.Allow, v.Ingress.Action);
    }

    [Fact]
    public void CalicoDenyBelowOrder1000_RunsBeforeKubernetesPolicies()
    {
        var set = With(AllowWebToApi + """

            ---
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: { name: deny-web, namespace: shop }
            spec:
              order: 100
              selector: app == 'api'
              ingress:
                - action: Deny
                  source: { selector: app == 'web' }
            """);
        var v = Check(set, "shop/web", "shop/api", Protocol.Tcp, 80);
        Assert.False(v.Allowed);
        Assert.Equal(Decision.RuleDenied, v.Ingress.Decision);
        Assert.Equal("deny-web", v.Ingress.Policy!.Name);
        Assert.Contains("denied by tier default", v.Ingress.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void CalicoAllowAfterOrder1000_DecidesWhenKubernetesRulesDoNotMatch()
    {
        var set = With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: only-postgres, namespace: shop }
            spec:
              podSelector: { matchLabels: { app: api } }
              ingress: [ { from: [ { podSelector: { matchLabels: { app: nobody } } } ] } ]
            ---
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: { name: late-allow, namespace: shop }
            spec:
              order: 2000
              selector: app == 'api'
              ingress: [ { action: Allow, source: { selector: app == 'web' } } ]
            """);
        var v = Check(set, "shop/web", "shop/api", Protocol.Tcp, 80);
        Assert.True(v.Allowed);
        Assert.Equal("late-allow", v.Ingress.Policy!.Name);
        Assert.False(Check(set, "db/postgres", "shop/api", Protocol.Tcp, 80).Allowed);
    }

    [Fact]
    public void EqualOrder_BreaksTiesOnName()
    {
        var set = With("""
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: { name: z-allow, namespace: shop }
            spec:
              order: 500
              selector: app == 'api'
              ingress: [ { action: Allow } ]
            ---
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: { name: a-deny, namespace: shop }
            spec:
              order: 500
              selector: app == 'api'
              ingress: [ { action: Deny } ]
            """);
        Assert.Equal("a-deny", Check(set, "shop/web", "shop/api", Protocol.Tcp, 80).Ingress.Policy!.Name);
    }

    [Fact]
    public void CalicoPolicyAtExactly1000_IsOrderedAgainstKubernetesPoliciesByName()
    {
        // "aaa" sorts before "knp.default.allow-web", "zzz" after it.
        const string deny = """

            ---
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: { name: NAME, namespace: shop }
            spec:
              order: 1000
              selector: app == 'api'
              ingress: [ { action: Deny } ]
            """;
        Assert.False(Check(With(AllowWebToApi + deny.Replace("NAME", "aaa", StringComparison.Ordinal)), "shop/web", "shop/api", Protocol.Tcp, 80).Allowed);
        Assert.True(Check(With(AllowWebToApi + deny.Replace("NAME", "zzz", StringComparison.Ordinal)), "shop/web", "shop/api", Protocol.Tcp, 80).Allowed);
    }

    [Fact]
    public void MissingOrder_SortsLast()
    {
        var set = With("""
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: { name: a-unordered-deny, namespace: shop }
            spec:
              selector: app == 'api'
              ingress: [ { action: Deny } ]
            ---
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: { name: z-ordered-allow, namespace: shop }
            spec:
              order: 999999
              selector: app == 'api'
              ingress: [ { action: Allow } ]
            """);
        Assert.True(Check(set, "shop/web", "shop/api", Protocol.Tcp, 80).Allowed);
    }

    private const string SecurityDenyWebToDb = """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: { name: security.web-not-db }
        spec:
          tier: security
          order: 10
          selector: app == 'web'
          types: [Egress]
          egress:
            - action: Deny
              destination: { namespaceSelector: team == 'data' }
            - action: Pass
        """;

    [Fact]
    public void EarlierTier_DecidesBeforeTheDefaultTier()
    {
        var set = With(SecurityDenyWebToDb + """

            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: web-egress-all, namespace: shop }
            spec:
              podSelector: { matchLabels: { app: web } }
              policyTypes: [Egress]
              egress: [ {} ]
            """);
        var v = Check(set, "shop/web", "db/postgres", Protocol.Tcp, 5432);
        Assert.False(v.Allowed);
        Assert.Equal("security", v.Egress.Tier);
        Assert.Equal(Decision.RuleDenied, v.Egress.Decision);
    }

    [Fact]
    public void Pass_GoesOnToTheNextTierWithAPolicyForTheEndpoint()
    {
        var set = With(SecurityDenyWebToDb + """

            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: web-egress-api, namespace: shop }
            spec:
              podSelector: { matchLabels: { app: web } }
              policyTypes: [Egress]
              egress: [ { to: [ { podSelector: { matchLabels: { app: api } } } ] } ]
            """);
        var toApi = Check(set, "shop/web", "shop/api", Protocol.Tcp, 80);
        Assert.True(toApi.Allowed);
        Assert.Equal("default", toApi.Egress.Tier);
        var outside = Check(set, "shop/web", "1.1.1.1", Protocol.Tcp, 443);
        Assert.False(outside.Allowed);
        Assert.Equal(Decision.EndOfTier, outside.Egress.Decision);
        Assert.StartsWith("end of tier default (denied)", outside.Egress.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void PassOutOfTheLastTier_LeavesItToTheNamespaceProfile()
    {
        var v = Check(With(SecurityDenyWebToDb), "shop/web", "1.1.1.1", Protocol.Tcp, 443);
        Assert.True(v.Allowed);
        Assert.Equal(Decision.ProfileAllowed, v.Egress.Decision);
        Assert.Equal(["security"], v.Egress.PassedTiers);
    }

    [Fact]
    public void EndOfTier_DropsWhenAPolicyOfTheTierSelectsTheEndpointAndNothingAllowed()
    {
        var set = With("""
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: security.api-https-only }
            spec:
              tier: security
              selector: app == 'api'
              ingress: [ { action: Allow, protocol: TCP, destination: { ports: [443] } } ]
            """ + "\n---\n" + AllowWebToApi);
        var v = Check(set, "shop/web", "shop/api", Protocol.Tcp, 80);
        Assert.False(v.Allowed);
        Assert.Equal(Decision.EndOfTier, v.Ingress.Decision);
        Assert.Equal("security", v.Ingress.Tier);
        Assert.Equal("end of tier security (denied): GlobalNetworkPolicy security.api-https-only selects shop/api[Deployment] and no rule allowed or passed it", v.Ingress.Explanation);
        Assert.True(Check(set, "shop/web", "shop/api", Protocol.Tcp, 443).Allowed);
    }

    [Fact]
    public void TierWithDefaultActionPass_HandsUnmatchedTrafficOn()
    {
        var set = With("""
            apiVersion: projectcalico.org/v3
            kind: Tier
            metadata: { name: security }
            spec: { order: 100, defaultAction: Pass }
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: security.api-https-only }
            spec:
              tier: security
              selector: app == 'api'
              ingress: [ { action: Allow, protocol: TCP, destination: { ports: [443] } } ]
            """ + "\n---\n" + AllowWebToApi);
        var v = Check(set, "shop/web", "shop/api", Protocol.Tcp, 80);
        Assert.True(v.Allowed);
        Assert.Equal("default", v.Ingress.Tier);
    }

    [Fact]
    public void TierWithoutAPolicyForTheEndpoint_IsSkippedWithItsImplicitDeny()
    {
        var set = With("""
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: security.others }
            spec:
              tier: security
              selector: app == 'somebody-else'
              ingress: [ { action: Allow } ]
            """);
        Assert.Equal(Decision.NoPolicy, Check(set, "shop/web", "shop/api", Protocol.Tcp, 80).Ingress.Decision);
    }

    [Fact]
    public void Log_ContinuesToTheNextRule()
    {
        var set = With("""
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: { name: log-then-allow, namespace: shop }
            spec:
              selector: app == 'api'
              ingress:
                - action: Log
                - action: Allow
                  source: { selector: app == 'web' }
            """);
        var v = Check(set, "shop/web", "shop/api", Protocol.Tcp, 80);
        Assert.True(v.Allowed);
        Assert.Equal(1, v.Ingress.RuleIndex);
        Assert.Single(v.Ingress.Logged);
        Assert.Equal(0, v.Ingress.Logged[0].Index);
    }

    [Fact]
    public void CalicoTypes_DefaultToEgressOnly_WhenOnlyEgressRulesExist()
    {
        var set = With("""
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: { name: api-egress, namespace: shop }
            spec:
              selector: app == 'api'
              egress: [ { action: Deny } ]
            """);
        Assert.Equal(PolicyTypes.Egress, set.CalicoPolicies.Single().Types);
        Assert.True(Check(set, "shop/web", "shop/api", Protocol.Tcp, 80).Allowed);
        Assert.False(Check(set, "shop/api", "shop/web", Protocol.Tcp, 8080).Allowed);
    }

    [Fact]
    public void CalicoPolicyWithoutRules_IsIngressAndDeniesAtTheEndOfTier()
    {
        var set = With("""
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: { name: isolate, namespace: shop }
            spec: { selector: app == 'api' }
            """);
        Assert.Equal(PolicyTypes.Ingress, set.CalicoPolicies.Single().Types);
        Assert.Equal(Decision.EndOfTier, Check(set, "shop/web", "shop/api", Protocol.Tcp, 80).Ingress.Decision);
    }

    [Fact]
    public void UnknownTier_IsAFinding_AndThePolicyIsNotApplied()
    {
        var set = With("""
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: nowhere.deny }
            spec: { tier: nowhere, ingress: [ { action: Deny } ] }
            """, allowFindings: true);
        var finding = Assert.Single(set.Findings);
        Assert.Equal("TierUnknown", finding.Code);
        Assert.Equal("shop.yaml#10 spec.tier", finding.Path);
        Assert.Empty(set.CalicoPolicies);
    }

    [Fact]
    public void Flannel_EnforcesNothing_AndEveryAnswerSaysSo()
    {
        var set = With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: deny-all, namespace: shop }
            spec: { podSelector: {}, policyTypes: [Ingress, Egress] }
            """);
        var v = Check(set, "shop/web", "shop/api", Protocol.Tcp, 80, PolicyOptions.Flannel);
        Assert.True(v.Allowed);
        Assert.False(v.Enforced);
        Assert.Equal(Decision.NotEnforced, v.Ingress.Decision);
        Assert.Contains("Flannel", v.Note, StringComparison.Ordinal);
    }

    [Fact]
    public void APod_CannotBlockItself()
    {
        var set = With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: deny-all, namespace: shop }
            spec: { podSelector: {}, policyTypes: [Ingress, Egress] }
            """);
        var v = Check(set, "shop/api", "shop/api", Protocol.Tcp, 80);
        Assert.True(v.Allowed);
        Assert.Equal(Decision.SelfTraffic, v.Egress.Decision);
        Assert.False(Check(set, "shop/api", "shop/api", Protocol.Tcp, 80, PolicyOptions.Calico with { AllowSelfTraffic = false }).Allowed);
    }

    [Fact]
    public void TwoReplicasOfAWorkload_AreTwoPods()
    {
        var set = With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: deny-all, namespace: shop }
            spec: { podSelector: {}, policyTypes: [Ingress] }
            """);
        set = set with { Workloads = set.Workloads.Select(w => w.Name == "web" ? w with { Addresses = [.. w.Addresses, System.Net.IPAddress.Parse("10.244.1.11")] } : w).ToList() };
        var engine = PolicyEngine.Compile(set);
        var web = engine.FindEndpoint("shop/web")!.Workload!;
        Assert.False(engine.Check(new Flow(Endpoint.Of(web, web.Addresses[0]), Endpoint.Of(web, web.Addresses[1]), Protocol.Tcp, 8080)).Allowed);
        Assert.False(engine.Check(new Flow(Endpoint.Of(web), Endpoint.External("10.244.1.11"), Protocol.Tcp, 8080)).Allowed);
        Assert.True(engine.Check(new Flow(Endpoint.Of(web), Endpoint.Of(web), Protocol.Tcp, 8080)).Allowed);
    }

    [Fact]
    public void ExternalSource_HasNoEgressToEvaluate()
    {
        var v = Check(With(AllowWebToApi), "1.1.1.1", "shop/api", Protocol.Tcp, 80);
        Assert.False(v.Allowed);
        Assert.Equal(Decision.NotPoliced, v.Egress.Decision);
        Assert.Equal(Decision.EndOfTier, v.Ingress.Decision);
    }

    [Fact]
    public void AddressOfAWorkload_IsEvaluatedAsThatWorkload()
    {
        var v = Check(With(AllowWebToApi), "10.244.1.10", "shop/api", Protocol.Tcp, 80);
        Assert.True(v.Allowed);
    }
}
