using Trellis.Policy.Manifests;

namespace Trellis.Policy.Tests.Connectivity;

/// <summary>netpol-analyzer's "netpol-analysis-example-minimal": a frontend and a backend with default deny.</summary>
internal static class MinimalExample
{
    public const string Workloads = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: { name: frontend, namespace: default }
        spec:
          selector: { matchLabels: { app: frontend } }
          template:
            metadata: { labels: { app: frontend } }
            spec: { containers: [ { name: server, image: frontend, ports: [ { containerPort: 8080 } ] } ] }
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: { name: backend, namespace: default }
        spec:
          selector: { matchLabels: { app: backendservice } }
          template:
            metadata: { labels: { app: backendservice } }
            spec: { containers: [ { name: server, image: backend, ports: [ { containerPort: 9090 } ] } ] }
        """;

    public const string BackendPolicy = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: { name: backend-netpol, namespace: default }
        spec:
          podSelector: { matchLabels: { app: backendservice } }
          policyTypes: [Ingress, Egress]
          ingress:
            - from: [ { namespaceSelector: {} } ]
              ports: [ { port: 9090, protocol: TCP } ]
        """;

    public const string FrontendPolicy = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: { name: frontend-netpol, namespace: default }
        spec:
          podSelector: { matchLabels: { app: frontend } }
          policyTypes: [Ingress, Egress]
          egress:
            - to: [ { podSelector: { matchLabels: { app: backendservice } } } ]
              ports: [ { port: 9090, protocol: TCP } ]
            - ports: [ { port: 53, protocol: UDP } ]
          ingress:
            - ports: [ { port: 8080, protocol: TCP } ]
        """;

    public const string DefaultDeny = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: { name: default-deny-in-namespace, namespace: default }
        spec:
          podSelector: {}
          policyTypes: [Ingress, Egress]
        """;

    public static PolicySet Load(params string[] extra) =>
        ManifestLoader.LoadText(string.Join("\n---\n", new[] { Workloads, BackendPolicy, FrontendPolicy, DefaultDeny }.Concat(extra)), "minimal.yaml");
}
