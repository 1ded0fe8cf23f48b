using System.Text;
using System.Text.Json.Nodes;
using Trellis.Core.Governance;
using Trellis.Core.Model;
using Trellis.Engine.Contracts;
using Trellis.Storage;

namespace Trellis.Engine.Tests;

/// <summary>
/// windows-node-pools-set-max-pod-count through the Engine: whether a pool's maxPodCount was given is recorded by every way a
/// pool is made (spec, add nodepool, add cluster), stored, and judged on every plan; a Deny refuses a Windows pool that takes the
/// default and writes nothing.
/// </summary>
public sealed class WindowsMaxPodCountTests
{
    private static GovernanceSet Rule(string effect, string extra = "")
    {
        var read = GovernanceReader.Read($$"""
            apiVersion: trellis/v1
            kind: PolicyAssignment
            metadata: { name: windows-pods }
            spec:
              definition: windows-node-pools-set-max-pod-count
              effect: {{effect}}
            {{extra}}
            """);
        Assert.True(read.Set is not null, string.Join("\n", read.Findings));
        return read.Set!;
    }

    private static async Task<EngineFixture> SiteWithAsync(GovernanceSet rule)
    {
        var f = new EngineFixture();
        Assert.True((await f.Engine.ApplyAsync(EngineFixture.Roomy())).Applied);
        var stored = await f.Engine.ExecuteAsync(new ApplyGovernance(rule));
        Assert.True(stored.Applied, string.Join("\n", stored.Findings));
        return f;
    }

    private static NodePoolSpec? Pool(SiteState state, string cluster, string pool) =>
        state.Spec!.Clusters.Single(c => c.Name == cluster).NodePools.SingleOrDefault(p => p.Name == pool);

    /// <summary>The roomy example with a Windows pool in cluster a (spec.clusters[0].nodePools[1]).</summary>
    private static SiteSpec WithWindowsPool(int maxPods, bool given)
    {
        var site = EngineFixture.Roomy();
        return site with
        {
            Clusters = [.. site.Clusters.Select(c => c.Name != "a" ? c : c with
            {
                NodePools = [.. c.NodePools, new NodePoolSpec { Name = "win", OsType = OsType.Windows, Count = 1, MaxPodCount = maxPods, MaxPodCountGiven = given }],
            })],
        };
    }

    [Fact]
    public async Task A_deny_refuses_add_nodepool_of_a_windows_pool_without_max_pod_count_and_writes_nothing()
    {
        await using var f = await SiteWithAsync(Rule("Deny"));
        var before = await f.Engine.ReadAsync();

        var refused = await f.Engine.ExecuteAsync(new AddNodePool("a", "win", "Windows"));

        Assert.False(refused.Applied);
        var denied = Assert.Single(refused.Findings, x => x.Code == "PolicyDenied");
        Assert.Equal("spec.clusters[0].nodePools[1]", denied.Path);
        Assert.Contains("Assignment 'windows-pods'", denied.Message, StringComparison.Ordinal);
        Assert.Contains("it took the default, 60", denied.Message, StringComparison.Ordinal);
        var after = await f.Engine.ReadAsync();
        Assert.Equal(before.Revision, after.Revision);
        Assert.Null(Pool(after, "a", "win"));

        // The same pool with maxPodCount given goes through, even at the default's value; a Linux pool needs none.
        var added = await f.Engine.ExecuteAsync(new AddNodePool("a", "win", "Windows", MaxPodCount: 60));
        Assert.True(added.Applied, string.Join("\n", added.Findings));
        Assert.True((await f.Engine.ExecuteAsync(new AddNodePool("b", "lin", "Linux"))).Applied);
        var stored = await f.Engine.ReadAsync();
        Assert.Equal((60, true), (Pool(stored, "a", "win")!.MaxPodCount, Pool(stored, "a", "win")!.MaxPodCountGiven));
        Assert.Equal((110, false), (Pool(stored, "b", "lin")!.MaxPodCount, Pool(stored, "b", "lin")!.MaxPodCountGiven));
    }

    [Fact]
    public async Task A_deny_refuses_an_apply_that_brings_a_windows_pool_without_max_pod_count_and_an_exemption_lets_it_through()
    {
        await using (var f = await SiteWithAsync(Rule("Deny")))
        {
            var before = (await f.Engine.ReadAsync()).Revision;
            var refused = await f.Engine.ApplyAsync(WithWindowsPool(60, given: false));
            Assert.False(refused.Applied);
            Assert.Contains(refused.Findings, x => x is { Code: "PolicyDenied", Path: "spec.clusters[0].nodePools[1]" });
            Assert.Equal(before, (await f.Engine.ReadAsync()).Revision);
            Assert.True((await f.Engine.ApplyAsync(WithWindowsPool(60, given: true))).Applied);
        }

        await using var exempt = await SiteWithAsync(Rule("Deny", "  exemptions: [{ item: cluster/a/nodepool/win, reason: sized by the vendor }]"));
        var through = await exempt.Engine.ExecuteAsync(new AddNodePool("a", "win", "Windows"));
        Assert.True(through.Applied, string.Join("\n", through.Findings));
        var report = SiteViews.Compliance(await exempt.Engine.ReadAsync(), exempt.Time.Now);
        Assert.Equal(("cluster/a/nodepool/win", "Exempt"), (report.Assignments[0].Items[1].Item, report.Assignments[0].Items[1].State));
    }

