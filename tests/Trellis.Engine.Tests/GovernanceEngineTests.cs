using Trellis.Core.Governance;
using Trellis.Core.Model;
using Trellis.Engine.Contracts;

namespace Trellis.Engine.Tests;

/// <summary>
/// The site's assignments, stored with it and checked by the Engine on every plan, from every front end: a Deny refuses
/// apply, scale, add and upgrade with PolicyDenied and writes nothing; an Audit lets them through and the compliance report
/// lists the item.
/// </summary>
public sealed class GovernanceEngineTests
{
    private static GovernanceSet Policies(string yaml)
    {
        var read = GovernanceReader.Read(yaml);
        Assert.True(read.Set is not null, string.Join("\n", read.Findings));
        return read.Set!;
    }

    private static string Assignment(string name, string definition, string effect, string parameters = "{}") => $$"""
        apiVersion: trellis/v1
        kind: PolicyAssignment
        metadata: { name: {{name}} }
        spec: { definition: {{definition}}, effect: {{effect}}, parameters: {{parameters}} }
        """;

    /// <summary>The roomy worked example with a third cluster, c, on Flannel (spec.clusters[2]).</summary>
    private static SiteSpec WithFlannelCluster()
    {
        var site = EngineFixture.Roomy();
        var b = site.Clusters.Single(c => c.Name == "b");
        return site with { Clusters = [.. site.Clusters, b with { Name = "c", PrimaryNetworkPlugin = NetworkPlugin.Flannel, Services = [] }] };
    }

    private static async Task<EngineFixture> SiteWithAsync(string yaml)
    {
        var f = new EngineFixture();
        Assert.True((await f.Engine.ApplyAsync(EngineFixture.Roomy())).Applied);
        var stored = await f.Engine.ExecuteAsync(new ApplyGovernance(Policies(yaml)));
        Assert.True(stored.Applied, string.Join("\n", stored.Findings));
        return f;
    }

    private static async Task AssertDeniedAsync(EngineFixture f, SiteCommand command, string assignment)
    {
        var before = await f.Engine.ReadAsync();
        var result = await f.Engine.ExecuteAsync(command);
        Assert.False(result.Applied);
        var denied = result.Findings.Where(x => x.Code == "PolicyDenied").ToList();
        Assert.NotEmpty(denied);
        Assert.All(denied, d => Assert.Contains($"Assignment '{assignment}'", d.Message, StringComparison.Ordinal));
        var after = await f.Engine.ReadAsync();
        Assert.Equal(before.Revision, after.Revision);
    }

    [Fact]
    public async Task A_deny_refuses_apply_scale_add_and_upgrade_and_writes_nothing()
    {
        await using var f = await SiteWithAsync(string.Join("\n---\n",
            Assignment("calico-only", "allowed-network-plugins", "Deny"),
            Assignment("v129", "allowed-kubernetes-versions", "Deny", "{ allowed: [v1.29] }"),
            Assignment("same-namespace-vips", "no-vip-sharing-across-namespaces", "Deny")));

        var flannel = WithFlannelCluster();
        await AssertDeniedAsync(f, new ApplySpec(flannel), "calico-only");
        await AssertDeniedAsync(f, new Upgrade("b", "v1.30.0"), "v129");
        await AssertDeniedAsync(f, new AddService("a", "billing", "invoices", [8443], SharedIpKey: "front"), "same-namespace-vips");

        // What complies goes through.
        Assert.True((await f.Engine.ExecuteAsync(new ScaleNodePool("b", "linuxpool", 4))).Applied);
        Assert.True((await f.Engine.ExecuteAsync(new AddService("a", "shop", "web4", [8443], SharedIpKey: "front"))).Applied);
    }

    [Fact]
    public async Task An_audit_lets_the_change_through_and_the_compliance_report_lists_the_item()
    {
        await using var f = await SiteWithAsync(Assignment("calico-audit", "allowed-network-plugins", "Audit"));
        var flannel = WithFlannelCluster();
        var result = await f.Engine.ExecuteAsync(new ApplySpec(flannel));
        Assert.True(result.Applied, string.Join("\n", result.Findings));
        Assert.Contains(result.Findings, x => x is { Code: "PolicyNonCompliant", Severity: Severity.Warning, Path: "spec.clusters[2]" });

        var report = SiteViews.Compliance(await f.Engine.ReadAsync(), f.Time.Now);
        var assignment = Assert.Single(report.Assignments);
        Assert.Equal((2, 1, 0), (assignment.Compliant, assignment.NonCompliant, assignment.Exempt));
        Assert.Equal(("cluster/c", "NonCompliant"), (assignment.Items[2].Item, assignment.Items[2].State));
        Assert.Contains("flannel", assignment.Items[2].Reason, StringComparison.Ordinal);
        Assert.Equal((2, 1, 0), (report.Compliant, report.NonCompliant, report.Exempt));
    }

