using Trellis.Core.Validation;
using Trellis.Policy.AdminPolicy;
using Trellis.Policy.Calico;
using Trellis.Policy.Manifests;

namespace Trellis.Policy.Tests.AdminPolicy;

/// <summary>Reading AdminNetworkPolicy and BaselineAdminNetworkPolicy with the CRD's validation: every rule of it is a coded finding naming the field.</summary>
public sealed class AdminPolicyReaderTests
{
    private static string Anp(string spec, string name = "p") => $"apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {{ name: {name} }}\nspec:\n{spec}";

    private const string Subject = "  subject: { namespaces: {} }\n";

    private static string Rule(string rule, string direction = "egress") => Anp($"  priority: 5\n{Subject}  {direction}:\n    - {rule}\n");

    [Fact]
    public void Reads_EveryPartOfAnAdminPolicy()
    {
        var set = ManifestLoader.LoadText(Anp("""
              priority: 7
              subject: { pods: { namespaceSelector: { matchLabels: { team: a } }, podSelector: { matchLabels: { app: db } } } }
              ingress:
                - name: from-b
                  action: Deny
                  from: [ { namespaces: { matchLabels: { team: b } } }, { pods: { namespaceSelector: {}, podSelector: { matchLabels: { app: x } } } } ]
                  ports: [ { portNumber: { port: 5432 } }, { portRange: { protocol: UDP, start: 1000, end: 2000 } }, { namedPort: pg } ]
              egress:
                - { action: Pass, to: [ { nodes: { matchLabels: { role: infra } } }, { networks: [ 10.0.0.0/8, "fd00::/8" ] } ] }
            """));
        Assert.Empty(set.Findings);
        var a = Assert.Single(set.AdminPolicies);
        Assert.Equal(7, a.Priority);
        Assert.Equal("a", a.Subject.Namespaces.MatchLabels["team"]);
        Assert.Equal("db", a.Subject.Pods!.MatchLabels["app"]);
        var rule = Assert.Single(a.Ingress);
        Assert.Equal(("from-b", RuleAction.Deny), (rule.Name, rule.Action));
        Assert.Equal([AdminPeerKind.Namespaces, AdminPeerKind.Pods], rule.Peers.Select(p => p.Kind));
        Assert.Equal([AdminPort.Number(Protocol.Tcp, 5432), AdminPort.Range(Protocol.Udp, 1000, 2000), AdminPort.Named("pg")], rule.Ports);
        var egress = Assert.Single(a.Egress);
        Assert.Null(egress.Ports);
        Assert.Equal(["10.0.0.0/8", "fd00::/8"], egress.Peers[1].Networks.Select(n => n.ToString()));
        Assert.Equal(1, set.PolicyCount);
    }

    [Fact]
    public void Reads_TheBaselineAndNodes()
    {
        var set = ManifestLoader.LoadText("""
            apiVersion: policy.networking.k8s.io/v1alpha1
            kind: BaselineAdminNetworkPolicy
            metadata: { name: default }
            spec:
              subject: { namespaces: {} }
              ingress: [ { action: Deny, from: [ { namespaces: {} } ] } ]
            ---
            apiVersion: v1
            kind: Node
            metadata: { name: n1, labels: { role: infra } }
            status: { addresses: [ { type: InternalIP, address: 192.168.1.10 }, { type: Hostname, address: n1 }, { type: InternalIP, address: "fd00::a" } ] }
            """);
        Assert.Empty(set.Findings);
        Assert.Empty(set.Notes);
        Assert.True(Assert.Single(set.AdminPolicies).IsBaseline);
        var node = Assert.Single(set.Nodes);
        Assert.Equal(["192.168.1.10", "fd00::a"], node.Addresses.Select(a => a.ToString()));
    }

