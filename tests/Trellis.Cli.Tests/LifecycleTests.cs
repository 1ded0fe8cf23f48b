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

    private static async Task<CliResult> Ok(Task<CliResult> run)
    {
        var r = await run;
        Assert.True(r.ExitCode == 0, r.ToString());
        return r;
    }
}
