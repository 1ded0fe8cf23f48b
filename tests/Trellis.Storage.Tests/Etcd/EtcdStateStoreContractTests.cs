using Trellis.Storage.Etcd;

namespace Trellis.Storage.Tests.Etcd;

/// <summary>The shared store behaviour (<see cref="StateStoreContractTests"/>) on a real 3-member etcd cluster: each store a new key prefix.</summary>
[Collection(EtcdCollection.Name)]
public sealed class EtcdStateStoreContractTests(EtcdFixture etcd) : StateStoreContractTests
{
    protected override Task<IStateStore> OpenNewAsync() => Task.FromResult<IStateStore>(etcd.OpenNew());

    protected override Task<IStateStore> OpenAgainAsync(IStateStore store) =>
        Task.FromResult<IStateStore>(etcd.Open(((EtcdStateStore)store).KeyPrefix));
}
