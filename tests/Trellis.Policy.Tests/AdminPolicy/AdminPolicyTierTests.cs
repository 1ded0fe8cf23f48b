using System.Net;
using Trellis.Policy.Connectivity;
using Trellis.Policy.Evaluation;
using Trellis.Policy.Manifests;
using static Trellis.Policy.Tests.AdminPolicy.ConformanceBase;

namespace Trellis.Policy.Tests.AdminPolicy;

/// <summary>How admin policies sit in Calico's tiers: kube-admin (1,000, Pass) before default, kube-baseline (10,000,000, Pass) after it.</summary>
public sealed class AdminPolicyTierTests
{
    private const string BaselineAllowsSlytherin = """
        apiVersion: policy.networking.k8s.io/v1alpha1
        kind: BaselineAdminNetworkPolicy
        metadata: { name: default }
        spec:
          subject: { namespaces: { matchLabels: { conformance-house: gryffindor } } }
          ingress: [ { name: allow-slytherin, action: Allow, from: [ { namespaces: { matchLabels: { conformance-house: slytherin } } } ] } ]
        ---

        """;

    private static string IsolateGryffindor(string from) => $$"""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: { name: only-{{from}}, namespace: {{Ns("gryffindor")}} }
        spec:
          podSelector: {}
          ingress: [ { from: [ { namespaceSelector: { matchLabels: { conformance-house: {{from}} } } } ] } ]
        ---

        """;

    [Fact]
    public void Baseline_AppliesOnlyWhereNoNetworkPolicySelectsThePod()
    {
        var open = Poke(Load(BaselineAllowsSlytherin), "slytherin", "draco-malfoy-0", "tcp", "gryffindor", "harry-potter-0", 80);
        Assert.True(open.Allowed);
        Assert.Equal(("kube-baseline", Decision.RuleAllowed), (open.Ingress.Tier, open.Ingress.Decision));

        // A NetworkPolicy isolates the pod: the default tier ends in a deny before the baseline is reached.
        var isolated = Poke(Load(BaselineAllowsSlytherin + IsolateGryffindor("ravenclaw")), "slytherin", "draco-malfoy-0", "tcp", "gryffindor", "harry-potter-0", 80);
        Assert.False(isolated.Allowed);
        Assert.Equal(("default", Decision.EndOfTier), (isolated.Ingress.Tier, isolated.Ingress.Decision));
    }

    [Fact]
    public void AdminAllow_OverridesTheNetworkPolicysIsolation()
    {
        var rules = "  ingress: [ { name: allow-slytherin-web, action: Allow, from: [ { namespaces: { matchLabels: { conformance-house: slytherin } } } ], ports: [ { namedPort: web } ] } ]";
        var set = Load(Anp("allow", 3, rules) + IsolateGryffindor("ravenclaw"));
        var web = Poke(set, "slytherin", "draco-malfoy-0", "tcp", "gryffindor", "harry-potter-0", 80);
        Assert.True(web.Allowed);
        Assert.Equal("kube-admin", web.Ingress.Tier);
        Assert.Equal("allow-slytherin-web", web.Ingress.Rule!.Name);
        Assert.False(Poke(set, "slytherin", "draco-malfoy-0", "tcp", "gryffindor", "harry-potter-0", 8080).Allowed);
        Assert.False(Poke(set, "slytherin", "draco-malfoy-0", "udp", "gryffindor", "harry-potter-0", 80).Allowed);
    }

    [Fact]
    public void Pass_GoesThroughTheNetworkPolicyThenTheBaseline()
    {
        var rules = "  ingress: [ { name: pass-all, action: Pass, from: [ { namespaces: {} } ] } ]";
        var set = Load(Anp("pass", 1, rules) + BaselineAllowsSlytherin + IsolateGryffindor("ravenclaw"));
        Assert.True(Poke(set, "ravenclaw", "luna-lovegood-0", "tcp", "gryffindor", "harry-potter-0", 80).Allowed);
        Assert.False(Poke(set, "slytherin", "draco-malfoy-0", "tcp", "gryffindor", "harry-potter-0", 80).Allowed);
        var withoutNp = Poke(Load(Anp("pass", 1, rules) + BaselineAllowsSlytherin), "slytherin", "draco-malfoy-0", "tcp", "gryffindor", "harry-potter-0", 80);
        Assert.True(withoutNp.Allowed);
        Assert.Equal(["kube-admin"], withoutNp.Ingress.PassedTiers);
        Assert.Equal("kube-baseline", withoutNp.Ingress.Tier);
    }

