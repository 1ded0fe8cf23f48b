namespace Trellis.TestSupport.Etcd;

/// <summary>Addresses of sites on a test cluster, as <c>--store</c>, <c>-Store</c> and <c>TRELLIS_STORE</c> take them.</summary>
public static class EtcdSites
{
    /// <summary>The address of a new site of its own (nothing stored there yet) on <paramref name="cluster"/>.</summary>
    public static string NewSiteAddress(this EtcdCluster cluster, string prefix = "site") =>
        $"etcd://{string.Join(",", cluster.Members.Select(m => $"127.0.0.1:{m.ClientPort}"))}/{prefix}-{Guid.NewGuid().ToString("N")[..12]}";
}
