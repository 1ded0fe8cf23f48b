using Trellis.Engine;
using Trellis.TestSupport;

namespace Trellis.Lab.Tests;

/// <summary>An example site applied through the Engine into a state file of its own, as 'trellis apply' stores it.</summary>
public sealed class StoredSite : IAsyncLifetime, IDisposable
{
    private readonly TempFolder folder = new();
    private bool disposed;

    public string StatePath => Path.Combine(folder.Path, "state.db");

    public SiteState State { get; private set; } = SiteState.Empty;

    public static async Task<StoredSite> ApplyAsync(string example)
    {
        var site = new StoredSite();
        await site.ApplyExampleAsync(example);
        return site;
    }

    public async Task ApplyExampleAsync(string example)
    {
        var read = SiteSpecs.ReadFile(Path.Combine(ExampleState.ExamplesDirectory, example));
        Assert.True(read.Document is not null, string.Join("\n", read.Findings));
        await using var session = EngineSession.OpenSqlite(StatePath, write: true);
        var applied = await session.Engine.ApplyAsync(read.Document!);
        Assert.True(applied.Applied, string.Join("\n", applied.Findings));
        State = await session.Engine.ReadAsync();
    }

    public Task InitializeAsync() => ApplyExampleAsync("worked-example.yaml");

    public Task DisposeAsync()
    {
        Dispose();
        return Task.CompletedTask;
    }

    /// <summary>xunit disposes a class fixture both ways; the folder goes once.</summary>
    public void Dispose()
    {
        if (!disposed)
        {
            disposed = true;
            folder.Dispose();
        }
    }
}
