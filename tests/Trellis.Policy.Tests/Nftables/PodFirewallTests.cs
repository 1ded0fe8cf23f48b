using System.Net;
using Trellis.Policy.Evaluation;
using Trellis.Policy.Nftables;
using Trellis.Policy.Tests.Evaluation;
using static Trellis.Policy.Tests.Evaluation.NetpolModel;

namespace Trellis.Policy.Tests.Nftables;

/// <summary>
/// The nftables text the compiler emits for each construct, on the e2e model (pods x/a = 10.244.1.10, x/b = .1.11, x/c =
/// .1.12, y/a = 10.244.2.10, …). The kernel test (tests/Trellis.Lab.Tests/PolicyKernel) loads these scripts and probes them.
/// </summary>
public sealed class PodFirewallTests
{
    private static readonly IReadOnlyDictionary<string, IPAddress> Lab =
        Cluster().Workloads.ToDictionary(w => w.Id, w => w.Address!, StringComparer.Ordinal);

    private static string ScriptOf(string pod, params string[] manifests)
    {
        var firewalls = PodFirewall.Compile(PolicyEngine.Compile(With(manifests)), Lab);
        Assert.Empty(firewalls.Findings);
        Assert.Equal(Lab.Keys.Order(), firewalls.Scripts.Keys.Order());
        return firewalls.Scripts[$"{pod}[Pod]"];
    }

    /// <summary>The lines of one chain, without the chain's braces.</summary>
    private static string[] Chain(string script, string name)
    {
        var lines = script.Split('\n');
        var start = Array.FindIndex(lines, l => l.Trim() == $"chain {name} {{");
        Assert.True(start >= 0, $"no chain {name} in\n{script}");
        return lines.Skip(start + 1).TakeWhile(l => l.Trim() != "}").Select(l => l.Trim()).ToArray();
    }

    [Fact]
    public void NoPolicy_PolicesNothingButKeepsTheTableAndReplies()
    {
        var script = ScriptOf("x/a");

        Assert.StartsWith("# Trellis network policy of x/a[Pod] at 10.244.1.10 on eth0\ntable ip trellis_policy\ndelete table ip trellis_policy\ntable ip trellis_policy {", script, StringComparison.Ordinal);
        Assert.Equal(
            ["type filter hook input priority filter; policy accept;", "ct state established,related accept", "# no policy selects the pod for ingress: allowed"],
            Chain(script, "input"));
        Assert.DoesNotContain("goto", script, StringComparison.Ordinal);
    }

    [Fact]
    public void DefaultDenyIngress_GoesToATierThatOnlyDrops()
    {
        var script = ScriptOf("x/a", """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: deny-ingress, namespace: x }
            spec:
              podSelector: {}
              policyTypes: [Ingress]
            """);

        Assert.Contains("iifname \"eth0\" goto ingress-t0", Chain(script, "input"));
        Assert.Equal(["# tier default: x/deny-ingress", "drop comment \"end of tier default: denied\""], Chain(script, "ingress-t0"));
        Assert.Contains("# no policy selects the pod for egress: allowed", Chain(script, "output"));
    }

    [Fact]
    public void PodAndNamespaceSelectors_BecomeTheAddressesOfTheLabPodsTheyMatch()
    {
        var script = ScriptOf("x/a", """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: pods, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress:
                - from: [ { podSelector: { matchLabels: { pod: b } } } ]
                - from: [ { namespaceSelector: { matchLabels: { ns: y } } } ]
            """);

        Assert.Equal(
        [
            "# tier default: x/pods",
            "ip saddr { 10.244.1.11 } accept comment \"NetworkPolicy x/pods spec.ingress[0].from[0] Allow\"",
            "ip saddr { 10.244.2.10-10.244.2.12 } accept comment \"NetworkPolicy x/pods spec.ingress[1].from[0] Allow\"",
            "drop comment \"end of tier default: denied\"",
        ], Chain(script, "ingress-t0"));
    }

