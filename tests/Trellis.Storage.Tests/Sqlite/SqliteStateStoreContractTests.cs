using Trellis.Storage.Sqlite;

namespace Trellis.Storage.Tests.Sqlite;

/// <summary>The shared store behaviour (<see cref="StateStoreContractTests"/>) on SQLite: each store a new file.</summary>
public sealed class SqliteStateStoreContractTests : StateStoreContractTests, IDisposable
{
    private readonly TempDirectory directory = new();

    protected override int Writers => 8;

    public void Dispose() => directory.Dispose();

    protected override Task<IStateStore> OpenNewAsync() =>
        Task.FromResult<IStateStore>(SqliteStateStore.Open(directory.File($"{Guid.NewGuid():N}.db")));

    protected override Task<IStateStore> OpenAgainAsync(IStateStore store) =>
        Task.FromResult<IStateStore>(SqliteStateStore.Open(((SqliteStateStore)store).FilePath));
}
