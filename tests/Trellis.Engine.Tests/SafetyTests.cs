using Trellis.Core.Model;
using Trellis.Rendering;
using Trellis.Storage;
using Trellis.TestSupport;

namespace Trellis.Engine.Tests;

/// <summary>Issue 9 at the Engine: deletes name their site, confirmed plans hold, Ctrl-C after a commit reports it, renders are atomic.</summary>
public sealed class SafetyTests
{
    [Fact]
    public async Task DeleteSite_NamingAnotherSite_IsSiteMismatch_AndChangesNothing()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Example("worked-example.yaml"));
        var before = await f.Engine.ReadAsync();

        var result = await f.Engine.ExecuteAsync(new DeleteSite("contoso"));

        Assert.False(result.Applied);
        Assert.Contains(result.Findings, x => x.Code == "SiteMismatch");
        var after = await f.Engine.ReadAsync();
        Assert.Equal(before.Revision, after.Revision);
        Assert.Equal(before.Allocations, after.Allocations);
    }

    [Fact]
    public async Task Delete_ConfirmedAtAnOlderRevision_IsStateChanged_AndWritesNothing()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Roomy());
        var shownSite = await f.Engine.PlanAsync(new DeleteSite("jane"));
        var shownCluster = await f.Engine.PlanAsync(new DeleteCluster("b"));
        await f.Engine.ExecuteAsync(new ScaleNodePool("a", "linuxpool", 6));
        var before = await f.Engine.ReadAsync();

        var site = await f.Engine.CommitAsync(shownSite);
        var cluster = await f.Engine.CommitAsync(shownCluster);

        Assert.False(site.Applied);
        Assert.Contains(site.Findings, x => x.Code == "StateChanged");
        Assert.Contains(cluster.Findings, x => x.Code == "StateChanged");
        Assert.Equal(before.Revision, (await f.Engine.ReadAsync()).Revision);

        var confirmedNow = await f.Engine.CommitAsync(await f.Engine.PlanAsync(new DeleteSite("jane")));
        Assert.True(confirmedNow.Applied);
    }

    /// <summary>Issue 9 item 10: Ctrl-C that lands after the commit must not hide that the change was written.</summary>
    [Fact]
    public async Task CtrlC_AfterTheCommit_ReportsWhatWasApplied_AndTheRevision()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Example("worked-example.yaml"));
        using var ctrlC = new CancellationTokenSource();
        var engine = new TrellisEngine(new CancelAfterCommit(f.Store, ctrlC), f.Time);
        var spec = EngineFixture.Example("worked-example.yaml") is var s
            ? s with { Clusters = s.Clusters.Select(c => c.Name == "b" ? c with { KubernetesVersion = "v1.30.0", NodePools = [.. c.NodePools.Select(p => p with { Count = p.Count - 1 })] } : c).ToList() }
            : throw new InvalidOperationException();

        var result = await engine.ApplyAsync(spec, new CommandOptions(), ctrlC.Token);

        Assert.True(result.Applied);
        var stored = await f.Engine.ReadAsync();
        Assert.Equal(stored.Revision, result.Revision);
        Assert.True(result.Revision > 1);
        var interrupted = Assert.Single(result.Findings, x => x.Code == "Interrupted");
        // Named in the model's words, as the apply's spec field the interrupted upgrade comes from.
        Assert.Equal("spec.clusters[1].kubernetesVersion", interrupted.Path);
        Assert.Contains("cluster 'b' to v1.30.0", interrupted.Hint, StringComparison.Ordinal);
        Assert.NotEmpty(result.Plan!.Removed);
    }

    [Fact]
    public async Task CtrlC_InTheMiddleOfAnUpgrade_ReturnsTheStepsWritten()
    {
        await using var f = new EngineFixture();
        await f.Engine.ApplyAsync(EngineFixture.Example("worked-example.yaml"));
        using var ctrlC = new CancellationTokenSource();
        var engine = new TrellisEngine(new CancelAfterCommit(f.Store, ctrlC, commitsBeforeCancel: 2), f.Time);

        var result = await engine.ExecuteAsync(new Upgrade("b", "v1.30.0"), new CommandOptions(), ctrlC.Token);

        Assert.True(result.Applied);
        Assert.Equal(2, result.UpgradeSteps.Count);
        Assert.Equal((await f.Engine.ReadAsync()).Revision, result.Revision);
        Assert.Equal("cluster", Assert.Single(result.Findings, x => x.Code == "Interrupted").Path);
        Assert.Single((await f.Engine.ReadAsync()).Upgrades);
    }

    [Fact]
    public async Task CtrlC_BeforeAnyCommit_ThrowsAndWritesNothing()
    {
        await using var f = new EngineFixture();
        using var ctrlC = new CancellationTokenSource();
        await ctrlC.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => f.Engine.ApplyAsync(EngineFixture.Example("worked-example.yaml"), new CommandOptions(), ctrlC.Token));

        Assert.Null((await f.Engine.ReadAsync()).Spec);
    }

    private static Contracts.RenderedFile File(string path, string content) => new(path, content);

    private static Dictionary<string, string> Tree(string root) =>
        Directory.GetFiles(root, "*", SearchOption.AllDirectories).ToDictionary(p => Path.GetRelativePath(root, p), System.IO.File.ReadAllText, StringComparer.Ordinal);

    /// <summary>Issue 9 item 8: a failure in the middle of a render leaves the previous tree, not a 0-byte file beside half the new ones.</summary>
    [Fact]
    public async Task RenderedTree_FailingMidway_LeavesThePreviousTree_AndNoTemporaryFolder()
    {
        using var dir = new TempFolder();
        var target = Path.Combine(dir.Path, "out");
        Assert.Empty(await RenderedTree.WriteAsync(target, [File("a/keepalived.conf", "old-k"), File("b/haproxy.cfg", "old-h")]));
        var before = Tree(target);

        var written = 0;
        var error = await Assert.ThrowsAsync<IOException>(() => RenderedTree.WriteAsync(target,
            [File("a/keepalived.conf", "new-k"), File("b/haproxy.cfg", "new-h"), File("c/kea.json", "new-j")],
            async (path, content, ct) =>
            {
                if (++written == 3)
                {
                    await System.IO.File.WriteAllTextAsync(path, "", ct);
                    throw new IOException("No space left on device");
                }

                await System.IO.File.WriteAllTextAsync(path, content, ct);
            }));

        Assert.Contains("No space", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Tree(target));
        Assert.Equal(["out"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task RenderedTree_ReplacesAPreviousRenderAsAWhole()
    {
        using var dir = new TempFolder();
        var target = Path.Combine(dir.Path, "out");
        await RenderedTree.WriteAsync(target, [File("a/old.conf", "1"), File("b/kept.conf", "1")]);

        Assert.Empty(await RenderedTree.WriteAsync(target, [File("b/kept.conf", "2")]));

        Assert.Equal(new Dictionary<string, string> { [RenderedTree.Marker] = Tree(target)[RenderedTree.Marker], ["b/kept.conf"] = "2" }, Tree(target));
        Assert.Equal(["out"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task RenderedTree_NeverReplacesAFolderOfOtherFiles_NorAFile()
    {
        using var dir = new TempFolder();
        var folder = Path.Combine(dir.Path, "etc");
        Directory.CreateDirectory(folder);
        System.IO.File.WriteAllText(Path.Combine(folder, "passwd"), "root");
        var file = Path.Combine(dir.Path, "file");
        System.IO.File.WriteAllText(file, "x");

        Assert.Contains(await RenderedTree.WriteAsync(folder, [File("a.conf", "1")]), x => x.Code == "OutputNotARenderTree");
        Assert.Contains(await RenderedTree.WriteAsync(file, [File("a.conf", "1")]), x => x.Code == "OutputNotADirectory");
        Assert.Equal("root", System.IO.File.ReadAllText(Path.Combine(folder, "passwd")));
        Assert.Equal("x", System.IO.File.ReadAllText(file));
    }

    [Fact]
    public async Task RenderedTree_RefusesAPathThatLeavesTheTree()
    {
        using var dir = new TempFolder();
        await Assert.ThrowsAsync<InvalidOperationException>(() => RenderedTree.WriteAsync(Path.Combine(dir.Path, "out"), [File("../escaped.conf", "x")]));
        Assert.False(System.IO.File.Exists(Path.Combine(dir.Path, "escaped.conf")));
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }
}
