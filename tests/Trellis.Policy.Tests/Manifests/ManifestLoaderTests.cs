using System.Net;
using Trellis.Policy.Calico;
using Trellis.Policy.Manifests;

namespace Trellis.Policy.Tests.Manifests;

public sealed partial class ManifestLoaderTests
{
    [Fact]
    public void Load_ReadsEveryModelledKind_AndNotesTheRest()
    {
        var set = ManifestLoader.LoadText("""
            apiVersion: v1
            kind: Namespace
            metadata: { name: shop, labels: { team: web } }
            ---
            apiVersion: v1
            kind: Pod
            metadata: { name: debug, namespace: shop, labels: { app: debug } }
            spec:
              nodeName: node-1
              containers: [ { name: c, image: busybox } ]
            status: { podIP: 10.244.0.7 }
            ---
            apiVersion: batch/v1
            kind: CronJob
            metadata: { name: report, namespace: shop }
            spec:
              schedule: "0 * * * *"
              jobTemplate:
                spec:
                  template:
                    metadata: { labels: { app: report } }
                    spec: { containers: [ { name: r, image: r } ] }
            ---
            apiVersion: apps/v1
            kind: DaemonSet
            metadata: { name: agent, namespace: kube-system }
            spec:
              template:
                metadata: { labels: { app: agent } }
                spec:
                  hostNetwork: true
                  nodeSelector: { kubernetes.io/os: windows }
                  containers: [ { name: a, image: a, ports: [ { name: metrics, containerPort: 9100 } ] } ]
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: { name: settings, namespace: shop }
            data: { a: b }
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkSet
            metadata: { name: dns, labels: { role: dns } }
            spec: { nets: [ 8.8.8.8, 1.1.1.0/24 ] }
            """, "cluster.yaml");

        Assert.Empty(set.Findings);
        Assert.Equal(["kube-system/agent[DaemonSet]", "shop/debug[Pod]", "shop/report[CronJob]"], set.Workloads.Select(w => w.Id));
        var debug = set.Workload("shop/debug")!;
        Assert.Equal([IPAddress.Parse("10.244.0.7")], debug.Addresses);
        Assert.Equal(["node-1"], debug.Nodes);
        Assert.Equal("report", set.Workload("shop/report[CronJob]")!.Labels["app"]);
        var agent = set.Workload("kube-system/agent")!;
        Assert.True(agent.HostNetwork);
        Assert.Equal(WorkloadOs.Windows, agent.Os);
        Assert.Null(agent.Replicas);
        Assert.Equal(new ContainerPort("metrics", 9100, Protocol.Tcp), agent.Ports.Single());
        var note = Assert.Single(set.Notes);
        Assert.Equal("ConfigMap", note.Kind);
        Assert.Equal("cluster.yaml#5", note.Source.Path());
        Assert.Equal(["1.1.1.0/24", "8.8.8.8/32"], set.NetworkSets.Single().Nets.Select(n => n.ToString()).Order());
    }

    [Fact]
    public void Namespaces_CarryTheirNameLabel_AndImplicitOnesExist()
    {
        var set = ManifestLoader.LoadText("""
            apiVersion: v1
            kind: Namespace
            metadata: { name: shop, labels: { team: web } }
            ---
            apiVersion: v1
            kind: Pod
            metadata: { name: p, namespace: other }
            spec: { containers: [ { name: c, image: c } ] }
            ---
            apiVersion: v1
            kind: Pod
            metadata: { name: q }
            spec: { containers: [ { name: c, image: c } ] }
            """);
        Assert.Equal("shop", set.Namespace("shop")!.Labels[NamespaceInfo.NameLabel]);
        Assert.Equal("web", set.Namespace("shop")!.Labels["team"]);
        Assert.False(set.Namespace("other")!.Declared);
        Assert.Equal("other", set.Namespace("other")!.Labels[NamespaceInfo.NameLabel]);
        Assert.NotNull(set.Workload("default/q"));
    }

