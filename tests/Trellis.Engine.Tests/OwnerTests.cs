using System.Text;
using System.Text.Json.Nodes;
using Trellis.Core.Ipam;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Storage;

namespace Trellis.Engine.Tests;

/// <summary>
/// Owners and pools are typed: names that are words of their text form change nothing, a cluster's allocations are
/// exactly its own, and a state stored before owners were typed still loads and plans.
/// </summary>
public class OwnerTests
{
    private static SiteSpec Renamed(SiteSpec spec, string from, string to) =>
        spec with { Clusters = spec.Clusters.Select(c => c.Name == from ? c with { Name = to } : c).ToList() };

    [Fact]
    public async Task Apply_ClusterNamedNode_IsPlannedLikeAnyOther()
    {
        await using var f = new EngineFixture();
        var spec = Renamed(EngineFixture.Example("worked-example.yaml"), "a", "node");
        Assert.True(TrellisEngine.Validate(spec).IsValid);

        var result = await f.Engine.ApplyAsync(spec);

        Assert.True(result.Applied, string.Join("\n", result.Findings));
        var state = await f.Engine.ReadAsync();
        Assert.Equal(3, state.Allocations.Count(a => a.Owner is ControlPlaneVm { ClusterName: "node" } && a.Pool == PoolIds.Nodes("mgmtvnet")));
        Assert.Equal(5, state.Allocations.Count(a => a.Owner is WorkerVm { ClusterName: "node" } && a.Pool == PoolIds.Nodes("mgmtvnet")));
        Assert.Equal(8, state.Allocations.Count(a => a.Owner is PodBlock { ClusterName: "node" }));
        Assert.True((await f.Engine.ApplyAsync(spec)).Plan!.IsEmpty);
        Assert.Equal(["node", "b"], SiteViews.Clusters(state).Select(c => c.Name));
    }

    [Fact]
    public async Task Allocations_OfACluster_LeaveOutAnotherClustersServiceInANamespaceNamedLikeIt()
    {
        await using var f = new EngineFixture();
        var spec = EngineFixture.Roomy();
        spec = spec with
        {
            Clusters = spec.Clusters.Select(c => c.Name == "b" ? c with { Services = [new ServiceSpec { Namespace = "a", Name = "web", Ports = [8080] }] } : c).ToList(),
        };
        var applied = await f.Engine.ApplyAsync(spec);
        Assert.True(applied.Applied, string.Join("\n", applied.Findings));
        var state = await f.Engine.ReadAsync();

        var ofA = Typed(SiteViews.Allocations(state, "a"));
        var ofB = Typed(SiteViews.Allocations(state, "b"));

        Assert.DoesNotContain(ofA, a => a.Pool is ClusterPool { Cluster: "b" });
        Assert.DoesNotContain(ofA, a => a.Owner.Cluster == "b");
        Assert.All(ofA, a => Assert.True(a.Owner.Cluster == "a" || a.Pool is ClusterPool { Cluster: "a" }, a.ToString()));
        Assert.Contains(ofB, a => a.Owner == PoolIds.ClusterIp("b", "a", "web") && a.Pool == PoolIds.ClusterIps("b"));
        Assert.Contains(ofB, a => a.Owner == PoolIds.NodePort("b", "a", "web", "TCP", 8080) && a.Pool == PoolIds.NodePorts("b"));
        Assert.Equal(state.Allocations.Count(a => a.Owner.Cluster is not null),
            ofA.Count(a => a.Owner.Cluster is not null) + ofB.Count(a => a.Owner.Cluster is not null));
    }

