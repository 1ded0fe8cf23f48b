using static Trellis.Storage.Tests.StoreText;

namespace Trellis.Storage.Tests.Etcd;

/// <summary>Members of the cluster killed (SIGKILL) and restarted under load: no acknowledged commit is lost, and work goes on.</summary>
[Collection(EtcdCollection.Name)]
public sealed class EtcdFaultTests(EtcdFixture etcd)
{
    [Fact]
    public async Task Commit_WhileTheLeaderIsKilledAndRestarted_KeepsEveryAcknowledgedCommit()
    {
        await using var store = etcd.OpenNew();
        var acknowledged = new List<string>();
        var unknown = 0;
        var leader = await etcd.Cluster.LeaderAsync();
        using var started = new SemaphoreSlim(0);
        var writing = Task.Run(async () =>
        {
            for (var i = 0; i < 200; i++)
            {
                var key = $"alloc/vip/{i:D4}";
                try
                {
                    var result = await store.CommitAsync(Ops(Create(key, "owner")));
                    Assert.True(result.Succeeded, $"{key} conflicted with nothing: {result}");
                    acknowledged.Add(key);
                }
                catch (StoreException)
                {
                    unknown++;
                }

                if (i == 20)
                {
                    started.Release();
                }
            }
        });

        await started.WaitAsync(TimeSpan.FromSeconds(60));
        await leader.KillAsync();
        await Task.Delay(1000);
        leader.Start();
        await writing;
        await etcd.Cluster.WaitHealthyAsync(TimeSpan.FromSeconds(30));

        var keys = (await store.ReadAsync("alloc/vip/")).Items.Select(i => i.Key).ToHashSet();
        Assert.All(acknowledged, key => Assert.Contains(key, keys));
        Assert.True(acknowledged.Count >= 190, $"Only {acknowledged.Count} of 200 commits were acknowledged ({unknown} failed) around the leader's loss.");
    }
}
