using Xunit;

namespace Trellis.TestSupport.Etcd;

/// <summary>
/// A real etcd cluster (3 members unless <see cref="Size"/> says otherwise) for the tests of one class or collection,
/// started before the first and removed after the last; <see cref="PrepareAsync"/> sets it up further (users, roles).
/// </summary>
public class EtcdClusterFixture : IAsyncLifetime
{
    public EtcdCluster Cluster { get; private set; } = null!;

    /// <summary>The members' client addresses as a store address names them: <c>127.0.0.1:PORT,…</c>.</summary>
    public string Members => string.Join(",", Cluster.Members.Select(m => $"127.0.0.1:{m.ClientPort}"));

    protected virtual int Size => 3;

    public async Task InitializeAsync()
    {
        Cluster = await EtcdCluster.StartAsync(Size).ConfigureAwait(false);
        await PrepareAsync().ConfigureAwait(false);
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The address of a new site of its own (nothing stored there yet), as <c>--store</c>, <c>-Store</c> and <c>TRELLIS_STORE</c> take it.</summary>
    public string NewSiteAddress(string prefix = "site") => $"etcd://{Members}/{prefix}-{Guid.NewGuid().ToString("N")[..12]}";

    protected virtual Task PrepareAsync() => Task.CompletedTask;
}
