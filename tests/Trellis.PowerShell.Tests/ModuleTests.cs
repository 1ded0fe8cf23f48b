using System.Management.Automation;
using Trellis.Engine;
using Trellis.TestSupport;

namespace Trellis.PowerShell.Tests;

/// <summary>The module as a whole: manifest, loading, state location, errors, help and views.</summary>
[Collection(ProcessEnvironment.Name)]
public sealed class ModuleTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private ModuleHost Host => new(_temp.Path);

    internal static async Task<string> Applied(string folder, string example = "worked-example.yaml", string file = "state.db")
    {
        var path = Path.Combine(folder, file);
        var read = SiteSpecs.ReadFile(Path.Combine(ExampleState.ExamplesDirectory, example));
        await using var session = EngineSession.OpenSqlite(path, write: true);
        var result = await session.Engine.ApplyAsync(read.Document!);
        Assert.True(result.Applied, string.Join("\n", result.Findings));
        return path;
    }

    [Fact]
    public async Task GetTrellisIpAllocation_WritesTheStoredAllocationsAsTypedObjects_TheSameAsTheEngineLists()
    {
        var state = await Applied(_temp.Path);
        await using var session = EngineSession.OpenSqlite(state, write: false);
        var expected = await session.Engine.ReadAllocationsAsync("a");

        var run = Host.Run("Get-TrellisIpAllocation -StatePath $s -ClusterName a", new Dictionary<string, object> { ["s"] = state }).Succeeded();

        var objects = run.Objects<TrellisIpAllocation>();
        Assert.Equal(expected.Allocations.Select(a => (a.Pool, a.Address, a.Owner)), objects.Select(a => (a.Pool, a.Address, a.Owner)));
        Assert.All(objects, o => Assert.Equal(expected.Revision, o.Revision));
    }

    [Fact]
    public async Task TheStatePath_IsRelativeToPowerShellsLocation_ThenTrellisState_ThenTheCliDefault()
    {
        Directory.CreateDirectory(Path.Combine(_temp.Path, "site", ".trellis"));
        await Applied(Path.Combine(_temp.Path, "site", ".trellis"));
        await Applied(_temp.Path, "dhcp-site.yaml", "branch.db");

        var relative = Host.Run("Set-Location site; (Get-TrellisIpAllocation -StatePath .trellis/state.db).Count").Succeeded();
        var byDefault = Host.Run("Set-Location site; (Get-TrellisIpAllocation).Count").Succeeded();
        var byVariable = Host.Run("$env:TRELLIS_STATE = 'branch.db'; (Get-TrellisIpAllocation | Where-Object Owner -like '*edge*').Count").Succeeded();

        Assert.True((int)relative.Output[0].BaseObject > 0);
        Assert.Equal(relative.Output[0].BaseObject, byDefault.Output[0].BaseObject);
        Assert.True((int)byVariable.Output[0].BaseObject > 0, "TRELLIS_STATE names the DHCP site, whose cluster is edge");
    }

    [Fact]
    public void AMissingStateFile_IsTheNoSiteErrorRecord_NotAnException()
    {
        var run = Host.Run("Get-TrellisIpAllocation -StatePath missing.db");

        Assert.Empty(run.Output);
        var error = Assert.Single(run.Errors);
        Assert.Equal("NoSite,Trellis.PowerShell.GetTrellisIpAllocationCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.False(string.IsNullOrEmpty(error.ErrorDetails.RecommendedAction));
        Assert.False(File.Exists(Path.Combine(_temp.Path, "missing.db")), "reading creates no state file");
    }

    [Fact]
    public void AFileThatIsNotAStateFile_IsATerminatingStoreError_NamingThePath()
    {
        File.WriteAllText(Path.Combine(_temp.Path, "notes.db"), "these are not the droids");

        var run = Host.Run("Get-TrellisIpAllocation -StatePath notes.db");

        var error = Assert.Single(run.Errors);
        Assert.Equal("StoreError", error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(ErrorCategory.ReadError, error.CategoryInfo.Category);
        Assert.Contains("notes.db", error.Exception.Message, StringComparison.Ordinal);
        Assert.Equal("these are not the droids", File.ReadAllText(Path.Combine(_temp.Path, "notes.db")));
    }

    [Fact]
    public void AnEmptyTrellisState_IsAClearError()
    {
        var run = Host.Run("$env:TRELLIS_STATE = ''; Get-TrellisIpAllocation");

        Assert.Equal("EmptyStatePath", run.ErrorCode);
    }

    [Fact]
    public void EveryExportedCmdlet_HasHelpWithAnExample_AndTheManifestExportsEveryCmdletOfTheAssembly()
    {
        var declared = typeof(TrellisCmdlet).Assembly.GetTypes()
            .Select(t => t.GetCustomAttributes(typeof(CmdletAttribute), false).OfType<CmdletAttribute>().FirstOrDefault())
            .OfType<CmdletAttribute>().Select(a => $"{a.VerbName}-{a.NounName}").Order(StringComparer.Ordinal).ToList();

        var run = Host.Run("(Get-Command -Module Trellis).Name | Sort-Object").Succeeded();
        Assert.Equal(declared, run.Output.Select(o => o.ToString()));

        foreach (var name in declared)
        {
            var help = Host.Run($"Get-Help {name} -Full | Out-String").Succeeded();
            var text = help.Output[0].ToString();
            Assert.True(text.Contains("EXAMPLE 1", StringComparison.OrdinalIgnoreCase) || text.Contains("Example 1", StringComparison.Ordinal),
                $"{name} has no example in its help:\n{text}");
            Assert.DoesNotContain("Get-Help cannot find the Help files", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TheFormatViews_ShowAllocationsAsATable()
    {
        var run = Host.Run("(Get-FormatData -TypeName Trellis.PowerShell.TrellisIpAllocation).FormatViewDefinition[0].Control.GetType().Name").Succeeded();

        Assert.Equal("TableControl", run.Output[0].ToString());
    }
}

/// <summary>
/// Tests that set $env:TRELLIS_STATE change the test process's environment, which every hosted runspace reads: they run alone,
/// after the others, so that no other test resolves its state through their value.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironment
{
    public const string Name = "process environment";
}