    [Theory]
    [InlineData("  subject: { namespaces: {} }\n", "AdminPolicyPriorityInvalid", "spec.priority")]
    [InlineData("  priority: 1001\n  subject: { namespaces: {} }\n", "AdminPolicyPriorityInvalid", "spec.priority")]
    [InlineData("  priority: -1\n  subject: { namespaces: {} }\n", "AdminPolicyPriorityInvalid", "spec.priority")]
    [InlineData("  priority: 1\n", "AdminPolicySubjectInvalid", "spec.subject")]
    [InlineData("  priority: 1\n  subject: { namespaces: {}, pods: { namespaceSelector: {}, podSelector: {} } }\n", "AdminPolicySubjectInvalid", "spec.subject")]
    [InlineData("  priority: 1\n  subject: { pods: { podSelector: {} } }\n", "AdminPeerInvalid", "spec.subject.pods.namespaceSelector")]
    [InlineData("  priority: 1\n  subject: { pods: { namespaceSelector: {}, podSelector: } }\n", "AdminPeerInvalid", "spec.subject.pods.podSelector")]
    [InlineData("  priority: 1\n  subject: { pods: { namespaceSelector: null, podSelector: {} } }\n", "AdminPeerInvalid", "spec.subject.pods.namespaceSelector")]
    [InlineData("  priority: 1\n  subject: { namespaces: {} }\n  egres: []\n", "ManifestUnknownField", "spec.egres")]
    public void Spec_IsValidatedAsTheCrdValidatesIt(string spec, string code, string path)
    {
        AssertRejected(ManifestLoader.LoadText(Anp(spec)), code, path);
    }

    [Theory]
    [InlineData("{ action: Drop, to: [ { namespaces: {} } ] }", "AdminRuleActionInvalid", "spec.egress[0].action")]
    [InlineData("{ action: allow, to: [ { namespaces: {} } ] }", "AdminRuleActionInvalid", "spec.egress[0].action")]
    [InlineData("{ action: Allow, to: [] }", "AdminRulePeersMissing", "spec.egress[0].to")]
    [InlineData("{ action: Allow }", "AdminRulePeersMissing", "spec.egress[0].to")]
    [InlineData("{ action: Allow, to: [ {} ] }", "AdminPeerInvalid", "spec.egress[0].to[0]")]
    [InlineData("{ action: Deny, to: [ { pods: { namespaceSelector: {}, podSelector: ~ } } ] }", "AdminPeerInvalid", "spec.egress[0].to[0].pods.podSelector")]
    [InlineData("{ action: Allow, to: [ { namespaces: {}, networks: [ 10.0.0.0/8 ] } ] }", "AdminPeerInvalid", "spec.egress[0].to[0]")]
    [InlineData("{ action: Allow, to: [ { networks: [ 10.0.0.300/8 ] } ] }", "AdminNetworkInvalid", "spec.egress[0].to[0].networks[0]")]
    [InlineData("{ action: Allow, to: [ { networks: [ 10.0.0.1 ] } ] }", "AdminNetworkInvalid", "spec.egress[0].to[0].networks[0]")]
    [InlineData("{ action: Allow, to: [ { networks: [] } ] }", "AdminNetworkInvalid", "spec.egress[0].to[0].networks")]
    [InlineData("{ action: Allow, to: [ { networks: [ 10.0.0.0/8 ] } ], ports: [ { namedPort: http } ] }", "AdminNamedPortWithoutPods", "spec.egress[0].ports")]
    [InlineData("{ action: Allow, to: [ { namespaces: {} } ], ports: [] }", "AdminPortInvalid", "spec.egress[0].ports")]
    [InlineData("{ action: Allow, to: [ { namespaces: {} } ], ports: [ { portNumber: { port: 80 }, namedPort: http } ] }", "AdminPortInvalid", "spec.egress[0].ports[0]")]
    [InlineData("{ action: Allow, to: [ { namespaces: {} } ], ports: [ { portNumber: { protocol: UDP } } ] }", "AdminPortInvalid", "spec.egress[0].ports[0].portNumber.port")]
    [InlineData("{ action: Allow, to: [ { namespaces: {} } ], ports: [ { portNumber: { protocol: ICMP, port: 1 } } ] }", "PortProtocolInvalid", "spec.egress[0].ports[0].portNumber.protocol")]
    [InlineData("{ action: Allow, to: [ { namespaces: {} } ], ports: [ { portNumber: { port: 70000 } } ] }", "ManifestInvalidValue", "spec.egress[0].ports[0].portNumber.port")]
    [InlineData("{ action: Allow, to: [ { namespaces: {} } ], ports: [ { portRange: { start: 40, end: 20 } } ] }", "AdminPortRangeInvalid", "spec.egress[0].ports[0].portRange.end")]
    public void EgressRules_AreValidatedAsTheCrdValidatesThem(string rule, string code, string path)
    {
        AssertRejected(ManifestLoader.LoadText(Rule(rule)), code, path);
    }

