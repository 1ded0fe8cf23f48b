using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using dotnet_etcd;

namespace Trellis.Storage.Etcd;

/// <summary>Makes the etcd client of a store: plain, or TLS with the given roots and client certificate, and authenticated when a user is given.</summary>
public static class EtcdClients
{
    /// <summary>How long an authentication token is used before the client asks for a new one: under etcd's default token TTL (300 s).</summary>
    private static readonly TimeSpan TokenReuse = TimeSpan.FromMinutes(4);

    /// <exception cref="StoreException">A certificate or key file is missing or is not PEM.</exception>
    public static EtcdClient Create(EtcdStoreOptions options)
    {
        var security = options.Security;
        EtcdClient client;
        if (security.UseTls)
        {
            var roots = security.CaCertificateFile is { } ca ? LoadRoots(ca) : null;
            var identity = security.ClientCertificateFile is { } cert ? LoadIdentity(cert, security.ClientKeyFile!) : null;
            client = new EtcdClient(options.Endpoints, configureSslOptions: ssl =>
            {
                ssl.ApplicationProtocols = [SslApplicationProtocol.Http2];
                if (roots is not null)
                {
                    // Only these authorities sign the members' certificates; the host name is still checked.
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
            client = new EtcdClient(options.Endpoints);
        }

        if (security.Username is { } user)
        {
            client.SetCredentials(user, security.Password ?? "", TokenReuse);
        }

        return client;
    }

    private static X509Certificate2Collection LoadRoots(string path)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new StoreException($"The etcd CA certificate file '{path}' cannot be read as PEM certificates: {e.Message}", e);
        }

        return roots.Count > 0 ? roots : throw new StoreException($"The etcd CA certificate file '{path}' holds no PEM certificate.");
    }

    private static X509Certificate2 LoadIdentity(string certificate, string key)
    {
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(certificate, key);
            // A key loaded from PEM is ephemeral; TLS client authentication needs it in a form the platform can hand over.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new StoreException($"The etcd client certificate '{certificate}' with key '{key}' cannot be loaded: {e.Message} Both must be PEM files, the key unencrypted.", e);
        }
    }
}