    private static string FixtureDirectory
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "examples")))
            {
                dir = dir.Parent;
            }

            return Path.Combine(dir!.FullName, "tests", "Trellis.Engine.Tests", "Fixtures");
        }
    }

    /// <summary>Writes the items of Fixtures/legacy-state.json (written by 'trellis apply' before owners were typed) into the store.</summary>
    private static async Task<SiteSpec> LoadLegacyAsync(EngineFixture f, Action<JsonArray>? edit = null)
    {
        var items = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(FixtureDirectory, "legacy-state.json")))!["items"]!.AsArray();
        edit?.Invoke(items);
        var ops = items.Select(i => (TxnOperation)new TxnOperation.Put(i!["key"]!.GetValue<string>(), Encoding.UTF8.GetBytes(i["value"]!.ToJsonString()))).ToList();
        ops.Add(new TxnOperation.Put("site/generation", BitConverter.GetBytes(1L)));
        Assert.True((await f.Store.CommitAsync(new StoreTransaction([], ops))).Succeeded);
        var read = SiteSpecReader.Read(await File.ReadAllTextAsync(Path.Combine(FixtureDirectory, "legacy.yaml")));
        return read.Spec!;
    }

    [Fact]
    public async Task StateStoredBeforeOwnersWereTyped_LoadsWithEveryServiceOwnerInItsCluster_AndReapplyChangesNothing()
    {
        await using var f = new EngineFixture();
        var spec = await LoadLegacyAsync(f);
        var before = await f.Engine.ReadAsync();

        Assert.Equal(44, before.Allocations.Count);
        Assert.Contains(before.Allocations, a => a.Owner == PoolIds.ClusterIp("a", "b", "web") && a.Pool == PoolIds.ClusterIps("a"));
        Assert.Contains(before.Allocations, a => a.Owner == PoolIds.NodePort("a", "b", "web", "TCP", 8443) && a.Pool == PoolIds.NodePorts("a"));
        Assert.Contains(before.Allocations, a => a.Owner == PoolIds.ClusterIp("b", "default", "kubernetes") && a.Address == "10.96.0.1");
        Assert.DoesNotContain(Typed(SiteViews.Allocations(before, "a")), a => a.Owner.Cluster == "b" || a.Pool is ClusterPool { Cluster: "b" });
        Assert.Equal("10.96.0.2", SiteViews.Services(before, "b").Single().ClusterIp);
        // Owners of the former forms are listed in today's form, also by the one-pass listing.
        Assert.Contains(SiteViews.Allocations(before, null), a => a.Owner == "service/a/b/web/cluster-ip");
        await StateDecodingTests.AssertListedAsReadAsync(f.Engine);

        var again = await f.Engine.ApplyAsync(spec);

        Assert.True(again.Applied, string.Join("\n", again.Findings));
        Assert.True(again.Plan!.IsEmpty, string.Join("\n", again.Plan.Added.Concat(again.Plan.Removed)));
        Assert.Equal(before.Revision, (await f.Engine.ReadAsync()).Revision);
    }

    [Fact]
    public async Task UpgradeStoredBeforeOwnersWereTyped_ResumesAndGivesTheBorrowedUpdateAddressBack()
    {
        await using var f = new EngineFixture();
        // Mid-upgrade as the former planner left it: the surge VM holds update address 1, named in its detail.
        await LoadLegacyAsync(f, items =>
        {
            var reserve = items.Single(i => i!["value"]!["owner"]?.GetValue<string>() == "cluster/a/upgrade-reserve-1")!["value"]!.AsObject();
            reserve["owner"] = "cluster/a/upgrade-surge";
            reserve["detail"] = "reserve cluster/a/upgrade-reserve-1";
            items.Add(new JsonObject
            {
                ["key"] = "upgrade/a",
                ["value"] = new JsonObject { ["cluster"] = "a", ["fromVersion"] = "v1.29.4", ["targetVersion"] = "v1.30.0", ["done"] = new JsonArray(), ["current"] = "cluster/a/control-plane-1" },
            });
        });
        var mid = await f.Engine.ReadAsync();
        var surge = Assert.Single(mid.Allocations, a => a.Owner is UpgradeSurge);
        Assert.Equal(new UpgradeSurge("a", 1), surge.Owner);
        Assert.Equal(PoolIds.ControlPlane("a", 1), Assert.Single(mid.Upgrades).Current);
        await StateDecodingTests.AssertListedAsReadAsync(f.Engine);

        var result = await f.Engine.ExecuteAsync(new Upgrade("a", "v1.30.0"));

        Assert.True(result.Applied, string.Join("\n", result.Findings));
        var after = await f.Engine.ReadAsync();
        Assert.Equal("v1.30.0", after.Spec!.Clusters.Single(c => c.Name == "a").KubernetesVersion);
        Assert.Equal([1, 2, 3, 4, 5], after.Allocations.Select(a => a.Owner).OfType<UpgradeReserve>().Where(r => r.ClusterName == "a").Select(r => r.Slot).Order());
        Assert.DoesNotContain(after.Allocations, a => a.Owner is UpgradeSurge);
        Assert.Equal(surge.Address, after.Allocations.Single(a => a.Owner == PoolIds.ControlPlane("a", 1)).Address);
        Assert.Empty(after.Upgrades);
    }

    /// <summary>The view's allocations read back into typed owners and pools: the text forms round-trip.</summary>
    private static List<Allocation> Typed(IReadOnlyList<Contracts.Allocation> view) =>
        [.. view.Select(a => new Allocation(PoolId.Parse(a.Pool), a.Address, Owner.Parse(a.Owner)))];
}