    [Fact]
    public async Task An_audit_lets_the_windows_pool_through_with_a_warning_and_the_report_names_the_default_it_took()
    {
        await using var f = await SiteWithAsync(Rule("Audit"));

        var result = await f.Engine.ExecuteAsync(new AddNodePool("a", "win", "Windows"));

        Assert.True(result.Applied, string.Join("\n", result.Findings));
        Assert.Contains(result.Findings, x => x is { Code: "PolicyNonCompliant", Severity: Severity.Warning, Path: "spec.clusters[0].nodePools[1]" });
        var state = await f.Engine.ReadAsync();
        Assert.Equal((60, false), (Pool(state, "a", "win")!.MaxPodCount, Pool(state, "a", "win")!.MaxPodCountGiven));
        var items = Assert.Single(SiteViews.Compliance(state, f.Time.Now).Assignments).Items;
        Assert.Equal(["Compliant", "NonCompliant", "Compliant"], items.Select(i => i.State));
        Assert.Equal("Windows node pool 'win' of cluster 'a' does not set maxPodCount: it took the default, 60", items[1].Reason);
    }

    [Fact]
    public async Task Add_cluster_records_max_pod_count_as_given_only_for_the_pools_that_give_it()
    {
        await using var f = await SiteWithAsync(Rule("Audit"));

        var result = await f.Engine.ExecuteAsync(new AddCluster(new ClusterSetting("c")
        {
            NodePools = [new NodePoolSetting("linux"), new NodePoolSetting("win", "Windows"), new NodePoolSetting("win2", "Windows", MaxPodCount: 60)],
        }));

        Assert.True(result.Applied, string.Join("\n", result.Findings));
        Assert.Equal(["spec.clusters[2].nodePools[1]"], result.Findings.Where(x => x.Code == "PolicyNonCompliant").Select(x => x.Path));
        var state = await f.Engine.ReadAsync();
        Assert.Equal([(110, false), (60, false), (60, true)], state.Spec!.Clusters[2].NodePools.Select(p => (p.MaxPodCount, p.MaxPodCountGiven)));
    }

    [Fact]
    public async Task A_state_stored_before_the_flag_was_recorded_reads_every_pool_as_not_given()
    {
        await using var f = new EngineFixture();
        Assert.True((await f.Engine.ApplyAsync(WithWindowsPool(60, given: true))).Applied);
        var stored = (await f.Store.ReadAsync("site/spec")).Items.Single().Value;
        Assert.Contains("\"maxPodCountGiven\":true", Encoding.UTF8.GetString(stored), StringComparison.Ordinal);

        // The spec as a version before this one stored it: no maxPodCountGiven anywhere.
        var spec = JsonNode.Parse(stored)!.AsObject();
        foreach (var pool in spec["clusters"]!.AsArray().SelectMany(c => c!["nodePools"]!.AsArray()))
        {
            pool!.AsObject().Remove("maxPodCountGiven");
        }

        await f.Store.CommitAsync(new StoreTransaction([], [new TxnOperation.Put("site/spec", Encoding.UTF8.GetBytes(spec.ToJsonString()))]));
        var state = await f.Engine.ReadAsync();

        Assert.All(state.Spec!.Clusters.SelectMany(c => c.NodePools), p => Assert.False(p.MaxPodCountGiven, p.Name));
        Assert.True((await f.Engine.ExecuteAsync(new ApplyGovernance(Rule("Audit")))).Applied);
        var report = SiteViews.Compliance(await f.Engine.ReadAsync(), f.Time.Now);
        Assert.Equal(["cluster/a/nodepool/win"], report.Assignments[0].Items.Where(i => i.State == "NonCompliant").Select(i => i.Item));
    }

    [Fact]
    public async Task Export_writes_every_max_pod_count_so_that_applying_the_export_gives_it_and_reads_as_a_change_of_only_that()
    {
        await using var f = await SiteWithAsync(Rule("Deny", "  exemptions: [{ item: cluster/a/nodepool/win, reason: until exported }]"));
        Assert.True((await f.Engine.ExecuteAsync(new AddNodePool("a", "win", "Windows"))).Applied);

        var (yaml, findings) = SpecExport.Yaml(await f.Engine.ReadAsync());
        Assert.Empty(findings);
        var read = SiteSpecs.Parse(yaml!);
        Assert.Empty(read.Findings);
        Assert.All(read.Document!.Spec.Clusters.SelectMany(c => c.NodePools), p => Assert.True(p.MaxPodCountGiven, p.Name));

        // Applied back (now without the exemption), the export changes nothing but the flags: no pool's max pods is changed, and
        // each pool's change says so.
        Assert.True((await f.Engine.ExecuteAsync(new ApplyGovernance(Rule("Deny")))).Applied);
        var applied = await f.Engine.ApplyAsync(read.Document);
        Assert.True(applied.Applied, string.Join("\n", applied.Findings));
        Assert.DoesNotContain(applied.Findings, x => x.Code is "ImmutableField" or "PolicyDenied" or "PolicyNonCompliant");
        Assert.Equal(["a/linuxpool", "a/win", "b/linuxpool"], applied.Changes.Select(c => c.Name));
        Assert.All(applied.Changes, c => Assert.Equal(("nodepool", ChangeKind.Change), (c.Type, c.Kind)));
        Assert.Equal("Windows x1 Standard_K8S3_v1 maxPods 60 (default) → Windows x1 Standard_K8S3_v1 maxPods 60", applied.Changes[1].Detail);
        Assert.Empty(applied.Allocations?.Added ?? []);
        Assert.All((await f.Engine.ReadAsync()).Spec!.Clusters.SelectMany(c => c.NodePools), p => Assert.True(p.MaxPodCountGiven, p.Name));
    }
}