    [Fact]
    public void BrokenDocuments_GiveFindingsWithTheirPath_AndTheRestIsStillLoaded()
    {
        var set = ManifestLoader.LoadText("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: fine, namespace: shop }
            spec: { podSelector: {} }
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: bad-port, namespace: shop }
            spec:
              podSelector: {}
              ingress:
                - ports: [ { port: 80 }, { port: 70000 } ]
            ---
            this: is: not: yaml: [
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: bad-peer, namespace: shop }
            spec:
              podSelector: {}
              egress:
                - to: [ { ipBlock: { cidr: 10.0.0.0/8, except: [ 192.168.0.0/16 ] }, podSelector: {} } ]
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: also-fine, namespace: shop }
            spec: { podSelector: {} }
            """, "policies.yaml");

        Assert.Equal(["also-fine", "fine"], set.KubernetesPolicies.Select(p => p.Name).Order());
        Assert.Equal(
            [
                ("PortOutOfRange", "policies.yaml#2 spec.ingress[0].ports[1].port"),
                ("ManifestYamlInvalid", "policies.yaml#3"),
                ("PeerIpBlockWithSelector", "policies.yaml#4 spec.egress[0].to[0]"),
            ],
            set.Findings.Select(f => (f.Code, f.Path)));
        Assert.All(set.Findings, f => Assert.False(string.IsNullOrEmpty(f.Hint)));
    }

    [Theory]
    // YamlDotNet throws InvalidOperationException on an unclosed flow collection followed by more lines.
    [InlineData("metadata: { name: x, namespace: shop\nspec:\n  containers: []")]
    [InlineData("metadata: [ x\nspec: {}")]
    // A malformed tag (YamlDotNet throws ArgumentException).
    [InlineData("metadata: !![x y")]
    // Nesting that would overflow YamlDotNet's recursive node builder.
    [InlineData("deep: ##")]
    public void YamlThatTheParserCannotLoad_IsAFinding_NotACrash(string body)
    {
        body = body.Replace("##", new string('[', 5_000) + new string(']', 5_000), StringComparison.Ordinal);
        var set = ManifestLoader.LoadText($$"""
            apiVersion: v1
            kind: Namespace
            metadata: { name: before }
            ---
            apiVersion: v1
            kind: Pod
            {{body}}
            ---
            apiVersion: v1
            kind: Namespace
            metadata: { name: after }
            """, "broken.yaml");

        var finding = Assert.Single(set.Findings);
        Assert.Equal("ManifestYamlInvalid", finding.Code);
        Assert.Equal("broken.yaml#2", finding.Path);
        Assert.DoesNotContain("Exception", finding.Message, StringComparison.Ordinal);
        Assert.Contains(set.Namespaces, n => n.Name == "before");
        Assert.Contains(set.Namespaces, n => n.Name == "after");
    }

    [Theory]
    [InlineData("metadata: { name: x, namespace: shop\nspec: {}")]
    [InlineData("metadata:\n  name: [x\n  namespace: shop\n  labels: { a: b")]
    [InlineData("metadata: x\n  bad: indentation")]
    public void YamlErrors_GiveTheLineOfTheFile_NotOfTheDocument(string body)
    {
        // The body is lines 7 onwards of the file, lines 3 onwards of its document.
        var set = ManifestLoader.LoadText($$"""
            apiVersion: v1
            kind: Namespace
            metadata: { name: first }
            ---
            apiVersion: v1
            kind: Pod
            {{body}}
            """, "pods.yaml");

        var finding = Assert.Single(set.Findings);
        Assert.Equal("pods.yaml#2", finding.Path);
        var line = int.Parse(LineOf().Match(finding.Message).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(line, 7, 6 + body.Split('\n').Length);
        Assert.DoesNotContain("(Line:", finding.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("- from: [ {} ]", "PeerEmpty", "spec.ingress[0].from[0]")]
    [InlineData("- from: [ { ipBlock: { cidr: 10.0.0.0/16, except: [ 10.1.0.0/24 ] } } ]", "IpBlockExceptOutsideCidr", "spec.ingress[0].from[0].ipBlock.except[0]")]
    [InlineData("- ports: [ { port: http, endPort: 90 } ]", "EndPortWithoutNumericPort", "spec.ingress[0].ports[0].endPort")]
    [InlineData("- ports: [ { port: 90, endPort: 80 } ]", "EndPortBeforePort", "spec.ingress[0].ports[0].endPort")]
    [InlineData("- ports: [ { port: 80, protocol: ICMP } ]", "PortProtocolInvalid", "spec.ingress[0].ports[0].protocol")]
    [InlineData("- from: [ { podSelector: { matchExpressions: [ { key: a, operator: In } ] } } ]", "LabelSelectorInvalid", "spec.ingress[0].from[0].podSelector.matchExpressions[0].values")]
    [InlineData("- ports: [ { port: Not_A_Name } ]", "PortNameInvalid", "spec.ingress[0].ports[0].port")]
    public void InvalidNetworkPolicies_AreRejectedAsTheApiServerWould(string rule, string code, string path)
    {
        var set = ManifestLoader.LoadText($$"""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: p, namespace: shop }
            spec:
              podSelector: {}
              ingress:
                {{rule}}
            """, "np.yaml");
        var finding = Assert.Single(set.Findings);
        Assert.Equal(code, finding.Code);
        Assert.Equal($"np.yaml#1 {path}", finding.Path);
        Assert.Empty(set.KubernetesPolicies);
    }

    [Fact]
    public void PolicyTypes_DefaultToIngress_PlusEgressWhenThereAreEgressRules()
    {
        var set = ManifestLoader.LoadText("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: ingress-only, namespace: a }
            spec: { podSelector: {}, egress: [] }
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: both, namespace: a }
            spec: { podSelector: {}, egress: [ {} ] }
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: egress, namespace: a }
            spec: { podSelector: {}, policyTypes: [Egress] }
            """);
        Assert.Equal(PolicyTypes.Ingress, set.KubernetesPolicies.Single(p => p.Name == "ingress-only").PolicyTypes);
        Assert.Equal(PolicyTypes.Ingress | PolicyTypes.Egress, set.KubernetesPolicies.Single(p => p.Name == "both").PolicyTypes);
        Assert.Equal(PolicyTypes.Egress, set.KubernetesPolicies.Single(p => p.Name == "egress").PolicyTypes);
    }

    [Fact]
    public void CalicoPolicies_ReadRulesPortsAndProtocols()
    {
        var set = ManifestLoader.LoadText("""
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: p }
            spec:
              order: 50.5
              selector: app == 'web'
              namespaceSelector: team == 'a'
              egress:
                - action: allow
                  protocol: 6
                  destination: { ports: [80, "8000:8100", http], notPorts: [8050], nets: [10.0.0.0/8], notNets: [10.1.0.0/16] }
                - action: Deny
                  protocol: ICMP
                  icmp: { type: 8, code: 0 }
            """);
        Assert.Empty(set.Findings);
        var p = set.CalicoPolicies.Single();
        Assert.Equal(CalicoPolicyKind.GlobalNetworkPolicy, p.Kind);
        Assert.Equal(50.5, p.Order);
        Assert.Equal("default", p.Tier);
        Assert.Equal(PolicyTypes.Egress, p.Types);
        var r = p.Egress[0];
        Assert.Equal(RuleAction.Allow, r.Action);
        Assert.Equal(Protocol.Tcp, r.Protocol);
        Assert.Equal([PortMatch.Single(80), PortMatch.Range(8000, 8100), PortMatch.Named("http")], r.Destination.Ports);
        Assert.Equal(new IcmpMatch(8, 0), p.Egress[1].Icmp);
    }

    [Theory]
    [InlineData("- { action: Allow, destination: { ports: [80] } }", "RulePortsNeedProtocol")]
    [InlineData("- { action: Allow, protocol: TCP, icmp: { type: 8 } }", "RuleIcmpNeedsProtocol")]
    [InlineData("- { action: Maybe }", "RuleActionInvalid")]
    [InlineData("- { action: Allow, source: { selector: \"app == \" } }", "SelectorInvalid")]
    [InlineData("- { action: Allow, protocol: XTP }", "ProtocolInvalid")]
    [InlineData("- { action: Allow, ipVersion: 4, destination: { nets: [ 'fd00::/64' ] } }", "RuleNetsVersionMismatch")]
    public void InvalidCalicoRules_AreFindings(string rule, string code)
    {
        var set = ManifestLoader.LoadText($$"""
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: { name: p, namespace: a }
            spec:
              ingress:
                {{rule}}
            """);
        Assert.Contains(set.Findings, f => f.Code == code);
        Assert.Empty(set.CalicoPolicies);
    }

    [Fact]
    public void ListKind_IsExpanded()
    {
        var set = ManifestLoader.LoadText("""
            apiVersion: v1
            kind: List
            items:
              - apiVersion: v1
                kind: Namespace
                metadata: { name: a }
              - apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: { name: p, namespace: a }
                spec: { podSelector: {}, ingress: [ { ports: [ { port: 0 } ] } ] }
            """, "list.yaml");
        Assert.True(set.Namespace("a")!.Declared);
        Assert.Equal("list.yaml#1 items[1].spec.ingress[0].ports[0].port", set.Findings.Single().Path);
    }

    [Fact]
    public void Texts_LoadAsOneApply_LaterObjectsReplacingEarlierOnes_EachNamedInItsFindings()
    {
        var set = ManifestLoader.Load(
        [
            ("a.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: { name: a, labels: { v: one } }\n"),
            ("b.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: { name: a, labels: { v: two } }\n---\nkind: [\n"),
        ]);

        Assert.Equal("two", set.Namespace("a")!.Labels["v"]);
        Assert.Equal(("ManifestYamlInvalid", "b.yaml#2"), (set.Findings.Single().Code, set.Findings.Single().Path));
    }

    [Fact]
    public void Services_ReadSelectorsAndNamedTargetPorts()
    {
        var set = ManifestLoader.LoadText("""
            apiVersion: v1
            kind: Service
            metadata: { name: web, namespace: shop }
            spec:
              selector: { app: web }
              ports: [ { name: https, port: 443, targetPort: https }, { port: 53, protocol: UDP } ]
            """);
        var svc = set.Services.Single();
        Assert.Equal(new ServicePort("https", 443, "https", Protocol.Tcp), svc.Ports[0]);
        Assert.Equal(new ServicePort(null, 53, "53", Protocol.Udp), svc.Ports[1]);
    }

    [Fact]
    public void Merge_LaterObjectsReplaceEarlierOnes()
    {
        var first = ManifestLoader.LoadText("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: p, namespace: a }\nspec: { podSelector: {} }\n");
        var second = ManifestLoader.LoadText("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: p, namespace: a }\nspec: { podSelector: {}, policyTypes: [Egress] }\n");
        Assert.Equal(PolicyTypes.Egress, first.Merge(second).KubernetesPolicies.Single().PolicyTypes);
    }

    [Fact]
    public void YamlErrors_OnADocumentThatStartsOnItsMarkersLine_GiveTheFilesColumn()
    {
        // The stray '}' is at line 2, column 11 of the file; the document's own text starts at column 5.
        var set = ManifestLoader.LoadText("a: 1\n--- {a: b}}\n", "marker.yaml");

        var finding = Assert.Single(set.Findings, f => f.Code == "ManifestYamlInvalid");
        Assert.Equal("marker.yaml#2", finding.Path);
        Assert.Contains("line 2, column 11", finding.Message, StringComparison.Ordinal);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"line (\d+)")]
    private static partial System.Text.RegularExpressions.Regex LineOf();
}
