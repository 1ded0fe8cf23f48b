using Trellis.Core.Ipam;
using Trellis.Core.Model;
using Trellis.Storage;
using Trellis.Storage.Sqlite;
using ChangeKind = Trellis.Engine.Contracts.ChangeKind;
using ObjectChange = Trellis.Engine.Contracts.ObjectChange;

namespace Trellis.Engine.Tests;

/// <summary>
/// The change lifecycle every front end inherits: a command is planned (nothing written), the plan is committed exactly as
/// it was shown or not at all, and Execute re-plans when another writer got there first.
/// </summary>
public sealed class PlanCommitTests
{
    /// <summary>A store on which another writer commits right before this engine's first commit: the race a conflict is.</summary>
    private sealed class InterloperStore(IStateStore inner, Func<Task> interloper) : IStateStore
    {
        private int _commits;

        public Task<StoreSnapshot> ReadAsync(IReadOnlyList<string> prefixes, CancellationToken cancellationToken = default) => inner.ReadAsync(prefixes, cancellationToken);

        public async Task<CommitResult> CommitAsync(StoreTransaction transaction, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Increment(ref _commits) == 1)
            {
                await interloper();
            }

            return await inner.CommitAsync(transaction, cancellationToken);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private static List<(string, string, string)> Held(IEnumerable<Allocation> allocations) =>
        [.. allocations.Select(a => (a.Pool.ToString(), a.Address, a.Owner.ToString())).Order()];

    [Fact]
    public async Task Plan_WritesNothing_ThenCommit_WritesExactlyThePlan()
    {
        await using var f = new EngineFixture();

        var plan = await f.Engine.PlanAsync(new ApplySpec(EngineFixture.Roomy()));

        Assert.False(plan.HasErrors, string.Join("\n", plan.Findings));
        Assert.Equal(0, plan.Revision);
        Assert.NotEmpty(plan.Allocations!.Added);
        Assert.Null((await f.Engine.ReadAsync()).Spec);
        Assert.Empty(await f.Engine.ReadAuditAsync());

        var result = await f.Engine.CommitAsync(plan, new CommandOptions(Actor: "jane"));

        Assert.True(result.Applied, string.Join("\n", result.Findings));
        var state = await f.Engine.ReadAsync();
        Assert.Equal(Held(plan.AllocationPlan!.Result), Held(state.Allocations));
        Assert.Equal(plan.Changes, result.Changes);
        Assert.Equal(plan.Revision + 1, result.Revision);
        Assert.Equal(state.Revision, result.Revision);
        var entry = Assert.Single(await f.Engine.ReadAuditAsync());
        Assert.Equal(("apply", "jane", result.Revision, plan.Allocations.Added.Count), (entry.Command, entry.Actor, entry.Revision, entry.Added));
    }

    [Fact]
    public async Task AStalePlan_IsStateChanged_AndWritesNothing_UntilPlannedAgain()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Roomy());
        var plan = await f.Engine.PlanAsync(new ScaleNodePool("a", "linuxpool", 3));
        var unchanged = await f.Engine.PlanAsync(new ApplySpec(EngineFixture.Roomy()));
        await using var otherStore = SqliteStateStore.Open(f.StatePath);
        var other = new TrellisEngine(otherStore, f.Time);
        Assert.True((await other.ExecuteAsync(new AddService("b", "web", "site", [443]))).Applied);
        var before = await f.Engine.ReadAsync();
        var audit = await f.Engine.ReadAuditAsync();

        var stale = await f.Engine.CommitAsync(plan);
        var staleNothing = await f.Engine.CommitAsync(unchanged);

        Assert.False(stale.Applied);
        var finding = Assert.Single(stale.Findings);
        Assert.Equal(("StateChanged", "revision"), (finding.Code, finding.Path));
        Assert.Contains($"revision {before.Revision}, not {plan.Revision}", finding.Message, StringComparison.Ordinal);
        Assert.Equal("StateChanged", Assert.Single(staleNothing.Findings).Code);
        var after = await f.Engine.ReadAsync();
        Assert.Equal(before.Revision, after.Revision);
        Assert.Equal(before.Allocations, after.Allocations);
        Assert.Equal(audit, await f.Engine.ReadAuditAsync());

