using Trellis.Engine.Contracts;
using Trellis.Storage;
using Trellis.TestSupport;

namespace Trellis.Engine.Tests;

/// <summary>
/// What every front end asks of the Engine before and beside a change: read and size-check a spec text, validate it,
/// size a site that is not applied yet or the stored one, ask what-if questions, render, and open the state.
/// </summary>
public sealed class FrontEndCallTests
{
    private static string WorkedExampleText => File.ReadAllText(Path.Combine(ExampleState.ExamplesDirectory, "worked-example.yaml"));

    [Fact]
    public void Parse_ASpecText_GivesADocumentNamedAfterTheSite()
    {
        var read = SiteSpecs.Parse(WorkedExampleText);

        Assert.DoesNotContain(read.Findings, f => f.Severity == Severity.Error);
        Assert.Equal("jane", read.Document?.SiteName);
        Assert.DoesNotContain(SiteSpecs.Validate(read.Document!), f => f.Severity == Severity.Error);
    }

    [Fact]
    public void Parse_TextThatIsNoSpec_ReportsEveryProblemAtOnce_AsContractFindings()
    {
        var read = SiteSpecs.Parse("apiVersion: trellis/v1\nkind: Site\nmetadata: { name: x }\nspec:\n  model: AksHci\n  clusters: 7\n  bogus: 1\n");

        Assert.Null(read.Document);
        Assert.True(read.Findings.Count >= 2, string.Join("\n", read.Findings));
        Assert.All(read.Findings, f => Assert.False(string.IsNullOrEmpty(f.Hint)));
        Assert.Contains(read.Findings, f => f.Path.StartsWith("spec.clusters", StringComparison.Ordinal));
        Assert.Contains(read.Findings, f => f.Path.StartsWith("spec.bogus", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_ATextLargerThanTheLimit_IsSpecTooLarge_BeforeParsing()
    {
        var read = SiteSpecs.Parse("# " + new string('x', SiteSpecs.MaxBytes));

        Assert.Equal("SpecTooLarge", Assert.Single(read.Findings).Code);
    }

    [Fact]
    public void ReadFile_AMissingFileOrAFolder_IsAFindingNamingTheField()
    {
        using var temp = new TempFolder();

        Assert.Equal(("FileNotFound", "file"), Single(SiteSpecs.ReadFile(Path.Combine(temp.Path, "nope.yaml"))));
        Assert.Equal(("NotARegularFile", "site"), Single(SiteSpecs.ReadFile(temp.Path, "site")));

        static (string, string) Single(SpecRead read) => Assert.Single(read.Findings) is var f ? (f.Code, f.Path) : default;
    }

    [Theory]
    [InlineData("contoso-multicluster.yaml")]
    [InlineData("worked-example.yaml")]
    [InlineData("dhcp-site.yaml")]
    [InlineData("aksarc-site.yaml")]
    public async Task Pools_OfACluster_ListEveryPoolItsAddressesComeFrom_AndNoOtherClustersOwn(string example)
    {
        await using var f = new EngineFixture();
        Assert.True((await f.Engine.ApplyAsync(EngineFixture.Example(example))).Applied);
        var state = await f.Engine.ReadAsync();

        foreach (var cluster in state.Spec!.Clusters.Select(c => c.Name))
        {
            var listed = SiteViews.Pools(state, cluster).Select(p => p.Pool).ToHashSet(StringComparer.Ordinal);
            var drawnFrom = state.Allocations.Where(a => a.Owner.Cluster == cluster).Select(a => a.Pool.ToString()).ToHashSet(StringComparer.Ordinal);

            Assert.True(drawnFrom.IsSubsetOf(listed), $"{example} {cluster}: not listed: {string.Join(", ", drawnFrom.Except(listed))}");
            Assert.DoesNotContain(listed, p => p.StartsWith("cluster/", StringComparison.Ordinal) && !p.StartsWith($"cluster/{cluster}/", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Capacity_OfAnUnappliedSpec_IsTheReferenceWorkedExample()
    {
        var answer = SiteSpecs.Capacity(SiteSpecs.Parse(WorkedExampleText).Document!);

        var report = Assert.IsType<CapacityReport>(answer.Report);
        Assert.Equal((27L, 5L, 32L, 26), (report.NodeIpPool.Required, report.VipPool.Required, report.TotalRequired, report.RecommendedPrefixLength));
        Assert.Equal("AksHci", report.Model);
    }

    [Fact]
    public async Task StoredCapacity_IsTheSameAsTheSpecsOnceApplied_AndNoSiteIsNoSite()
    {
        await using var f = new EngineFixture();
        Assert.Equal("NoSite", Assert.Single(SiteViews.StoredCapacity(await f.Engine.ReadAsync()).Findings).Code);

        var spec = SiteSpecs.Parse(WorkedExampleText).Document!;
        Assert.True((await f.Engine.ApplyAsync(spec)).Applied);
        var stored = SiteViews.StoredCapacity(await f.Engine.ReadAsync());

        Assert.Equal(SiteSpecs.Capacity(spec).Report!.TotalRequired, stored.Report!.TotalRequired);
        Assert.Equal(stored.Report.NodeIpPool.Required, stored.Report.NodeIpPool.Allocated);
    }

    [Fact]
    public async Task WhatIf_OnAnUnappliedSpec_AndOnTheStoredSite_GiveTheSameAnswer()
    {
        await using var f = new EngineFixture();
        var spec = new SpecDocument(EngineFixture.Roomy());
        await f.Engine.ApplyAsync(spec);
        var question = "add-nodepool cluster=b name=win osType=Windows count=1";
        WhatIfChange[] changes = [new("add-nodepool", [new("cluster", "b"), new("name", "win"), new("osType", "Windows"), new("count", "1")])];

        var fromSpec = SiteSpecs.WhatIf(spec, question, changes);
        var fromStore = SiteViews.WhatIf(await f.Engine.ReadAsync(), question, changes);

        Assert.NotNull(fromSpec.Answer);
        Assert.Equal(question, fromStore.Answer?.Question);
        Assert.True(fromSpec.Answer!.Fits && fromStore.Answer!.Fits, string.Join("\n", fromStore.Findings));
        Assert.Equal(fromSpec.Answer.After!.NodeIpPool.Required, fromStore.Answer.After!.NodeIpPool.Required);
        Assert.True(fromStore.Answer.After!.NodeIpPool.Required > fromStore.Answer.Before!.NodeIpPool.Required);
    }

    [Fact]
    public void WhatIf_OfAnUnknownVerb_IsInvalidWhatIf_WithTheQuestionsIndex()
    {
        var (answer, findings) = SiteSpecs.WhatIf(SiteSpecs.Parse(WorkedExampleText).Document!, "grow", [new("grow", [])]);

        Assert.Null(answer);
        Assert.Equal(("InvalidWhatIf", "whatIf[0]"), (Assert.Single(findings).Code, findings[0].Path));
    }

    [Fact]
    public async Task Render_SaysWhyNothingCanBeWritten_OrGivesTheFiles()
    {
        await using var f = new EngineFixture();
        Assert.Equal("NoSite", Assert.Single(SiteViews.Render(await f.Engine.ReadAsync(), null, null, null).Findings).Code);

        await f.Engine.ApplyAsync(SiteSpecs.Parse(WorkedExampleText).Document!);
        var state = await f.Engine.ReadAsync();

        Assert.Contains(SiteViews.Render(state, ["kea"], null, null).Findings, x => x.Severity == Severity.Error);
        var haproxy = SiteViews.Render(state, ["haproxy"], "b", null);
        Assert.NotEmpty(haproxy.Files);
        Assert.All(haproxy.Files, file => Assert.EndsWith("haproxy.cfg", file.Path, StringComparison.Ordinal));
        Assert.Equal("NothingToRender", Assert.Single(SiteViews.Render(state, ["haproxy"], "b", "no-such-vm").Findings).Code);
        Assert.Contains("haproxy", SiteViews.Components);
    }

    [Fact]
    public async Task OpenSqlite_ReadOnly_CreatesNothing_AndAPipeIsAStoreFailure()
    {
        using var temp = new TempFolder();
        var path = Path.Combine(temp.Path, "state.db");
        await using (var session = EngineSession.OpenSqlite(path, write: false))
        {
            Assert.Null((await session.Engine.ReadAsync()).Spec);
        }

        Assert.False(File.Exists(path));

        var fifo = Path.Combine(temp.Path, "pipe");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo]))
        {
            await mkfifo.WaitForExitAsync();
        }

        var failure = Assert.ThrowsAny<Exception>(() => EngineSession.OpenSqlite(fifo, write: true));
        Assert.Equal(FailureKind.Store, EngineFailures.Classify(failure));
        Assert.Contains("named pipe", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_KnowsStoreAndConflictFailures_AndNothingElse()
    {
        Assert.Equal(FailureKind.Store, EngineFailures.Classify(new StoreException("damaged")));
        Assert.Equal(FailureKind.Conflict, EngineFailures.Classify(new ConflictException("busy")));
        Assert.Null(EngineFailures.Classify(new InvalidOperationException("a defect")));
    }
}
