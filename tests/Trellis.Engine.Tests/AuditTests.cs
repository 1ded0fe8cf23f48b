using System.Text;
using Trellis.Storage;

namespace Trellis.Engine.Tests;

/// <summary>The audit log: one entry per committed change, with who, when, what and the revision; read only when asked for.</summary>
public sealed class AuditTests
{
    [Fact]
    public async Task EveryCommittedChange_WritesOneEntry_WithItsRevisionActorAndPlan()
    {
        await using var f = new EngineFixture();
        var applied = await f.Engine.ApplyAsync(EngineFixture.Roomy(), new CommandOptions(Actor: "jane"));
        f.Time.Now = f.Time.Now.AddMinutes(5);
        var scaled = await f.Engine.ExecuteAsync(new ScaleNodePool("a", "linuxpool", 3), new CommandOptions(Actor: "joe"));
        await f.Engine.ExecuteAsync(new ScaleNodePool("a", "linuxpool", 3), new CommandOptions(Actor: "joe"));
        await f.Engine.PlanAsync(new ApplySpec(EngineFixture.Roomy()));

        var audit = await f.Engine.ReadAuditAsync();

        // The unchanged scale and the plan commit nothing, so they leave no entry.
        Assert.Equal(2, audit.Count);
        var (first, second) = (audit[0], audit[1]);
        Assert.Equal((applied.Revision, "jane", "apply", new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero)), (first.Revision, first.Actor, first.Command, first.Time));
        Assert.Equal(applied.Plan!.Added.Count, first.Added);
        Assert.Equal(0, first.Removed);
        Assert.StartsWith($"{applied.Changes.Count} added: +network mgmtvnet, +cluster a", first.Summary, StringComparison.Ordinal);

        Assert.Equal((scaled.Revision, "joe", "scale", f.Time.Now), (second.Revision, second.Actor, second.Command, second.Time));
        Assert.Equal(scaled.Plan!.Removed.Count, second.Removed);
        Assert.Equal("1 changed: ~nodepool a/linuxpool", second.Summary);
    }

    [Fact]
    public async Task TheLog_OutlivesADeletedSite()
    {
        await using var f = new EngineFixture();
        var spec = EngineFixture.Roomy();
        await f.Engine.ApplyAsync(spec);
        var deleted = await f.Engine.ExecuteAsync(new DeleteSite(spec.Name), new CommandOptions(Actor: "jane"));
        Assert.True(deleted.Applied, string.Join("\n", deleted.Findings));

        var audit = await f.Engine.ReadAuditAsync();

        Assert.Null((await f.Engine.ReadAsync()).Spec);
        Assert.Equal(["apply", "delete site"], audit.Select(e => e.Command));
        Assert.Equal(deleted.Revision, audit[^1].Revision);
        Assert.StartsWith($"site {spec.Name} deleted: ", audit[^1].Summary, StringComparison.Ordinal);
        Assert.Equal((await f.Engine.ReadAsync()).Revision, audit[^1].Revision);
    }

    [Fact]
    public async Task Last_GivesTheNewestEntries_OldestFirst()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Roomy());
        foreach (var count in new[] { 4, 3, 2 })
        {
            await f.Engine.ExecuteAsync(new ScaleNodePool("a", "linuxpool", count));
        }

        var all = await f.Engine.ReadAuditAsync();
        var last2 = await f.Engine.ReadAuditAsync(last: 2);

        Assert.Equal(4, all.Count);
        Assert.Equal(all.Select(e => e.Revision).Order(), all.Select(e => e.Revision));
        Assert.Equal(all.Skip(2), last2);
        Assert.Equal(all, await f.Engine.ReadAuditAsync(last: 10));
        Assert.Empty(await f.Engine.ReadAuditAsync(last: 0));
    }

    [Fact]
    public async Task Commands_DoNotReadTheLog_SoADamagedEntryStopsOnlyGetAudit()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Roomy());
        await f.Store.CommitAsync(new StoreTransaction([], [new TxnOperation.Put("audit/000000000001", Encoding.UTF8.GetBytes("{not json"))]));

        var scaled = await f.Engine.ExecuteAsync(new ScaleNodePool("a", "linuxpool", 4));

        Assert.True(scaled.Applied, string.Join("\n", scaled.Findings));
        Assert.NotNull((await f.Engine.ReadAsync()).Spec);
        var damaged = await Assert.ThrowsAsync<StoreException>(() => f.Engine.ReadAuditAsync());
        Assert.Contains("audit/000000000001", damaged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnEntryWrittenBeforeRevisionsWereRecorded_TakesItsKeysRevision()
    {
        await using var f = new EngineFixture();
        var old = """{"time":"2026-11-01T10:00:00+00:00","command":"apply","summary":"3 object changes","added":30,"removed":0}""";
        var put = await f.Store.CommitAsync(new StoreTransaction([], [new TxnOperation.Put("audit/000000000001", Encoding.UTF8.GetBytes(old))]));

        var entry = Assert.Single(await f.Engine.ReadAuditAsync());

        Assert.Equal(put.Revision, entry.Revision);
        Assert.Null(entry.Actor);
        Assert.Equal(("apply", "3 object changes", 30), (entry.Command, entry.Summary, entry.Added));
    }
}
