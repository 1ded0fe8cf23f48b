using System.Management.Automation;
using Trellis.Engine;
using Trellis.TestSupport;

namespace Trellis.PowerShell.Tests.Trellis;

/// <summary>Get-TrellisAudit, Get-TrellisCapacity and Test-TrellisSite: the Engine's answers for the same state, as typed objects.</summary>
public sealed class TrellisReadCmdletTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private ModuleHost Host => new(_temp.Path);

    private static Dictionary<string, object> Vars(string state) => new() { ["s"] = state };

    private static string Example(string name) => Path.Combine(ExampleState.ExamplesDirectory, name);

    private static async Task<SiteState> Read(string state)
    {
        await using var session = EngineSession.OpenSqlite(state, write: false);
        return await session.Engine.ReadAsync();
    }

    [Fact]
    public async Task GetTrellisAudit_ListsTheEnginesAuditLog_AndLastKeepsTheNewest()
    {
        var state = await ModuleTests.Applied(_temp.Path);
        Host.Run("Remove-TrellisService -StatePath $s -ClusterName a -Namespace shop -Name web3 -Confirm:$false", Vars(state)).Succeeded();
        await using var session = EngineSession.OpenSqlite(state, write: false);
        var expected = await session.Engine.ReadAuditAsync();

        var all = Host.Run("Get-TrellisAudit -StatePath $s", Vars(state)).Succeeded().Objects<TrellisAuditEntry>();
        var last = Host.Run("Get-TrellisAudit -StatePath $s -Last 1", Vars(state)).Succeeded().Objects<TrellisAuditEntry>();

        Assert.Equal(2, expected.Count);
        Assert.Equal(expected.Select(e => (e.Revision, e.Command, e.Summary, e.Added, e.Removed, e.Actor)), all.Select(e => (e.Revision, e.Command, e.Summary, e.Added, e.Removed, e.Actor)));
        Assert.Equal("delete service", Assert.Single(last).Command);
        Assert.Equal(Environment.UserName, last[0].Actor);
    }

    [Fact]
    public void GetTrellisAudit_RefusesALastOfZero_AsAParameterError()
    {
        var run = Host.Run("Get-TrellisAudit -Last 0");

        Assert.Equal("ParameterArgumentValidationError", run.ErrorCode);
    }

    [Fact]
    public async Task GetTrellisCapacity_OfTheStoredSite_IsTheEnginesReport_WithEveryPoolOfTheCliTable()
    {
        var state = await ModuleTests.Applied(_temp.Path);
        var expected = SiteViews.StoredCapacity(await Read(state)).Report!;

        var report = Assert.Single(Host.Run("Get-TrellisCapacity -StatePath $s", Vars(state)).Succeeded().Objects<TrellisCapacityReport>());

        Assert.Equal((expected.Site, expected.Model, expected.TotalRequired, expected.ControlPlaneIps), (report.Site, report.Model, report.TotalRequired, report.ControlPlaneIps));
        Assert.Equal((expected.NodeIpPool.Required, expected.NodeIpPool.Size), (report.NodeIpPool.Required, report.NodeIpPool.Size));
        Assert.Equal((expected.VipPool.Required, expected.VipPool.Size), (report.VipPool.Required, report.VipPool.Size));
        var pools = expected.Networks.SelectMany(n => new[] { n.NodeIpPool, n.VipPool, n.DhcpScope, n.ControlPlaneIps }.OfType<Engine.Contracts.PoolCapacity>())
            .Concat(expected.Clusters.SelectMany(c => new[] { c.PodSubnets, c.ClusterIps })).ToList();
        Assert.Equal(pools.Select(p => (p.Pool, p.Required, p.Size, p.Allocated, p.Free, p.HeadroomAfterUpgrade)),
            report.Pools.Select(p => (p.Pool, p.Required, p.Size, p.Allocated, p.Free, p.HeadroomAfterUpgrade)));
        Assert.True(report.Fits);
    }

    [Fact]
    public void GetTrellisCapacity_OfASpecFile_IsTheEnginesReportOfThatSpec()
    {
        var expected = SiteSpecs.Capacity(SiteSpecs.ReadFile(Example("contoso-multicluster.yaml")).Document!).Report!;

        var report = Assert.Single(Host.Run("Get-TrellisCapacity -Path $f", new Dictionary<string, object> { ["f"] = Example("contoso-multicluster.yaml") })
            .Succeeded().Objects<TrellisCapacityReport>());

        Assert.Equal(expected.Site, report.Site);
        Assert.Equal(expected.TotalRequired, report.TotalRequired);
        Assert.Equal(expected.Networks.Count, report.Networks.Count);
    }

    [Fact]
    public async Task GetTrellisCapacity_WhatIf_AnswersAsTheEngine_AndSaysWhyItDoesNotFitAsWarnings()
    {
        var state = await ModuleTests.Applied(_temp.Path);
        const string Fits = "scale-nodepool cluster=a name=linuxpool count=4";
        const string TooMany = "add-nodepool cluster=a name=big count=150";
        var stored = await Read(state);
        var (yes, _) = SiteViews.WhatIf(stored, Fits, [WhatIfParser.Parse(Fits, 0).Change!]);
        var (no, _) = SiteViews.WhatIf(stored, TooMany, [WhatIfParser.Parse(TooMany, 0).Change!]);

        var fits = Host.Run("Get-TrellisCapacity -StatePath $s -WhatIfChange $q", new Dictionary<string, object> { ["s"] = state, ["q"] = Fits }).Succeeded();
        var full = Host.Run("Get-TrellisCapacity -StatePath $s -WhatIfChange $q", new Dictionary<string, object> { ["s"] = state, ["q"] = TooMany }).Succeeded();

        var a = Assert.Single(fits.Objects<TrellisWhatIfAnswer>());
        Assert.True(yes!.Fits);
        Assert.Equal((yes.Fits, yes.FirstToRunOut, yes.After!.TotalRequired), (a.Fits, a.FirstToRunOut, a.After!.TotalRequired));
        var b = Assert.Single(full.Objects<TrellisWhatIfAnswer>());
        Assert.False(no!.Fits);
        Assert.Equal((no.Fits, no.FirstToRunOut), (b.Fits, b.FirstToRunOut));
        Assert.NotEmpty(full.Warnings);
        Assert.Contains(no.Findings.First(f => f.Severity == Engine.Contracts.Severity.Error).Code, full.Warnings[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetTrellisCapacity_ABadWhatIfChange_IsAnInvalidWhatIfErrorRecord_NamingItsPlace()
    {
        var state = await ModuleTests.Applied(_temp.Path);

        var run = Host.Run("Get-TrellisCapacity -StatePath $s -WhatIfChange 'add-nodepool cluster=b', 'scale-nodepool nonsense'", Vars(state));

        Assert.Empty(run.Output);
        var error = Assert.Single(run.Errors);
        Assert.Equal("InvalidWhatIf", error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal("-WhatIfChange[1]", error.TargetObject);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
    }

    [Fact]
    public async Task GetTrellisCapacity_WhatIfOfAnUnknownCluster_IsTheEnginesFinding()
    {
        var state = await ModuleTests.Applied(_temp.Path);

        var run = Host.Run("Get-TrellisCapacity -StatePath $s -WhatIfChange 'add-nodepool cluster=nope name=x count=1'", Vars(state));

        Assert.Empty(run.Output);
        Assert.Equal("UnknownCluster", run.ErrorCode);
    }

    [Fact]
    public void GetTrellisCapacity_WithoutAStoredSite_IsNoSite()
    {
        var run = Host.Run("Get-TrellisCapacity -StatePath missing.db");

        Assert.Equal("NoSite", run.ErrorCode);
        Assert.False(File.Exists(Path.Combine(_temp.Path, "missing.db")));
    }

    [Fact]
    public void TestTrellisSite_OfAValidFile_IsTrue_WithNoErrors()
    {
        var run = Host.Run("Test-TrellisSite $f", new Dictionary<string, object> { ["f"] = Example("worked-example.yaml") }).Succeeded();

        Assert.True((bool)Assert.Single(run.Output).BaseObject);
    }

    [Fact]
    public void TestTrellisSite_WritesEveryFindingOfTheEngine_AsErrorRecordsWithCodeFieldAndHint()
    {
        const string Yaml = "apiVersion: trellis/v1\nkind: Site\nmetadata: { name: x }\nspec:\n  model: Nope\n  hostNetwork: { name: n, ipAddressPrefix: 10.0.0.0/33 }\n";
        var read = SiteSpecs.Parse(Yaml);
        var expected = read.Document is { } d ? [.. read.Findings, .. SiteSpecs.Validate(d)] : read.Findings;

        var run = Host.Run("$y | Test-TrellisSite", new Dictionary<string, object> { ["y"] = Yaml });

        Assert.False((bool)Assert.Single(run.Output).BaseObject);
        var errors = expected.Where(f => f.Severity == Engine.Contracts.Severity.Error).ToList();
        Assert.True(errors.Count >= 2);
        Assert.Equal(errors.Select(f => (f.Code, f.Path)).Order(), run.Errors.Select(e => (e.FullyQualifiedErrorId.Split(',')[0], (string)e.TargetObject)).Order());
        Assert.All(run.Errors, e => Assert.False(string.IsNullOrEmpty(e.ErrorDetails.RecommendedAction)));
    }

    [Fact]
    public void TestTrellisSite_OfAMissingFile_IsFileNotFound_NamingThePathParameter()
    {
        var run = Host.Run("Test-TrellisSite ./nope.yaml");

        Assert.False((bool)Assert.Single(run.Output).BaseObject);
        Assert.Equal("FileNotFound", run.ErrorCode);
        Assert.Equal("-Path", run.Errors[0].TargetObject);
        Assert.Equal(ErrorCategory.ObjectNotFound, run.Errors[0].CategoryInfo.Category);
    }

    [Fact]
    public void TestTrellisSite_OfAPathOfAnotherProvider_IsNotAFileSystemPath()
    {
        var run = Host.Run("Test-TrellisSite Env:PATH");

        Assert.Equal("NotAFileSystemPath", run.ErrorCode);
    }

    [Fact]
    public async Task TestTrellisSite_WithoutAPath_TestsTheStoredSite()
    {
        var state = await ModuleTests.Applied(_temp.Path);

        var stored = Host.Run("Test-TrellisSite -StatePath $s", Vars(state)).Succeeded();
        var none = Host.Run("Test-TrellisSite -StatePath missing.db");

        Assert.True((bool)Assert.Single(stored.Output).BaseObject);
        Assert.False((bool)Assert.Single(none.Output).BaseObject);
        Assert.Equal("NoSite", none.ErrorCode);
    }
}
