using Trellis.Policy.Evaluation;
using static Trellis.Policy.Tests.Evaluation.NetpolModel;

namespace Trellis.Policy.Tests.Evaluation;

/// <summary>
/// The classic cases of the Kubernetes e2e network policy suite (test/e2e/network/netpol/network_policy.go) on its
/// 3 namespaces x 3 pods model, each with the reachability the suite expects.
/// </summary>
public sealed class KubernetesE2eTruthTableTests
{
    private static readonly Protocol Tcp = Protocol.Tcp;

    [Fact]
    public void NoPolicies_AllowEverything() =>
        new Reachability(true).Verify(Cluster(), Tcp, 80);

    [Fact]
    public void DefaultDenyIngress_IsolatesEveryPodOfTheNamespace()
    {
        var set = With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: deny-ingress, namespace: x }
            spec:
              podSelector: {}
              policyTypes: [Ingress]
            """);
        var truth = new Reachability(true).ExpectAllIngress("x/a", false).ExpectAllIngress("x/b", false).ExpectAllIngress("x/c", false);
        truth.Verify(set, Tcp, 80);
        truth.Verify(set, Protocol.Udp, 81);
    }

    [Fact]
    public void DefaultDenyAll_IsolatesBothDirections()
    {
        var set = With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: deny-all, namespace: x }
            spec:
              podSelector: {}
              policyTypes: [Ingress, Egress]
            """);
        var truth = new Reachability(true);
        foreach (var p in Pods)
        {
            truth.ExpectAllIngress($"x/{p}", false).ExpectAllEgress($"x/{p}", false);
        }

        truth.Verify(set, Tcp, 80);
    }

    [Fact]
    public void AllowFromPodSelector_InTheServerNamespace()
    {
        var set = With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: x-a-allows-x-b, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress:
                - from: [ { podSelector: { matchLabels: { pod: b } } } ]
            """);
        new Reachability(true).ExpectAllIngress("x/a", false).Expect("x/b", "x/a", true).Verify(set, Tcp, 80);
    }

    [Fact]
    public void AllowFromAllNamespaces_WithEmptyNamespaceSelector()
    {
        var set = With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: allow-all-namespaces, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress:
                - from: [ { namespaceSelector: {} } ]
            """);
        new Reachability(true).Verify(set, Tcp, 80);
    }

    [Fact]
    public void AllowOnlyFromADifferentNamespace_ByNamespaceSelector()
    {
        var set = With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: allow-ns-y, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress:
                - from: [ { namespaceSelector: { matchLabels: { ns: y } } } ]
            """);
        var truth = new Reachability(true).ExpectAllIngress("x/a", false);
        foreach (var p in Pods)
        {
            truth.Expect($"y/{p}", "x/a", true);
        }

        truth.Verify(set, Tcp, 80);
    }

    [Fact]
    public void PodSelectorWithMatchExpressions()
    {
        var set = With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: allow-pod-b-expr, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress:
                - from:
                    - podSelector:
                        matchExpressions: [ { key: pod, operator: In, values: [b] } ]
            """);
        new Reachability(true).ExpectAllIngress("x/a", false).Expect("x/b", "x/a", true).Verify(set, Tcp, 80);
    }

    [Fact]
    public void NamespaceSelectorWithMatchExpressions()
    {
        var set = With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: allow-ns-y-expr, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress:
                - from:
                    - namespaceSelector:
                        matchExpressions: [ { key: ns, operator: In, values: [y] } ]
            """);
        var truth = new Reachability(true).ExpectAllIngress("x/a", false);
        foreach (var p in Pods)
        {
            truth.Expect($"y/{p}", "x/a", true);
        }

        truth.Verify(set, Tcp, 80);
    }

    [Fact]
    public void PodSelectorOrNamespaceSelector_TwoPeersAreOred()
    {
        var set = With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: pod-or-ns, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress:
                - from:
                    - namespaceSelector:
                        matchExpressions: [ { key: ns, operator: NotIn, values: [x] } ]
                    - podSelector: { matchLabels: { pod: b } }
            """);
        new Reachability(true).Expect("x/c", "x/a", false).Verify(set, Tcp, 80);
    }

    [Fact]
    public void PodSelectorAndNamespaceSelector_InOnePeerAreAnded()
    {
        var set = With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: pod-and-ns, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress:
                - from:
                    - namespaceSelector:
                        matchExpressions: [ { key: ns, operator: NotIn, values: [x] } ]
                      podSelector: { matchLabels: { pod: b } }
            """);
        new Reachability(true).ExpectAllIngress("x/a", false).Expect("y/b", "x/a", true).Expect("z/b", "x/a", true).Verify(set, Tcp, 80);
    }

    [Fact]
    public void MultiplePodSelectorsAndNamespaceSelectors()
    {
        var set = With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: pods-and-ns, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress:
                - from:
                    - namespaceSelector:
                        matchExpressions: [ { key: ns, operator: NotIn, values: [x] } ]
                      podSelector:
                        matchExpressions: [ { key: pod, operator: In, values: [b, c] } ]
            """);
        new Reachability(true).ExpectAllIngress("x/a", false)
            .Expect("y/b", "x/a", true).Expect("y/c", "x/a", true).Expect("z/b", "x/a", true).Expect("z/c", "x/a", true)
            .Verify(set, Tcp, 80);
    }

    [Fact]
    public void AnyOfSeveralPodSelectors()
    {
        var set = With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: any-pod, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress:
                - from:
                    - podSelector: { matchLabels: { pod: b } }
                    - podSelector: { matchLabels: { pod: c } }
            """);
        new Reachability(true).ExpectAllIngress("x/a", false).Expect("x/b", "x/a", true).Expect("x/c", "x/a", true).Verify(set, Tcp, 80);
    }

    [Fact]
    public void OnlyFromAPodInADifferentNamespace()
    {
        var set = With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: only-y-a, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress:
                - from:
                    - namespaceSelector: { matchLabels: { ns: y } }
                      podSelector: { matchLabels: { pod: a } }
            """);
        new Reachability(true).ExpectAllIngress("x/a", false).Expect("y/a", "x/a", true).Verify(set, Tcp, 80);
    }

    [Fact]
    public void NamespaceByItsDefaultNameLabel()
    {
        var set = With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: by-name-label, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress:
                - from: [ { namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: y } } } ]
            """);
        var truth = new Reachability(true).ExpectAllIngress("x/a", false);
        foreach (var p in Pods)
        {
            truth.Expect($"y/{p}", "x/a", true);
        }

        truth.Verify(set, Tcp, 80);
    }

    [Fact]
    public void Ports_AllowOnlyTheListedPort()
    {
        var set = With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: port-81-from-y, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress:
                - from: [ { namespaceSelector: { matchLabels: { ns: y } } } ]
                  ports: [ { port: 81, protocol: TCP } ]
            """);
        new Reachability(true).ExpectAllIngress("x/a", false).Verify(set, Tcp, 80);
        var on81 = new Reachability(true).ExpectAllIngress("x/a", false);
        foreach (var p in Pods)
        {
            on81.Expect($"y/{p}", "x/a", true);
        }

        on81.Verify(set, Tcp, 81);
    }

    [Fact]
    public void StackedPolicies_WithOverlappingPodSelectors_AreAUnion()
    {
        var set = With(
            """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: allow-80, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress:
                - from: [ { namespaceSelector: { matchLabels: { ns: y } } } ]
                  ports: [ { port: 80 } ]
            """,
            """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: allow-81, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress:
                - from: [ { namespaceSelector: { matchLabels: { ns: y } } } ]
                  ports: [ { port: 81 } ]
            """);
        foreach (var port in new[] { 80, 81 })
        {
            var truth = new Reachability(true).ExpectAllIngress("x/a", false);
            foreach (var p in Pods)
            {
                truth.Expect($"y/{p}", "x/a", true);
            }

            truth.Verify(set, Tcp, port);
        }
    }

    [Fact]
    public void AllowAllIngress_WithAnEmptyRule()
    {
        var set = With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: allow-all, namespace: x }
            spec:
              podSelector: {}
              ingress: [ {} ]
            """);
        new Reachability(true).Verify(set, Tcp, 80);
        new Reachability(true).Verify(set, Protocol.Icmp, 0);
    }

    [Fact]
    public void IngressOnOneNamedPort()
    {
        var set = With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: allow-serve-81-tcp, namespace: x }
            spec:
              podSelector: {}
              ingress:
                - ports: [ { port: serve-81-tcp } ]
            """);
        new Reachability(true).Verify(set, Tcp, 81);
        new Reachability(true).ExpectAllIngress("x/a", false).ExpectAllIngress("x/b", false).ExpectAllIngress("x/c", false).Verify(set, Tcp, 80);
        new Reachability(true).ExpectAllIngress("x/a", false).ExpectAllIngress("x/b", false).ExpectAllIngress("x/c", false).Verify(set, Protocol.Udp, 81);
    }

    [Fact]
    public void IngressFromNamespaceOnOneNamedPort()
    {
        var set = With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: y-on-serve-80-tcp, namespace: x }
            spec:
              podSelector: {}
              ingress:
                - from: [ { namespaceSelector: { matchLabels: { ns: y } } } ]
                  ports: [ { port: serve-80-tcp, protocol: TCP } ]
            """);
        var on80 = new Reachability(true);
        var on81 = new Reachability(true);
        foreach (var p in Pods)
        {
            on80.ExpectAllIngress($"x/{p}", false);
            on81.ExpectAllIngress($"x/{p}", false);
        }

        foreach (var p in Pods)
        {
            foreach (var q in Pods)
            {
                on80.Expect($"y/{q}", $"x/{p}", true);
            }
        }

        on80.Verify(set, Tcp, 80);
        on81.Verify(set, Tcp, 81);
    }

    [Fact]
    public void EgressOnOneNamedPort()
    {
        var set = With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: egress-serve-80-tcp, namespace: x }
            spec:
              podSelector: {}
              policyTypes: [Egress]
              egress:
                - ports: [ { port: serve-80-tcp } ]
            """);
        new Reachability(true).Verify(set, Tcp, 80);
        var on81 = new Reachability(true);
        foreach (var p in Pods)
        {
            on81.ExpectAllEgress($"x/{p}", false);
        }

        on81.Verify(set, Tcp, 81);
    }

    [Fact]
    public void DenyIngressFromOtherNamespaces()
    {
        var set = With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: same-namespace-only, namespace: x }
            spec:
              podSelector: {}
              ingress:
                - from: [ { podSelector: {} } ]
            """);
        var truth = new Reachability(true);
        foreach (var to in Pods)
        {
            foreach (var ns in new[] { "y", "z" })
            {
                foreach (var from in Pods)
                {
                    truth.Expect($"{ns}/{from}", $"x/{to}", false);
                }
            }
        }

        truth.Verify(set, Tcp, 80);
    }

    [Fact]
    public void EgressToAPodInAnotherNamespace_ByPodAndNamespaceSelector()
    {
        var set = With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: x-a-to-y-a, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              policyTypes: [Egress]
              egress:
                - to:
                    - namespaceSelector: { matchLabels: { ns: y } }
                      podSelector: { matchLabels: { pod: a } }
                - ports: [ { port: 53, protocol: UDP } ]
            """);
        new Reachability(true).ExpectAllEgress("x/a", false).Expect("x/a", "y/a", true).Verify(set, Tcp, 80);
    }

    [Fact]
    public void IngressAllowAll_TakesPrecedenceOverANarrowerPolicy()
    {
        var set = With(
            """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: only-81, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress: [ { ports: [ { port: 81 } ] } ]
            """,
            """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: allow-all, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress: [ {} ]
            """);
        new Reachability(true).Verify(set, Tcp, 80);
    }

    [Fact]
    public void EgressAllowAll_TakesPrecedenceOverANarrowerPolicy()
    {
        var set = With(
            """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: only-81, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              policyTypes: [Egress]
              egress: [ { ports: [ { port: 81 } ] } ]
            """,
            """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: allow-all-egress, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              policyTypes: [Egress]
              egress: [ {} ]
            """);
        new Reachability(true).Verify(set, Tcp, 80);
    }

    [Fact]
    public void EgressToServerInCidrBlock()
    {
        var set = With($$"""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: to-y-b-cidr, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              policyTypes: [Egress]
              egress:
                - to: [ { ipBlock: { cidr: {{Ip("y/b")}}/32 } } ]
            """);
        new Reachability(true).ExpectAllEgress("x/a", false).Expect("x/a", "y/b", true).Verify(set, Tcp, 80);
    }

    [Fact]
    public void IpBlockExcept_BlocksTheExceptedServer()
    {
        new Reachability(true).Expect("x/a", "x/b", false).Verify(With(CidrExceptPolicy()), Tcp, 80);
    }

    [Fact]
    public void AnIpInBothCidrAndExcept_IsAllowedOnceThePolicyAllowsItExplicitly()
    {
        // The e2e case updates the policy: first x/a may reach <x/a>/4 except <x/b>/32, then only <x/b>/32.
        new Reachability(true).Expect("x/a", "x/b", false).Verify(With(CidrExceptPolicy()), Tcp, 80);
        var updated = With(CidrExceptPolicy(), $$"""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: cidr-except, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              policyTypes: [Egress]
              egress:
                - to: [ { ipBlock: { cidr: {{Ip("x/b")}}/32 } } ]
            """);
        Assert.Single(updated.KubernetesPolicies);
        new Reachability(true).ExpectAllEgress("x/a", false).Expect("x/a", "x/b", true).Verify(updated, Tcp, 80);
    }

    private static string CidrExceptPolicy() => $$"""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: { name: cidr-except, namespace: x }
        spec:
          podSelector: { matchLabels: { pod: a } }
          policyTypes: [Egress]
          egress:
            - to:
                - ipBlock:
                    cidr: {{Ip("x/a")}}/4
                    except: [ {{Ip("x/b")}}/32 ]
        """;

    [Fact]
    public void IpBlock_UnderTheCiliumReading_DoesNotMatchPods()
    {
        var set = With($$"""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: to-y-b-cidr, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              policyTypes: [Egress]
              egress:
                - to: [ { ipBlock: { cidr: {{Ip("y/b")}}/32 } } ]
            """);
        new Reachability(true).ExpectAllEgress("x/a", false).Verify(set, Tcp, 80, PolicyOptions.Calico with { IpBlockMatchesPods = false });
    }

    [Fact]
    public void EgressIsolation_IsIndependentOfIngress()
    {
        var set = With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: deny-egress-x-a, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              policyTypes: [Egress]
            """);
        new Reachability(true).ExpectAllEgress("x/a", false).Verify(set, Tcp, 80);
    }

    [Fact]
    public void PolicyWithOnlyAnEgressSection_AlsoIsolatesIngress()
    {
        // policyTypes unset: Ingress is always included, Egress because there are egress rules.
        var set = With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: egress-to-y, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              egress:
                - to: [ { namespaceSelector: { matchLabels: { ns: y } } } ]
            """);
        var truth = new Reachability(true).ExpectAllIngress("x/a", false).ExpectAllEgress("x/a", false);
        foreach (var p in Pods)
        {
            truth.Expect("x/a", $"y/{p}", true);
        }

        truth.Verify(set, Tcp, 80);
    }

    [Fact]
    public void OnlySctpAllowed_StillIsolatesTcp()
    {
        var set = With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: sctp-only, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress: [ { ports: [ { port: 80, protocol: SCTP } ] } ]
            """);
        new Reachability(true).ExpectAllIngress("x/a", false).Verify(set, Tcp, 80);
        new Reachability(true).Verify(set, Protocol.Sctp, 80);
    }

    [Fact]
    public void OnlyUdpAllowed_StillIsolatesTcp()
    {
        var set = With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: udp-only, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress: [ { ports: [ { port: 81, protocol: UDP } ] } ]
            """);
        new Reachability(true).ExpectAllIngress("x/a", false).Verify(set, Tcp, 81);
        new Reachability(true).Verify(set, Protocol.Udp, 81);
    }

    [Fact]
    public void AnyPortOfOneProtocol_WhenThePortIsLeftOut()
    {
        var set = With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: any-tcp, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress: [ { ports: [ { protocol: TCP } ] } ]
            """);
        new Reachability(true).Verify(set, Tcp, 80);
        new Reachability(true).Verify(set, Tcp, 81);
        new Reachability(true).ExpectAllIngress("x/a", false).Verify(set, Protocol.Udp, 80);
    }

    [Fact]
    public void EndPort_AllowsTheWholeRange()
    {
        var set = With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: range-80-81, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress: [ { ports: [ { port: 80, endPort: 81, protocol: TCP } ] } ]
            """);
        new Reachability(true).Verify(set, Tcp, 80);
        new Reachability(true).Verify(set, Tcp, 81);
        new Reachability(true).ExpectAllIngress("x/a", false).Verify(set, Tcp, 82);
    }

    [Fact]
    public void ClientSideEgressDenial_WinsOverAServerThatAllows()
    {
        var set = With(
            """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: x-a-egress-to-y, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              policyTypes: [Egress]
              egress: [ { to: [ { namespaceSelector: { matchLabels: { ns: y } } } ] } ]
            """,
            """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: z-allows-x-a, namespace: z }
            spec:
              podSelector: {}
              ingress:
                - from: [ { namespaceSelector: { matchLabels: { ns: x } }, podSelector: { matchLabels: { pod: a } } } ]
            """);
        var truth = new Reachability(true).ExpectAllEgress("x/a", false);
        foreach (var p in Pods)
        {
            truth.Expect("x/a", $"y/{p}", true);
            foreach (var ns in Namespaces.Where(n => n != "x"))
            {
                foreach (var q in Pods)
                {
                    truth.Expect($"{ns}/{q}", $"z/{p}", false);
                }
            }

            foreach (var q in Pods.Where(q => q != "a"))
            {
                truth.Expect($"x/{q}", $"z/{p}", false);
            }
        }

        truth.Verify(set, Tcp, 80);
    }

    [Fact]
    public void IngressAndEgressTogether()
    {
        var set = With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: both, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              policyTypes: [Ingress, Egress]
              ingress: [ { from: [ { podSelector: { matchLabels: { pod: b } } } ] } ]
              egress: [ { to: [ { namespaceSelector: { matchLabels: { ns: y } } } ] } ]
            """);
        var truth = new Reachability(true).ExpectAllIngress("x/a", false).ExpectAllEgress("x/a", false).Expect("x/b", "x/a", true);
        foreach (var p in Pods)
        {
            truth.Expect("x/a", $"y/{p}", true);
        }

        truth.Verify(set, Tcp, 80);
    }
}
