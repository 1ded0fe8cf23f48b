using Trellis.Core.Governance;
using Trellis.Core.Model;
using Trellis.Engine.Contracts;

namespace Trellis.Engine.Tests;

/// <summary>
/// Assignments made for the whole fleet: copied into each site (ApplyFleetGovernance), judged by every plan as
/// <c>fleet/&lt;name&gt;</c> beside the site's own, and out of reach of the site's own policy commands.
/// </summary>
public sealed class FleetGovernanceEngineTests
{
    private static GovernanceDocument Document(string yaml)
    {
        var (document, findings) = GovernanceFiles.Parse(yaml);
        Assert.True(document is not null, string.Join("\n", findings));
        return document!;
    }

    private const string CalicoOnly = """
        apiVersion: trellis/v1
        kind: PolicyAssignment
        metadata: { name: calico-only }
        spec: { definition: allowed-network-plugins, effect: Deny }
        """;

    /// <summary>A fleet definition and its assignment, with a site definition of the same name that says the opposite.</summary>
    private const string FleetPodLimit = """
        apiVersion: trellis/v1
        kind: PolicyDefinition
        metadata: { name: pod-limit }
        spec:
          description: At most params.max pods a node.
          target: NodePool
          parameters: [{ name: max, type: number, default: 50 }]
          rule: { expression: "item.maxPodCount <= params.max" }
        ---
        apiVersion: trellis/v1
        kind: PolicyAssignment
        metadata: { name: pods }
        spec: { definition: pod-limit, effect: Audit }
        """;

    private static SiteSpec WithFlannelCluster()
    {
        var site = EngineFixture.Roomy();
        var b = site.Clusters.Single(c => c.Name == "b");
        return site with { Clusters = [.. site.Clusters, b with { Name = "c", PrimaryNetworkPlugin = NetworkPlugin.Flannel, Services = [] }] };
    }

    [Fact]
    public async Task A_fleet_deny_refuses_the_sites_change_and_names_the_fleet_assignment()
    {
        await using var f = new EngineFixture();
        Assert.True((await f.Engine.ApplyAsync(EngineFixture.Roomy())).Applied);
        var copied = await f.Engine.ExecuteAsync(new ApplyFleetGovernance(Document(CalicoOnly)));
        Assert.True(copied.Applied, string.Join("\n", copied.Findings));
        Assert.Contains(copied.Outcome().Changes, c => c.Kind == ChangeKind.Add && c.Name == "fleet/calico-only");

        var before = await f.Engine.ReadRevisionAsync();
        var refused = await f.Engine.ExecuteAsync(new ApplySpec(WithFlannelCluster()));
        Assert.False(refused.Applied);
        Assert.Contains(refused.Findings, x => x.Code == "PolicyDenied" && x.Message.Contains("Assignment 'fleet/calico-only'", StringComparison.Ordinal));
        Assert.Equal(before, await f.Engine.ReadRevisionAsync());

        var report = await f.Engine.ReadComplianceAsync();
        Assert.Equal(["fleet/calico-only"], report.Assignments.Select(a => a.Assignment));
    }

    [Fact]
    public async Task The_sites_own_commands_neither_replace_nor_delete_the_fleets_copy()
    {
        await using var f = new EngineFixture();
        Assert.True((await f.Engine.ApplyAsync(EngineFixture.Roomy())).Applied);
        Assert.True((await f.Engine.ExecuteAsync(new ApplyFleetGovernance(Document(CalicoOnly)))).Applied);
        // The site's own assignment of the same name is another assignment.
        Assert.True((await f.Engine.ExecuteAsync(new ApplyGovernance(Document(CalicoOnly.Replace("Deny", "Audit", StringComparison.Ordinal))))).Applied);

        var view = SiteViews.Governance(await f.Engine.ReadAsync());
        Assert.Equal([("calico-only", "Audit"), ("fleet/calico-only", "Deny")], view.Assignments.Select(a => (a.Name, a.Effect)));

        var delete = await f.Engine.ExecuteAsync(new DeleteGovernance("assignment", "fleet/calico-only"));
        Assert.False(delete.Applied);
        var finding = Assert.Single(delete.Findings);
        Assert.Equal("FleetPolicy", finding.Code);
        Assert.Equal("name", finding.Path);

        // Deleting the site's own leaves the fleet's in force.
        Assert.True((await f.Engine.ExecuteAsync(new DeleteGovernance("assignment", "calico-only"))).Applied);
        Assert.False((await f.Engine.ExecuteAsync(new ApplySpec(WithFlannelCluster()))).Applied);
    }

