using CsCheck;
using Trellis.Policy.Connectivity;
using Trellis.Policy.Evaluation;
using Trellis.Policy.Manifests;
using static Trellis.Policy.Tests.Evaluation.PolicyGenerators;

namespace Trellis.Policy.Tests.Evaluation;

/// <summary>
/// The engine against <see cref="NaiveEvaluator"/> on random clusters and policies: both must give the same answer for
/// every flow, under Calico's reading of ipBlock and under Cilium's, and the matrix must agree with single checks.
/// </summary>
public sealed class DifferentialTests
{
    private static readonly Gen<(PolicySet Set, FlowSpec[] Flows)> Cases = Gen.Select(Clusters, PolicyGenerators.Flows.Array[20, 40]);

    [Fact]
    public void Engine_AgreesWithTheNaiveEvaluator()
    {
        Cases.Sample((set, flows) => Agree(set, flows, PolicyOptions.Calico), iter: 600);
    }

    [Fact]
    public void Engine_AgreesWithTheNaiveEvaluator_UnderTheCiliumIpBlockReading()
    {
        var options = PolicyOptions.Calico with { IpBlockMatchesPods = false };
        Cases.Sample((set, flows) => Agree(set, flows, options), iter: 250);
    }

    [Fact]
    public void Engine_AgreesWithTheNaiveEvaluator_WithHostNetworkPodsPoliced()
    {
        var options = PolicyOptions.Calico with { HostNetworkPoliced = true };
        Cases.Sample((set, flows) => Agree(set, flows, options), iter: 250);
    }

    [Fact]
    public void Matrix_AgreesWithSingleChecks()
    {
        Gen.Select(Clusters, Gen.Int[0, 6].Array[2]).Sample((set, pick) =>
        {
            var engine = PolicyEngine.Compile(set);
            var report = ConnectivityAnalyzer.Matrix(engine);
            var from = set.Workloads[pick[0] % set.Workloads.Count];
            var to = set.Workloads[pick[1] % set.Workloads.Count];
            if (from == to)
            {
                return;
            }

            var cell = report.Cell(from.Id, to.Id)!;
            foreach (var protocol in new[] { Protocol.Tcp, Protocol.Udp, Protocol.Sctp })
            {
                foreach (var port in Ports.Append(1).Append(65535))
                {
                    var allowed = engine.Check(new Flow(Endpoint.Of(from), Endpoint.Of(to), protocol, port)).Allowed;
                    Assert.True(allowed == cell.For(protocol).Contains(port), $"{from} -> {to} {protocol} {port}: check {allowed}, matrix {cell}");
                }
            }

            var ping = engine.Check(new Flow(Endpoint.Of(from), Endpoint.Of(to), Protocol.Icmp, 0) { IcmpType = 8, IcmpCode = 0 }).Allowed;
            Assert.Equal(ping, cell.For(Protocol.Icmp).Contains(8 << 8));
        }, iter: 150);
    }

    private static void Agree(PolicySet set, FlowSpec[] flows, PolicyOptions options)
    {
        var engine = PolicyEngine.Compile(set, options);
        var naive = new NaiveEvaluator(set, options);
        foreach (var f in flows)
        {
            var from = Name(set, f.From);
            var to = Name(set, f.To);
            var flow = new Flow(EndpointOf(engine, from), EndpointOf(engine, to), f.Protocol, f.Port) { IcmpType = f.IcmpType, IcmpCode = f.IcmpCode };
            var verdict = engine.Check(flow);
            var expected = naive.Allowed(from, to, f.Protocol, f.Port, f.IcmpType, f.IcmpCode);
            Assert.True(expected == verdict.Allowed, $"naive says {(expected ? "allowed" : "denied")}, engine: {verdict}\n{Describe(set)}");
        }
    }

    private static Endpoint EndpointOf(PolicyEngine engine, string name) => engine.FindEndpoint(name) ?? Endpoint.External(name);

    private static string Describe(PolicySet set) =>
        string.Join("\n", set.Workloads.Select(w => $"  {w.Id} {w.Address} sa={w.ServiceAccount} {string.Join(",", w.Labels.Select(l => $"{l.Key}={l.Value}"))}")
            .Concat(set.KubernetesPolicies.Select(k => $"  {k} types={k.PolicyTypes} sel={k.PodSelector} in={Rules(k.Ingress)} out={Rules(k.Egress)}"))
            .Concat(set.CalicoPolicies.Select(c => $"  {c} tier={c.Tier} order={c.Order} sel={c.Selector} ns={c.NamespaceSelector} sa={c.ServiceAccountSelector} types={c.Types} in=[{string.Join("; ", c.Ingress.Select(Rule))}] out=[{string.Join("; ", c.Egress.Select(Rule))}]"))
            .Concat(set.NetworkSets.Select(s => $"  set {s.Id} {string.Join(",", s.Nets)}")));

    private static string Rules(IReadOnlyList<Trellis.Policy.Kubernetes.KubernetesRule> rules) =>
        "[" + string.Join("; ", rules.Select(r => $"peers({string.Join(" | ", r.Peers.Select(p => $"pod={p.PodSelector} ns={p.NamespaceSelector} ip={p.IpBlock}"))}) ports({string.Join(",", r.Ports)})")) + "]";

    private static string Rule(Trellis.Policy.Calico.CalicoRule r) =>
        $"{r.Action} p={r.Protocol} !p={r.NotProtocol} icmp={r.Icmp} !icmp={r.NotIcmp} v={r.IpVersion} src={Entity(r.Source)} dst={Entity(r.Destination)}";

    private static string Entity(Trellis.Policy.Calico.EntityRule e) =>
        $"{{sel={e.Selector} not={e.NotSelector} ns={e.NamespaceSelector} nets={string.Join(",", e.Nets)} !nets={string.Join(",", e.NotNets)} sa={string.Join(",", e.ServiceAccounts?.Names ?? [])} ports={string.Join(",", e.Ports)} !ports={string.Join(",", e.NotPorts)}}}";
}