    [Fact]
    public void PortsAndRanges_MatchEveryProtocolWithPortsOrTheRulesOne()
    {
        var script = ScriptOf("x/a", """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: ports, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress:
                - ports: [ { port: 80, endPort: 81, protocol: TCP }, { port: 90, protocol: TCP }, { port: 53, protocol: UDP } ]
            """);

        var chain = Chain(script, "ingress-t0");
        Assert.Contains("meta l4proto 6 th dport { 80-81, 90 } accept comment \"NetworkPolicy x/ports spec.ingress[0] Allow\"", chain);
        Assert.Contains("meta l4proto 17 th dport { 53 } accept comment \"NetworkPolicy x/ports spec.ingress[0] Allow\"", chain);
    }

    [Fact]
    public void NamedPort_ResolvesOnThePodItselfForIngress()
    {
        var script = ScriptOf("x/a", """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: named, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress: [ { ports: [ { port: serve-81-tcp } ] } ]
            """);

        Assert.Contains("meta l4proto 6 meta l4proto . th dport { 6 . 81 } accept comment \"NetworkPolicy x/named spec.ingress[0] Allow\"", Chain(script, "ingress-t0"));
    }

    [Fact]
    public void NamedPort_ResolvesOnEveryLabPodForEgress()
    {
        var script = ScriptOf("x/a", """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: named, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              policyTypes: [Egress]
              egress: [ { to: [ { namespaceSelector: { matchLabels: { ns: y } } } ], ports: [ { port: serve-80-udp, protocol: UDP } ] } ]
            """);

        var rule = Assert.Single(Chain(script, "egress-t0"), l => l.Contains("accept", StringComparison.Ordinal));
        Assert.StartsWith("meta l4proto 17 ip daddr { 10.244.2.10-10.244.2.12 } ip daddr . meta l4proto . th dport { 10.244.1.10 . 17 . 80, 10.244.1.11 . 17 . 80, ", rule, StringComparison.Ordinal);
        Assert.Contains("10.244.3.12 . 17 . 80 } accept", rule, StringComparison.Ordinal);
    }

    [Fact]
    public void IpBlockWithExcept_IsANetAndANotNet()
    {
        var script = ScriptOf("x/a", """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: cidr, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              policyTypes: [Egress]
              egress: [ { to: [ { ipBlock: { cidr: 10.244.0.0/16, except: [10.244.1.11/32, 10.244.3.0/24] } } ] } ]
            """);

        Assert.Contains("ip daddr { 10.244.0.0/16 } ip daddr != { 10.244.1.11, 10.244.3.0/24 } accept comment \"NetworkPolicy x/cidr spec.egress[0].to[0] Allow\"", Chain(script, "egress-t0"));
    }