    [Fact]
    public void IngressPeers_AreNamespacesOrPodsOnly()
    {
        AssertRejected(ManifestLoader.LoadText(Rule("{ action: Allow, from: [ { networks: [ 10.0.0.0/8 ] } ] }", "ingress")), "ManifestUnknownField", "spec.ingress[0].from[0].networks");
    }

    [Fact]
    public void Lists_AreBoundedAsTheApiBoundsThem()
    {
        var rules = string.Concat(Enumerable.Range(0, 101).Select(i => $"    - {{ action: Allow, to: [ {{ namespaces: {{}} }} ] }}\n"));
        AssertRejected(ManifestLoader.LoadText(Anp($"  priority: 1\n{Subject}  egress:\n{rules}")), "AdminPolicyListTooLong", "spec.egress");
        var nets = string.Join(", ", Enumerable.Range(0, 26).Select(i => $"10.{i}.0.0/16"));
        AssertRejected(ManifestLoader.LoadText(Rule($"{{ action: Allow, to: [ {{ networks: [ {nets} ] }} ] }}")), "AdminPolicyListTooLong", "spec.egress[0].to[0].networks");
    }

    [Fact]
    public void Baseline_IsTheSingletonNamedDefault_WithoutPass()
    {
        const string banp = "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\nmetadata: { name: NAME }\nspec:\n  subject: { namespaces: {} }\n  ingress: [ { action: ACTION, from: [ { namespaces: {} } ] } ]\n";
        AssertRejected(ManifestLoader.LoadText(banp.Replace("NAME", "other", StringComparison.Ordinal).Replace("ACTION", "Deny", StringComparison.Ordinal)), "BaselinePolicyNameNotDefault", "metadata.name");
        AssertRejected(ManifestLoader.LoadText(banp.Replace("NAME", "default", StringComparison.Ordinal).Replace("ACTION", "Pass", StringComparison.Ordinal)), "AdminRuleActionInvalid", "spec.ingress[0].action");
        AssertRejected(ManifestLoader.LoadText(banp.Replace("NAME", "default", StringComparison.Ordinal).Replace("ACTION", "Deny", StringComparison.Ordinal)
            .Replace("spec:\n", "spec:\n  priority: 3\n", StringComparison.Ordinal)), "ManifestUnknownField", "spec.priority");
    }

    [Theory]
    [InlineData("{ action: Deny, to: [ { domainNames: [ \"*.example.com\" ] } ] }", "domainNames", true)]
    [InlineData("{ action: Allow, to: [ { namespaces: { sameLabels: [ tenant ] } } ] }", "sameLabels", false)]
    [InlineData("{ action: Pass, to: [ { pods: { namespaceSelector: { notSameLabels: [ tenant ] }, podSelector: {} } } ] }", "notSameLabels", false)]
    public void UnsupportedPeers_AreNamed_AndTheRuleFailsClosedAsInCalico(string rule, string what, bool deniesAll)
    {
        var set = ManifestLoader.LoadText(Rule(rule));
        var finding = Assert.Single(set.Findings);
        Assert.Equal(("AdminPeerUnsupported", Severity.Warning), (finding.Code, finding.Severity));
        Assert.EndsWith("spec.egress[0].to", finding.Path, StringComparison.Ordinal);
        Assert.Contains(what, finding.Message, StringComparison.Ordinal);
        Assert.Contains(deniesAll ? "denies all traffic" : "matches nothing", finding.Message, StringComparison.Ordinal);
        Assert.Equal(what, Assert.Single(set.AdminPolicies).Egress[0].Unsupported);
    }

    private static void AssertRejected(PolicySet set, string code, string path)
    {
        Assert.Empty(set.AdminPolicies);
        Assert.Contains(set.Findings, f => f.Code == code && f.Severity == Severity.Error && f.Path.EndsWith(" " + path, StringComparison.Ordinal));
    }
}
