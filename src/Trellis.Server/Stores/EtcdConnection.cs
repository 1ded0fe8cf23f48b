using dotnet_etcd;
using Trellis.Engine;

namespace Trellis.Server.Stores;

/// <summary>
/// The server's own connection to the etcd cluster of its store, for what is not a site's state: the list of sites, a site's
/// creation, the replicas' registrations. It connects as the store's sessions do (TLS roots, client certificate, user and
/// password); the password is never shown.
/// </summary>
public sealed class EtcdConnection : IDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    /// <exception cref="FleetStoreException">A certificate or key file cannot be read.</exception>
    public EtcdConnection(EtcdLocation location)
    {
        ArgumentNullException.ThrowIfNull(location);
        Location = location;
        Client = Connect(location);
    }

    public EtcdLocation Location { get; }

    public EtcdClient Client { get; }

    /// <summary>
    /// One request to etcd, with the store's time limit; a failure is a <see cref="FleetStoreException"/> naming the cluster and
    /// <paramref name="what"/> the server was doing.
    /// </summary>
    public async Task<T> CallAsync<T>(Func<CancellationToken, Task<T>> call, string what, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(RequestTimeout);
        try
        {
            return await call(limit.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.Cancelled } && !cancellationToken.IsCancellationRequested)
        {
            throw new FleetStoreException($"etcd ({Location.Endpoints}) did not answer in {RequestTimeout.TotalSeconds:0} s when asked to {what}.", e);
        }
        catch (Grpc.Core.RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new FleetStoreException($"etcd ({Location.Endpoints}) did not {what}: {e.Status.Detail} ({e.StatusCode}).", e);
        }
        catch (HttpRequestException e)
        {
            throw new FleetStoreException($"etcd ({Location.Endpoints}) did not {what}: {e.Message}", e);
        }
    }

    public void Dispose() => Client.Dispose();

    private static EtcdClient Connect(EtcdLocation location)
    {
        try
        {
            return location.Connect();
        }
        catch (Exception e) when (EngineFailures.Classify(e) == FailureKind.Store)
        {
            throw new FleetStoreException(e.Message, e);
        }
    }
}
