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

    /// <summary>The example site <paramref name="example"/> with <paramref name="change"/> made to its text, applied.</summary>
    public static async Task<StoredSite> ApplyChangedAsync(string example, Func<string, string> change)
    {
        var site = new StoredSite();
        var path = Path.Combine(site.folder.Path, example);
        await File.WriteAllTextAsync(path, change(await File.ReadAllTextAsync(Path.Combine(ExampleState.ExamplesDirectory, example))));
        await site.ApplyFileAsync(path);
        return site;
    }

    /// <summary>The DHCP example without its VLAN: a lab of it runs on kernels without bridge VLAN filtering too.</summary>
    public static Task<StoredSite> DhcpWithoutVlanAsync() => ApplyChangedAsync("dhcp-site.yaml", text =>
    {
        var changed = System.Text.RegularExpressions.Regex.Replace(text, @"(?m)^\s*vlanID: 12\s*$\n", "");
        Assert.NotEqual(text, changed);
        return changed;
    });

    public Task ApplyExampleAsync(string example) => ApplyFileAsync(Path.Combine(ExampleState.ExamplesDirectory, example));

    private async Task ApplyFileAsync(string file)
    {
        var read = SiteSpecs.ReadFile(file);
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
