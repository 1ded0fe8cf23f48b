using Trellis.Cli.Tests.Infrastructure;

namespace Trellis.Cli.Tests;

/// <summary>
/// A refused change through the CLI: exit code 1, the finding in the JSON document, nothing changed. What scale, upgrade and
/// delete do to the state is specified at the Engine (Trellis.Engine.Tests: LifecycleTests, PlanCommitTests).
/// </summary>
public sealed class LifecycleTests
{
    [Fact]
    public async Task An_immutable_change_exits_1_with_ImmutableField_and_changes_nothing()
    {
        using var ws = new Workspace();
        await Ok(ws.Run("apply", "-f", Specs.WorkedExample));
        var before = await ws.Allocations();
        var clustersBefore = (await Ok(ws.Run("get", "clusters", "-o", "json"))).Stdout;

        var file = ws.WriteText("changed.yaml", Specs.Edit(Specs.Read(Specs.WorkedExample),
            "    - name: a\n      controlPlaneNodeCount: 3\n", "    - name: a\n      primaryNetworkPlugin: flannel\n      controlPlaneNodeCount: 3\n"));
        var r = await ws.Run("apply", "-f", file, "-o", "json");
        Assert.True(r.ExitCode == 1, r.ToString());
        var doc = Json.Parse(r);
        Assert.False(doc.GetProperty("applied").GetBoolean());
        Assert.Contains(("ImmutableField", "spec.clusters[0].primaryNetworkPlugin"), Json.CodesAndPaths(doc));
        EndToEndTests.AssertWellFormedFindings(doc, r);

        Assert.Equal(Alloc.Canonical(before), Alloc.Canonical(await ws.Allocations()));
        Assert.Equal(clustersBefore, (await Ok(ws.Run("get", "clusters", "-o", "json"))).Stdout);
    }

    [Theory]
    [InlineData("UnknownCluster", "--cluster", "scale", "--cluster", "nosuch", "--nodepool", "linuxpool", "--count", "3")]
    [InlineData("UnknownNodePool", "--nodepool", "scale", "--cluster", "a", "--nodepool", "nosuch", "--count", "3")]
    [InlineData("InvalidKubernetesVersion", "--version", "upgrade", "--cluster", "a", "--version", "latest", "--dry-run")]
    [InlineData("DuplicateName", "--name", "add", "nodepool", "--cluster", "a", "--name", "linuxpool")]
    public async Task A_refused_change_names_the_option_the_Engines_field_stands_for(string code, string option, params string[] args)
    {
        using var ws = new Workspace();
        await Ok(ws.RunIn("apply", "-f", Specs.WorkedExample));

        var r = await ws.RunIn([.. args, "-o", "json"]);

        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains((code, option), Json.CodesAndPaths(Json.Parse(r)));
    }

    private static async Task<CliResult> Ok(Task<CliResult> run)
    {
        var r = await run;
        Assert.True(r.ExitCode == 0, r.ToString());
        return r;
    }
}
