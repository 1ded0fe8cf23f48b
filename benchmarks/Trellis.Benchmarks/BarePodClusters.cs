using System.Net;
using Trellis.Core.Addressing;
using Trellis.Policy;
using Trellis.Policy.Kubernetes;
using Trellis.Policy.Manifests;

namespace Trellis.Benchmarks;

/// <summary>
/// Clusters of bare pods that policies cannot group: every pod is its own identity. Shared by the benchmarks and by
/// tests/Trellis.Policy.Tests, which links this file.
/// </summary>
/// <remarks>
/// <para>
/// N bare pods, <see cref="PodsPerNamespace"/> to a namespace as in <see cref="PolicyClusters"/>. Pod <c>i</c> has labels
/// of its own (<c>app: pod-i</c>) and of its quad (<c>quad: q{i/4}</c>), one named container port of its own
/// (<c>p{i}</c>, TCP), and the address 10.64.0.0 + i, so that the /24 ipBlocks of the policies match pods.
/// </para>
/// <para>
/// N/4 Kubernetes NetworkPolicies, one per quad of pods, each with a port range of its own (<c>port</c>/<c>endPort</c>;
/// a single port when <c>portRanges</c> is false):
/// </para>
/// <list type="bullet">
/// <item>ingress from the /24 of the quad's own addresses on the range, and from the pods of the namespace on the four
///   named ports of the quad (each resolves on one pod only);</item>
/// <item>egress to the pods of the namespace, to another /24 of pods on the range, and DNS (UDP 53) anywhere.</item>
/// </list>
/// </remarks>
public static class BarePodClusters
{
    /// <summary>Pods per namespace, as in <see cref="PolicyClusters"/>.</summary>
    public const int PodsPerNamespace = PolicyClusters.PodsPerNamespace;

    /// <summary>Pods per policy.</summary>
    public const int PodsPerPolicy = 4;

    /// <summary>The first pod address; pod i is this + i.</summary>
    private static readonly UInt128 FirstAddress = IpNumber.ToNumber(IPAddress.Parse("10.64.0.0"));

    /// <summary><paramref name="pods"/> bare pods (a multiple of 4) and a quarter as many policies.</summary>
    public static PolicySet Build(int pods, bool portRanges)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pods, PodsPerPolicy);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pods, 1_000_000);
        if (pods % PodsPerPolicy != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(pods), pods, $"The number of pods must be a multiple of {PodsPerPolicy}.");
        }

        var namespaces = (pods + PodsPerNamespace - 1) / PodsPerNamespace;
        var slices = (pods + 255) / 256;
        var nsInfos = new List<NamespaceInfo>(namespaces);
        for (var n = 0; n < namespaces; n++)
        {
            var ns = PolicyClusters.NamespaceName(n);
            nsInfos.Add(new NamespaceInfo(ns, new Dictionary<string, string>(StringComparer.Ordinal) { [NamespaceInfo.NameLabel] = ns }));
        }

        var workloads = new List<Workload>(pods);
        for (var i = 0; i < pods; i++)
        {
            workloads.Add(new Workload
            {
                Namespace = PolicyClusters.NamespaceName(i / PodsPerNamespace),
                Name = $"pod-{i}",
                Kind = "Pod",
                Labels = new Dictionary<string, string>(StringComparer.Ordinal) { ["app"] = $"pod-{i}", ["quad"] = $"q{i / PodsPerPolicy}" },
                Ports = [new ContainerPort(PortName(i), 10_000 + i % 50_000, Protocol.Tcp)],
                Addresses = [Address(i)],
            });
        }

        var policies = new List<KubernetesNetworkPolicy>(pods / PodsPerPolicy);
        for (var k = 0; k < pods / PodsPerPolicy; k++)
        {
            var first = k * PodsPerPolicy;
            // Distinct ranges: 37 is prime to 60,000, so no two policies start at the same port.
            var start = 1024 + k * 37 % 60_000;
            var range = new PolicyPort(Protocol.Tcp, start, null, portRanges ? start + 10 + k % 90 : null);
            policies.Add(new KubernetesNetworkPolicy
            {
                Namespace = PolicyClusters.NamespaceName(first / PodsPerNamespace),
                Name = $"quad-{k}",
                PodSelector = LabelSelector.Of(("quad", $"q{k}")),
                PolicyTypes = PolicyTypes.Ingress | PolicyTypes.Egress,
                PolicyTypesDeclared = true,
                Ingress =
                [
                    new KubernetesRule([new PolicyPeer(null, null, new IpBlock(Slice(first / 256), []))], [range]),
                    new KubernetesRule(
                        [new PolicyPeer(LabelSelector.Empty, null, null)],
                        Enumerable.Range(first, PodsPerPolicy).Select(p => new PolicyPort(Protocol.Tcp, null, PortName(p), null)).ToArray()),
                ],
                Egress =
                [
                    new KubernetesRule([new PolicyPeer(LabelSelector.Empty, null, null)], []),
                    new KubernetesRule([new PolicyPeer(null, null, new IpBlock(Slice(k * 7 % slices), []))], [range]),
                    new KubernetesRule([], [new PolicyPort(Protocol.Udp, 53, null, null)]),
                ],
            });
        }

        return PolicySet.Empty with { Namespaces = nsInfos, Workloads = workloads, KubernetesPolicies = policies };
    }

    private static string PortName(int pod) => $"p{pod}";

    private static IPAddress Address(int pod) => IpNumber.ToAddress(FirstAddress + (UInt128)pod, System.Net.Sockets.AddressFamily.InterNetwork);

    /// <summary>The /24 of pod addresses number <paramref name="slice"/>.</summary>
    private static Prefix Slice(int slice) => new(Address(slice * 256), 24);
}
