using Trellis.Core.Model;
using Trellis.Storage;
using Trellis.TestSupport;

namespace Trellis.Engine.Tests;

/// <summary>
/// A command of several transactions (an upgrade, an apply that raises a version) that fails after one of them was written
/// reports what it wrote, what it did not, and how to go on (UpgradeInterrupted), instead of losing it in an exception; and
/// running it again finishes it.
/// </summary>
public sealed class InterruptedCommandTests
{
    private static SiteSpec Raised(SiteSpec spec, string cluster, string version, int workers) => spec with
    {
        Clusters = spec.Clusters.Select(c => c.Name == cluster ? c with { KubernetesVersion = version, NodePools = [c.NodePools[0] with { Count = workers }] } : c).ToList(),
    };

    [Fact]
    public async Task Upgrade_StoreFailingAfterItsFirstStep_ReportsTheStepWritten_AndRunningItAgainFinishes()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Example("worked-example.yaml"));
        var before = await f.Engine.ReadAsync();
        var failing = new TrellisEngine(new FailingStore(f.Store, commitsBeforeFailure: 1), f.Time);

        var result = await failing.ExecuteAsync(new Upgrade("b", "v1.30.0"));

        Assert.True(result.Applied);
        Assert.True(result.HasErrors);
        var finding = Assert.Single(result.Findings);
        Assert.Equal(("UpgradeInterrupted", "cluster", Contracts.Severity.Error), (finding.Code, finding.Path, finding.Severity));
        Assert.Contains("simulated crash", finding.Message, StringComparison.Ordinal);
        Assert.Contains("Written: 1 of its VM steps", finding.Message, StringComparison.Ordinal);
        Assert.Contains("Upgrade cluster 'b' to v1.30.0 again", finding.Hint, StringComparison.Ordinal);
        var halfway = await f.Engine.ReadAsync();
        Assert.Equal(halfway.Revision, result.Revision);
        Assert.Equal(before.Revision + 1, result.Revision);
        var step = Assert.Single(result.UpgradeSteps);
        Assert.Single(halfway.Upgrades);
        Assert.All(step.Add, a => Assert.Contains(halfway.Allocations, h => h.Pool.ToString() == a.Pool && h.Address == a.Address && h.Owner.ToString() == a.Owner));
        Assert.Empty(result.Changes);
        Assert.Equal("v1.29.4", halfway.Spec!.Clusters.Single(c => c.Name == "b").KubernetesVersion);
        EngineFixture.AssertNoAddressTwice(halfway.Allocations);

        var resumed = await f.Engine.ExecuteAsync(new Upgrade("b", "v1.30.0"));

        Assert.True(resumed.Applied, string.Join("\n", resumed.Findings));
        Assert.False(resumed.HasErrors);
        // b has 1 control plane, 1 load balancer and 3 workers, two steps each: the first was written before the failure.
        Assert.Equal(9, resumed.UpgradeSteps.Count);
        Assert.DoesNotContain(resumed.UpgradeSteps, s => s.Description == step.Description);
        var after = await f.Engine.ReadAsync();
        Assert.Equal("v1.30.0", after.Spec!.Clusters.Single(c => c.Name == "b").KubernetesVersion);
        Assert.Empty(after.Upgrades);
        Assert.Equal(before.Allocations.Count, after.Allocations.Count);
        EngineFixture.AssertNoAddressTwice(after.Allocations);
    }

    [Fact]
    public async Task Upgrade_InterruptedAfterAnyStep_ReportsEveryStepWritten_AndResumes()
    {
        for (var crashAfter = 1; crashAfter <= 9; crashAfter += 2)
        {
            await using var f = new EngineFixture();
            await f.Engine.ApplyAsync(EngineFixture.Example("worked-example.yaml"));
            var before = await f.Engine.ReadAsync();
            var crashing = new TrellisEngine(new FailingStore(f.Store, crashAfter), f.Time);

            var result = await crashing.ExecuteAsync(new Upgrade("b", "v1.30.0"));

            Assert.True(result.Applied);
            Assert.Equal("UpgradeInterrupted", Assert.Single(result.Findings).Code);
            Assert.Equal(crashAfter, result.UpgradeSteps.Count);
            var halfway = await f.Engine.ReadAsync();
            Assert.Equal(halfway.Revision, result.Revision);
            Assert.Single(halfway.Upgrades);
            EngineFixture.AssertNoAddressTwice(halfway.Allocations);
            var blocked = await f.Engine.ApplyAsync(EngineFixture.Example("worked-example.yaml"));
            var inProgress = Assert.Single(blocked.Findings, x => x.Code == "UpgradeInProgress");
            Assert.Equal("spec.clusters[1]", inProgress.Path);

            var resumed = await f.Engine.ExecuteAsync(new Upgrade("b", "v1.30.0"));

            Assert.True(resumed.Applied, string.Join("\n", resumed.Findings));
            Assert.Equal(10 - crashAfter, resumed.UpgradeSteps.Count);
            var after = await f.Engine.ReadAsync();
            Assert.Equal(before.Allocations.Count, after.Allocations.Count);
            Assert.Equal("v1.30.0", after.Spec!.Clusters.Single(c => c.Name == "b").KubernetesVersion);
            EngineFixture.AssertNoAddressTwice(after.Allocations);
        }
    }

    [Fact]
    public async Task Upgrade_StoreFailingAtItsFirstTransaction_WritesNothing_AndSaysSoAsAStoreFailure()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Example("worked-example.yaml"));
        var before = await f.Engine.ReadAsync();
        var failing = new TrellisEngine(new FailingStore(f.Store, commitsBeforeFailure: 0), f.Time);

        var thrown = await Assert.ThrowsAsync<StoreException>(() => failing.ExecuteAsync(new Upgrade("b", "v1.30.0")));

        Assert.Equal(FailureKind.Store, EngineFailures.Classify(thrown));
        var after = await f.Engine.ReadAsync();
        Assert.Equal(before.Revision, after.Revision);
        Assert.Empty(after.Upgrades);
    }

    [Fact]
    public async Task Upgrade_ConflictsOutlastingTheRetriesAfterAStep_ReportUpgradeInterrupted()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Example("worked-example.yaml"));
        var busy = new TrellisEngine(new FailingStore(f.Store, commitsBeforeFailure: 2, conflict: true), f.Time, () => 0) { MaxAttempts = 3 };

        var result = await busy.ExecuteAsync(new Upgrade("b", "v1.30.0"));

        Assert.True(result.Applied);
        var finding = Assert.Single(result.Findings);
        Assert.Equal("UpgradeInterrupted", finding.Code);
        Assert.Contains("other writers won every retry", finding.Message, StringComparison.Ordinal);
        Assert.Equal(2, result.UpgradeSteps.Count);
        var halfway = await f.Engine.ReadAsync();
        Assert.Equal(halfway.Revision, result.Revision);
        Assert.Single(halfway.Upgrades);

        Assert.True((await f.Engine.ExecuteAsync(new Upgrade("b", "v1.30.0"))).Applied);
        Assert.Empty((await f.Engine.ReadAsync()).Upgrades);
    }

    /// <summary>The apply's first transaction writes the spec (b's workers scaled down, its old version); the next ones roll b.</summary>
    [Theory]
    [InlineData(1, 0)]
    [InlineData(3, 2)]
    public async Task ApplyRaisingAVersion_StoreFailingAfterTheSpecIsWritten_ReportsTheSpecAndTheStepsWritten_AndTheUpgradeThenFinishes(int commits, int steps)
    {
        await using var f = new EngineFixture();
        var spec = EngineFixture.Example("worked-example.yaml");
        await f.Engine.ApplyAsync(spec);
        var failing = new TrellisEngine(new FailingStore(f.Store, commitsBeforeFailure: commits), f.Time);

        var result = await failing.ApplyAsync(Raised(spec, "b", "v1.30.0", workers: 2));

        Assert.True(result.Applied);
        var finding = Assert.Single(result.Findings);
        Assert.Equal(("UpgradeInterrupted", "spec.clusters[1].kubernetesVersion"), (finding.Code, finding.Path));
        Assert.Contains(steps == 0 ? "Written: everything before it. Not written: its VM steps" : $"Written: {steps} of its VM steps", finding.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("after it", finding.Message, StringComparison.Ordinal);
        Assert.Equal(steps, result.UpgradeSteps.Count);
        Assert.Contains(result.Changes, c => c is { Type: "nodepool", Name: "b/linuxpool" });
        Assert.NotEmpty(result.Allocations!.Removed);
        var written = await f.Engine.ReadAsync();
        Assert.Equal(written.Revision, result.Revision);
        var b = written.Spec!.Clusters.Single(c => c.Name == "b");
        Assert.Equal((2, "v1.29.4"), (b.NodePools[0].Count, b.KubernetesVersion));
        Assert.Equal(steps == 0 ? 0 : 1, written.Upgrades.Count);

        var upgraded = await f.Engine.ExecuteAsync(new Upgrade("b", "v1.30.0"));

        Assert.True(upgraded.Applied, string.Join("\n", upgraded.Findings));
        var after = await f.Engine.ReadAsync();
        Assert.Equal("v1.30.0", after.Spec!.Clusters.Single(c => c.Name == "b").KubernetesVersion);
        Assert.Empty(after.Upgrades);
        EngineFixture.AssertNoAddressTwice(after.Allocations);
    }

    [Fact]
    public async Task ApplyRaisingTwoVersions_InterruptedInTheFirst_NamesTheSecond_AndApplyingAgainFinishesIt()
    {
        await using var f = new EngineFixture();
        var spec = EngineFixture.Example("worked-example.yaml");
        await f.Engine.ApplyAsync(spec);
        var both = spec with { Clusters = spec.Clusters.Select(c => c with { KubernetesVersion = "v1.30.0" }).ToList() };
        // Nothing but versions changes: the first transaction is cluster a's first step, the second fails.
        var failing = new TrellisEngine(new FailingStore(f.Store, commitsBeforeFailure: 1), f.Time);

        var result = await failing.ApplyAsync(both);

        Assert.True(result.Applied);
        var finding = Assert.Single(result.Findings);
        Assert.Equal(("UpgradeInterrupted", "spec.clusters[0].kubernetesVersion"), (finding.Code, finding.Path));
        Assert.Contains("the upgrades of 'b' after it", finding.Message, StringComparison.Ordinal);
        Assert.Contains("Upgrade cluster 'a' to v1.30.0 again", finding.Hint, StringComparison.Ordinal);
        Assert.Contains("apply the same spec again", finding.Hint, StringComparison.Ordinal);
        Assert.Single(result.UpgradeSteps);

        Assert.True((await f.Engine.ExecuteAsync(new Upgrade("a", "v1.30.0"))).Applied);
        var again = await f.Engine.ApplyAsync(both);

        Assert.True(again.Applied, string.Join("\n", again.Findings));
        Assert.NotEmpty(again.UpgradeSteps);
        var after = await f.Engine.ReadAsync();
        Assert.All(after.Spec!.Clusters, c => Assert.Equal("v1.30.0", c.KubernetesVersion));
        Assert.Empty(after.Upgrades);
        EngineFixture.AssertNoAddressTwice(after.Allocations);
    }

    [Fact]
    public async Task AnInterruptedUpgrade_ReadsAsWrittenWithAnError_InTheOutcomeFrontEndsFormat()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Example("worked-example.yaml"));
        var failing = new TrellisEngine(new FailingStore(f.Store, commitsBeforeFailure: 2), f.Time);

        var outcome = Contracts.CommandOutcomes.Outcome(await failing.ExecuteAsync(new Upgrade("b", "v1.30.0")));

        Assert.True(outcome is { Applied: true, DryRun: false, HasErrors: true });
        Assert.Equal(2, outcome.UpgradeSteps.Count);
        Assert.Equal("UpgradeInterrupted", Assert.Single(outcome.Findings).Code);
    }
}
