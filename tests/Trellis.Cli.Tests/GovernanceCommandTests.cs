using System.Text.Json;
using Trellis.Cli.Tests.Infrastructure;

namespace Trellis.Cli.Tests;

/// <summary>
/// trellis policy apply|get|definitions|delete|compliance on the worked example, with examples/governance/policies.yaml:
/// calico-only (Deny), supported-versions (Audit) and own-namespace-vips (Deny, shop/db exempt until mid-2027).
/// </summary>
public sealed class GovernanceCommandTests
{
    private static string Policies => Specs.Example(Path.Combine("governance", "policies.yaml"));

    private static async Task<Workspace> GovernedAsync()
    {
        var ws = new Workspace();
        Assert.Equal(0, (await ws.RunIn("apply", "-f", Specs.WorkedExample)).ExitCode);
        var applied = await ws.RunIn("policy", "apply", "-f", Policies);
        Assert.True(applied.ExitCode == 0, applied.ToString());
        return ws;
    }

    [Fact]
    public async Task A_deny_refuses_a_change_with_the_assignment_named_and_writes_nothing()
    {
        using var ws = await GovernedAsync();
        var before = await ws.RunIn("get", "audit", "-o", "json");

        var denied = await ws.RunIn("add", "service", "--cluster", "a", "--namespace", "billing", "--name", "invoices", "--port", "8443", "--shared-ip-key", "front", "-o", "json");
        Assert.True(denied.ExitCode == 1, denied.ToString());
        var findings = Json.Parse(denied).GetProperty("findings").EnumerateArray().ToList();
        Assert.Contains(findings, f => f.GetProperty("code").GetString() == "PolicyDenied" && f.GetProperty("message").GetString()!.Contains("'own-namespace-vips'", StringComparison.Ordinal));
        Assert.Equal(before.Stdout, (await ws.RunIn("get", "audit", "-o", "json")).Stdout);

        // Flannel for a new cluster: denied by calico-only, the table names the code and the assignment.
        var flannel = ws.WriteText("flannel.yaml", Specs.Edit(Specs.Read(Specs.WorkedExample), "    - name: b\n", "    - name: b\n      primaryNetworkPlugin: flannel\n"));
        var table = await ws.RunIn("delete", "cluster", "b", "--yes");
        Assert.True(table.ExitCode == 0, table.ToString());
        var refused = await ws.RunIn("apply", "-f", flannel);
        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Contains("PolicyDenied", refused.Stdout + refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("calico-only", refused.Stdout + refused.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compliance_lists_each_assignments_items_with_exemptions_and_totals()
    {
        using var ws = await GovernedAsync();
        var r = await ws.RunIn("policy", "compliance", "-o", "json");
        Assert.True(r.ExitCode == 0, r.ToString());
        var report = Json.Parse(r);
        var assignments = report.GetProperty("assignments").EnumerateArray().ToList();
        Assert.Equal(["calico-only", "own-namespace-vips", "supported-versions"], assignments.Select(a => a.GetProperty("assignment").GetString()));
        Assert.Equal(2, assignments[0].GetProperty("compliant").GetInt32());
        // The worked example's services share 'front' within shop: compliant, so the exemption is not needed yet.
        Assert.Equal(0, assignments[1].GetProperty("nonCompliant").GetInt32());
        var total = assignments.Sum(a => a.GetProperty("compliant").GetInt32() + a.GetProperty("nonCompliant").GetInt32() + a.GetProperty("exempt").GetInt32());
        Assert.Equal(total, report.GetProperty("compliant").GetInt32() + report.GetProperty("nonCompliant").GetInt32() + report.GetProperty("exempt").GetInt32());

        var table = await ws.RunIn("policy", "compliance");
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("non-compliant", table.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_definitions_and_delete_show_and_change_what_is_stored()
    {
        using var ws = await GovernedAsync();
        var stored = Json.Parse(await ws.RunIn("policy", "get", "-o", "json"));
        Assert.Equal(["calico-only", "own-namespace-vips", "supported-versions"],
            stored.GetProperty("assignments").EnumerateArray().Select(a => a.GetProperty("name").GetString()));
        var exemption = stored.GetProperty("assignments")[1].GetProperty("exemptions")[0];
        Assert.Equal("cluster/a/service/shop/db", exemption.GetProperty("item").GetString());

        var definitions = Json.Parse(await ws.RunIn("policy", "definitions", "-o", "json")).EnumerateArray().Select(d => d.GetProperty("name").GetString()).ToList();
        Assert.Contains("allowed-network-plugins", definitions);
        Assert.Contains("no-vip-sharing-across-namespaces", definitions);

        // Deleting asks first: without a terminal and without --yes nothing is deleted.
        var unasked = await ws.RunIn("policy", "delete", "assignment", "calico-only");
        Assert.NotEqual(0, unasked.ExitCode);
        Assert.Contains("removes 1 policy assignment (calico-only)", unasked.Stderr, StringComparison.Ordinal);
        Assert.Equal(3, Json.Parse(await ws.RunIn("policy", "get", "-o", "json")).GetProperty("assignments").GetArrayLength());

        var deleted = await ws.RunIn("policy", "delete", "assignment", "calico-only", "--yes");
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        Assert.Equal(2, Json.Parse(await ws.RunIn("policy", "get", "-o", "json")).GetProperty("assignments").GetArrayLength());
        Assert.Equal("policy delete", Json.Parse(await ws.RunIn("get", "audit", "--last", "1", "-o", "json"))[0].GetProperty("command").GetString());
    }

    [Fact]
    public async Task A_policy_file_that_cannot_be_stored_is_a_coded_finding_and_nothing_is_stored()
    {
        using var ws = new Workspace();
        Assert.Equal(0, (await ws.RunIn("apply", "-f", Specs.WorkedExample)).ExitCode);
        var bad = ws.WriteText("bad.yaml", "apiVersion: trellis/v1\nkind: PolicyAssignment\nmetadata: { name: v }\nspec: { definition: allowed-kubernetes-versions, effect: Deny }\n");
        var r = await ws.RunIn("policy", "apply", "-f", bad, "-o", "json");
        Assert.True(r.ExitCode == 1, r.ToString());
        var finding = Json.Parse(r).GetProperty("findings")[0];
        Assert.Equal(("ParameterMissing", "spec.parameters.allowed"), (finding.GetProperty("code").GetString(), finding.GetProperty("path").GetString()));
        Assert.Equal(0, Json.Parse(await ws.RunIn("policy", "get", "-o", "json")).GetProperty("assignments").GetArrayLength());

        var missing = await ws.RunIn("policy", "apply", "-f", ws.PathOf("nosuch.yaml"));
        Assert.True(missing.ExitCode == 1, missing.ToString());
        Assert.DoesNotContain("   at ", missing.Stdout + missing.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compliance_with_manifests_judges_their_namespaces_and_the_pods_of_the_sites_load_balancer_services()
    {
        using var ws = new Workspace();
        Assert.Equal(0, (await ws.RunIn("apply", "-f", Specs.WorkedExample)).ExitCode);
        var policies = ws.WriteText("manifest-policies.yaml", """
            apiVersion: trellis/v1
            kind: PolicyAssignment
            metadata: { name: default-deny }
            spec: { definition: namespace-default-deny-ingress, effect: Deny }
            ---
            apiVersion: trellis/v1
            kind: PolicyAssignment
            metadata: { name: no-world }
            spec: { definition: no-ingress-from-anywhere, effect: Audit }
            ---
            apiVersion: trellis/v1
            kind: PolicyAssignment
            metadata: { name: lb-policies }
            spec: { definition: load-balancer-services-have-network-policy, effect: Audit }
            """);
        Assert.Equal(0, (await ws.RunIn("policy", "apply", "-f", policies)).ExitCode);

        // Without manifests these rules judge nothing, and changes are not held against them.
        var bare = await ws.RunIn("policy", "compliance", "-o", "json");
        Assert.True(bare.ExitCode == 0, bare.ToString());
        Assert.All(Json.Parse(bare).GetProperty("assignments").EnumerateArray(), a => Assert.Equal(0, a.GetProperty("items").GetArrayLength()));
        Assert.Equal(0, (await ws.RunIn("scale", "--cluster", "b", "--nodepool", "linuxpool", "--count", "2")).ExitCode);

        var r = await ws.RunIn("policy", "compliance", "-f", Specs.Example(Path.Combine("manifests", "shop.yaml")), "-o", "json");
        // monitoring has no default deny, and default-deny is a Deny: the gate fails.
        Assert.True(r.ExitCode == 1, r.ToString());
        var items = Json.Parse(r).GetProperty("assignments").EnumerateArray()
            .ToDictionary(a => a.GetProperty("assignment").GetString()!, a => a.GetProperty("items").EnumerateArray()
                .ToDictionary(i => i.GetProperty("item").GetString()!, i => (State: i.GetProperty("state").GetString(), Reason: i.TryGetProperty("reason", out var why) ? why.GetString() : null)));
        Assert.Equal("Compliant", items["default-deny"]["namespace/shop"].State);
        Assert.Equal("NonCompliant", items["default-deny"]["namespace/monitoring"].State);
        Assert.Equal("NonCompliant", items["no-world"]["namespace/shop"].State);
        Assert.Contains("shop/front-from-anywhere", items["no-world"]["namespace/shop"].Reason, StringComparison.Ordinal);
        Assert.Equal("Compliant", items["lb-policies"]["cluster/a/service/shop/db"].State);
        Assert.Contains("declare no Service shop/web1", items["lb-policies"]["cluster/a/service/shop/web1"].Reason, StringComparison.Ordinal);
    }
}
