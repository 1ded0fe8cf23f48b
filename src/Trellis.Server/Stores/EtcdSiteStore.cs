using System.Globalization;
using Etcdserverpb;
using Google.Protobuf;
using Trellis.Engine;

namespace Trellis.Server.Stores;

/// <summary>
/// The fleet on etcd: each site is the keyspace <c>&lt;root&gt;sites/&lt;name&gt;/</c> (where the CLI's
/// <c>--store etcd://…/&lt;name&gt;</c> keeps it), the fleet's own state <c>&lt;root&gt;fleet/</c>. A site is there when its
/// keyspace holds a key: <c>head</c> once something was committed, or <c>created</c>, which the server writes when it makes an
/// empty site. Listing asks one key per site (docs/etcd.md, "The server on etcd").
/// </summary>
internal sealed class EtcdSiteStore(EtcdConnection etcd, TimeProvider time) : ISiteStore
{
    /// <summary>The key the server writes in a site's keyspace when it makes the site empty: the time it was made.</summary>
    public const string CreatedKey = "created";

    private readonly string _sites = etcd.Location.Root + "sites/";

    public string Describe => $"etcd {etcd.Location}";

    public async Task<IReadOnlyList<string>> NamesAsync(CancellationToken cancellationToken)
    {
        var names = new List<string>();
        var end = ByteString.CopyFromUtf8(After(_sites));
        var from = ByteString.CopyFromUtf8(_sites);
        while (true)
        {
            var request = new RangeRequest { Key = from, RangeEnd = end, Limit = 1, KeysOnly = true };
            var response = await etcd.CallAsync(ct => etcd.Client.GetAsync(request, cancellationToken: ct), "list the sites", cancellationToken).ConfigureAwait(false);
            if (response.Kvs.Count == 0)
            {
                return [.. names.Order(StringComparer.Ordinal)];
            }

            var rest = response.Kvs[0].Key.ToStringUtf8()[_sites.Length..];
            var name = rest.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0 ? rest[..slash] : rest;
            if (Fleet.IsValidName(name))
            {
                names.Add(name);
            }

            // Past every key of this site: '0' is the character after '/'.
            from = ByteString.CopyFromUtf8(_sites + name + "0");
        }
    }

    public async Task<bool> ExistsAsync(string name, CancellationToken cancellationToken)
    {
        var prefix = etcd.Location.SitePrefix(name);
        var request = new RangeRequest { Key = ByteString.CopyFromUtf8(prefix), RangeEnd = ByteString.CopyFromUtf8(After(prefix)), Limit = 1, KeysOnly = true };
        var response = await etcd.CallAsync(ct => etcd.Client.GetAsync(request, cancellationToken: ct), $"read whether site '{name}' is there", cancellationToken).ConfigureAwait(false);
        return response.Kvs.Count > 0;
    }

    public async Task<bool> CreateAsync(string name, CancellationToken cancellationToken)
    {
        var prefix = etcd.Location.SitePrefix(name);
        var request = new TxnRequest();
        // No key in the keyspace at all: a range compare holds for every key in it, and for none.
        request.Compare.Add(new Compare
        {
            Key = ByteString.CopyFromUtf8(prefix),
            RangeEnd = ByteString.CopyFromUtf8(After(prefix)),
            Target = Compare.Types.CompareTarget.Version,
            Result = Compare.Types.CompareResult.Equal,
            Version = 0,
        });
        request.Success.Add(new RequestOp
        {
            RequestPut = new PutRequest { Key = ByteString.CopyFromUtf8(prefix + CreatedKey), Value = ByteString.CopyFromUtf8(time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture)) },
        });
        var response = await etcd.CallAsync(ct => etcd.Client.TransactionAsync(request, cancellationToken: ct), $"create site '{name}'", cancellationToken).ConfigureAwait(false);
        return response.Succeeded;
    }

    /// <summary>A session on the server's one connection: a request opens no channel, TLS handshake or sign-in of its own.</summary>
    public EngineSession Open(string name, bool write, TimeProvider time) => EngineSession.OpenEtcd(etcd.Location, etcd.Location.SitePrefix(name), time, etcd.Client);

    public EngineSession OpenFleet(bool write, TimeProvider time) => EngineSession.OpenEtcd(etcd.Location, etcd.Location.FleetPrefix, time, etcd.Client);

    /// <summary>In the site's keyspace, beside its state (which is under <c>kv/</c>): a cluster's manifests are the site's and go with it.</summary>
    public string ManifestsName(string site, string cluster) => $"{etcd.Location.SitePrefix(site)}manifests/{cluster}";

    public async Task<byte[]?> ReadManifestsAsync(string site, string cluster, CancellationToken cancellationToken)
    {
        var request = new RangeRequest { Key = ByteString.CopyFromUtf8(ManifestsName(site, cluster)) };
        var response = await etcd.CallAsync(ct => etcd.Client.GetAsync(request, cancellationToken: ct), $"read the manifests of cluster '{cluster}' of site '{site}'", cancellationToken).ConfigureAwait(false);
        return response.Kvs.Count == 0 ? null : response.Kvs[0].Value.ToByteArray();
    }

    public async Task WriteManifestsAsync(string site, string cluster, byte[] json, CancellationToken cancellationToken)
    {
        var request = new PutRequest { Key = ByteString.CopyFromUtf8(ManifestsName(site, cluster)), Value = ByteString.CopyFrom(json) };
        await etcd.CallAsync(ct => etcd.Client.PutAsync(request, cancellationToken: ct), $"store the manifests of cluster '{cluster}' of site '{site}'", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One etcd request carries at most 1.5 MiB by default (<c>--max-request-bytes</c>): 1 MiB of manifests leaves room.</summary>
    public long MaxManifestBytes => 1024 * 1024;

    /// <summary>The end of the key range of <paramref name="prefix"/> (which ends in '/'): the same text ending in '0'.</summary>
    private static string After(string prefix) => prefix[..^1] + "0";
}