    [Fact]
    public async Task A_fleet_assignment_names_the_fleets_definition_even_where_the_site_has_one_of_that_name()
    {
        await using var f = new EngineFixture();
        Assert.True((await f.Engine.ApplyAsync(EngineFixture.Roomy())).Applied);
        // The site's own pod-limit lets everything through; the fleet's allows 50 pods a node, and the example's pools have 110.
        Assert.True((await f.Engine.ExecuteAsync(new ApplyGovernance(Document("""
            apiVersion: trellis/v1
            kind: PolicyDefinition
            metadata: { name: pod-limit }
            spec:
              description: Anything goes.
              target: NodePool
              rule: { expression: "true" }
            """)))).Applied);
        Assert.True((await f.Engine.ExecuteAsync(new ApplyFleetGovernance(Document(FleetPodLimit)))).Applied);

        var report = await f.Engine.ReadComplianceAsync();
        var pods = Assert.Single(report.Assignments);
        Assert.Equal(("fleet/pods", "fleet/pod-limit"), (pods.Assignment, pods.Definition));
        Assert.True(pods.NonCompliant > 0);
        Assert.Equal(0, pods.Compliant);
    }

    [Fact]
    public async Task A_new_copy_replaces_the_old_one_whole_and_an_unchanged_copy_writes_nothing()
    {
        await using var f = new EngineFixture();
        Assert.True((await f.Engine.ApplyAsync(EngineFixture.Roomy())).Applied);
        Assert.True((await f.Engine.ExecuteAsync(new ApplyFleetGovernance(Document(CalicoOnly + "\n---\n" + FleetPodLimit)))).Applied);

        var revision = await f.Engine.ReadRevisionAsync();
        var same = await f.Engine.ExecuteAsync(new ApplyFleetGovernance(Document(FleetPodLimit + "\n---\n" + CalicoOnly)));
        Assert.Empty(same.Outcome().Changes);
        Assert.Equal(revision, await f.Engine.ReadRevisionAsync());

        var replaced = await f.Engine.ExecuteAsync(new ApplyFleetGovernance(Document(FleetPodLimit.Replace("Audit", "Deny", StringComparison.Ordinal))));
        Assert.True(replaced.Applied);
        Assert.Equal(
            [(ChangeKind.Change, "fleet/pods"), (ChangeKind.Remove, "fleet/calico-only")],
            replaced.Outcome().Changes.Where(c => c.Type.Contains("assignment", StringComparison.Ordinal)).Select(c => (c.Kind, c.Name)));
        // The pools the stored site already has break the new Deny: reported, not held against the copy itself.
        Assert.Contains(replaced.Findings, x => x.Code == "PolicyNonCompliant");

        // calico-only is gone; the new cluster's pools are new violations of the now Deny pods.
        var flannel = await f.Engine.ExecuteAsync(new ApplySpec(WithFlannelCluster()));
        Assert.DoesNotContain(flannel.Findings, x => x.Message.Contains("calico-only", StringComparison.Ordinal));
        Assert.Contains(flannel.Findings, x => x.Code == "PolicyDenied" && x.Message.Contains("Assignment 'fleet/pods'", StringComparison.Ordinal)
            && x.Path.StartsWith("spec.clusters[2].nodePools", StringComparison.Ordinal));
        var audit = await f.Engine.ReadAuditAsync();
        Assert.Equal(2, audit.Count(a => a.Command == "fleet policy"));
    }

    [Fact]
    public async Task A_site_stored_without_a_fleet_copy_reads_as_having_none()
    {
        await using var f = new EngineFixture();
        Assert.True((await f.Engine.ApplyAsync(EngineFixture.Roomy())).Applied);
        Assert.Empty(SiteViews.Governance(await f.Engine.ReadAsync()).Assignments);
        Assert.Empty((await f.Engine.ReadGovernanceAsync()).Assignments);
    }
}