    [Fact]
    public void IpBlock_UnderTheCiliumReading_LeavesOutEveryWorkloadAddress()
    {
        var engine = PolicyEngine.Compile(With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: cidr, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              policyTypes: [Egress]
              egress: [ { to: [ { ipBlock: { cidr: 10.244.0.0/16 } } ] } ]
            """), PolicyOptions.Calico with { IpBlockMatchesPods = false });

        var script = PodFirewall.Compile(engine, Lab).Scripts["x/a[Pod]"];

        Assert.Contains("ip daddr { 10.244.0.0/16 } ip daddr != { 10.244.1.10-10.244.1.12, 10.244.2.10-10.244.2.12, 10.244.3.10-10.244.3.12 } accept", script, StringComparison.Ordinal);
    }

    private const string Tiers = """
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
        metadata: { name: security.second }
        spec:
          tier: security
          order: 20
          selector: pod == 'a'
          ingress: [ { action: Allow } ]
        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: { name: security.first }
        spec:
          tier: security
          order: 10
          selector: pod == 'a'
          ingress:
            - action: Pass
              source: { namespaceSelector: ns == 'y' }
            - action: Deny
              protocol: TCP
              source: { selector: pod == 'c' }
        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: { name: platform.log }
        spec:
          tier: platform
          selector: pod == 'a'
          ingress: [ { action: Log } ]
        """;

    [Fact]
    public void Tiers_AreChainsInOrder_PassGoesToTheNextTier_DenyDrops()
    {
        var script = ScriptOf("x/a", Tiers);

        Assert.Equal(
        [
            "# tier security: security.first, security.second",
            "ip saddr { 10.244.2.10-10.244.2.12 } goto ingress-t1 comment \"GlobalNetworkPolicy security.first spec.ingress[0] Pass\"",
            "meta l4proto 6 ip saddr { 10.244.1.12, 10.244.2.12, 10.244.3.12 } drop comment \"GlobalNetworkPolicy security.first spec.ingress[1] Deny\"",
            "accept comment \"GlobalNetworkPolicy security.second spec.ingress[0] Allow\"",
            "drop comment \"end of tier security: denied\"",
        ], Chain(script, "ingress-t0"));
        Assert.Equal(
        [
            "# tier platform: platform.log",
            "log prefix \"trellis ingress platform.log spec.ingress[0]: \" comment \"GlobalNetworkPolicy platform.log spec.ingress[0] Log\"",
            "accept comment \"end of tier platform: default action Pass\"",
        ], Chain(script, "ingress-t1"));
    }

    [Fact]
    public void PassInTheLastTier_IsTheProfilesAccept()
    {
        var script = ScriptOf("x/a", """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: pass-all }
            spec:
              selector: pod == 'a'
              types: [Egress]
              egress: [ { action: Pass } ]
            """);

        Assert.Equal(["# tier default: pass-all", "accept comment \"GlobalNetworkPolicy pass-all spec.egress[0] Pass\"", "drop comment \"end of tier default: denied\""], Chain(script, "egress-t0"));
    }

    [Fact]
    public void NotPortsAndNotIcmp_AreGuardsOfARuleChainOfItsOwn()
    {
        var script = ScriptOf("x/a", """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: guards }
            spec:
              selector: pod == 'a'
              ingress:
                - action: Allow
                  protocol: TCP
                  destination: { notPorts: [80, "1000:2000", serve-81-tcp] }
                - action: Allow
                  protocol: ICMP
                  notICMP: { type: 8 }
            """);

        Assert.Contains("jump ingress-t0-r0 comment \"GlobalNetworkPolicy guards spec.ingress[0] Allow\"", Chain(script, "ingress-t0"));
        Assert.Equal(
        [
            "meta l4proto 6 th dport { 80, 1000-2000 } return",
            "meta l4proto . th dport { 6 . 81 } return",
            "meta l4proto 6 accept comment \"GlobalNetworkPolicy guards spec.ingress[0] Allow\"",
        ], Chain(script, "ingress-t0-r0"));
        Assert.Equal(["meta l4proto { 1, 58 } @th,0,8 8 return", "meta l4proto 1 accept comment \"GlobalNetworkPolicy guards spec.ingress[1] Allow\""], Chain(script, "ingress-t0-r1"));
    }

    [Fact]
    public void Protocols_ByNameNumberAndNegation_AndIcmpTypeAndCode()
    {
        var script = ScriptOf("x/a", """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: protocols }
            spec:
              selector: pod == 'a'
              ingress:
                - { action: Allow, protocol: 47 }
                - { action: Allow, notProtocol: UDP }
                - { action: Deny, protocol: ICMP, icmp: { type: 8, code: 0 } }
                - { action: Allow, protocol: SCTP, destination: { ports: [9000] } }
            """);

        var chain = Chain(script, "ingress-t0");
        Assert.Contains("meta l4proto 47 accept comment \"GlobalNetworkPolicy protocols spec.ingress[0] Allow\"", chain);
        Assert.Contains("meta l4proto != 17 accept comment \"GlobalNetworkPolicy protocols spec.ingress[1] Allow\"", chain);
        Assert.Contains("meta l4proto 1 @th,0,8 8 @th,8,8 0 drop comment \"GlobalNetworkPolicy protocols spec.ingress[2] Deny\"", chain);
        Assert.Contains("meta l4proto 132 th dport { 9000 } accept comment \"GlobalNetworkPolicy protocols spec.ingress[3] Allow\"", chain);
    }

    [Fact]
    public void RulesTheEngineNeverMatches_EmitNoMatch()
    {
        var script = ScriptOf("x/a", """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: never }
            spec:
              selector: pod == 'a'
              ingress:
                - { action: Allow, http: { methods: [GET] } }
                - { action: Allow, ipVersion: 6 }
                - { action: Allow, source: { selector: pod == 'nobody' } }
                - { action: Allow, source: { nets: ["2001:db8::/64"] } }
            """);

        Assert.Equal(
        [
            "# tier default: never",
            "# GlobalNetworkPolicy never spec.ingress[0] Allow: matches no packet of this pod",
            "# GlobalNetworkPolicy never spec.ingress[1] Allow: matches no packet of this pod",
            "# GlobalNetworkPolicy never spec.ingress[2] Allow: matches no packet of this pod",
            "# GlobalNetworkPolicy never spec.ingress[3] Allow: matches no packet of this pod",
            "drop comment \"end of tier default: denied\"",
        ], Chain(script, "ingress-t0"));
    }

    [Fact]
    public void NetworkSets_JoinTheSelectorsAddresses()
    {
        var script = ScriptOf("x/a", """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkSet
            metadata: { name: outside, labels: { zone: outside } }
            spec: { nets: [192.0.2.0/24, 10.244.3.10/32] }
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: sets }
            spec:
              selector: pod == 'a'
              types: [Egress]
              egress:
                - { action: Deny, destination: { selector: zone == 'outside' } }
                - { action: Allow, destination: { notSelector: zone == 'outside' } }
            """);

        var chain = Chain(script, "egress-t0");
        Assert.Contains("ip daddr { 10.244.3.10, 192.0.2.0/24 } drop comment \"GlobalNetworkPolicy sets spec.egress[0] Deny\"", chain);
        Assert.Contains("ip daddr != { 10.244.3.10, 192.0.2.0/24 } accept comment \"GlobalNetworkPolicy sets spec.egress[1] Allow\"", chain);
    }

    [Fact]
    public void Services_ResolveToTheirPodsAndTargetPorts()
    {
        string[] manifests = ["""
            apiVersion: v1
            kind: Service
            metadata: { name: web, namespace: y }
            spec:
              selector: { pod: a }
              ports: [ { port: 8080, targetPort: serve-80-tcp }, { port: 53, protocol: UDP, targetPort: 81 } ]
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: web }
            spec:
              selector: has(pod)
              egress: [ { action: Allow, destination: { services: { name: web, namespace: y } } } ]
              ingress:
                - { action: Allow, source: { services: { name: web, namespace: y } } }
                - { action: Allow, destination: { services: { name: web, namespace: y } } }
            """];

        var client = ScriptOf("x/b", manifests);
        var web = ScriptOf("y/a", manifests);

        Assert.Contains("ip daddr . meta l4proto . th dport { 10.244.2.10 . 6 . 80, 10.244.2.10 . 17 . 81 } accept comment \"GlobalNetworkPolicy web spec.egress[0] Allow\"", Chain(client, "egress-t0"));
        Assert.Contains("ip saddr { 10.244.2.10 } accept comment \"GlobalNetworkPolicy web spec.ingress[0] Allow\"", Chain(client, "ingress-t0"));
        Assert.Contains("# GlobalNetworkPolicy web spec.ingress[1] Allow: matches no packet of this pod", Chain(client, "ingress-t0"));
        Assert.Contains("meta l4proto . th dport { 6 . 80, 17 . 81 } accept comment \"GlobalNetworkPolicy web spec.ingress[1] Allow\"", Chain(web, "ingress-t0"));
    }

    [Fact]
    public void SelfSide_IsDecidedForThePod()
    {
        // An egress rule whose source is another pod can never match this pod's own packets.
        var script = ScriptOf("x/a", """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: self }
            spec:
              selector: has(pod)
              types: [Egress]
              egress:
                - { action: Deny, source: { selector: pod == 'b' } }
                - { action: Allow, source: { selector: pod == 'a' } }
            """);

        Assert.Equal(
        [
            "# tier default: self",
            "# GlobalNetworkPolicy self spec.egress[0] Deny: matches no packet of this pod",
            "accept comment \"GlobalNetworkPolicy self spec.egress[1] Allow\"",
            "drop comment \"end of tier default: denied\"",
        ], Chain(script, "egress-t0"));
    }

    [Fact]
    public void Flannel_PolicesNothing()
    {
        var engine = PolicyEngine.Compile(With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: deny, namespace: x }
            spec: { podSelector: {}, policyTypes: [Ingress, Egress] }
            """), PolicyOptions.Flannel);

        var script = PodFirewall.Compile(engine, Lab).Scripts["x/a[Pod]"];

        Assert.DoesNotContain("goto", script, StringComparison.Ordinal);
        Assert.Contains("# the network plugin enforces no policy: nothing is filtered", script, StringComparison.Ordinal);
    }

    [Fact]
    public void WhatCannotBeCompiled_IsAFindingNotAScript()
    {
        var engine = PolicyEngine.Compile(Cluster(), PolicyOptions.Calico with { AllowSelfTraffic = false });
        var addresses = new Dictionary<string, IPAddress>
        {
            ["x/a"] = IPAddress.Parse("10.244.1.10"),
            ["x/b"] = IPAddress.Parse("2001:db8::1"),
            ["x/c"] = IPAddress.Parse("10.244.1.10"),
            ["w/nobody"] = IPAddress.Parse("10.244.9.9"),
        };

        var firewalls = PodFirewall.Compile(engine, addresses);

        Assert.Equal(["x/a"], firewalls.Scripts.Keys);
        Assert.All(firewalls.Findings, f => Assert.Equal(PodFirewall.NotCompiledCode, f.Code));
        Assert.Equal(["lab.pods[w/nobody]", "lab.pods[x/b]", "lab.pods[x/c]", "options.allowSelfTraffic"], firewalls.Findings.Select(f => f.Path));
    }

    [Fact]
    public void Replicas_EachPodHasAScriptAtItsAddress_AndASelectorIsEveryReplicasAddress()
    {
        var engine = PolicyEngine.Compile(With("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: pods, namespace: x }
            spec:
              podSelector: { matchLabels: { pod: a } }
              ingress:
                - from: [ { podSelector: { matchLabels: { pod: b } } } ]
            """));
        var replicas = new Dictionary<string, IReadOnlyList<IPAddress>>
        {
            ["x/a[Pod]"] = [IPAddress.Parse("10.244.1.10"), IPAddress.Parse("10.244.2.10")],
            ["x/b[Pod]"] = [IPAddress.Parse("10.244.1.11"), IPAddress.Parse("10.244.2.11"), IPAddress.Parse("10.244.3.11")],
        };

        var firewalls = PodFirewall.CompileReplicas(engine, replicas);

        Assert.Empty(firewalls.Findings);
        Assert.Equal(["10.244.1.10", "10.244.1.11", "10.244.2.10", "10.244.2.11", "10.244.3.11"], firewalls.Scripts.Keys.Order(StringComparer.Ordinal));
        foreach (var a in replicas["x/a[Pod]"])
        {
            var script = firewalls.Scripts[a.ToString()];
            Assert.StartsWith($"# Trellis network policy of x/a[Pod] at {a} on eth0", script, StringComparison.Ordinal);
            Assert.Contains(Chain(script, "ingress-t0"), l => l.StartsWith("ip saddr { 10.244.1.11, 10.244.2.11, 10.244.3.11 } accept", StringComparison.Ordinal));
        }

        Assert.Contains("lab.pods[x/b[Pod]]", PodFirewall.CompileReplicas(engine, new Dictionary<string, IReadOnlyList<IPAddress>>
        {
            ["x/a[Pod]"] = [IPAddress.Parse("10.244.1.10")],
            ["x/b[Pod]"] = [IPAddress.Parse("10.244.1.10")],
        }).Findings.Select(f => f.Path));
    }

    [Theory]
    [InlineData("plain name-1.2", "plain name-1.2")]
    [InlineData("quote\" brace} semi; hash# nl\n", "quote_ brace_ semi_ hash_ nl_")]
    [InlineData("dollar$ at@ back\\slash", "dollar_ at_ back_slash")]
    public void FreeText_KeepsOnlyCharactersAQuotedNftStringCanHold(string text, string clean) =>
        Assert.Equal(clean, NftText.Clean(text, 100));

    [Fact]
    public void FreeText_IsCutToTheLimit() =>
        Assert.Equal(NftText.MaxComment + "comment \"\"".Length, NftText.Comment(new string('a', 500)).Length);

    [Theory]
    [InlineData("Ingress")]
    [InlineData("in put")]
    [InlineData("x;drop")]
    [InlineData("")]
    public void Names_TheCompilerDidNotMake_AreRefused(string name) =>
        Assert.Throws<ArgumentException>(() => NftText.Name(name));
}
