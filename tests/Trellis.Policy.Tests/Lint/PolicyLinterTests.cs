using Trellis.Core.Addressing;
using Trellis.Core.Validation;
using Trellis.Policy.Evaluation;
using Trellis.Policy.Lint;
using Trellis.Policy.Manifests;
using Trellis.Policy.Tests.Connectivity;

namespace Trellis.Policy.Tests.Lint;

public sealed class PolicyLinterTests
{
    private static IReadOnlyList<Finding> Lint(string extra, PolicyOptions? options = null) =>
        PolicyLinter.Lint(MinimalExample.Load(extra), options);

    [Fact]
    public void MinimalExample_IsClean() => Assert.Empty(PolicyLinter.Lint(MinimalExample.Load()));

    [Fact]
    public void PolicyThatSelectsNothing()
    {
        var f = Assert.Single(Lint("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: typo, namespace: default }
            spec:
              podSelector: { matchLabels: { app: fronted } }
              ingress: [ {} ]
            """));
        Assert.Equal("PolicySelectsNothing", f.Code);
        Assert.Equal("minimal.yaml#6 spec.podSelector", f.Path);
        Assert.Equal(Severity.Warning, f.Severity);
    }

    [Fact]
    public void RuleShadowedByAnEarlierRule()
    {
        var findings = Lint("""
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: { name: frontend-guard, namespace: default }
            spec:
              order: 10
              selector: app == 'frontend'
              ingress:
                - action: Allow
                - action: Deny
                  protocol: TCP
                  destination: { ports: [8080] }
            """);
        // The Calico policy at order 10 runs before the Kubernetes one (order 1000), so it shadows that one's rule too.
        Assert.Equal(["minimal.yaml#4 spec.ingress[0]", "minimal.yaml#6 spec.ingress[1]"], findings.Where(f => f.Code == "RuleShadowed").Select(f => f.Path));
        Assert.All(findings, f => Assert.Contains("Calico NetworkPolicy default/frontend-guard spec.ingress[0] (Allow)", f.Message, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("TCP", "8080", "GlobalNetworkPolicy first.web (Allow)")]
    [InlineData("UDP", "9999", "the end of tier first (deny)")]
    public void RuleShadowedByAnEarlierTier(string protocol, string port, string by)
    {
        var findings = Lint($$"""
            apiVersion: projectcalico.org/v3
            kind: Tier
            metadata: { name: first }
            spec: { order: 10 }
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: first.web }
            spec:
              tier: first
              selector: app == 'frontend'
              ingress: [ { action: Allow, protocol: {{protocol}}, destination: { ports: [{{port}}] } } ]
            """);
        var f = Assert.Single(findings, f => f.Code == "RuleShadowed");
        Assert.Equal("minimal.yaml#4 spec.ingress[0]", f.Path);
        Assert.Contains(by.Replace(" (Allow)", " spec.ingress[0] (Allow)", StringComparison.Ordinal), f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RuleThatMatchesNothing_IsInfo()
    {
        var f = Assert.Single(Lint("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: from-nobody, namespace: default }
            spec:
              podSelector: { matchLabels: { app: frontend } }
              ingress: [ { from: [ { podSelector: { matchLabels: { app: nobody } } } ] } ]
            """));
        Assert.Equal("RuleMatchesNothing", f.Code);
        Assert.Equal(Severity.Info, f.Severity);
    }

    [Fact]
    public void NamedPortsThatResolveNowhere()
    {
        var findings = PolicyLinter.Lint(ManifestLoader.LoadText("""
            apiVersion: v1
            kind: Pod
            metadata: { name: web, namespace: shop, labels: { app: web } }
            spec: { containers: [ { name: c, image: c, ports: [ { name: http, containerPort: 80 } ] } ] }
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: web, namespace: shop }
            spec:
              podSelector: { matchLabels: { app: web } }
              ingress: [ { ports: [ { port: https }, { port: http } ] } ]
            ---
            apiVersion: v1
            kind: Service
            metadata: { name: web, namespace: shop }
            spec:
              selector: { app: web }
              ports: [ { port: 443, targetPort: https } ]
            """, "shop.yaml"));
        Assert.Equal(
            [("NamedPortUnresolved", "shop.yaml#2 spec.ingress[0].ports[0].port"), ("NamedPortUnresolved", "shop.yaml#3 spec.ports[0].targetPort")],
            findings.Where(f => f.Code == "NamedPortUnresolved").Select(f => (f.Code, f.Path)));
    }

    [Fact]
    public void IpBlockCoveringThePodCidr()
    {
        const string policy = """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: web-out, namespace: default }
            spec:
              podSelector: { matchLabels: { app: frontend } }
              policyTypes: [Egress]
              egress: [ { to: [ { ipBlock: { cidr: 0.0.0.0/0 EXCEPT } } ] } ]
            """;
        var options = PolicyOptions.Calico with { PodCidrs = [Prefix.Parse("10.244.0.0/16")] };
        var f = Assert.Single(Lint(policy.Replace(" EXCEPT", "", StringComparison.Ordinal), options), f => f.Code == "IpBlockCoversPodCidr");
        Assert.Equal("minimal.yaml#6 spec.egress[0].to[0].ipBlock", f.Path);
        Assert.Contains("calico #6634", f.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Lint(policy.Replace(" EXCEPT", ", except: [10.244.0.0/16]", StringComparison.Ordinal), options), f => f.Code == "IpBlockCoversPodCidr");
    }

    [Fact]
    public void PoliciesOnFlannel_AreNotEnforced()
    {
        var findings = PolicyLinter.Lint(MinimalExample.Load(), PolicyOptions.Flannel);
        Assert.Equal(3, findings.Count(f => f.Code == "PolicyNotEnforced"));
        Assert.DoesNotContain(findings, f => f.Code is "RuleShadowed" or "RuleMatchesNothing");
    }

    [Fact]
    public void CalicoForWindowsLimits()
    {
        var set = ManifestLoader.LoadText("""
            apiVersion: projectcalico.org/v3
            kind: IPPool
            metadata: { name: ipip }
            spec: { cidr: 10.244.0.0/16, ipipMode: Always }
            ---
            apiVersion: projectcalico.org/v3
            kind: IPPool
            metadata: { name: v6 }
            spec: { cidr: "fd00:10:244::/56", vxlanMode: Always }
            ---
            apiVersion: projectcalico.org/v3
            kind: IPPool
            metadata: { name: vx1 }
            spec: { cidr: 10.245.0.0/16, vxlanMode: Always }
            ---
            apiVersion: projectcalico.org/v3
            kind: IPPool
            metadata: { name: vx2 }
            spec: { cidr: 10.246.0.0/16, vxlanMode: CrossSubnet }
            ---
            apiVersion: projectcalico.org/v3
            kind: FelixConfiguration
            metadata: { name: default }
            spec: { vxlanVNI: 4095, vxlanPort: 8472 }
            """, "calico.yaml");
        var codes = PolicyLinter.Lint(set, PolicyOptions.Calico with { HasWindowsNodes = true }).Select(f => (f.Code, f.Path)).ToList();
        Assert.Equal(
            [
                ("WindowsRequiresVxlan", "calico.yaml#1 spec.ipipMode"),
                ("WindowsIpv6Unsupported", "calico.yaml#2 spec.cidr"),
                ("WindowsSingleVxlanPool", "calico.yaml#4 spec"),
                ("WindowsVxlanPort", "calico.yaml#5 spec.vxlanPort"),
                ("WindowsVxlanVni", "calico.yaml#5 spec.vxlanVNI"),
            ],
            codes);
        Assert.Empty(PolicyLinter.Lint(set));
    }
}
