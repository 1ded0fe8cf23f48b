using Trellis.Core.Model;
using Trellis.Engine.Contracts;
using Trellis.Storage.Sqlite;

namespace Trellis.Engine.Tests;

/// <summary>
/// A plan is written at most once, and only on the state it was made on: committing it again, or after another writer
/// moved the state (also when all the plan changes is a Kubernetes version), is StateChanged and writes nothing.
/// </summary>
public sealed class CommitOnceTests
{
    private static List<string> Held<T>(IEnumerable<T> allocations) => [.. allocations.Select(a => a!.ToString()!).Order(StringComparer.Ordinal)];

    private static SiteSpec WithVersion(SiteSpec spec, string cluster, string version) =>
        spec with { Clusters = spec.Clusters.Select(c => c.Name == cluster ? c with { KubernetesVersion = version } : c).ToList() };

    private static string VersionOf(SiteState state, string cluster) => state.Spec!.Clusters.Single(c => c.Name == cluster).KubernetesVersion!;

    /// <summary>What a second write would change: the revision, the allocations, the spec's versions, the upgrades and the audit log.</summary>
    private static async Task<string> Snapshot(TrellisEngine engine)
    {
        var state = await engine.ReadAsync();
        var audit = await engine.ReadAuditAsync();
        return string.Join("\n",
        [
            $"revision {state.Revision}",
            $"clusters {string.Join(", ", state.Spec?.Clusters.Select(c => $"{c.Name} {c.KubernetesVersion} {string.Join("+", c.NodePools.Select(p => $"{p.Name}x{p.Count}"))} {c.Services.Count} services") ?? [])}",
            $"upgrades {state.Upgrades.Count}",
            $"audit {string.Join(", ", audit.Select(e => $"{e.Revision}:{e.Command}"))}",
            .. Held(state.Allocations),
        ]);
    }

    public static TheoryData<SiteCommand> Commands() => new()
    {
        new ScaleNodePool("a", "linuxpool", 7),
        new ScaleControlPlane("b", 3),
        new AddService("b", "web", "site", [443]),
        new AddNodePool("b", "extra", Count: 2),
        new DeleteCluster("b"),
        new Upgrade("b", "v1.30.0"),
        new ApplySpec(WithVersion(EngineFixture.Roomy(), "a", "v1.30.0")),
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task CommittingTheSamePlanTwice_TheSecondIsStateChanged_AndWritesNothing(SiteCommand command)
    {
        await using var f = new EngineFixture();
        Assert.True((await f.Engine.ApplyAsync(EngineFixture.Roomy())).Applied);
        var plan = await f.Engine.PlanAsync(command);
        Assert.False(plan.HasErrors, string.Join("\n", plan.Findings));

        var first = await f.Engine.CommitAsync(plan);
        Assert.True(first.Applied, string.Join("\n", first.Findings));
        var once = await Snapshot(f.Engine);

        var second = await f.Engine.CommitAsync(plan);

        Assert.False(second.Applied);
        var finding = Assert.Single(second.Findings);
        Assert.Equal(("StateChanged", "revision"), (finding.Code, finding.Path));
        Assert.Equal(once, await Snapshot(f.Engine));
        EngineFixture.AssertNoAddressTwice((await f.Engine.ReadAsync()).Allocations);
    }

    [Fact]
    public async Task CommittingTheFirstApplyTwice_TheSecondIsStateChanged_AndWritesNothing()
    {
        await using var f = new EngineFixture();
        var plan = await f.Engine.PlanAsync(new ApplySpec(EngineFixture.Roomy()));

        var first = await f.Engine.CommitAsync(plan);
        var once = await Snapshot(f.Engine);
        var second = await f.Engine.CommitAsync(plan);

        Assert.True(first.Applied, string.Join("\n", first.Findings));
        Assert.False(second.Applied);
        Assert.Equal("StateChanged", Assert.Single(second.Findings).Code);
        Assert.Equal(once, await Snapshot(f.Engine));
        Assert.Single(await f.Engine.ReadAuditAsync());
    }

    public static TheoryData<SiteCommand> OtherWriters() => new()
    {
        new AddService("b", "web", "site", [443]),
        new ScaleNodePool("b", "linuxpool", 4),
        // The other writer's change is a version too: the state moved all the same.
        new Upgrade("b", "v1.30.0"),
    };

    [Theory]
    [MemberData(nameof(OtherWriters))]
    public async Task AStalePlan_WhoseOnlyChangeIsAVersionBump_IsStateChanged_AndNoStepIsWritten(SiteCommand otherWriter)
    {
        await using var f = new EngineFixture();
        var roomy = EngineFixture.Roomy();
        Assert.True((await f.Engine.ApplyAsync(roomy)).Applied);
        var bump = await f.Engine.PlanAsync(new ApplySpec(WithVersion(roomy, "a", "v1.30.0")));
        Assert.False(bump.HasErrors, string.Join("\n", bump.Findings));
        var change = Assert.Single(bump.Changes);
        Assert.Equal((ChangeKind.Change, "cluster", "a"), (change.Kind, change.Type, change.Name));

        await using (var otherStore = SqliteStateStore.Open(f.StatePath))
        {
            var other = await new TrellisEngine(otherStore, f.Time).ExecuteAsync(otherWriter);
            Assert.True(other.Applied, string.Join("\n", other.Findings));
        }

        var moved = await Snapshot(f.Engine);
        var upgradesBefore = (await f.Engine.ReadAsync()).Upgrades.Count;

        var stale = await f.Engine.CommitAsync(bump);

        Assert.False(stale.Applied);
        var finding = Assert.Single(stale.Findings);
        Assert.Equal(("StateChanged", "revision"), (finding.Code, finding.Path));
        Assert.Empty(stale.UpgradeSteps);
        Assert.Equal(moved, await Snapshot(f.Engine));
        var state = await f.Engine.ReadAsync();
        Assert.Equal("v1.29.4", VersionOf(state, "a"));
        Assert.Equal(upgradesBefore, state.Upgrades.Count);

        // Planned again on the moved state, the bump lands and keeps the other writer's change.
        var replanned = await f.Engine.CommitAsync(await f.Engine.PlanAsync(new ApplySpec(WithVersion(state.Spec!, "a", "v1.30.0"))));
        Assert.True(replanned.Applied, string.Join("\n", replanned.Findings));
        var after = await f.Engine.ReadAsync();
        Assert.Equal("v1.30.0", VersionOf(after, "a"));
        Assert.Equal(VersionOf(state, "b"), VersionOf(after, "b"));
        Assert.Equal(state.Spec!.Clusters.Single(c => c.Name == "b").Services.Count, after.Spec!.Clusters.Single(c => c.Name == "b").Services.Count);
        EngineFixture.AssertNoAddressTwice(after.Allocations);
    }
}
