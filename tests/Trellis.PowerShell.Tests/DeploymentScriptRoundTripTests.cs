using System.Collections;
using Trellis.Engine;
using Trellis.TestSupport;

namespace Trellis.PowerShell.Tests;

/// <summary>
/// Export-TrellisDeploymentScript, and the round trip it promises: the script exported from a stored AksHci site, run in this
/// module against an empty state, plans the same allocations (pool, address, owner) and stores the same site.
/// </summary>
public sealed class DeploymentScriptRoundTripTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>A state file holding <paramref name="example"/>, applied by the Engine.</summary>
    private async Task<string> Stored(string example)
    {
        var path = Path.Combine(_temp.Path, "site.db");
        var read = SiteSpecs.Parse(await File.ReadAllTextAsync(Path.Combine(ExampleState.ExamplesDirectory, example)));
        await using var session = EngineSession.OpenSqlite(path, write: true);
        Assert.True((await session.Engine.ApplyAsync(read.Document!)).Applied);
        return path;
    }

    private static async Task<HashSet<string>> Allocations(string state) => [.. await AksHciNodePoolTests.Allocations(state)];

    [Theory]
    [InlineData("worked-example.yaml")]
    [InlineData("dhcp-site.yaml")]
    [InlineData("contoso-multicluster.yaml")]
    public async Task TheExportedScript_RunInTheModuleOnAnEmptyState_GivesTheSitesAllocationsAndSpec(string example)
    {
        var site = await Stored(example);
        var rehearsal = Path.Combine(_temp.Path, "rehearsal");
        Directory.CreateDirectory(rehearsal);
        var host = new ModuleHost(rehearsal);

        var export = host.Run("Export-TrellisDeploymentScript -StatePath $site -Path ./deploy-akshci.ps1", new Hashtable { ["site"] = site }).Succeeded();
        var run = host.Run("& ./deploy-akshci.ps1 | Out-Null").Succeeded();

        Assert.Equal(Path.Combine(rehearsal, "deploy-akshci.ps1"), Assert.Single(export.Objects<FileInfo>()).FullName);
        // Warnings only of the rules the site itself breaks (a shared VIP on a shared network, Flannel's retirement), none of the script's own.
        var siteWarnings = SiteSpecs.Validate(SiteSpecs.Parse(await File.ReadAllTextAsync(Path.Combine(ExampleState.ExamplesDirectory, example))).Document!)
            .Where(f => f.Severity == Engine.Contracts.Severity.Warning).Select(f => f.Code).ToHashSet();
        Assert.All(run.Warnings, w => Assert.Contains(w.Split(' ')[0], siteWarnings));
        var rebuilt = Path.Combine(rehearsal, ".trellis", "state.db");
        var (expected, actual) = (await Allocations(site), await Allocations(rebuilt));
        Assert.Empty(expected.Except(actual));
        Assert.Empty(actual.Except(expected));
        Assert.Equal(host.Run("Export-TrellisSite -StatePath $site", new Hashtable { ["site"] = site }).Succeeded().OutputTexts(),
            host.Run("Export-TrellisSite").Succeeded().OutputTexts());
    }

    [Fact]
    public async Task WithoutPath_TheScriptGoesToThePipeline_AsTheCliRendersIt_AndWhatIfWritesNothing()
    {
        var site = await Stored("contoso-multicluster.yaml");
        var host = new ModuleHost(_temp.Path);
        var parameters = new Hashtable { ["site"] = site };

        var text = host.Run("Export-TrellisDeploymentScript -StatePath $site -WorkingDir 'D:\\aks'", parameters).Succeeded();
        var whatIf = host.Run("Export-TrellisDeploymentScript -StatePath $site -Path ./deploy.ps1 -WhatIf", parameters).Succeeded();

        await using var session = EngineSession.OpenSqlite(site, write: false);
        var expected = SiteViews.DeploymentScript(await session.Engine.ReadAsync(), new DeploymentScriptOptions(WorkingDir: @"D:\aks")).Files.Single().Content;
        Assert.Equal(expected, Assert.Single(text.Output).BaseObject);
        Assert.Contains(@"[string] $WorkingDir = 'D:\aks'", expected, StringComparison.Ordinal);
        Assert.Empty(whatIf.Output);
        Assert.False(File.Exists(Path.Combine(_temp.Path, "deploy.ps1")));
    }

    [Fact]
    public void AdditionalNodePool_WithACountThatIsNoNumber_IsWrongType_NamingThePool()
    {
        var run = new ModuleHost(_temp.Path).Run("New-AksHciCluster -name a -nodePoolName linux -AdditionalNodePool @{ name = 'win'; osType = 'Windows'; count = 'many' }");

        Assert.Equal("WrongType", run.ErrorCode);
        Assert.Equal("additionalNodePool[0].count", run.Errors[0].TargetObject);
    }

    [Fact]
    public void WithoutASite_ItIsTheErrorNoSite_AndWritesNoFile()
    {
        var run = new ModuleHost(_temp.Path).Run("Export-TrellisDeploymentScript -Path ./deploy.ps1");

        Assert.Equal("NoSite", run.ErrorCode);
        Assert.False(File.Exists(Path.Combine(_temp.Path, "deploy.ps1")));
    }

    [Fact]
    public async Task ForAnAksArcSite_ItIsTheShellScriptOfAzCommands()
    {
        var site = await Stored("aksarc-site.yaml");

        var run = new ModuleHost(_temp.Path).Run("Export-TrellisDeploymentScript -StatePath $site -ResourceGroup rg1", new Hashtable { ["site"] = site }).Succeeded();

        var script = Assert.IsType<string>(Assert.Single(run.Output).BaseObject);
        Assert.StartsWith("#!/bin/sh\n", script, StringComparison.Ordinal);
        Assert.Contains("then RESOURCE_GROUP='rg1'; fi", script, StringComparison.Ordinal);
        Assert.Contains("az stack-hci-vm network lnet create", script, StringComparison.Ordinal);
    }
}
