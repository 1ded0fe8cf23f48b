using Trellis.Engine;
using Trellis.TestSupport;

namespace Trellis.PowerShell.Tests;

/// <summary>
/// The module in a real pwsh, imported by name from the laid-out folder as a user would: the only place where its own
/// dependency context (deps/) and the native SQLite resolver run, since the hosted tests load the test's own copies.
/// </summary>
public sealed class RealPwshTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task ImportModuleTrellis_ListsTheSameAllocationsAsTheEngine_FromItsOwnDependencyFolder()
    {
        var state = await ModuleTests.Applied(_temp.Path);
        await using (var session = EngineSession.OpenSqlite(state, write: false))
        {
            var expected = (await session.Engine.ReadAllocationsAsync()).Allocations.Select(a => $"{a.Pool} {a.Address} {a.Owner}").ToList();

            var (exit, output, error) = Pwsh.Run(Path.Combine(AppContext.BaseDirectory, "scripts", "allocations.ps1"), _temp.Path, "-StatePath", state);

            Assert.True(exit == 0, $"pwsh exited {exit}:\n{output}\n{error}");
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.Equal(expected, lines.Take(expected.Count));
            var deps = Path.Combine(Pwsh.ModuleFolder, "Trellis", "deps");
            Assert.Contains("engine-context: Trellis.PowerShell dependencies", lines);
            Assert.Contains($"engine-file: {Path.Combine(deps, "Trellis.Engine.dll")}", lines);
            Assert.Contains(lines, l => l.StartsWith($"native: {Path.Combine(deps, "runtimes")}", StringComparison.Ordinal));
            Assert.Contains("error: UnknownCluster,Trellis.PowerShell.GetTrellisIpAllocationCommand", lines);
        }
    }
}
