using CsCheck;
using Trellis.Core.Governance;
using Trellis.Core.Model;
using Trellis.Core.Validation;

namespace Trellis.Core.Tests.Governance;

/// <summary>
/// Governance documents read from YAML, checked before they are stored, and judged against the contoso example: three
/// clusters (payments and analytics on Calico and HAProxy, legacy on Flannel with the operator's own load balancer).
/// </summary>
public sealed class GovernanceTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 9, 0, 0, TimeSpan.Zero);

    private static SiteSpec Contoso => ExampleSites.Spec("contoso-multicluster.yaml");

    private static GovernanceSet Read(string yaml)
    {
        var read = GovernanceReader.Read(yaml);
        Assert.True(read.Set is not null, string.Join("\n", read.Findings));
        Assert.Empty(GovernanceValidator.Validate(read.Set!));
        return read.Set!;
    }

    private static string Assignment(string definition, string effect = "Deny", string extra = "") => $"""
        apiVersion: trellis/v1
        kind: PolicyAssignment
        metadata: {"{"} name: a1 {"}"}
        spec:
          definition: {definition}
          effect: {effect}
        {extra}
        """;

    [Fact]
    public void Allowed_network_plugins_by_default_allow_calico_only()
    {
        var results = GovernanceEvaluator.Evaluate(Read(Assignment("allowed-network-plugins")), Contoso, Now);
        Assert.Equal(["cluster/payments", "cluster/analytics", "cluster/legacy"], results.Select(r => r.Item.Id));
        var legacy = Assert.Single(results, r => !r.Compliant);
        Assert.Equal(("cluster/legacy", "spec.clusters[2]"), (legacy.Item.Id, legacy.Item.Path));
        Assert.Contains("flannel", legacy.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parameters_scopes_and_exemptions_decide_which_items_are_judged_and_how()
    {
        var withFlannel = GovernanceEvaluator.Evaluate(Read(Assignment("allowed-network-plugins", extra: "  parameters: { allowed: [calico, flannel] }")), Contoso, Now);
        Assert.All(withFlannel, r => Assert.True(r.Compliant));

        var scoped = GovernanceEvaluator.Evaluate(Read(Assignment("allowed-network-plugins", extra: "  scope: { cluster: payments }")), Contoso, Now);
        Assert.Equal("cluster/payments", Assert.Single(scoped).Item.Id);

        var exempt = Read(Assignment("allowed-network-plugins", extra: """
              exemptions:
                - { item: cluster/legacy, reason: migrating to Calico in Q1, expiresAt: 2027-01-01T00:00:00Z }
            """));
        var before = Assert.Single(GovernanceEvaluator.Evaluate(exempt, Contoso, Now), r => !r.Compliant);
        Assert.False(before.Violates);
        Assert.Equal("migrating to Calico in Q1", before.Exemption!.Reason);
        // An expired exemption no longer exempts.
        Assert.True(Assert.Single(GovernanceEvaluator.Evaluate(exempt, Contoso, new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero)), r => !r.Compliant).Violates);
    }

    [Fact]
    public void Allowed_kubernetes_versions_match_a_minor_or_an_exact_version()
    {
        var site = Contoso;
        Assert.All(GovernanceEvaluator.Evaluate(Read(Assignment("allowed-kubernetes-versions", extra: $"  parameters: {{ allowed: [{site.Clusters[1].KubernetesVersion}, v1.29] }}")), site, Now),
            r => Assert.True(r.Compliant, r.Reason));
        var strict = GovernanceEvaluator.Evaluate(Read(Assignment("allowed-kubernetes-versions", extra: "  parameters: { allowed: [v1.29.4] }")), site, Now);
        Assert.True(strict.Single(r => r.Item.Id == "cluster/payments").Compliant);
        Assert.Equal(site.Clusters.Count(c => c.KubernetesVersion != "v1.29.4"), strict.Count(r => !r.Compliant));
    }

    [Fact]
    public void Allowed_load_balancer_skus_judge_the_setting_each_cluster_names()
    {
        var results = GovernanceEvaluator.Evaluate(Read(Assignment("allowed-load-balancer-skus")), Contoso, Now);
        Assert.Equal(["cluster/legacy"], results.Where(r => !r.Compliant).Select(r => r.Item.Id));
    }

    [Fact]
    public void Vip_sharing_across_namespaces_is_found_per_service_and_a_namespace_scope_narrows_it()
    {
        var site = Contoso with
        {
            Clusters = [.. Contoso.Clusters.Select(c => c.Name == "payments"
                ? c with { Services = [.. c.Services, new ServiceSpec { Namespace = "billing", Name = "invoices", Ports = [8080], SharedIpKey = "front" }] }
                : c)],
        };
        var results = GovernanceEvaluator.Evaluate(Read(Assignment("no-vip-sharing-across-namespaces")), site, Now);
        Assert.Equal(["cluster/payments/service/shop/web", "cluster/payments/service/shop/api", "cluster/payments/service/billing/invoices"],
            results.Where(r => !r.Compliant).Select(r => r.Item.Id));
        Assert.All(GovernanceEvaluator.Evaluate(Read(Assignment("no-vip-sharing-across-namespaces")), Contoso, Now), r => Assert.True(r.Compliant));

        var billing = GovernanceEvaluator.Evaluate(Read(Assignment("no-vip-sharing-across-namespaces", extra: "  scope: { namespace: billing }")), site, Now);
        Assert.Equal("cluster/payments/service/billing/invoices", Assert.Single(billing).Item.Id);
    }

    [Fact]
    public void A_deny_refuses_only_what_the_change_brings_and_an_audit_warns()
    {
        var deny = Read(Assignment("allowed-network-plugins"));
        var stored = Contoso with { Clusters = [.. Contoso.Clusters.Where(c => c.Name != "legacy")] };

        // Adding the Flannel cluster: denied at its path.
        var added = Assert.Single(GovernanceEvaluator.Check(deny, stored, Contoso, Now));
        Assert.Equal(("PolicyDenied", Severity.Error, "spec.clusters[2]"), (added.Code, added.Severity, added.Path));
        Assert.Contains("'a1'", added.Message, StringComparison.Ordinal);

        // The stored site already had it: an unrelated change is not blocked, the violation is a warning.
        var kept = Assert.Single(GovernanceEvaluator.Check(deny, Contoso, Contoso, Now));
        Assert.Equal(("PolicyNonCompliant", Severity.Warning), (kept.Code, kept.Severity));

        var audit = Assert.Single(GovernanceEvaluator.Check(Read(Assignment("allowed-network-plugins", effect: "Audit")), stored, Contoso, Now));
        Assert.Equal(("PolicyNonCompliant", Severity.Warning), (audit.Code, audit.Severity));
        Assert.Empty(GovernanceEvaluator.Check(Read(Assignment("allowed-network-plugins", effect: "Disabled")), stored, Contoso, Now));
        Assert.Empty(GovernanceEvaluator.Check(GovernanceSet.Empty, stored, Contoso, Now));
    }

    private const string WindowsMaxPods = "windows-node-pools-set-max-pod-count";

    [Fact]
    public void Windows_pools_without_max_pod_count_are_non_compliant_naming_the_default_they_took()
    {
        var results = GovernanceEvaluator.Evaluate(Read(Assignment(WindowsMaxPods)), Contoso, Now);

        // contoso: payments gives maxPodCount for linuxpool and winpool, analytics for spark; legacy gives it for neither linux nor iis.
        Assert.Equal(["cluster/payments/nodepool/linuxpool", "cluster/payments/nodepool/winpool", "cluster/analytics/nodepool/spark",
            "cluster/legacy/nodepool/linux", "cluster/legacy/nodepool/iis"], results.Select(r => r.Item.Id));
        var iis = Assert.Single(results, r => !r.Compliant);
        Assert.Equal(("cluster/legacy/nodepool/iis", "spec.clusters[2].nodePools[1]"), (iis.Item.Id, iis.Item.Path));
        Assert.Equal("Windows node pool 'iis' of cluster 'legacy' does not set maxPodCount: it took the default, 110", iis.Reason);
    }

    [Fact]
    public void A_linux_pool_is_never_non_compliant_under_the_windows_max_pod_count_rule()
    {
        var rule = Read(Assignment(WindowsMaxPods));
        Gen.Int[0, 250].Select(Gen.Bool, Gen.OneOfConst(OsType.Linux, OsType.Windows)).Sample((maxPods, given, os) =>
        {
            var site = Contoso.NodePool(2, 1, p => p with { OsType = os, MaxPodCount = maxPods, MaxPodCountGiven = given });
            var judged = Assert.Single(GovernanceEvaluator.Evaluate(rule, site, Now), r => r.Item.Id == "cluster/legacy/nodepool/iis");
            Assert.Equal(os == OsType.Linux || given, judged.Compliant);
        });
    }

    [Fact]
    public void The_windows_max_pod_count_rule_denies_or_audits_a_pool_that_brings_the_default_and_an_exemption_spares_it()
    {
        var stored = Contoso.NodePool(2, 1, p => p with { MaxPodCountGiven = true });

        var denied = Assert.Single(GovernanceEvaluator.Check(Read(Assignment(WindowsMaxPods)), stored, Contoso, Now));
        Assert.Equal(("PolicyDenied", Severity.Error, "spec.clusters[2].nodePools[1]"), (denied.Code, denied.Severity, denied.Path));
        Assert.Contains("took the default, 110", denied.Message, StringComparison.Ordinal);

        var audited = Assert.Single(GovernanceEvaluator.Check(Read(Assignment(WindowsMaxPods, effect: "Audit")), stored, Contoso, Now));
        Assert.Equal(("PolicyNonCompliant", Severity.Warning, "spec.clusters[2].nodePools[1]"), (audited.Code, audited.Severity, audited.Path));

        // Setting the value the pool already has makes it comply: the flag alone is the change.
        Assert.Empty(GovernanceEvaluator.Check(Read(Assignment(WindowsMaxPods)), Contoso, stored, Now));

        var exempt = Read(Assignment(WindowsMaxPods, extra: "  exemptions: [{ item: cluster/legacy/nodepool/iis, reason: rebuilt in Q2 }]"));
        Assert.Empty(GovernanceEvaluator.Check(exempt, stored, Contoso, Now));
        Assert.Equal("rebuilt in Q2", Assert.Single(GovernanceEvaluator.Evaluate(exempt, Contoso, Now), r => !r.Compliant).Exemption!.Reason);
    }

    [Fact]
    public void An_expression_reads_whether_a_pool_gave_max_pod_count()
    {
        var set = Read("""
            apiVersion: trellis/v1
            kind: PolicyDefinition
            metadata: { name: pods-stated }
            spec:
              target: NodePool
              rule: { expression: "item.maxPodCountGiven" }
            ---
            apiVersion: trellis/v1
            kind: PolicyAssignment
            metadata: { name: pods-stated }
            spec: { definition: pods-stated, effect: Audit }
            """);
        Assert.Equal(["cluster/legacy/nodepool/linux", "cluster/legacy/nodepool/iis"],
            GovernanceEvaluator.Evaluate(set, Contoso, Now).Where(r => !r.Compliant).Select(r => r.Item.Id));
    }

    [Fact]
    public void The_governance_doc_has_a_row_for_every_built_in_definition()
    {
        var doc = File.ReadAllText(Path.Combine(Directory.GetParent(ExampleSites.Directory)!.FullName, "docs", "governance.md"));
        Assert.All(BuiltInDefinitions.All, b => Assert.Contains($"\n| `{b.Name}` |", doc, StringComparison.Ordinal));
    }

    [Fact]
    public void A_custom_definition_gives_a_built_in_rule_its_own_name_and_defaults()
    {
        var set = Read("""
            apiVersion: trellis/v1
            kind: PolicyDefinition
            metadata: { name: flannel-or-calico }
            spec:
              description: Either overlay.
              target: Cluster
              parameters:
                - { name: allowed, type: stringList, default: [calico, flannel] }
              rule: { builtin: allowed-network-plugins }
            ---
            apiVersion: trellis/v1
            kind: PolicyAssignment
            metadata: { name: overlays }
            spec: { definition: flannel-or-calico, effect: Deny }
            """);
        Assert.All(GovernanceEvaluator.Evaluate(set, Contoso, Now), r => Assert.True(r.Compliant));
    }

    [Theory]
    [InlineData("kind: PolicyAssignment\napiVersion: trellis/v1\nmetadata: { name: a }\nspec: { definition: allowed-network-plugins, effect: Block }", "InvalidValue", "spec.effect")]
    [InlineData("kind: PolicyAssignment\napiVersion: trellis/v1\nmetadata: { name: A_1 }\nspec: { definition: allowed-network-plugins }", "InvalidName", "metadata.name")]
    [InlineData("kind: PolicyAssignment\napiVersion: trellis/v1\nmetadata: { name: a }\nspec: { definition: x, efect: Deny }", "UnknownField", "spec.efect")]
    [InlineData("kind: Policy\napiVersion: trellis/v1\nmetadata: { name: a }\nspec: {}", "UnsupportedKind", "kind")]
    [InlineData("kind: PolicyAssignment\napiVersion: trellis/v1\nmetadata: { name: a }\nspec:\n  definition: x\n  exemptions: [{ item: cluster/a, reason: r, expiresAt: soon }]", "InvalidValue", "spec.exemptions[0].expiresAt")]
    [InlineData("kind: PolicyDefinition\napiVersion: trellis/v1\nmetadata: { name: d }\nspec: { target: Cluster, rule: { builtin: allowed-plugins } }", "UnknownDefinition", "spec.rule.builtin")]
    [InlineData("kind: PolicyAssignment\napiVersion: trellis/v1\nmetadata: { name: a }\nspec: [definition", "YamlSyntax", "")]
    public void A_document_that_cannot_be_read_is_a_finding_at_its_field(string yaml, string code, string path)
    {
        var read = GovernanceReader.Read(yaml);
        Assert.Null(read.Set);
        Assert.Contains(read.Findings, f => f.Code == code && f.Path == path);
    }

    [Theory]
    [InlineData("spec: { definition: no-such-rule }", "UnknownDefinition", "spec.definition")]
    [InlineData("spec: { definition: allowed-kubernetes-versions }", "ParameterMissing", "spec.parameters.allowed")]
    [InlineData("spec: { definition: allowed-network-plugins, parameters: { allowed: true } }", "ParameterTypeMismatch", "spec.parameters.allowed")]
    [InlineData("spec: { definition: no-vip-sharing-across-namespaces, parameters: { max: 3 } }", "UnknownParameter", "spec.parameters.max")]
    public void An_assignment_its_definition_cannot_take_is_refused_before_it_is_stored(string spec, string code, string path)
    {
        var read = GovernanceReader.Read($"kind: PolicyAssignment\napiVersion: trellis/v1\nmetadata: {{ name: a }}\n{spec}");
        Assert.True(read.Set is not null, string.Join("\n", read.Findings));
        var finding = Assert.Single(GovernanceValidator.Validate(read.Set!));
        Assert.Equal((code, path), (finding.Code, finding.Path));
    }

    [Fact]
    public void A_definition_of_your_own_states_its_rule_as_an_expression_over_the_item_and_params()
    {
        var set = Read("""
            apiVersion: trellis/v1
            kind: PolicyDefinition
            metadata: { name: windows-pods }
            spec:
              description: Windows node pools run at most params.max pods a node.
              target: NodePool
              parameters:
                - { name: max, type: number, default: 30 }
              rule: { expression: "item.osType != 'Windows' || item.maxPodCount <= params.max" }
            ---
            apiVersion: trellis/v1
            kind: PolicyAssignment
            metadata: { name: windows-pods }
            spec: { definition: windows-pods, effect: Audit }
            """);
        var results = GovernanceEvaluator.Evaluate(set, Contoso, Now);
        // contoso: payments/winpool at 60 pods, legacy/iis at the Windows default; every Linux pool complies.
        Assert.Equal(Contoso.Clusters.SelectMany(c => c.NodePools).Count(), results.Count);
        var failing = results.Where(r => !r.Compliant).Select(r => r.Item.Id).ToList();
        Assert.Contains("cluster/payments/nodepool/winpool", failing);
        Assert.DoesNotContain("cluster/payments/nodepool/linuxpool", failing);
        Assert.Contains("windows-pods", results.First(r => !r.Compliant).Reason, StringComparison.Ordinal);

        var roomy = Read("""
            apiVersion: trellis/v1
            kind: PolicyAssignment
            metadata: { name: windows-pods-60 }
            spec: { definition: windows-pods, effect: Audit, parameters: { max: 110 } }
            ---
            apiVersion: trellis/v1
            kind: PolicyDefinition
            metadata: { name: windows-pods }
            spec:
              target: NodePool
              parameters: [{ name: max, type: number, default: 30 }]
              rule: { expression: "item.osType != 'Windows' || item.maxPodCount <= params.max" }
            """);
        Assert.All(GovernanceEvaluator.Evaluate(roomy, Contoso, Now), r => Assert.True(r.Compliant, r.Reason));
    }

    [Theory]
    [InlineData("item.nodePool.size() > 0", "RuleUnknownField")]
    [InlineData("item.name > 3", "RuleTypeMismatch")]
    [InlineData("item.name + ", "RuleSyntax")]
    public void A_broken_rule_expression_is_a_finding_at_its_field_when_the_definition_is_stored(string expression, string code)
    {
        var read = GovernanceReader.Read($"""
            apiVersion: trellis/v1
            kind: PolicyDefinition
            metadata: {"{"} name: d {"}"}
            spec:
              target: Cluster
              rule: {"{"} expression: "{expression}" {"}"}
            """);
        Assert.True(read.Set is not null, string.Join("\n", read.Findings));
        var finding = Assert.Single(GovernanceValidator.Validate(read.Set!));
        Assert.Equal((code, "spec.rule.expression"), (finding.Code, finding.Path));
        Assert.Contains("column", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rule_is_an_expression_or_a_built_in_not_both_nor_neither()
    {
        foreach (var rule in new[] { "{ builtin: allowed-network-plugins, expression: 'true' }", "{}" })
        {
            var read = GovernanceReader.Read($"apiVersion: trellis/v1\nkind: PolicyDefinition\nmetadata: {{ name: d }}\nspec: {{ target: Cluster, rule: {rule} }}");
            Assert.Contains(read.Findings, f => f.Code == "RequiredFieldMissing" && f.Path == "spec.rule");
        }
    }
}
