using System.Text;
using Trellis.Policy.Evaluation;
using Trellis.Policy.Manifests;

namespace Trellis.Policy.Tests.AdminPolicy;

/// <summary>
/// The namespaces and pods of the network-policy-api conformance suite (conformance/base/manifests.yaml): four houses
/// with two pods each (ports web 80/TCP and dns 53/UDP named), the hogwarts-staff namespace with its professors, and the
/// forbidden forest's host-network centaur. Pods are written as the StatefulSets' pods, with their addresses.
/// </summary>
internal static class ConformanceBase
{
    public static readonly string[] Houses = ["gryffindor", "slytherin", "hufflepuff", "ravenclaw"];

    private static readonly (string House, string Pod)[] Pods =
    [
        ("gryffindor", "harry-potter"), ("slytherin", "draco-malfoy"), ("hufflepuff", "cedric-diggory"), ("ravenclaw", "luna-lovegood"),
        ("hogwarts-staff", "professor-dumbledore"), ("hogwarts-staff", "professor-quirrell"),
    ];

    public static string Ns(string house) => $"network-policy-conformance-{house}";

    public static string Yaml
    {
        get
        {
            var sb = new StringBuilder();
            foreach (var house in Houses.Append("hogwarts-staff"))
            {
                sb.Append($"apiVersion: v1\nkind: Namespace\nmetadata: {{ name: {Ns(house)}, labels: {{ conformance-house: {house} }} }}\n---\n");
            }

            for (var p = 0; p < Pods.Length; p++)
            {
                var (house, pod) = Pods[p];
                for (var i = 0; i < 2; i++)
                {
                    sb.Append($$"""
                        apiVersion: v1
                        kind: Pod
                        metadata:
                          name: {{pod}}-{{i}}
                          namespace: {{Ns(house)}}
                          labels: { conformance-house: {{house}}, statefulset.kubernetes.io/pod-name: {{pod}}-{{i}} }
                        spec:
                          containers:
                            - name: server
                              ports:
                                - { containerPort: 80, protocol: TCP, name: web }
                                - { containerPort: 53, protocol: UDP, name: dns }
                        status: { podIP: 10.244.{{p + 1}}.{{i + 10}} }
                        ---

                        """);
                }
            }

            return sb.ToString();
        }
    }

    /// <summary>An AdminNetworkPolicy on gryffindor's pods with the given rules (YAML lines under spec).</summary>
    public static string Anp(string name, int priority, string rules) => $$"""
        apiVersion: policy.networking.k8s.io/v1alpha1
        kind: AdminNetworkPolicy
        metadata: { name: {{name}} }
        spec:
          priority: {{priority}}
          subject: { namespaces: { matchLabels: { conformance-house: gryffindor } } }
        {{rules}}
        ---

        """;

    public static PolicySet Load(string policies) => ManifestLoader.LoadText(Yaml + policies);

    /// <summary>kubernetes.PokeServer: whether the client pod reaches the server pod on the port.</summary>
    public static Verdict Poke(PolicySet set, string clientHouse, string client, string protocol, string serverHouse, string server, int port)
    {
        Assert.DoesNotContain(set.Findings, f => f.Severity == Trellis.Core.Validation.Severity.Error);
        var engine = PolicyEngine.Compile(set);
        var from = engine.FindEndpoint($"{Ns(clientHouse)}/{client}") ?? throw new InvalidOperationException(client);
        var to = engine.FindEndpoint($"{Ns(serverHouse)}/{server}") ?? throw new InvalidOperationException(server);
        return engine.Check(new Flow(from, to, Protocol.Parse(protocol), port));
    }
}
