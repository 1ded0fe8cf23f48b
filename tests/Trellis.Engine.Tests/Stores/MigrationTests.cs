using Trellis.Engine.Contracts;
using Trellis.Storage;
using Trellis.TestSupport;
using Trellis.TestSupport.Etcd;

namespace Trellis.Engine.Tests.Stores;

public sealed class MigrationTests(EtcdClusterFixture etcd) : IClassFixture<EtcdClusterFixture>, IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _temp.Dispose();
    }

    private EtcdLocation NewSite() => Assert.IsType<EtcdLocation>(StoreLocation.Parse(etcd.NewSiteAddress(), "test", _ => null));

    private SqliteLocation NewFile() => new(Path.Combine(_temp.Path, $"{Guid.NewGuid():N}.db"));

    /// <summary>A site with some history: applied, scaled, a service added and deleted, a policy assigned.</summary>
    private static async Task BuildHistoryAsync(StoreLocation location)
    {
        await using var session = EngineSession.Open(location, write: true);
        var engine = session.Engine;
        Assert.True((await engine.ApplyAsync(new SpecDocument(EngineFixture.Roomy()))).Applied);
        Assert.True((await engine.ExecuteAsync(new ScaleNodePool("a", "linuxpool", 4))).Applied);
        Assert.True((await engine.ExecuteAsync(new AddService("a", "web", "shop", [443]))).Applied);
        Assert.True((await engine.ExecuteAsync(new AddService("a", "web", "cart", [443]))).Applied);
        Assert.True((await engine.ExecuteAsync(new DeleteService("a", "web", "shop"))).Applied);
        var (policies, read) = GovernanceFiles.ReadFile(Path.Combine(ExampleState.ExamplesDirectory, "governance", "policies.yaml"));
        Assert.True(policies is not null, string.Join("\n", read));
        Assert.True((await engine.ExecuteAsync(new ApplyGovernance(policies))).Applied);
    }

    private static async Task<(string? Spec, IReadOnlyList<Allocation> Allocations, IReadOnlyList<AuditEntry> Audit)> ExportAsync(StoreLocation location)
    {
        await using var session = EngineSession.Open(location, write: false);
        var state = await session.Engine.ReadAsync();
        return (SpecExport.Yaml(state).Yaml, (await session.Engine.ReadAllocationsAsync()).Allocations, await session.Engine.ReadAuditAsync());
    }

    private static void AssertSame((string? Spec, IReadOnlyList<Allocation> Allocations, IReadOnlyList<AuditEntry> Audit) expected,
        (string? Spec, IReadOnlyList<Allocation> Allocations, IReadOnlyList<AuditEntry> Audit) actual)
    {
        Assert.NotNull(actual.Spec);
        Assert.Equal(expected.Spec, actual.Spec);
        Assert.Equal(expected.Allocations, actual.Allocations);
        Assert.Equal(expected.Audit, actual.Audit);
    }

    private static async Task<MigrationResult> MigrateAsync(StoreLocation from, StoreLocation to)
    {
        await using var source = EngineSession.Open(from, write: false);
        await using var target = EngineSession.Open(to, write: true);
        return await StateMigration.MigrateAsync(source, target);
    }

    [Fact]
    public async Task Migrate_SqliteToEtcdAndBack_TheExportsAreTheSameEachWay()
    {
        var (first, onEtcd, back) = (NewFile(), NewSite(), NewFile());
        await BuildHistoryAsync(first);
        var exported = await ExportAsync(first);

        var there = await MigrateAsync(first, onEtcd);
        var onEtcdExport = await ExportAsync(onEtcd);
        var returned = await MigrateAsync(onEtcd, back);
        var backExport = await ExportAsync(back);

        Assert.Equal(6, exported.Audit.Count);
        Assert.Contains(there.Checks, c => c.Contains("assignments", StringComparison.Ordinal) && !c.StartsWith("0 policy definitions and 0", StringComparison.Ordinal));
        Assert.Equal(there.Items, returned.Items);
        AssertSame(exported, onEtcdExport);
        AssertSame(exported, backExport);

        Assert.Contains(there.Checks, c => c.Contains("items, byte for byte", StringComparison.Ordinal));
        Assert.Contains($"{exported.Allocations.Count} allocations", there.Checks);
        // The source is only read.
        AssertSame(exported, await ExportAsync(first));
    }

    [Fact]
    public async Task AfterMigratingToAStoreWithLowerRevisions_TheAuditLogKeepsEveryEntryInOrder()
    {
        // etcd's revisions count every key of the cluster: this site's entries are numbered far above a new state file's.
        var (onEtcd, file) = (NewSite(), NewFile());
        await BuildHistoryAsync(onEtcd);
        await MigrateAsync(onEtcd, file);

        await using (var session = EngineSession.Open(file, write: true))
        {
            for (var count = 5; count <= 8; count++)
            {
                Assert.True((await session.Engine.ExecuteAsync(new ScaleNodePool("a", "linuxpool", count), new CommandOptions(Actor: $"after-{count}"))).Applied);
            }
        }

        var audit = (await ExportAsync(file)).Audit;
        Assert.Equal(10, audit.Count);
        Assert.Equal(["after-5", "after-6", "after-7", "after-8"], audit.TakeLast(4).Select(e => e.Actor));
        Assert.Equal(audit.Select(e => e.Revision).Order(), audit.Select(e => e.Revision));
        Assert.Equal(audit.Count, audit.Select(e => e.Revision).Distinct().Count());
    }

    [Fact]
    public async Task Migrate_IntoAStoreThatHoldsSomething_CopiesNothing()
    {
        var (source, target) = (NewFile(), NewSite());
        await BuildHistoryAsync(source);
        await using (var session = EngineSession.Open(target, write: true))
        {
            Assert.True((await session.Engine.ApplyAsync(new SpecDocument(EngineFixture.Example("worked-example.yaml")))).Applied);
        }

        var before = await ExportAsync(target);
        var e = await Assert.ThrowsAsync<MigrationException>(() => MigrateAsync(source, target));

        Assert.Equal("MigrateTargetNotEmpty", e.Finding.Code);
        AssertSame(before, await ExportAsync(target));
    }

    [Fact]
    public async Task Migrate_FromAStoreThatHoldsNothing_IsRefused()
    {
        var e = await Assert.ThrowsAsync<MigrationException>(() => MigrateAsync(NewSite(), NewFile()));

        Assert.Equal("MigrateSourceEmpty", e.Finding.Code);
    }

    [Fact]
    public async Task Migrate_WhenAWriterChangesTheSourceDuringTheCopy_RemovesTheCopyAgain()
    {
        var (file, target) = (NewFile(), NewSite());
        await BuildHistoryAsync(file);
        await using var writer = EngineSession.Open(file, write: true);
        var store = new WriteDuringCopy(Storage.Sqlite.SqliteStateStore.OpenReadOnly(file.Path), () => writer.Engine.ExecuteAsync(new ScaleNodePool("a", "linuxpool", 6)));
        await using var source = EngineSession.Over(store);
        await using var copy = EngineSession.Open(target, write: true);

        var e = await Assert.ThrowsAsync<MigrationException>(() => StateMigration.MigrateAsync(source, copy));

        Assert.Equal("MigrateSourceChanged", e.Finding.Code);
        await using var check = EngineSession.Open(target, write: false);
        Assert.Empty((await check.Engine.ReadAllocationsAsync()).Allocations);
        Assert.Null((await check.Engine.ReadAsync()).SiteName);
    }

    [Fact]
    public async Task TheEngineOnEtcd_PlansWhatItPlansOnSqlite()
    {
        var (file, site) = (NewFile(), NewSite());
        foreach (var location in new StoreLocation[] { file, site })
        {
            await using var session = EngineSession.Open(location, write: true);
            Assert.True((await session.Engine.ApplyAsync(new SpecDocument(EngineFixture.Roomy()))).Applied);
            Assert.True((await session.Engine.ExecuteAsync(new AddService("b", "web", "shop", [80, 443]))).Applied);
        }

        var (onFile, onEtcd) = (await ExportAsync(file), await ExportAsync(site));
        Assert.Equal(onFile.Spec, onEtcd.Spec);
        Assert.Equal(onFile.Allocations, onEtcd.Allocations);
        Assert.Equal(onFile.Audit.Select(a => (a.Command, a.Summary, a.Added, a.Removed)), onEtcd.Audit.Select(a => (a.Command, a.Summary, a.Added, a.Removed)));
    }

    [Fact]
    public async Task Migrate_WhenTheCopyReadsBackDifferently_SaysSoAndRemovesIt()
    {
        var (file, copyFile) = (NewFile(), NewFile());
        await BuildHistoryAsync(file);
        await using var source = EngineSession.Open(file, write: false);
        await using var target = EngineSession.Over(new AlteredOnRead(Storage.Sqlite.SqliteStateStore.Open(copyFile.Path)), stateFile: copyFile.Path);

        var e = await Assert.ThrowsAsync<MigrationException>(() => StateMigration.MigrateAsync(source, target));

        Assert.Equal("MigrateVerifyFailed", e.Finding.Code);
        Assert.Contains("item 'alloc/", e.Message, StringComparison.Ordinal);
        await using var check = Storage.Sqlite.SqliteStateStore.OpenReadOnly(copyFile.Path);
        Assert.Empty((await check.ReadAsync([""])).Items);
    }

    /// <summary>A store that hands back the first allocation's value with one byte changed: a copy that did not survive.</summary>
    private sealed class AlteredOnRead(IStateStore inner) : IStateStore
    {
        public async Task<StoreSnapshot> ReadAsync(IReadOnlyList<string> prefixes, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(prefixes, cancellationToken);
            var first = read.Items.FirstOrDefault(i => i.Key.StartsWith("alloc/", StringComparison.Ordinal));
            return first is null ? read : read with { Items = [.. read.Items.Select(i => i == first ? i with { Value = [.. i.Value[..^1], (byte)(i.Value[^1] ^ 1)] } : i)] };
        }

        public Task<long> ReadRevisionAsync(CancellationToken cancellationToken = default) => inner.ReadRevisionAsync(cancellationToken);

        public Task<CommitResult> CommitAsync(StoreTransaction transaction, CancellationToken cancellationToken = default) => inner.CommitAsync(transaction, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    /// <summary>A source whose revision check first lets another writer commit: a change made while the copy ran.</summary>
    private sealed class WriteDuringCopy(IStateStore inner, Func<Task<CommandResult>> write) : IStateStore
    {
        public Task<StoreSnapshot> ReadAsync(IReadOnlyList<string> prefixes, CancellationToken cancellationToken = default) => inner.ReadAsync(prefixes, cancellationToken);

        public async Task<long> ReadRevisionAsync(CancellationToken cancellationToken = default)
        {
            Assert.True((await write()).Applied);
            return await inner.ReadRevisionAsync(cancellationToken);
        }

        public Task<CommitResult> CommitAsync(StoreTransaction transaction, CancellationToken cancellationToken = default) => inner.CommitAsync(transaction, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