    [Fact]
    public async Task A_deny_assigned_to_a_site_that_already_breaks_it_warns_and_blocks_only_what_makes_it_worse()
    {
        await using var f = new EngineFixture();
        var flannel = WithFlannelCluster();
        Assert.True((await f.Engine.ApplyAsync(flannel)).Applied);
        var stored = await f.Engine.ExecuteAsync(new ApplyGovernance(Policies(Assignment("calico-only", "allowed-network-plugins", "Deny"))));
        Assert.True(stored.Applied);
        Assert.Contains(stored.Findings, x => x is { Code: "PolicyNonCompliant", Path: "spec.clusters[2]" });

        // An unrelated change to the non-compliant cluster goes through with the warning.
        var scale = await f.Engine.ExecuteAsync(new ScaleNodePool("c", "linuxpool", 4));
        Assert.True(scale.Applied, string.Join("\n", scale.Findings));
        Assert.Contains(scale.Findings, x => x.Code == "PolicyNonCompliant");
    }

    [Fact]
    public async Task Policies_are_stored_replaced_by_name_and_deleted_and_a_site_without_them_behaves_as_before()
    {
        await using var f = await SiteWithAsync(Assignment("calico-only", "allowed-network-plugins", "Deny"));
        Assert.Equal(["calico-only"], SiteViews.Governance(await f.Engine.ReadAsync()).Assignments.Select(a => a.Name));

        // The same name again replaces it: now Disabled, so Flannel goes through.
        Assert.True((await f.Engine.ExecuteAsync(new ApplyGovernance(Policies(Assignment("calico-only", "allowed-network-plugins", "Disabled"))))).Applied);
        var flannel = WithFlannelCluster();
        Assert.True((await f.Engine.ExecuteAsync(new ApplySpec(flannel))).Applied);

        var unknown = await f.Engine.ExecuteAsync(new DeleteGovernance("assignment", "nosuch"));
        Assert.Equal("UnknownPolicy", Assert.Single(unknown.Findings).Code);
        Assert.True((await f.Engine.ExecuteAsync(new DeleteGovernance("assignment", "calico-only"))).Applied);
        var state = await f.Engine.ReadAsync();
        Assert.Empty(SiteViews.Governance(state).Assignments);
        Assert.Empty(SiteViews.Compliance(state, f.Time.Now).Assignments);
        // Every policy change is audited like any other.
        Assert.Equal(["policy apply", "policy apply", "apply", "policy delete"], (await f.Engine.ReadAuditAsync(4)).Select(a => a.Command));
    }

    [Fact]
    public async Task An_assignment_that_cannot_be_evaluated_is_refused_and_nothing_is_stored()
    {
        await using var f = new EngineFixture();
        Assert.True((await f.Engine.ApplyAsync(EngineFixture.Roomy())).Applied);
        var result = await f.Engine.ExecuteAsync(new ApplyGovernance(Policies(Assignment("versions", "allowed-kubernetes-versions", "Deny"))));
        Assert.False(result.Applied);
        Assert.Equal(("ParameterMissing", "spec.parameters.allowed"), (Assert.Single(result.Findings).Code, result.Findings[0].Path));
        Assert.Empty(SiteViews.Governance(await f.Engine.ReadAsync()).Assignments);
    }
}

/// <summary>pool-utilization-below judges the pools as the Engine's plan leaves them, and as a rolling upgrade of every cluster would.</summary>
public sealed class PoolUtilizationGovernanceTests
{
    private static GovernanceSet Policies(string yaml)
    {
        var read = GovernanceReader.Read(yaml);
        Assert.True(read.Set is not null, string.Join("\n", read.Findings));
        return read.Set!;
    }

    [Fact]
    public async Task A_scale_that_would_fill_the_node_ip_pool_past_the_limit_is_denied_and_one_that_stays_below_goes_through()
    {
        await using var f = new EngineFixture();
        Assert.True((await f.Engine.ApplyAsync(EngineFixture.Roomy())).Applied);
        var pool = SiteViews.Capacity(await f.Engine.ReadAsync())!.Networks.Single().NodeIpPool!;
        // The limit lies between the pool as it is plus two nodes and plus five.
        var limit = 100.0 * (pool.Allocated + 3.5) / pool.Size;
        var stored = await f.Engine.ExecuteAsync(new ApplyGovernance(Policies($$"""
            apiVersion: trellis/v1
            kind: PolicyAssignment
            metadata: { name: node-room }
            spec: { definition: pool-utilization-below, effect: Deny, parameters: { maxPercent: {{limit.ToString(System.Globalization.CultureInfo.InvariantCulture)}}, duringUpgrade: false } }
            """)));
        Assert.True(stored.Applied, string.Join("\n", stored.Findings));

        var b = EngineFixture.Roomy().Clusters.Single(c => c.Name == "b").NodePools.Single();
        var denied = await f.Engine.ExecuteAsync(new ScaleNodePool("b", b.Name, b.Count + 5));
        Assert.False(denied.Applied);
        var finding = Assert.Single(denied.Findings, x => x.Code == "PolicyDenied");
        Assert.Equal("spec.hostNetwork", finding.Path);
        Assert.Contains("'node-room'", finding.Message, StringComparison.Ordinal);

        Assert.True((await f.Engine.ExecuteAsync(new ScaleNodePool("b", b.Name, b.Count + 2))).Applied);
        var report = SiteViews.Compliance(await f.Engine.ReadAsync(), f.Time.Now);
        Assert.Contains(report.Assignments.Single().Items, i => i.Item == "pool/mgmtvnet/node-ip" && i.State == "Compliant");
    }

