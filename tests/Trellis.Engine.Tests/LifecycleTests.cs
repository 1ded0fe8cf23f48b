using Trellis.Core.Ipam;
using Trellis.Core.Planning;
using Trellis.Storage;

namespace Trellis.Engine.Tests;

public class LifecycleTests
{
    [Fact]
    public async Task Apply_ThenReapply_ChangesNothing()
    {
        await using var f = new EngineFixture();
        var first = await f.Engine.ApplyAsync(EngineFixture.Example("worked-example.yaml"));
        Assert.True(first.Applied, string.Join("\n", first.Findings));
        var before = await f.Engine.ReadAsync();

        var second = await f.Engine.ApplyAsync(EngineFixture.Example("worked-example.yaml"));
        var after = await f.Engine.ReadAsync();

        Assert.True(second.Plan!.IsEmpty);
        Assert.Empty(second.Changes);
        Assert.Equal(before.Revision, after.Revision);
        Assert.Equal(before.Allocations, after.Allocations);
        Assert.Equal(27, after.Allocations.Count(a => a.Pool.ToString() == "net/mgmtvnet/nodes"));
    }

    [Fact]
    public async Task Plan_WritesNothing()
    {
        await using var f = new EngineFixture();
        var result = await f.Engine.PlanAsync(new ApplySpec(EngineFixture.Example("worked-example.yaml")));

        Assert.NotEmpty(result.Allocations!.Added);
        var state = await f.Engine.ReadAsync();
        Assert.Null(state.Spec);
        Assert.Empty(state.Allocations);
    }

