using Trellis.Storage.Etcd;
using Trellis.TestSupport.Etcd;

namespace Trellis.Storage.Tests.Etcd;

/// <summary>One real 3-member etcd cluster for every etcd test class of the collection; each store takes its own key prefix.</summary>
public sealed class EtcdFixture : EtcdClusterFixture
{
    /// <summary>A store of a new, empty keyspace.</summary>
    public EtcdStateStore OpenNew(Func<EtcdStoreOptions, EtcdStoreOptions>? adjust = null) =>
        Open($"/trellis-tests/{Guid.NewGuid():N}/", adjust);

    /// <summary>A store of a new, empty keyspace whose requests pass through <paramref name="faults"/>.</summary>
    public EtcdStateStore OpenFaulty(EtcdFaultInjector faults, Func<EtcdStoreOptions, EtcdStoreOptions>? adjust = null)
    {
        var options = new EtcdStoreOptions { Endpoints = Cluster.Endpoints, KeyPrefix = $"/trellis-tests/{Guid.NewGuid():N}/" };
        options = adjust?.Invoke(options) ?? options;
        return EtcdStateStore.Open(options, new dotnet_etcd.EtcdClient(options.Endpoints, interceptors: [faults]));
    }

    /// <summary>A store of the keyspace <paramref name="prefix"/>, on its own connection.</summary>
    public EtcdStateStore Open(string prefix, Func<EtcdStoreOptions, EtcdStoreOptions>? adjust = null)
    {
        var options = new EtcdStoreOptions { Endpoints = Cluster.Endpoints, KeyPrefix = prefix };
        return EtcdStateStore.Open(adjust?.Invoke(options) ?? options);
    }
}

[CollectionDefinition(Name)]
public sealed class EtcdCollection : ICollectionFixture<EtcdFixture>
{
    public const string Name = "etcd";
}
