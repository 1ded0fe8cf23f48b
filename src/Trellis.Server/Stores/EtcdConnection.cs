using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
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
        EtcdClient client;
        if (location.UseTls)
        {
            var roots = location.CaCertificateFile is { } ca ? Load(ca, "CA certificate", path => { var c = new X509Certificate2Collection(); c.ImportFromPemFile(path); return c; }) : null;
            var identity = location.ClientCertificateFile is { } cert
                ? Load(cert, "client certificate", path =>
                {
                    using var pem = X509Certificate2.CreateFromPemFile(path, location.ClientKeyFile);
                    // A key read from PEM is ephemeral; TLS client authentication needs it in a form the platform can hand over.
                    return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
                })
                : null;
            client = new EtcdClient(location.Endpoints, configureSslOptions: ssl =>
            {
                ssl.ApplicationProtocols = [SslApplicationProtocol.Http2];
                if (roots is { Count: > 0 })
                {
                    var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
                    policy.CustomTrustStore.AddRange(roots);
                    ssl.CertificateChainPolicy = policy;
                }

                if (identity is not null)
                {
                    ssl.ClientCertificates = [identity];
                }
            });
        }
        else
        {
            client = new EtcdClient(location.Endpoints);
        }

        if (location.Username is { } user)
        {
            client.SetCredentials(user, location.Password ?? "", TimeSpan.FromMinutes(4));
        }

        return client;
    }

    private static T Load<T>(string path, string what, Func<string, T> load)
    {
        try
        {
            return load(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new FleetStoreException($"The etcd {what} '{path}' cannot be read as PEM: {e.Message}", e);
        }
    }
}