    [Fact]
    public async Task A_pool_already_over_the_limit_may_be_emptied_but_not_filled_further()
    {
        await using var f = new EngineFixture();
        Assert.True((await f.Engine.ApplyAsync(EngineFixture.Roomy())).Applied);
        var pool = SiteViews.Capacity(await f.Engine.ReadAsync())!.Networks.Single().NodeIpPool!;
        // Already over: the limit lies below what the pool holds now.
        var limit = 100.0 * (pool.Allocated - 2.5) / pool.Size;
        var stored = await f.Engine.ExecuteAsync(new ApplyGovernance(Policies($$"""
            apiVersion: trellis/v1
            kind: PolicyAssignment
            metadata: { name: node-room }
            spec: { definition: pool-utilization-below, effect: Deny, parameters: { maxPercent: {{limit.ToString(System.Globalization.CultureInfo.InvariantCulture)}}, duringUpgrade: false } }
            """)));
        Assert.True(stored.Applied);
        Assert.Contains(stored.Findings, x => x.Code == "PolicyNonCompliant");

        var b = EngineFixture.Roomy().Clusters.Single(c => c.Name == "b").NodePools.Single();
        var fuller = await f.Engine.ExecuteAsync(new ScaleNodePool("b", b.Name, b.Count + 1));
        Assert.False(fuller.Applied);
        Assert.Contains(fuller.Findings, x => x.Code == "PolicyDenied");

        // Scaling down makes room: it goes through, still over the limit, with the warning.
        var emptier = await f.Engine.ExecuteAsync(new ScaleNodePool("b", b.Name, b.Count - 1));
        Assert.True(emptier.Applied, string.Join("\n", emptier.Findings));
        Assert.Contains(emptier.Findings, x => x.Code == "PolicyNonCompliant");
    }

    [Fact]
    public async Task During_an_upgrade_the_surge_addresses_count_too()
    {
        await using var f = new EngineFixture();
        // Without an update reserve, a rolling upgrade's surge VMs take free addresses of the node IP pool.
        var site = EngineFixture.Roomy() is var roomy ? roomy with { Settings = roomy.Settings with { WorkloadUpdateReserve = 0 } } : null;
        Assert.True((await f.Engine.ApplyAsync(site!)).Applied);
        var pool = SiteViews.Capacity(await f.Engine.ReadAsync())!.Networks.Single().NodeIpPool!;
        var used = pool.Size - pool.HeadroomAfterUpgrade;
        Assert.True(used > pool.Allocated, "the roomy example's upgrade takes addresses of the node IP pool");
        // Below the limit as allocated, at or over it once the surge is counted.
        var limit = 100.0 * (pool.Allocated + used) / 2 / pool.Size;
        string Assignment(bool duringUpgrade) => $$"""
            apiVersion: trellis/v1
            kind: PolicyAssignment
            metadata: { name: node-room }
            spec: { definition: pool-utilization-below, effect: Audit, parameters: { maxPercent: {{limit.ToString(System.Globalization.CultureInfo.InvariantCulture)}}, duringUpgrade: {{(duringUpgrade ? "true" : "false")}} } }
            """;
        Assert.True((await f.Engine.ExecuteAsync(new ApplyGovernance(Policies(Assignment(false))))).Applied);
        Assert.Equal(0, SiteViews.Compliance(await f.Engine.ReadAsync(), f.Time.Now).NonCompliant);
        Assert.True((await f.Engine.ExecuteAsync(new ApplyGovernance(Policies(Assignment(true))))).Applied);
        var item = Assert.Single(SiteViews.Compliance(await f.Engine.ReadAsync(), f.Time.Now).Assignments.Single().Items, i => i.State == "NonCompliant");
        Assert.Equal("pool/mgmtvnet/node-ip", item.Item);
        Assert.Contains("during a rolling upgrade", item.Reason, StringComparison.Ordinal);
    }
}
