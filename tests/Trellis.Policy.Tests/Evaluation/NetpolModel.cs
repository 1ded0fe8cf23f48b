using System.Net;
using Trellis.Policy.Evaluation;
using Trellis.Policy.Manifests;

namespace Trellis.Policy.Tests.Evaluation;

/// <summary>
/// The Kubernetes e2e network policy model (test/e2e/network/netpol): namespaces x, y, z labelled ns=&lt;name&gt;, pods a, b, c
/// labelled pod=&lt;name&gt;, each serving ports 80 and 81 on TCP, UDP and SCTP with container ports named serve-80-tcp etc.
/// </summary>
internal static class NetpolModel
{
    public static readonly string[] Namespaces = ["x", "y", "z"];
    public static readonly string[] Pods = ["a", "b", "c"];

    public static IEnumerable<string> All => Namespaces.SelectMany(ns => Pods.Select(p => $"{ns}/{p}"));

    public static IPAddress Ip(string pod)
    {
        var (ns, name) = Split(pod);
        return IPAddress.Parse($"10.244.{Array.IndexOf(Namespaces, ns) + 1}.{Array.IndexOf(Pods, name) + 10}");
    }

    public static PolicySet Cluster()
    {
        var ports = new List<ContainerPort>();
        foreach (var port in new[] { 80, 81 })
        {
            ports.Add(new ContainerPort($"serve-{port}-tcp", port, Protocol.Tcp));
            ports.Add(new ContainerPort($"serve-{port}-udp", port, Protocol.Udp));
            ports.Add(new ContainerPort($"serve-{port}-sctp", port, Protocol.Sctp));
        }

        return PolicySet.Empty with
        {
            Namespaces = Namespaces.Select(ns => new NamespaceInfo(ns, new Dictionary<string, string>
            {
                ["ns"] = ns,
                [NamespaceInfo.NameLabel] = ns,
            })).ToList(),
            Workloads = All.Select(id => new Workload
            {
                Namespace = Split(id).Ns,
                Name = Split(id).Pod,
                Kind = "Pod",
                Labels = new Dictionary<string, string> { ["pod"] = Split(id).Pod },
                Ports = ports,
                Addresses = [Ip(id)],
            }).ToList(),
        };
    }

    /// <summary>The cluster with these NetworkPolicy manifests applied.</summary>
    public static PolicySet With(params string[] manifests)
    {
        var set = Cluster();
        foreach (var m in manifests)
        {
            var loaded = ManifestLoader.LoadText(m, "policy.yaml");
            Assert.Empty(loaded.Findings);
            set = set.Merge(loaded);
        }

        return set;
    }

    public static (string Ns, string Pod) Split(string id) => (id[..id.IndexOf('/')], id[(id.IndexOf('/') + 1)..]);
}

/// <summary>Expected reachability between the nine pods, as the e2e suite's TruthTable (loopback ignored).</summary>
internal sealed class Reachability
{
    private readonly Dictionary<(string From, string To), bool> _expected = [];

    public Reachability(bool everything)
    {
        foreach (var from in NetpolModel.All)
        {
            foreach (var to in NetpolModel.All)
            {
                _expected[(from, to)] = everything;
            }
        }
    }

    public Reachability Expect(string from, string to, bool allowed)
    {
        _expected[(from, to)] = allowed;
        return this;
    }

    public Reachability ExpectAllIngress(string to, bool allowed)
    {
        foreach (var from in NetpolModel.All)
        {
            _expected[(from, to)] = allowed;
        }

        return this;
    }

    public Reachability ExpectAllEgress(string from, bool allowed)
    {
        foreach (var to in NetpolModel.All)
        {
            _expected[(from, to)] = allowed;
        }

        return this;
    }

    /// <summary>Checks every pair with the engine; reports all wrong pairs at once.</summary>
    public void Verify(PolicySet set, Protocol protocol, int port, PolicyOptions? options = null)
    {
        var engine = PolicyEngine.Compile(set, options);
        var wrong = new List<string>();
        foreach (var ((from, to), expected) in _expected)
        {
            if (from == to)
            {
                continue;
            }

            var verdict = engine.Check(new Flow(engine.FindEndpoint(from)!, engine.FindEndpoint(to)!, protocol, port));
            if (verdict.Allowed != expected)
            {
                wrong.Add($"{from} -> {to} {protocol} {port}: expected {(expected ? "allowed" : "denied")}, got {verdict}");
            }
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }
}