    [Fact]
    public async Task Apply_RejectsPluginChangeAfterDeploy_AndKeepsTheState()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Example("worked-example.yaml"));
        var before = await f.Engine.ReadAsync();
        var spec = EngineFixture.Example("worked-example.yaml");
        var changed = spec with { Clusters = spec.Clusters.Select(c => c.Name == "a" ? c with { PrimaryNetworkPlugin = Core.Model.NetworkPlugin.Flannel, PodCidr = "10.250.0.0/16" } : c).ToList() };

        var result = await f.Engine.ApplyAsync(changed);

        Assert.False(result.Applied);
        Assert.Contains(result.Findings, x => x.Code == "ImmutableField" && x.Path == "spec.clusters[0].primaryNetworkPlugin");
        Assert.Contains(result.Findings, x => x.Code == "ImmutableField" && x.Path == "spec.clusters[0].podCidr");
        var after = await f.Engine.ReadAsync();
        Assert.Equal(before.Revision, after.Revision);
        Assert.Equal(before.Allocations, after.Allocations);
    }

    [Fact]
    public async Task Apply_RejectsAGrownNodePoolAfterDeploy()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Example("worked-example.yaml"));
        var spec = EngineFixture.Example("worked-example.yaml");

        var result = await f.Engine.ApplyAsync(spec with { HostNetwork = spec.HostNetwork! with { K8sNodeIpPoolEnd = "172.16.0.60" } });

        Assert.Contains(result.Findings, x => x.Code == "ImmutableField" && x.Path == "spec.hostNetwork.k8sNodeIpPoolEnd");
    }

    [Fact]
    public async Task InvalidSpec_LosesNothingStored()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Example("worked-example.yaml"));
        var before = await f.Engine.ReadAsync();
        var spec = EngineFixture.Example("worked-example.yaml");

        var result = await f.Engine.ApplyAsync(spec with { Clusters = [.. spec.Clusters, spec.Clusters[0] with { Name = "c" }] });

        Assert.False(result.Applied);
        Assert.Contains(result.Findings, x => x.Code == "NodeIpPoolTooSmall");
        Assert.Equal(before.Allocations, (await f.Engine.ReadAsync()).Allocations);
    }

    [Fact]
    public async Task ScaleDownThenUp_ReleasesAndReusesTheLowestAddresses()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Roomy());
        var full = await f.Engine.ReadAsync();
        var node5 = full.Allocations.Single(a => a.Owner.ToString() == "cluster/a/node/linuxpool-5").Address;

        var down = await f.Engine.ExecuteAsync(new ScaleNodePool("a", "linuxpool", 3));
        Assert.True(down.Applied, string.Join("\n", down.Findings));
        var small = await f.Engine.ReadAsync();
        Assert.DoesNotContain(small.Allocations, a => a.Owner.ToString() == "cluster/a/node/linuxpool-5" || a.Owner.ToString() == "cluster/a/node/linuxpool-4");
        Assert.Equal(full.Allocations.Count(a => a.Pool.ToString() == "net/mgmtvnet/nodes") - 2, small.Allocations.Count(a => a.Pool.ToString() == "net/mgmtvnet/nodes"));
        Assert.DoesNotContain(small.Allocations, a => a.Pool.ToString() == "cluster/a/pods" && a.Owner is PodBlock { Node: WorkerVm { NodePool: "linuxpool", Index: 5 } });

        await f.Engine.ExecuteAsync(new ScaleNodePool("a", "linuxpool", 5));
        var again = await f.Engine.ReadAsync();
        Assert.Equal(node5, again.Allocations.Single(a => a.Owner.ToString() == "cluster/a/node/linuxpool-5").Address);
        foreach (var a in small.Allocations)
        {
            Assert.Contains(a, again.Allocations);
        }

        EngineFixture.AssertNoAddressTwice(again.Allocations);
    }

    [Fact]
    public async Task Upgrade_TakesSurgeFromTheReserve_AndGivesItBack()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Example("worked-example.yaml"));
        var before = await f.Engine.ReadAsync();

        var result = await f.Engine.ExecuteAsync(new Upgrade("b", "v1.30.0"));

        Assert.True(result.Applied, string.Join("\n", result.Findings));
        var after = await f.Engine.ReadAsync();
        Assert.Equal("v1.30.0", after.Spec!.Clusters.Single(c => c.Name == "b").KubernetesVersion);
        Assert.Empty(after.Upgrades);
        // b has 1 control plane, 1 load balancer and 3 workers: two steps each.
        Assert.Equal(10, result.UpgradeSteps.Count);
        Assert.Contains(result.Steps, s => s.Add.Any(a => a.Owner is UpgradeSurge { ClusterName: "b" }));
        var nodes = before.Allocations.Where(a => a.Pool.ToString() == "net/mgmtvnet/nodes").Select(a => a.Address).Order().ToList();
        Assert.Equal(nodes, after.Allocations.Where(a => a.Pool.ToString() == "net/mgmtvnet/nodes").Select(a => a.Address).Order().ToList());
        Assert.Equal(5, after.Allocations.Count(a => a.Owner is UpgradeReserve { ClusterName: "b" }));
        Assert.DoesNotContain(after.Allocations, a => a.Owner is UpgradeSurge);
        Assert.NotEqual(before.Allocations.Single(a => a.Owner.ToString() == "cluster/b/control-plane-1").Address,
            after.Allocations.Single(a => a.Owner.ToString() == "cluster/b/control-plane-1").Address);
        EngineFixture.AssertNoAddressTwice(after.Allocations);
    }

    [Fact]
    public async Task ApplyWithANewVersion_RunsTheRollingUpgrade()
    {
        await using var f = new EngineFixture();
        var spec = EngineFixture.Example("worked-example.yaml");
        await f.Engine.ApplyAsync(spec);

        var result = await f.Engine.ApplyAsync(spec with { Clusters = spec.Clusters.Select(c => c with { KubernetesVersion = "v1.30.2" }).ToList() });

        Assert.True(result.Applied, string.Join("\n", result.Findings));
        Assert.NotEmpty(result.UpgradeSteps);
        Assert.All((await f.Engine.ReadAsync()).Spec!.Clusters, c => Assert.Equal("v1.30.2", c.KubernetesVersion));
    }

    [Fact]
    public async Task Downgrade_IsRejected()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Example("worked-example.yaml"));

        var result = await f.Engine.ExecuteAsync(new Upgrade("a", "v1.28.0"));

        Assert.Contains(result.Findings, x => x.Code == "DowngradeNotSupported");
    }

    [Fact]
    public async Task DeleteCluster_ReleasesEveryAddressOfIt()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Example("worked-example.yaml"));

        var result = await f.Engine.ExecuteAsync(new DeleteCluster("a"));

        Assert.True(result.Applied);
        var state = await f.Engine.ReadAsync();
        Assert.DoesNotContain(state.Allocations, a => a.Owner.Cluster == "a" || a.Pool is ClusterPool { Cluster: "a" });
        Assert.Contains(state.Allocations, a => a.Owner.ToString() == "cluster/b/api-server");
    }

    [Fact]
    public async Task AddAndRemoveService_TakeAndReturnAVip()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Roomy());

        await f.Engine.ExecuteAsync(new AddService("b", "web", "site", [443]));
        var added = await f.Engine.ReadAsync();
        Assert.Contains(added.Allocations, a => a.Owner.ToString() == "service/b/web/site" && a.Pool.ToString() == "net/mgmtvnet/vips");
        Assert.Contains(added.Allocations, a => a.Pool.ToString() == "cluster/b/node-ports" && a.Owner.ToString() == "service/b/web/site/tcp/443");

        await f.Engine.ExecuteAsync(new DeleteService("b", "web", "site"));
        var removed = await f.Engine.ReadAsync();
        Assert.DoesNotContain(removed.Allocations, a => a.Owner is ServiceVip { Service: { Namespace: "web", Name: "site" } } or ClusterIp { Service: { Namespace: "web", Name: "site" } } or NodePort { Service: { Namespace: "web", Name: "site" } });
    }

    [Fact]
    public async Task DhcpLeases_ExpireALeaseDurationAfterTheGrant()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Example("dhcp-site.yaml"));

        var state = await f.Engine.ReadAsync();
        var leases = state.Allocations.Where(a => a.Pool.ToString() == "net/branchvnet/dhcp" && a.Owner is not DhcpReservation).ToList();
        Assert.NotEmpty(leases);
        Assert.All(leases, a => Assert.Equal(f.Time.Now + TimeSpan.FromDays(8), a.ExpiresAt));
        Assert.Equal("10.12.0.12", state.Allocations.Single(a => a.Owner.ToString() == "reservation/jumphost").Address);
    }

    [Fact]
    public async Task ConcurrentChanges_FromSeveralEngines_NeverHoldAnAddressTwice()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Roomy());
        var engines = Enumerable.Range(0, 6).Select(_ => new TrellisEngine(Storage.Sqlite.SqliteStateStore.Open(f.StatePath), f.Time)).ToList();

        var results = await Task.WhenAll(engines.Select((e, i) => Task.Run(() => e.ExecuteAsync(new AddService(i % 2 == 0 ? "a" : "b", "load", $"svc{i}", [80 + i])))));

        Assert.All(results, r => Assert.True(r.Applied, string.Join("\n", r.Findings)));
        var state = await f.Engine.ReadAsync();
        EngineFixture.AssertNoAddressTwice(state.Allocations);
        for (var i = 0; i < 6; i++)
        {
            Assert.Contains(state.Allocations, a => a.Owner.ToString() == $"service/{(i % 2 == 0 ? "a" : "b")}/load/svc{i}");
        }
    }
}
