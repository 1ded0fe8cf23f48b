using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Trellis.Storage.Etcd;
using Trellis.TestSupport.Etcd;
using Xunit.Abstractions;
using static Trellis.Storage.Tests.StoreText;

namespace Trellis.Storage.Tests.Etcd;

/// <summary>Members of the cluster killed (SIGKILL) and restarted under load: no acknowledged commit is lost, and work goes on.</summary>
[Collection(EtcdCollection.Name)]
public sealed class EtcdFaultTests(EtcdFixture etcd, ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Commit_WhileTheLeaderIsKilledAndRestarted_KeepsEveryAcknowledgedCommit()
    {
        await using var store = etcd.OpenNew();
        var acknowledged = new List<string>();
        var unknown = 0;
        var leader = await etcd.Cluster.LeaderAsync();
        using var started = new SemaphoreSlim(0);
        using var progress = new SemaphoreSlim(0);
        var writing = Task.Run(async () =>
        {
            for (var i = 0; i < 200; i++)
            {
                var key = $"alloc/vip/{i:D4}";
                try
                {
                    var result = await store.CommitAsync(Ops(Create(key, "owner")));
                    Assert.True(result.Succeeded, $"{key} conflicted with nothing: {result}");
                    lock (acknowledged)
                    {
                        acknowledged.Add(key);
                    }

                    progress.Release();
                }
                catch (StoreException)
                {
                    Interlocked.Increment(ref unknown);
                }

                if (i == 20)
                {
                    started.Release();
                }
            }
        });

        Assert.True(await started.WaitAsync(Patience));
        await leader.KillAsync();
        int atKill;
        lock (acknowledged)
        {
            atKill = acknowledged.Count;
        }

        // Commits go on without the leader (a new one is elected) before it comes back.
        int beforeRestart;
        while (true)
        {
            lock (acknowledged)
            {
                beforeRestart = acknowledged.Count;
            }

            if (beforeRestart >= atKill + 20)
            {
                break;
            }

            Assert.True(await progress.WaitAsync(Patience), $"Only {beforeRestart - atKill} commits were acknowledged within {Patience.TotalSeconds} s of the leader's loss.");
        }

        leader.Start();
        await writing;
        await etcd.Cluster.WaitHealthyAsync(TimeSpan.FromSeconds(30));

        var keys = (await store.ReadAsync("alloc/vip/")).Items.Select(i => i.Key).ToHashSet();
        Assert.All(acknowledged, key => Assert.Contains(key, keys));
        Assert.InRange(beforeRestart - atKill, 20, 200);
        Assert.True(acknowledged.Count >= 190, $"Only {acknowledged.Count} of 200 commits were acknowledged ({unknown} failed) around the leader's loss.");
    }

    [Fact]
    public async Task Load_OneFollowerKilledAndBroughtBack_LosesNoAcknowledgedCommitAndTheMemberCatchesUp()
    {
        await using var load = await Load.StartAsync(etcd, writers: 4);
        await load.WaitForAsync(50);
        var leader = await etcd.Cluster.LeaderAsync();
        var follower = etcd.Cluster.Members.First(m => m != leader);

        await follower.KillAsync();
        var atKill = load.Acknowledged;
        await load.WaitForAsync(atKill + 100);
        follower.Start();
        await etcd.Cluster.WaitHealthyAsync(TimeSpan.FromSeconds(30));
        var atRestart = load.Acknowledged;
        await load.WaitForAsync(atRestart + 100);
        var outcome = await load.StopAsync();

        var state = await outcome.AssertNoAcknowledgedCommitLostAsync();
        output.WriteLine($"{outcome.Acknowledged.Count} commits acknowledged ({atRestart - atKill} with {follower.Name} down), {outcome.Unknown.Count} of unknown outcome.");
        Assert.True(atRestart - atKill >= 100, $"{atRestart - atKill} commits acknowledged while the follower was down.");

        // The restarted member alone (a serializable read: its own copy) holds exactly the state the cluster has.
        var copy = await ReadMemberCopyAsync(follower, outcome.Prefix, state.Revision);
        Assert.Equal(state.Items.Select(i => (i.Key, Text(i))), copy);
    }

    [Fact]
    public async Task Load_TheLeaderKilled_CommitsAreAcknowledgedUnderTheNewLeaderAndNoneIsLost()
    {
        await using var load = await Load.StartAsync(etcd, writers: 4);
        await load.WaitForAsync(50);
        var leader = await etcd.Cluster.LeaderAsync();

        await leader.KillAsync();
        var elected = await NewLeaderAsync(leader);
        var atElection = load.Acknowledged;
        await load.WaitForAsync(atElection + 100);
        var underNewLeader = load.Acknowledged - atElection;
        leader.Start();
        await etcd.Cluster.WaitHealthyAsync(TimeSpan.FromSeconds(30));
        var outcome = await load.StopAsync();

        await outcome.AssertNoAcknowledgedCommitLostAsync();
        output.WriteLine($"{outcome.Acknowledged.Count} commits acknowledged ({underNewLeader} under the new leader {elected.Name}), {outcome.Unknown.Count} of unknown outcome.");
        Assert.NotEqual(leader, elected);
        Assert.True(underNewLeader >= 100, $"{underNewLeader} commits acknowledged under the new leader before the old one came back.");
    }

    /// <summary>The leader the running members agree on once <paramref name="lost"/> is gone.</summary>
    private async Task<EtcdMember> NewLeaderAsync(EtcdMember lost)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                var leader = await etcd.Cluster.LeaderAsync();
                if (leader != lost)
                {
                    return leader;
                }
            }
            catch (Exception e) when (e is InvalidOperationException or Grpc.Core.RpcException && waited.Elapsed < Patience)
            {
                // No leader yet: the election is under way.
            }

            Assert.True(waited.Elapsed < Patience, $"No new leader within {Patience.TotalSeconds} s.");
            await Task.Delay(50);
        }
    }

    /// <summary>The keys and values of <paramref name="prefix"/> as <paramref name="member"/> alone holds them, once it has applied <paramref name="revision"/>.</summary>
    private static async Task<List<(string, string)>> ReadMemberCopyAsync(EtcdMember member, string prefix, long revision)
    {
        using var client = new EtcdClient(member.ClientUrl);
        var start = ByteString.CopyFromUtf8(prefix + "kv/");
        var request = new RangeRequest { Key = start, RangeEnd = ByteString.CopyFromUtf8(prefix + "kv0"), Serializable = true };
        var waited = System.Diagnostics.Stopwatch.StartNew();
        RangeResponse response;
        while ((response = await client.GetAsync(request)).Header.Revision < revision)
        {
            Assert.True(waited.Elapsed < Patience, $"Member {member.Name} is at revision {response.Header.Revision}, not {revision}, after {Patience.TotalSeconds} s.");
            await Task.Delay(50);
        }

        return [.. response.Kvs.Select(kv => (kv.Key.ToStringUtf8()[start.Length..], kv.Value.ToStringUtf8())).OrderBy(i => i.Item1, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Writers, each its own store instance (as separate processes would be), committing small commits in a loop: each creates
    /// two keys and puts the writer's last key, all with values of their own. Acknowledged commits, and those whose outcome
    /// the store could not tell (a <see cref="StoreException"/>), are kept to be checked against the state at the end.
    /// </summary>
    private sealed class Load : IAsyncDisposable
    {
        private readonly List<Task> writers = [];
        private readonly List<(int Writer, int Commit, long Revision)> acknowledged = [];
        private readonly List<(int Writer, int Commit, string Failure)> unknown = [];
        private readonly CancellationTokenSource stop = new();
        private readonly SemaphoreSlim progress = new(0);
        private readonly List<EtcdStateStore> stores = [];
        private int count;

        private Load(string prefix) => Prefix = prefix;

        public string Prefix { get; }

        public int Acknowledged => Volatile.Read(ref count);

        public static Task<Load> StartAsync(EtcdFixture etcd, int writers)
        {
            var first = etcd.OpenNew();
            var load = new Load(first.KeyPrefix);
            load.stores.Add(first);
            for (var i = 1; i < writers; i++)
            {
                load.stores.Add(etcd.Open(first.KeyPrefix));
            }

            foreach (var (store, writer) in load.stores.Select((s, i) => (s, i)))
            {
                load.writers.Add(Task.Run(() => load.WriteAsync(store, writer)));
            }

            return Task.FromResult(load);
        }

        /// <summary>Waits until <paramref name="target"/> commits in all are acknowledged.</summary>
        public async Task WaitForAsync(int target)
        {
            while (Acknowledged < target)
            {
                Assert.True(await progress.WaitAsync(Patience), $"The load stalled at {Acknowledged} acknowledged commits (waiting for {target}).");
            }
        }

        /// <summary>Stops the writers and returns what they were told.</summary>
        public async Task<Outcome> StopAsync()
        {
            await stop.CancelAsync();
            await Task.WhenAll(writers);
            return new Outcome(stores[0], [.. acknowledged], [.. unknown]);
        }

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            await Task.WhenAll(writers.Select(w => w.ContinueWith(_ => { }, TaskScheduler.Default)));
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }

            stop.Dispose();
            progress.Dispose();
        }

        private async Task WriteAsync(EtcdStateStore store, int writer)
        {
            for (var commit = 0; !stop.IsCancellationRequested; commit++)
            {
                try
                {
                    var result = await store.CommitAsync(Ops(
                        Create($"alloc/{writer}/{commit:D5}/a", $"{writer}.{commit}.a"),
                        Create($"alloc/{writer}/{commit:D5}/b", $"{writer}.{commit}.b"),
                        Put($"last/{writer}", $"{commit}")));
                    Assert.True(result.Succeeded, $"Writer {writer}'s commit {commit} conflicted: {result}");
                    lock (acknowledged)
                    {
                        acknowledged.Add((writer, commit, result.Revision));
                    }

                    Interlocked.Increment(ref count);
                    progress.Release();
                }
                catch (StoreException e)
                {
                    lock (acknowledged)
                    {
                        unknown.Add((writer, commit, e.Message));
                    }
                }
            }
        }
    }

    private sealed record Outcome(EtcdStateStore Store, List<(int Writer, int Commit, long Revision)> Acknowledged, List<(int Writer, int Commit, string Failure)> Unknown)
    {
        public string Prefix => Store.KeyPrefix;

        /// <summary>
        /// Every acknowledged commit's keys hold its values; every key present was written by an acknowledged commit or one
        /// whose outcome was not known; each writer's last key holds its last commit that is present. Returns the state.
        /// </summary>
        public async Task<StoreSnapshot> AssertNoAcknowledgedCommitLostAsync()
        {
            var state = await Store.ReadAsync("");
            var values = state.Items.ToDictionary(i => i.Key, Text);
            foreach (var (writer, commit, revision) in Acknowledged)
            {
                Assert.True(values.TryGetValue($"alloc/{writer}/{commit:D5}/a", out var a) && a == $"{writer}.{commit}.a", $"Writer {writer}'s acknowledged commit {commit} (revision {revision}) is missing.");
                Assert.Equal($"{writer}.{commit}.b", values[$"alloc/{writer}/{commit:D5}/b"]);
                Assert.InRange(revision, 1, state.Revision);
            }

            var written = Acknowledged.Select(c => (c.Writer, c.Commit)).Concat(Unknown.Select(c => (c.Writer, c.Commit))).ToHashSet();
            var present = state.Items.Where(i => i.Key.StartsWith("alloc/", StringComparison.Ordinal))
                .Select(i => i.Key.Split('/'))
                .Select(p => (int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture), int.Parse(p[2], System.Globalization.CultureInfo.InvariantCulture)))
                .ToHashSet();
            Assert.Empty(present.Except(written));
            foreach (var writer in Acknowledged.Select(c => c.Writer).Distinct())
            {
                Assert.Equal($"{present.Where(c => c.Item1 == writer).Max(c => c.Item2)}", values[$"last/{writer}"]);
            }

            Assert.True(Unknown.Count <= Acknowledged.Count / 10, $"{Unknown.Count} commits of unknown outcome against {Acknowledged.Count} acknowledged: {string.Join(" | ", Unknown.Take(3))}");
            return state;
        }
    }
}
