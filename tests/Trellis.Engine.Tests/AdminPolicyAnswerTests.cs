namespace Trellis.Engine.Tests;

/// <summary>A check decided by an AdminNetworkPolicy names its rule and priority for every front end (the JSON output too).</summary>
public sealed class AdminPolicyAnswerTests
{
    [Fact]
    public void Check_NamesTheAdminRuleAndItsPriority()
    {
        var set = NetworkPolicyService.Load([new ManifestText("admin.yaml", """
            apiVersion: v1
            kind: Pod
            metadata: { name: a, namespace: x, labels: { app: a } }
            spec: { containers: [ { name: c } ] }
            status: { podIP: 10.244.1.10 }
            ---
            apiVersion: v1
            kind: Pod
            metadata: { name: b, namespace: y, labels: { app: b } }
            spec: { containers: [ { name: c } ] }
            status: { podIP: 10.244.2.10 }
            ---
            apiVersion: policy.networking.k8s.io/v1alpha1
            kind: AdminNetworkPolicy
            metadata: { name: guard }
            spec:
              priority: 42
              subject: { namespaces: { matchLabels: { kubernetes.io/metadata.name: y } } }
              ingress: [ { name: no-x, action: Deny, from: [ { namespaces: { matchLabels: { kubernetes.io/metadata.name: x } } } ] } ]
            """)]);

        var (answer, findings) = NetworkPolicyService.Check(set, "x/a", "y/b", "tcp/80");

        Assert.Empty(findings);
        Assert.NotNull(answer);
        Assert.False(answer.Allowed);
        Assert.Equal(("kube-admin", "AdminNetworkPolicy guard", "spec.ingress[0].from[0]", "Deny"), (answer.Ingress.Tier, answer.Ingress.Policy, answer.Ingress.Rule, answer.Ingress.Action));
        Assert.Equal(("no-x", 42), (answer.Ingress.RuleName, answer.Ingress.Priority));
        Assert.Null(answer.Egress.RuleName);
        Assert.Null(answer.Egress.Priority);
    }
}
