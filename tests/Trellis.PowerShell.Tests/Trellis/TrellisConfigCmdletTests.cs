using Trellis.Engine;
using Trellis.TestSupport;

namespace Trellis.PowerShell.Tests.Trellis;

/// <summary>Export-TrellisConfig: the files `trellis render` makes, as objects or written as a tree; -WhatIf writing nothing.</summary>
public sealed class TrellisConfigCmdletTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private ModuleHost Host => new(_temp.Path);

    private static async Task<RenderAnswer> Render(string state, string[] components, string? cluster = null)
    {
        await using var session = EngineSession.OpenSqlite(state, write: false);
        return SiteViews.Render(await session.Engine.ReadAsync(), components, cluster, null);
    }

    [Fact]
    public async Task ExportTrellisConfig_WithoutAPath_WritesTheEnginesFilesAsObjects()
    {
        var state = await ModuleTests.Applied(_temp.Path, "contoso-multicluster.yaml");
        var expected = await Render(state, []);

        var run = Host.Run("Export-TrellisConfig -StatePath $s", new Dictionary<string, object> { ["s"] = state }).Succeeded();

        Assert.Equal(expected.Files.Select(f => (f.Path, f.Content)), run.Objects<TrellisRenderedFile>().Select(f => (f.Path, f.Content)));
    }

    [Fact]
    public async Task ExportTrellisConfig_ToAFolder_WritesTheTree_OnlyTheComponentsAndClusterAsked()
    {
        var state = await ModuleTests.Applied(_temp.Path);
        var expected = await Render(state, ["haproxy", "keepalived"], "a");

        var run = Host.Run("Export-TrellisConfig haproxy, keepalived -ClusterName a -Path out -StatePath $s", new Dictionary<string, object> { ["s"] = state }).Succeeded();

        Assert.NotEmpty(expected.Files);
        Assert.Equal(expected.Files.Select(f => Path.Combine(_temp.Path, "out", f.Path)), run.Objects<FileInfo>().Select(f => f.FullName));
        foreach (var file in expected.Files)
        {
            Assert.Equal(file.Content, File.ReadAllText(Path.Combine(_temp.Path, "out", file.Path)));
        }
    }

    [Fact]
    public async Task ExportTrellisConfig_WhatIf_WritesNothing()
    {
        var state = await ModuleTests.Applied(_temp.Path);

        Host.Run("Export-TrellisConfig -Path out -StatePath $s -WhatIf", new Dictionary<string, object> { ["s"] = state }).Succeeded();

        Assert.False(Directory.Exists(Path.Combine(_temp.Path, "out")));
    }

    [Fact]
    public async Task ExportTrellisConfig_IntoAFolderOfOtherFiles_IsOutputNotARenderTree_AndTouchesNothing()
    {
        var state = await ModuleTests.Applied(_temp.Path);
        Directory.CreateDirectory(Path.Combine(_temp.Path, "mine"));
        File.WriteAllText(Path.Combine(_temp.Path, "mine", "notes.txt"), "keep");

        var run = Host.Run("Export-TrellisConfig -Path mine -StatePath $s", new Dictionary<string, object> { ["s"] = state });

        Assert.Equal("OutputNotARenderTree", run.ErrorCode);
        Assert.Equal("-Path", run.Errors[0].TargetObject);
        Assert.Equal(["notes.txt"], Directory.GetFiles(Path.Combine(_temp.Path, "mine")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task ExportTrellisConfig_OfAComponentTheSiteLacks_IsTheEnginesFinding()
    {
        var state = await ModuleTests.Applied(_temp.Path);
        var expected = await Render(state, ["kea"]);

        var run = Host.Run("Export-TrellisConfig kea -StatePath $s", new Dictionary<string, object> { ["s"] = state });

        Assert.Empty(run.Output);
        Assert.Equal(expected.Findings.Where(f => f.Severity == Engine.Contracts.Severity.Error).Select(f => f.Code), run.Errors.Select(e => e.FullyQualifiedErrorId.Split(',')[0]));
    }

    [Fact]
    public void ExportTrellisConfig_OfAnUnknownComponent_IsAParameterError_ListingTheComponents()
    {
        var run = Host.Run("Export-TrellisConfig nginx");

        Assert.Equal("ParameterArgumentValidationError", run.ErrorCode);
        Assert.Contains("haproxy", run.Errors[0].Exception.Message, StringComparison.Ordinal);
    }
}
