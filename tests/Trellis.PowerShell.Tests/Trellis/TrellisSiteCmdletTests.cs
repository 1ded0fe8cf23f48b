using Trellis.Engine;
using Trellis.TestSupport;

namespace Trellis.PowerShell.Tests.Trellis;

/// <summary>Import-TrellisSite and Export-TrellisSite: apply and export the YAML spec, -WhatIf writing nothing.</summary>
public sealed class TrellisSiteCmdletTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private ModuleHost Host => new(_temp.Path);

    private static string Example(string name) => Path.Combine(ExampleState.ExamplesDirectory, name);

    private static async Task<IReadOnlyList<Engine.Contracts.Allocation>> Allocations(string state)
    {
        await using var session = EngineSession.OpenSqlite(state, write: false);
        return (await session.Engine.ReadAllocationsAsync()).Allocations;
    }

    public static TheoryData<string> Examples => [.. ExampleState.Files];

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task ImportTrellisSite_TakesTheSameAllocationsAsTheEnginesApply(string example)
    {
        var expected = await Allocations(await ModuleTests.Applied(_temp.Path, example, "engine.db"));

        var run = Host.Run("Import-TrellisSite -StatePath module.db -Path $f", new Dictionary<string, object> { ["f"] = Example(example) }).Succeeded();

        var change = Assert.Single(run.Objects<TrellisSiteChange>());
        Assert.Equal(expected.Count, change.Added.Count);
        Assert.Equal(expected.Select(a => a.Key), (await Allocations(Path.Combine(_temp.Path, "module.db"))).Select(a => a.Key));
    }

    [Fact]
    public void ImportTrellisSite_WhatIf_WritesNothing_NotEvenAStateFile()
    {
        var run = Host.Run("Import-TrellisSite -StatePath plan.db -Path $f -WhatIf", new Dictionary<string, object> { ["f"] = Example("worked-example.yaml") }).Succeeded();

        Assert.Empty(run.Output);
        Assert.False(File.Exists(Path.Combine(_temp.Path, "plan.db")));
    }

    [Fact]
    public void ImportTrellisSite_TakesTheSpecFromThePipeline_AsTextOrAsAFile()
    {
        var text = Host.Run("Get-Content $f -Raw | Import-TrellisSite -StatePath text.db", new Dictionary<string, object> { ["f"] = Example("dhcp-site.yaml") }).Succeeded();
        var file = Host.Run("Get-Item $f | Import-TrellisSite -StatePath file.db", new Dictionary<string, object> { ["f"] = Example("dhcp-site.yaml") }).Succeeded();

        Assert.Equal("branch", Assert.Single(text.Objects<TrellisSiteChange>()).Site);
        Assert.Equal(text.Objects<TrellisSiteChange>()[0].Added.Select(a => (a.Key, a.Owner)), Assert.Single(file.Objects<TrellisSiteChange>()).Added.Select(a => (a.Key, a.Owner)));
    }

    [Fact]
    public void ImportTrellisSite_OfABadSpec_WritesItsFindings_AndNoState()
    {
        var run = Host.Run("'apiVersion: trellis/v1' | Import-TrellisSite -StatePath bad.db");

        Assert.Empty(run.Output);
        Assert.NotEmpty(run.Errors);
        Assert.Contains(run.Errors, e => e.FullyQualifiedErrorId.StartsWith("RequiredFieldMissing,", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(_temp.Path, "bad.db")));
    }

    [Fact]
    public async Task ImportTrellisSite_OfAnotherSite_IsSiteMismatch_AndChangesNothing()
    {
        var state = await ModuleTests.Applied(_temp.Path);
        var before = await Allocations(state);

        var run = Host.Run("Import-TrellisSite -StatePath $s -Path $f", new Dictionary<string, object> { ["s"] = state, ["f"] = Example("dhcp-site.yaml") });

        Assert.Contains(run.Errors, e => e.FullyQualifiedErrorId.StartsWith("SiteMismatch,", StringComparison.Ordinal));
        Assert.Equal(before, await Allocations(state));
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task ExportTrellisSite_ThenImportOnAnEmptyState_PlansTheSameAllocations_AndExportsTheSameText(string example)
    {
        var state = await ModuleTests.Applied(_temp.Path, example);

        var run = Host.Run("$y = Export-TrellisSite -StatePath $s; $y | Import-TrellisSite -StatePath copy.db | Out-Null; $y; Export-TrellisSite -StatePath copy.db",
            new Dictionary<string, object> { ["s"] = state }).Succeeded();

        Assert.Equal(2, run.Output.Count);
        Assert.Equal(run.Output[0].ToString(), run.Output[1].ToString());
        Assert.Equal((await Allocations(state)).Select(a => (a.Key, a.Owner)), (await Allocations(Path.Combine(_temp.Path, "copy.db"))).Select(a => (a.Key, a.Owner)));
    }

    [Fact]
    public async Task ExportTrellisSite_ToAFile_WritesIt_AndWhatIfWritesNothing()
    {
        var state = await ModuleTests.Applied(_temp.Path);

        Host.Run("Export-TrellisSite -StatePath $s -Path site.yaml -WhatIf", new Dictionary<string, object> { ["s"] = state }).Succeeded();
        Assert.False(File.Exists(Path.Combine(_temp.Path, "site.yaml")));
        var run = Host.Run("Export-TrellisSite -StatePath $s -Path site.yaml", new Dictionary<string, object> { ["s"] = state }).Succeeded();

        Assert.Equal(Path.Combine(_temp.Path, "site.yaml"), Assert.Single(run.Objects<FileInfo>()).FullName);
        var read = SiteSpecs.ReadFile(Path.Combine(_temp.Path, "site.yaml"));
        Assert.NotNull(read.Document);
        Assert.Equal("jane", read.Document.SiteName);
    }

    [Fact]
    public async Task ExportTrellisSite_ToAFolderThatDoesNotExist_IsAnErrorRecord_NotAnException()
    {
        var run = Host.Run("Export-TrellisSite -StatePath $s -Path nowhere/site.yaml", new Dictionary<string, object> { ["s"] = await ModuleTests.Applied(_temp.Path) });

        Assert.Equal("FileNotWritten", run.ErrorCode);
        Assert.Equal(System.Management.Automation.ErrorCategory.WriteError, run.Errors[0].CategoryInfo.Category);
    }

    [Fact]
    public void ExportTrellisSite_WithoutASite_IsNoSite()
    {
        Assert.Equal("NoSite", Host.Run("Export-TrellisSite -StatePath missing.db").ErrorCode);
    }
}
