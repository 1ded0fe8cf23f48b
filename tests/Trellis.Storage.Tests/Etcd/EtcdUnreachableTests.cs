using Trellis.Storage.Etcd;
using Trellis.TestSupport.Etcd;
using static Trellis.Storage.Tests.StoreText;

namespace Trellis.Storage.Tests.Etcd;

/// <summary>
/// When no member answers, the store says so — the endpoints and the time each attempt had — and says "nothing was written"
/// only where it is true: a commit whose last transaction may have reached etcd may or may not have been written.
/// </summary>
[Collection(EtcdCollection.Name)]
public sealed class EtcdUnreachableTests(EtcdFixture etcd)
{
    private static EtcdStoreOptions Quick(string endpoints) => new()
    {
        Endpoints = endpoints,
        KeyPrefix = $"/trellis-tests/{Guid.NewGuid():N}/",
        RequestTimeout = TimeSpan.FromSeconds(1),
        Attempts = 2,
        LockWait = TimeSpan.FromSeconds(2),
    };

    [Fact]
    public async Task Store_OnAPortNothingListensOn_SaysNoMemberAnswered()
    {
        var endpoint = $"http://127.0.0.1:{EtcdCluster.FreePorts(1)[0]}";

        await AssertUnreachableAsync(endpoint);
    }

    [Fact]
    public async Task Store_OnAClusterWhoseMembersAreAllStopped_SaysNoMemberAnswered()
    {
        try
        {
            foreach (var member in etcd.Cluster.Members)
            {
                await member.KillAsync();
            }

            await AssertUnreachableAsync(etcd.Cluster.Endpoints);
        }
        finally
        {
            foreach (var member in etcd.Cluster.Members.Where(m => !m.IsRunning))
            {
                member.Start();
            }

            await etcd.Cluster.WaitHealthyAsync(TimeSpan.FromSeconds(30));
        }
    }

    private static async Task AssertUnreachableAsync(string endpoints)
    {
        await using var store = EtcdStateStore.Open(Quick(endpoints));
        var unreachable = $"etcd did not answer at {endpoints}: ";

        var read = await Assert.ThrowsAsync<StoreException>(() => store.ReadAsync("alloc/"));
        Assert.StartsWith(unreachable, read.Message, StringComparison.Ordinal);
        Assert.Contains("each given 1 s", read.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed.", read.Message, StringComparison.Ordinal);

        var revision = await Assert.ThrowsAsync<StoreException>(() => store.ReadRevisionAsync());
        Assert.StartsWith(unreachable, revision.Message, StringComparison.Ordinal);

        // A small commit's one transaction may have reached a member before it failed: its outcome is not known.
        var small = await Assert.ThrowsAsync<StoreException>(() => store.CommitAsync(Ops(Create("alloc/vip/10.0.0.5"))));
        Assert.Contains(endpoints, small.Message, StringComparison.Ordinal);
        Assert.Contains("may or may not have been written", small.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("othing was", small.Message, StringComparison.Ordinal);

        // A commit that writes nothing, and a large commit that fails before its lock: nothing was written, and no other writer is blamed.
        var nothing = await Assert.ThrowsAsync<StoreException>(() => store.CommitAsync(When([At("site/generation", 0)])));
        Assert.StartsWith(unreachable, nothing.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed.", nothing.Message, StringComparison.Ordinal);
        var large = await Assert.ThrowsAsync<StoreException>(() => store.CommitAsync(Ops([.. Enumerable.Range(0, 300).Select(i => Create($"alloc/node/{i:D5}"))])));
        Assert.StartsWith(unreachable, large.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing was written", large.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Another writer", large.Message, StringComparison.Ordinal);
    }
}