        var replanned = await f.Engine.CommitAsync(await f.Engine.PlanAsync(new ScaleNodePool("a", "linuxpool", 3)));
        Assert.True(replanned.Applied, string.Join("\n", replanned.Findings));
        Assert.Contains((await f.Engine.ReadAsync()).Allocations, a => a.Owner.ToString() == "service/b/web/site");
    }

    [Fact]
    public async Task APlanMadeOnOneState_IsRefusedOnAnother_AndWritesNothingThere()
    {
        await using var made = new EngineFixture();
        await using var other = new EngineFixture();
        await made.Engine.ApplyAsync(EngineFixture.Roomy());
        await other.Engine.ApplyAsync(EngineFixture.Roomy() with { Name = "contoso" });
        var plan = await made.Engine.PlanAsync(new ScaleNodePool("a", "linuxpool", 3));
        var before = await other.Engine.ReadAsync();
        var audit = await other.Engine.ReadAuditAsync();
        // Both states are at the same revision, so only the plan's origin tells them apart.
        Assert.Equal(plan.Revision, before.Revision);

        var refused = await other.Engine.CommitAsync(plan);

        Assert.False(refused.Applied);
        var finding = Assert.Single(refused.Findings);
        Assert.Equal(("PlanFromOtherState", "plan", Contracts.Severity.Error), (finding.Code, finding.Path, finding.Severity));
        Assert.Contains("site 'jane'", finding.Message, StringComparison.Ordinal);
        Assert.Equal("jane", plan.Site);
        var after = await other.Engine.ReadAsync();
        Assert.Equal(before.Revision, after.Revision);
        Assert.Equal(before.Allocations, after.Allocations);
        Assert.Equal(audit, await other.Engine.ReadAuditAsync());

        var committed = await made.Engine.CommitAsync(plan);
        Assert.True(committed.Applied, string.Join("\n", committed.Findings));
    }

    [Fact]
    public async Task APlanMadeOnAnEmptyState_IsRefusedOnAnotherEmptyState()
    {
        await using var made = new EngineFixture();
        await using var other = new EngineFixture();
        var plan = await made.Engine.PlanAsync(new ApplySpec(EngineFixture.Roomy()));

        var refused = await other.Engine.CommitAsync(plan);

        Assert.Equal("PlanFromOtherState", Assert.Single(refused.Findings).Code);
        Assert.Equal(0, (await other.Engine.ReadAsync()).Revision);
        Assert.Null((await other.Engine.ReadAsync()).SiteName);
    }

    [Fact]
    public async Task APlanMadeOnAReadOnlySession_CommitsOnAWritingSessionOfTheSameFile()
    {
        // The delete confirmation's path: the plan is shown from a read-only session and committed by a writing one.
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Roomy());
        ChangePlan plan;
        await using (var reader = EngineSession.OpenSqlite(f.StatePath, write: false))
        {
            plan = await reader.Engine.PlanAsync(new ScaleNodePool("a", "linuxpool", 3));
        }

        var relative = Path.GetRelativePath(Environment.CurrentDirectory, f.StatePath);
        await using var writer = EngineSession.OpenSqlite(relative, write: true);
        var result = await writer.Engine.CommitAsync(plan);

        Assert.True(result.Applied, string.Join("\n", result.Findings));
        Assert.Equal(3, (await f.Engine.ReadAsync()).Spec!.Clusters.Single(c => c.Name == "a").NodePools[0].Count);
        await using var elsewhere = new EngineFixture();
        await using var otherFile = EngineSession.OpenSqlite(elsewhere.StatePath, write: true);
        Assert.Equal("PlanFromOtherState", Assert.Single((await otherFile.Engine.CommitAsync(plan)).Findings).Code);
    }

    [Fact]
    public async Task APlanWithErrors_IsNotCommitted_ItsFindingsAreTheAnswer()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Roomy());
        var before = await f.Engine.ReadAsync();

        var plan = await f.Engine.PlanAsync(new ScaleNodePool("a", "nosuch", 3));
        var result = await f.Engine.CommitAsync(plan);

        Assert.True(plan.HasErrors);
        Assert.Null(plan.Allocations);
        Assert.False(result.Applied);
        Assert.Equal(plan.Findings, result.Findings);
        Assert.Equal(before.Revision, (await f.Engine.ReadAsync()).Revision);
    }

    [Fact]
    public async Task Execute_ReplansAfterAConflict_AndBothChangesLand()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Roomy());
        var engine = new TrellisEngine(new InterloperStore(f.Store, () => f.Engine.ExecuteAsync(new ScaleNodePool("a", "linuxpool", 6))), f.Time);

        var result = await engine.ExecuteAsync(new AddService("b", "web", "site", [443]));

        Assert.True(result.Applied, string.Join("\n", result.Findings));
        Assert.Equal(2, result.Attempts);
        var state = await f.Engine.ReadAsync();
        Assert.Contains(state.Allocations, a => a.Owner.ToString() == "cluster/a/node/linuxpool-6");
        Assert.Contains(state.Allocations, a => a.Owner.ToString() == "service/b/web/site");
        Assert.Equal(["apply", "scale", "add service"], (await f.Engine.ReadAuditAsync()).Select(e => e.Command));
        EngineFixture.AssertNoAddressTwice(state.Allocations);
    }

    [Fact]
    public async Task ScaleControlPlane_TakesAndReturnsControlPlaneAddresses()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Roomy());
        var before = await f.Engine.ReadAsync();

        var up = await f.Engine.ExecuteAsync(new ScaleControlPlane("b", 3));
        var grown = await f.Engine.ReadAsync();
        var down = await f.Engine.ExecuteAsync(new ScaleControlPlane("b", 1));

        Assert.True(up.Applied, string.Join("\n", up.Findings));
        Assert.True(down.Applied, string.Join("\n", down.Findings));
        Assert.Equal(["cluster/b/control-plane-2", "cluster/b/control-plane-3"], up.Plan!.Added.Select(a => a.Owner.ToString()).Where(o => o.StartsWith("cluster/b/control-plane", StringComparison.Ordinal)).Order());
        Assert.Equal(3, grown.Spec!.Clusters.Single(c => c.Name == "b").ControlPlaneNodeCount);
        Assert.Equal(Held(before.Allocations), Held((await f.Engine.ReadAsync()).Allocations));
    }

    [Fact]
    public async Task AddNodePool_OnWindows_WithoutMaxPods_GetsCoresWindowsDefault()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Roomy());

        var windows = await f.Engine.ExecuteAsync(new AddNodePool("a", "win", "Windows", 1));
        var linux = await f.Engine.ExecuteAsync(new AddNodePool("a", "more", Count: 1));
        var pinned = await f.Engine.ExecuteAsync(new AddNodePool("a", "pinned", "windows", 1, MaxPodCount: 55));

        Assert.True(windows.Applied, string.Join("\n", windows.Findings));
        Assert.True(linux.Applied, string.Join("\n", linux.Findings));
        Assert.True(pinned.Applied, string.Join("\n", pinned.Findings));
        var spec = (await f.Engine.ReadAsync()).Spec!;
        var pools = spec.Clusters.Single(c => c.Name == "a").NodePools.ToDictionary(p => p.Name);
        // /26 Calico blocks: 64 addresses less the 4 Windows reserves of each block.
        Assert.Equal(60, SpecFragments.DefaultMaxPodCount(spec, "a", OsType.Windows));
        Assert.Equal((OsType.Windows, 60), (pools["win"].OsType, pools["win"].MaxPodCount));
        Assert.Equal((OsType.Linux, SiteSpecDefaults.MaxPodCount), (pools["more"].OsType, pools["more"].MaxPodCount));
        Assert.Equal((OsType.Windows, 55), (pools["pinned"].OsType, pools["pinned"].MaxPodCount));
        Assert.Contains((await f.Engine.ReadAsync()).Allocations, a => a.Owner.ToString() == "cluster/a/node/win-1");
    }

    [Fact]
    public async Task AddNodePool_OnWindows_InAFlannelCluster_GetsTheProductDefault_WhichItsNodeSubnetHolds()
    {
        await using var f = new EngineFixture();
        var roomy = EngineFixture.Roomy();
        await f.Engine.ApplyAsync(roomy with
        {
            Clusters = roomy.Clusters.Select(c => c.Name == "a" ? c with { PrimaryNetworkPlugin = NetworkPlugin.Flannel } : c).ToList(),
        });

        var windows = await f.Engine.ExecuteAsync(new AddNodePool("a", "win", "Windows", 1));
        var calico = await f.Engine.ExecuteAsync(new AddNodePool("b", "win", "Windows", 1));

        Assert.True(windows.Applied && calico.Applied, string.Join("\n", windows.Findings.Concat(calico.Findings)));
        Assert.DoesNotContain(windows.Findings, x => x.Path.EndsWith("maxPodCount", StringComparison.Ordinal));
        var spec = (await f.Engine.ReadAsync()).Spec!;
        // A Flannel node's /24 holds 254 pods: the product's 110 stands. Calico's Windows node holds one /26 block less 4.
        Assert.Equal(SiteSpecDefaults.MaxPodCount, spec.Clusters.Single(c => c.Name == "a").NodePools.Single(p => p.Name == "win").MaxPodCount);
        Assert.Equal(60, spec.Clusters.Single(c => c.Name == "b").NodePools.Single(p => p.Name == "win").MaxPodCount);
    }

    [Fact]
    public void DefaultMaxPodCount_IsWhatANodesPodAddressesHold_WhenTheyHoldFewerThan110()
    {
        var roomy = EngineFixture.Roomy();
        var flannel = roomy with
        {
            Settings = roomy.Settings with { FlannelSubnetLen = 26 },
            Clusters = roomy.Clusters.Select(c => c with { PrimaryNetworkPlugin = NetworkPlugin.Flannel }).ToList(),
        };

        Assert.Equal(62, SpecFragments.DefaultMaxPodCount(flannel, "a", OsType.Linux));
        Assert.Equal(62, SpecFragments.DefaultMaxPodCount(flannel, "a", OsType.Windows));
        Assert.Equal(SiteSpecDefaults.MaxPodCount, SpecFragments.DefaultMaxPodCount(roomy, "a", OsType.Linux));
        Assert.Equal(60, SpecFragments.DefaultMaxPodCount(roomy, "nosuch", OsType.Windows));
    }

    [Fact]
    public async Task AddNodePool_OfAnUnknownOsType_IsInvalidValue()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Roomy());

        var result = await f.Engine.ExecuteAsync(new AddNodePool("a", "odd", "Solaris", 1));

        Assert.False(result.Applied);
        var finding = Assert.Single(result.Findings);
        Assert.Equal(("InvalidValue", "osType"), (finding.Code, finding.Path));
    }

    [Fact]
    public async Task DeleteNodePool_ReleasesItsNodesAndPodBlocks_AndNothingElse()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Roomy());
        var before = await f.Engine.ReadAsync();
        Assert.True((await f.Engine.ExecuteAsync(new AddNodePool("b", "extra", Count: 2))).Applied);
        var added = await f.Engine.ReadAsync();

        var result = await f.Engine.ExecuteAsync(new DeleteNodePool("b", "extra"));

        Assert.True(result.Applied, string.Join("\n", result.Findings));
        Assert.Contains(added.Allocations, a => a.Owner.ToString() == "cluster/b/node/extra-2");
        Assert.Equal(Held(before.Allocations), Held((await f.Engine.ReadAsync()).Allocations));
        Assert.Equal(Held(added.Allocations.Except(before.Allocations)), Held(result.Plan!.Removed));
    }

    [Fact]
    public async Task DeleteSite_PlannedReleasesEverything_AndTheSiteAppliesAgainToTheSameAddresses()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Example("worked-example.yaml"));
        var first = await f.Engine.ReadAsync();

        var plan = await f.Engine.PlanAsync(new DeleteSite("jane"));
        var deleted = await f.Engine.CommitAsync(plan);

        Assert.Equal(first.Allocations.Count, plan.Allocations!.Removed.Count);
        Assert.Contains(plan.Changes, c => c is { Kind: ChangeKind.Remove, Type: "cluster", Name: "b" });
        Assert.True(deleted.Applied, string.Join("\n", deleted.Findings));
        var empty = await f.Engine.ReadAsync();
        Assert.Null(empty.Spec);
        Assert.Empty(empty.Allocations);
        Assert.Equal("NoSite", Assert.Single((await f.Engine.ExecuteAsync(new ScaleNodePool("a", "linuxpool", 2))).Findings).Code);

        Assert.True((await f.Engine.ApplyAsync(EngineFixture.Example("worked-example.yaml"))).Applied);
        Assert.Equal(Held(first.Allocations), Held((await f.Engine.ReadAsync()).Allocations));
    }

    [Fact]
    public async Task Upgrade_PlanSimulatesEveryStep_AndCommitRollsThemOneTransactionEach()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Example("worked-example.yaml"));
        var before = await f.Engine.ReadAsync();

        var plan = await f.Engine.PlanAsync(new Upgrade("b", "1.30.0"));

        // b has 1 control plane, 1 load balancer and 3 workers: two steps each.
        Assert.Equal(10, plan.UpgradeSteps.Count);
        Assert.Equal([new ObjectChange(ChangeKind.Change, "cluster", "b", "v1.29.4 → v1.30.0")], plan.Changes);
        var untouched = await f.Engine.ReadAsync();
        Assert.Equal(before.Revision, untouched.Revision);
        Assert.Empty(untouched.Upgrades);

        var result = await f.Engine.CommitAsync(plan);

        Assert.True(result.Applied, string.Join("\n", result.Findings));
        Assert.Equal(Steps(plan.Steps), Steps(result.Steps));
        Assert.Equal(plan.Changes, result.Changes);
        var after = await f.Engine.ReadAsync();
        Assert.Equal("v1.30.0", after.Spec!.Clusters.Single(c => c.Name == "b").KubernetesVersion);
        Assert.Equal(after.Revision, result.Revision);
        Assert.Equal(Enumerable.Repeat("upgrade", 11), (await f.Engine.ReadAuditAsync()).Skip(1).Select(e => e.Command));

        static List<string> Steps(IEnumerable<Core.Planning.UpgradeStep> steps) =>
            [.. steps.Select(s => $"{s.Node} {s.Description} -{string.Join(",", Held(s.Remove))} +{string.Join(",", Held(s.Add))}")];
    }

    [Fact]
    public async Task Upgrade_PlannedBeforeAnotherChange_IsStateChanged_AndNoStepIsWritten()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Roomy());
        var plan = await f.Engine.PlanAsync(new Upgrade("b", "v1.30.0"));
        await f.Engine.ExecuteAsync(new ScaleNodePool("a", "linuxpool", 4));
        var before = await f.Engine.ReadAsync();

        var result = await f.Engine.CommitAsync(plan);

        Assert.False(result.Applied);
        Assert.Equal("StateChanged", Assert.Single(result.Findings).Code);
        Assert.Equal(before.Revision, (await f.Engine.ReadAsync()).Revision);
        Assert.Empty((await f.Engine.ReadAsync()).Upgrades);
    }

    public static TheoryData<SiteCommand, string, string> Refusals() => new()
    {
        { new ScaleNodePool("nosuch", "linuxpool", 3), "UnknownCluster", "cluster" },
        { new ScaleNodePool("a", "nosuch", 3), "UnknownNodePool", "nodePool" },
        { new ScaleLoadBalancer("a", "nosuch", 2), "UnknownLoadBalancerSetting", "loadBalancer" },
        { new DeleteNodePool("a", "nosuch"), "UnknownNodePool", "nodePool" },
        { new DeleteService("a", "shop", "nosuch"), "UnknownService", "name" },
        { new AddNodePool("a", "linuxpool"), "DuplicateName", "name" },
        { new Upgrade("nosuch", "v1.30.0"), "UnknownCluster", "cluster" },
        { new Upgrade("a", "latest"), "InvalidKubernetesVersion", "version" },
        { new Upgrade("a", "v1.28.0"), "DowngradeNotSupported", "version" },
        { new DeleteSite("contoso"), "SiteMismatch", "name" },
    };

    /// <summary>Findings speak the model's words; each front end maps them to its own flags or parameters.</summary>
    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task ARefusedCommand_NamesTheModelsField_AndItsHintNamesNoFrontEnd(SiteCommand command, string code, string path)
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Example("worked-example.yaml"));
        var before = await f.Engine.ReadAsync();

        var result = await f.Engine.ExecuteAsync(command);

        Assert.False(result.Applied);
        var finding = Assert.Single(result.Findings);
        Assert.Equal((code, path), (finding.Code, finding.Path));
        Assert.DoesNotContain("--", finding.Hint, StringComparison.Ordinal);
        Assert.DoesNotContain("trellis", finding.Hint, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before.Revision, (await f.Engine.ReadAsync()).Revision);
    }

    [Fact]
    public async Task WithoutAStoredSite_EveryCommandButApply_IsNoSite()
    {
        await using var f = new EngineFixture();

        foreach (var command in new SiteCommand[] { new ScaleNodePool("a", "p", 2), new AddService("a", "ns", "web", [80]), new Upgrade("a", "v1.30.0"), new DeleteSite("jane") })
        {
            var finding = Assert.Single((await f.Engine.PlanAsync(command)).Findings);
            Assert.Equal(("NoSite", "site"), (finding.Code, finding.Path));
        }
    }

    [Fact]
    public async Task SeveralEngines_OnOneStateFile_RunningCommandsTogether_NeverHoldAnAddressTwice_AndAuditEveryCommit()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Roomy());
        SiteCommand[] commands =
        [
            new AddService("a", "load", "svc0", [80]),
            new AddService("b", "load", "svc1", [80]),
            new AddNodePool("b", "extra", Count: 2),
            new ScaleNodePool("a", "linuxpool", 7),
            new AddService("a", "load", "svc4", [8080]),
            new ScaleControlPlane("b", 3),
        ];
        var stores = commands.Select(_ => SqliteStateStore.Open(f.StatePath)).ToList();
        try
        {
            var results = await Task.WhenAll(commands.Select((c, i) => Task.Run(() => new TrellisEngine(stores[i], f.Time).ExecuteAsync(c, new CommandOptions(Actor: $"op{i}")))));

            Assert.All(results, r => Assert.True(r.Applied, string.Join("\n", r.Findings)));
            var state = await f.Engine.ReadAsync();
            EngineFixture.AssertNoAddressTwice(state.Allocations);
            foreach (var owner in new[] { "service/a/load/svc0", "service/b/load/svc1", "cluster/b/node/extra-2", "cluster/a/node/linuxpool-7", "service/a/load/svc4", "cluster/b/control-plane-3" })
            {
                Assert.Contains(state.Allocations, a => a.Owner.ToString() == owner);
            }

            var audit = await f.Engine.ReadAuditAsync();
            Assert.Equal(1 + commands.Length, audit.Count);
            Assert.Equal(audit.Count, audit.Select(e => e.Revision).Distinct().Count());
            for (var i = 0; i < commands.Length; i++)
            {
                var entry = Assert.Single(audit, e => e.Revision == results[i].Revision);
                Assert.Equal((commands[i].CommandName, $"op{i}"), (entry.Command, entry.Actor));
            }

            Assert.Equal(state.Revision, audit[^1].Revision);
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task ConcurrentAppliesOfDifferentSpecs_LeaveTheLastCommitted()
    {
        await using var f = new EngineFixture();
        var roomy = EngineFixture.Roomy();
        await f.Engine.ApplyAsync(roomy);
        var specs = Enumerable.Range(0, 4).Select(i => roomy with
        {
            Clusters = roomy.Clusters.Select(c => c.Name == "a" ? c with { Services = [.. c.Services, new ServiceSpec { Namespace = "extra", Name = $"extra{i}", Ports = [90 + i] }] } : c).ToList(),
        }).ToList();
        var stores = specs.Select(_ => SqliteStateStore.Open(f.StatePath)).ToList();
        try
        {
            var results = await Task.WhenAll(specs.Select((s, i) => Task.Run(() => new TrellisEngine(stores[i], f.Time).ApplyAsync(s))));

            Assert.All(results, r => Assert.True(r.Applied, string.Join("\n", r.Findings)));
            var last = Enumerable.Range(0, specs.Count).MaxBy(i => results[i].Revision);
            var state = await f.Engine.ReadAsync();
            EngineFixture.AssertNoAddressTwice(state.Allocations);
            var extra = Assert.Single(state.Allocations, a => a.Owner is ServiceVip { Service.Namespace: "extra" });
            Assert.Equal($"service/a/extra/extra{last}", extra.Owner.ToString());
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }
}
