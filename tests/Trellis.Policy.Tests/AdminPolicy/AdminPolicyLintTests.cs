using Trellis.Core.Validation;
using Trellis.Policy.Lint;
using static Trellis.Policy.Tests.AdminPolicy.ConformanceBase;

namespace Trellis.Policy.Tests.AdminPolicy;

/// <summary>The lint on admin policies: rules shadowed by a higher priority, priorities used twice, nodes and named ports that match nothing.</summary>
public sealed class AdminPolicyLintTests
{
    private const string DenySlytherin = "  ingress: [ { name: deny-slytherin, action: Deny, from: [ { namespaces: { matchLabels: { conformance-house: slytherin } } } ] } ]";
    private const string AllowSlytherinWeb = "  ingress: [ { name: allow-slytherin-web, action: Allow, from: [ { namespaces: { matchLabels: { conformance-house: slytherin } } } ], ports: [ { portNumber: { port: 80 } } ] } ]";

    [Fact]
    public void RuleOfALowerPriority_ShadowedByAHigherOne_IsNamedWithWhatShadowsIt()
    {
        var findings = PolicyLinter.Lint(Load(Anp("guard", 10, DenySlytherin) + Anp("exception", 20, AllowSlytherinWeb)));
        var shadowed = Assert.Single(findings, f => f.Code == "RuleShadowed");
        Assert.Contains("AdminNetworkPolicy exception spec.ingress[0]", shadowed.Message, StringComparison.Ordinal);
        Assert.Contains("AdminNetworkPolicy guard spec.ingress[0].from[0] \"deny-slytherin\" (Deny)", shadowed.Message, StringComparison.Ordinal);

        // Given the higher priority, the exception decides first and nothing is shadowed.
        Assert.DoesNotContain(PolicyLinter.Lint(Load(Anp("guard", 10, DenySlytherin) + Anp("exception", 5, AllowSlytherinWeb))), f => f.Code == "RuleShadowed");
    }

    [Fact]
    public void PrioritiesUsedTwice_AreAWarningNamingBoth()
    {
        var findings = PolicyLinter.Lint(Load(Anp("guard", 10, DenySlytherin) + Anp("exception", 10, AllowSlytherinWeb)));
        var shared = findings.Where(f => f.Code == "AdminPolicyPriorityShared").ToList();
        Assert.Equal(2, shared.Count);
        Assert.All(shared, f =>
        {
            Assert.Equal(Severity.Warning, f.Severity);
            Assert.Contains("exception and guard share priority 10", f.Message, StringComparison.Ordinal);
            Assert.EndsWith("spec.priority", f.Path, StringComparison.Ordinal);
        });
        Assert.DoesNotContain(PolicyLinter.Lint(Load(Anp("guard", 10, DenySlytherin) + Anp("exception", 11, AllowSlytherinWeb))), f => f.Code == "AdminPolicyPriorityShared");
    }

    [Fact]
    public void NodesPeerSelectingNoNode_AndUnknownNamedPort_AreNamed()
    {
        var rules = """
              egress: [ { action: Deny, to: [ { nodes: { matchLabels: { role: infra } } } ] } ]
              ingress: [ { action: Allow, from: [ { namespaces: {} } ], ports: [ { namedPort: grpc } ] } ]
            """;
        var findings = PolicyLinter.Lint(Load(Anp("infra", 1, rules)));
        Assert.Contains(findings, f => f.Code == "AdminPeerSelectsNoNode" && f.Path.EndsWith("spec.egress[0].to[0].nodes", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.Code == "NamedPortUnresolved" && f.Path.EndsWith("spec.ingress[0].ports[0].namedPort", StringComparison.Ordinal));
        Assert.DoesNotContain(PolicyLinter.Lint(Load(Anp("infra", 1, rules.Replace("grpc", "web", StringComparison.Ordinal)))), f => f.Code == "NamedPortUnresolved");
    }

    [Fact]
    public void AdminPolicySelectingNoPod_PointsAtItsSubject()
    {
        var yaml = Anp("nobody", 1, DenySlytherin).Replace("conformance-house: gryffindor", "conformance-house: durmstrang", StringComparison.Ordinal);
        var finding = Assert.Single(PolicyLinter.Lint(Load(yaml)), f => f.Code == "PolicySelectsNothing");
        Assert.EndsWith("spec.subject", finding.Path, StringComparison.Ordinal);
    }
}
