namespace Trellis.Storage.Tests.Etcd;

/// <summary>Random transaction sequences on etcd match the in-memory model (<see cref="StateStoreModelTests"/>): each sequence a new key prefix.</summary>
[Collection(EtcdCollection.Name)]
public sealed class EtcdStateStoreModelTests(EtcdFixture etcd) : StateStoreModelTests
{
    // Each sequence is some hundred requests to a replicated cluster: fewer sequences than on SQLite.
    protected override int Iterations => 40;

    protected override Task<IStateStore> OpenNewAsync() => Task.FromResult<IStateStore>(etcd.OpenNew());
}
