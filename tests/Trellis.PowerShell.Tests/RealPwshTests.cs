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

/// <summary>The AksHci walkthrough as a script file in a real pwsh, Import-Module Trellis by name, as an operator runs it.</summary>
public sealed class RealPwshAksHciTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task TheAksHciWalkthroughScript_WritesTheSiteOfItsSpec_AndListsWhatTheEngineStored()
    {
        var state = Path.Combine(_temp.Path, "rehearsal.db");

        var (exit, output, error) = Pwsh.Run(Path.Combine(AppContext.BaseDirectory, "scripts", "akshci-walkthrough.ps1"), _temp.Path, "-StatePath", state);

        Assert.True(exit == 0, $"pwsh exited {exit}:\n{output}\n{error}");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal((await AksHciNodePoolTests.Allocations(state)).Select(a => "allocation " + a), lines.Where(l => l.StartsWith("allocation ", StringComparison.Ordinal)));
        Assert.Contains("cluster holidays 172.16.255.2 5 linuxnodepool", lines);
        Assert.Contains("cluster mycluster 172.16.255.1 1 mycluster-linux,mycluster-windows,windowsnodepool", lines);
        Assert.Contains(lines, l => l.StartsWith("What if: Scale load balancer to 5 VMs", StringComparison.Ordinal));
        Assert.Contains("refused: DuplicateName,Trellis.PowerShell.NewAksHciClusterCommand", lines);
        await AksHciWalkthroughTests.AssertSameSite(state, _temp.Path, AksHciWalkthroughTests.WalkthroughSpec, sameAllocations: false);
    }
}
