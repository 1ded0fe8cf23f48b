using Trellis.Storage.Sqlite;

namespace Trellis.Storage.Tests.Sqlite;

/// <summary>Random transaction sequences on SQLite match the in-memory model (<see cref="StateStoreModelTests"/>): each sequence a new file.</summary>
public sealed class SqliteStateStoreModelTests : StateStoreModelTests, IDisposable
{
    private readonly TempDirectory directory = new();

    public void Dispose() => directory.Dispose();

    protected override Task<IStateStore> OpenNewAsync() =>
        Task.FromResult<IStateStore>(SqliteStateStore.Open(directory.File($"{Guid.NewGuid():N}.db")));
}