    [Fact]
    public void Networks_MatchPodAddressesToo_AndNodesMatchTheirAddresses()
    {
        var rules = """
              egress:
                - { name: deny-hufflepuff-pod, action: Deny, to: [ { networks: [ 10.244.3.10/32 ] } ] }
                - { name: deny-infra-nodes, action: Deny, to: [ { nodes: { matchLabels: { role: infra } } } ], ports: [ { portRange: { start: 36000, end: 37000 } } ] }
            """;
        const string nodes = """
            apiVersion: v1
            kind: Node
            metadata: { name: infra-1, labels: { role: infra } }
            status: { addresses: [ { type: InternalIP, address: 192.168.10.5 } ] }
            ---

            """;
        var set = Load(Anp("nets", 2, rules) + nodes);
        Assert.False(Poke(set, "gryffindor", "harry-potter-0", "tcp", "hufflepuff", "cedric-diggory-0", 80).Allowed);
        Assert.True(Poke(set, "gryffindor", "harry-potter-0", "tcp", "hufflepuff", "cedric-diggory-1", 80).Allowed);

        var engine = PolicyEngine.Compile(set);
        var harry = engine.FindEndpoint($"{Ns("gryffindor")}/harry-potter-0")!;
        var toNode = engine.Check(Flow.Tcp(harry, Endpoint.External("192.168.10.5"), 36363));
        Assert.False(toNode.Allowed);
        Assert.Equal("deny-infra-nodes", toNode.Egress.Rule!.Name);
        Assert.True(engine.Check(Flow.Tcp(harry, Endpoint.External("192.168.10.6"), 36363)).Allowed);
        Assert.True(engine.Check(Flow.Tcp(harry, Endpoint.External("192.168.10.5"), 22)).Allowed);

        // The matrix shows the node's address as a range of its own, with the port range cut out.
        var matrix = ConnectivityAnalyzer.Matrix(engine);
        Assert.Contains(matrix.Lines, l => l.ToString().Contains("192.168.10.5", StringComparison.Ordinal) && l.ToString().Contains("harry-potter-0", StringComparison.Ordinal)
            && l.ToString().Contains("36999", StringComparison.Ordinal) is false && l.ToString().Contains("35999", StringComparison.Ordinal));
    }

    [Fact]
    public void Diff_ShowsWhatAnAdminPolicyCloses()
    {
        var before = Load("");
        var after = Load(Anp("no-slytherin", 4, "  ingress: [ { name: deny-slytherin, action: Deny, from: [ { namespaces: { matchLabels: { conformance-house: slytherin } } } ], ports: [ { portNumber: { port: 80 } } ] } ]"));

        var diff = ConnectivityAnalyzer.Diff(before, after);

        var closed = diff.Lines.Where(l => l.ToString().Contains("draco-malfoy-0[Pod] => " + Ns("gryffindor") + "/harry-potter-0[Pod]", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(closed);
        Assert.True(line.Closed.For(Protocol.Tcp).Contains(80), line.ToString());
        Assert.False(line.Closed.For(Protocol.Tcp).Contains(81), line.ToString());
        Assert.False(line.Closed.For(Protocol.Udp).Contains(80), line.ToString());
        Assert.True(line.Opened.IsEmpty, line.ToString());
        Assert.DoesNotContain(diff.Lines, l => l.ToString().Contains("luna-lovegood", StringComparison.Ordinal));
    }

    [Fact]
    public void EqualPriorities_RunByCalicosNameOrder()
    {
        var deny = "  ingress: [ { action: Deny, from: [ { namespaces: {} } ] } ]";
        var allow = "  ingress: [ { action: Allow, from: [ { namespaces: {} } ] } ]";
        var v = Poke(Load(Anp("b-allow", 5, allow) + Anp("a-deny", 5, deny)), "slytherin", "draco-malfoy-0", "tcp", "gryffindor", "harry-potter-0", 80);
        Assert.False(v.Allowed);
        Assert.Equal("a-deny", v.Ingress.Policy!.Name);
        Assert.Equal("kanp.adminnetworkpolicy.a-deny", v.Ingress.Policy.CalicoName);
    }
}
