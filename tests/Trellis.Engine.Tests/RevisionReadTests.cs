using Trellis.Core.Model;

namespace Trellis.Engine.Tests;

/// <summary>ReadRevisionAsync: the revision every read carries, without the state; it moves with any writer's commit.</summary>
public sealed class RevisionReadTests
{
    [Fact]
    public async Task ReadRevision_IsZeroOnAnEmptyState_AndFollowsEveryCommit_AlsoAnotherSessions()
    {
        await using var fixture = new EngineFixture();
        Assert.Equal(0, await fixture.Engine.ReadRevisionAsync());

        await fixture.Engine.ExecuteAsync(new ApplySpec(new SpecDocument(EngineFixture.Roomy())));
        Assert.Equal((await fixture.Engine.ReadAsync()).Revision, await fixture.Engine.ReadRevisionAsync());

        // Another writer on the same file (another process would be the same): the held reader sees its commit.
        await using var reader = EngineSession.OpenSqlite(fixture.StatePath, write: false);
        var before = await reader.Engine.ReadRevisionAsync();
        await using (var other = EngineSession.OpenSqlite(fixture.StatePath, write: true))
        {
            await other.Engine.ExecuteAsync(new ScaleNodePool("a", "linuxpool", 4));
        }

        var after = await reader.Engine.ReadRevisionAsync();
        Assert.Equal(before + 1, after);
        Assert.Equal((await reader.Engine.ReadAsync()).Revision, after);
    }

    [Fact]
    public async Task WatchRevisions_YieldsTheCurrentRevisionThenAnotherSessionsCommit()
    {
        await using var fixture = new EngineFixture();
        await fixture.Engine.ExecuteAsync(new ApplySpec(new SpecDocument(EngineFixture.Roomy())));
        await using var feed = fixture.Engine.WatchRevisionsAsync(TimeSpan.FromMilliseconds(20)).GetAsyncEnumerator();
        Assert.True(await feed.MoveNextAsync());
        Assert.Equal(await fixture.Engine.ReadRevisionAsync(), feed.Current);

        await using (var other = EngineSession.OpenSqlite(fixture.StatePath, write: true))
        {
            await other.Engine.ExecuteAsync(new ScaleNodePool("a", "linuxpool", 4));
        }

        Assert.True(await feed.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal((await fixture.Engine.ReadAsync()).Revision, feed.Current);
    }
}
