using Trellis.Policy;
using Trellis.Policy.Evaluation;
using static Trellis.Policy.Tests.Evaluation.NetpolModel;

namespace Trellis.Lab.Tests.PolicyKernel;

/// <summary>
/// Policy cases for the kernel test, all on the Kubernetes e2e model (NetpolModel: pods a, b, c in namespaces x, y, z on
/// ports 80 and 81): manifests of the e2e suite's cases (KubernetesE2eTruthTableTests) and Calico cases with tiers, Pass,
/// Deny, order, nets, network sets, named ports and port ranges, and an admin policy case.
/// </summary>
internal static class PolicyCases
{
    public static readonly IReadOnlyDictionary<string, string[]> All = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["e2e-no-policies"] = [],
        ["e2e-default-deny-ingress"] = ["""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: deny-ingress, namespace: x }
            spec:
              podSelector: {}
              policyTypes: [Ingress]
            """],
        ["e2e-default-deny-all"] = ["""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: deny-all, namespace: x }
            spec:
              podSelector: {}
              policyTypes: [Ingress, Egress]
            """],
        ["e2e-pod-selector"] = ["""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: x-a-allows-x-b, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress:
                - from: [ { podSelector: { matchLabels: { pod: b } } } ]
            """],
        ["e2e-namespace-selector"] = ["""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: allow-ns-y, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress:
                - from: [ { namespaceSelector: { matchLabels: { ns: y } } } ]
            """],
        ["e2e-pod-and-namespace-selector"] = ["""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: pod-and-ns, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress:
                - from:
                    - namespaceSelector: { matchExpressions: [ { key: ns, operator: NotIn, values: [x] } ] }
                      podSelector: { matchLabels: { pod: b } }
            """],
        ["e2e-port-and-protocol"] = ["""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: port-81-from-y, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress:
                - from: [ { namespaceSelector: { matchLabels: { ns: y } } } ]
                  ports: [ { port: 81, protocol: TCP } ]
            """],
        ["e2e-stacked-policies"] = ["""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: allow-80, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress:
                - from: [ { namespaceSelector: { matchLabels: { ns: y } } } ]
                  ports: [ { port: 80 } ]
            """, """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: allow-81, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress:
                - from: [ { namespaceSelector: { matchLabels: { ns: z } } } ]
                  ports: [ { port: 81 } ]
            """],
        ["e2e-named-port-ingress"] = ["""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: allow-serve-81-tcp, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress:
                - ports: [ { port: serve-81-tcp } ]
            """],
        ["e2e-named-port-egress"] = ["""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: egress-serve-80-tcp, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              policyTypes: [Egress]
              egress:
                - ports: [ { port: serve-80-tcp } ]
            """],
        ["e2e-end-port"] = ["""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: range-80-81, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress: [ { ports: [ { port: 80, endPort: 81, protocol: TCP } ] } ]
            """],
        ["e2e-udp-only"] = ["""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: udp-only, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress: [ { ports: [ { port: 81, protocol: UDP } ] } ]
            """],
        ["e2e-ipblock"] = [$$"""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: to-y-b-cidr, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              policyTypes: [Egress]
              egress:
                - to: [ { ipBlock: { cidr: {{Ip("y/b")}}/32 } } ]
            """],
        ["e2e-ipblock-except"] = [$$"""
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
            """],
        ["e2e-egress-and-ingress-isolation"] = ["""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: egress-to-y, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              egress:
                - to: [ { namespaceSelector: { matchLabels: { ns: y } } } ]
            """, """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: y-b-only-from-x, namespace: y }
            spec:
              podSelector: { matchLabels: { pod: b } }
              ingress:
                - from: [ { namespaceSelector: { matchLabels: { ns: x } }, podSelector: { matchLabels: { pod: a } } } ]
                  ports: [ { port: 80 } ]
            """],
        ["calico-tiers-pass-deny-order"] = ["""
            apiVersion: projectcalico.org/v3
            kind: Tier
            metadata: { name: security }
            spec: { order: 100 }
            ---
            apiVersion: projectcalico.org/v3
            kind: Tier
            metadata: { name: platform }
            spec: { order: 200, defaultAction: Pass }
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: security.x-ingress }
            spec:
              tier: security
              order: 10
              selector: projectcalico.org/namespace == 'x'
              ingress:
                - action: Pass
                  source: { namespaceSelector: ns == 'y' }
                - action: Deny
                  source: { selector: pod == 'c' }
                - action: Allow
                  protocol: UDP
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: security.x-ingress-later }
            spec:
              tier: security
              order: 20
              selector: projectcalico.org/namespace == 'x'
              ingress:
                - action: Allow
                  source: { selector: pod == 'c' }
                - action: Pass
                  protocol: TCP
                  destination: { ports: [81] }
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: platform.x-a }
            spec:
              tier: platform
              selector: pod == 'a' && projectcalico.org/namespace == 'x'
              ingress:
                - action: Deny
                  source: { selector: pod == 'b' }
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: x-a-from-y-a, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress:
                - from: [ { namespaceSelector: { matchLabels: { ns: y } }, podSelector: { matchLabels: { pod: a } } } ]
            """],
        ["calico-ports-nets-named"] = ["""
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: { name: y-ports, namespace: y }
            spec:
              selector: all()
              types: [Ingress, Egress]
              ingress:
                - action: Deny
                  protocol: TCP
                  destination: { ports: [81] }
                - action: Allow
                  protocol: UDP
                  destination: { notPorts: [80] }
                - action: Allow
                  protocol: TCP
                  source: { nets: [10.244.0.0/16], notNets: [10.244.1.10/32] }
                  destination: { ports: [serve-80-tcp] }
              egress:
                - action: Allow
                  protocol: TCP
                  destination: { ports: ["80:81"], namespaceSelector: ns == 'z', notSelector: pod == 'c' }
                - action: Log
                  protocol: UDP
                - action: Allow
                  protocol: UDP
                  destination: { ports: [serve-81-udp] }
            """],
        ["calico-order-sets-protocols"] = ["""
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkSet
            metadata: { name: z-pods, labels: { role: blocked } }
            spec: { nets: [10.244.3.0/24] }
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: b-egress-later }
            spec:
              order: 20
              selector: pod == 'b'
              types: [Egress]
              egress:
                - action: Deny
                  destination: { selector: role == 'blocked' }
                - action: Allow
                  notProtocol: UDP
                  destination: { notSelector: pod == 'c' }
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: b-egress-first }
            spec:
              order: 10
              selector: pod == 'b'
              types: [Egress]
              egress:
                - action: Allow
                  protocol: 17
                  destination: { selector: pod == 'c', ports: [81] }
                - action: Allow
                  protocol: TCP
                  destination: { nets: [10.244.3.12/32], notPorts: [80] }
            """],
        ["calico-services"] = ["""
            apiVersion: v1
            kind: Service
            metadata: { name: web, namespace: y }
            spec:
              selector: { pod: a }
              ports: [ { port: 8080, targetPort: serve-80-tcp }, { port: 53, protocol: UDP, targetPort: 81 } ]
            ---
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: { name: to-web, namespace: x }
            spec:
              selector: pod == 'b'
              types: [Egress]
              egress:
                - action: Allow
                  destination: { services: { name: web, namespace: y } }
            ---
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: { name: from-web, namespace: z }
            spec:
              selector: all()
              types: [Ingress]
              ingress:
                - action: Allow
                  source: { services: { name: web, namespace: y } }
            ---
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: { name: web-ingress, namespace: y }
            spec:
              selector: pod == 'a'
              types: [Ingress]
              ingress:
                - action: Allow
                  destination: { services: { name: web } }
            """],
        ["admin-priority-pass-baseline"] = ["""
            apiVersion: policy.networking.k8s.io/v1alpha1
            kind: AdminNetworkPolicy
            metadata: { name: deny-z }
            spec:
              priority: 10
              subject: { namespaces: { matchLabels: { ns: x } } }
              ingress:
                - name: pass-y-80
                  action: Pass
                  from: [ { namespaces: { matchLabels: { ns: y } } } ]
                  ports: [ { portNumber: { protocol: TCP, port: 80 } } ]
                - name: deny-z
                  action: Deny
                  from: [ { namespaces: { matchLabels: { ns: z } } } ]
                - name: allow-y-named
                  action: Allow
                  from: [ { pods: { namespaceSelector: { matchLabels: { ns: y } }, podSelector: { matchLabels: { pod: a } } } } ]
                  ports: [ { namedPort: serve-81-udp } ]
            ---
            apiVersion: policy.networking.k8s.io/v1alpha1
            kind: BaselineAdminNetworkPolicy
            metadata: { name: default }
            spec:
              subject: { namespaces: { matchLabels: { ns: x } } }
              ingress:
                - name: deny-y
                  action: Deny
                  from: [ { namespaces: { matchLabels: { ns: y } } } ]
                  ports: [ { portRange: { protocol: TCP, start: 80, end: 81 } } ]
            """],
    };

    /// <summary>Constructs no probe exercises (ICMP, Log, http, source ports, services, IPv6): checked with <c>nft -c</c> only.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> CheckOnly = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["constructs"] = ["""
            apiVersion: v1
            kind: Service
            metadata: { name: web, namespace: y }
            spec:
              selector: { pod: a }
              ports: [ { port: 8080, targetPort: serve-80-tcp }, { port: 53, protocol: UDP, targetPort: 81 } ]
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkSet
            metadata: { name: outside, labels: { zone: outside } }
            spec: { nets: [192.0.2.0/24, 198.51.100.7/32, "2001:db8::/64"] }
            ---
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: { name: "constructs", namespace: x }
            spec:
              selector: all()
              types: [Ingress, Egress]
              ingress:
                - action: Log
                - action: Deny
                  protocol: ICMP
                  icmp: { type: 8, code: 0 }
                - action: Allow
                  notICMP: { type: 3 }
                  protocol: ICMP
                - action: Allow
                  http: { methods: [GET] }
                - action: Allow
                  ipVersion: 6
                - action: Allow
                  protocol: TCP
                  source: { ports: ["1000:2000", serve-80-tcp], notPorts: [1500] }
                  destination: { notPorts: [serve-81-tcp, 9000] }
                - action: Allow
                  source: { serviceAccounts: { names: [default] }, notNets: ["2001:db8::/64", 10.244.3.0/24] }
                - action: Allow
                  protocol: SCTP
                  destination: { ports: [80] }
                - action: Allow
                  source: { selector: zone == 'outside', namespaceSelector: global() }
              egress:
                - action: Allow
                  destination: { services: { name: web, namespace: y } }
                - action: Allow
                  notProtocol: 6
                  destination: { nets: ["2001:db8::/64"] }
                - action: Pass
                  protocol: UDP
                  destination: { ports: [80] }
                - action: Deny
                  protocol: 47
            """],
    };

    public static IEnumerable<object[]> Names => All.Keys.Select(k => new object[] { k });

    public static PolicyEngine Engine(string name) => PolicyEngine.Compile(With(All[name]));
}
