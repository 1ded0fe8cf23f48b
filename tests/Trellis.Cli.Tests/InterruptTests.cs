using Trellis.Cli.Tests.Infrastructure;
using Trellis.TestSupport;

namespace Trellis.Cli.Tests;

/// <summary>Issue 9 item 10: Ctrl-C after the commit still says what was applied and at which revision.</summary>
public sealed class InterruptTests
{
    [Fact]
    public async Task CtrlC_AfterTheCommit_StillPrintsThatItWasApplied_AndTheRevision()
    {
        using var ws = new Workspace();
        using var ctrlC = new CancellationTokenSource();
        var host = CliInProcess.Wrapping(store => new CancelAfterCommit(store, ctrlC));

        var r = await CliInProcess.RunAsync(["--state", ws.State, "apply", "-f", Specs.WorkedExample], host, cancellationToken: ctrlC.Token);

        Assert.True(ctrlC.IsCancellationRequested);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("Applied at store revision 1.", r.Stdout, StringComparison.Ordinal);
        Assert.NotEmpty(await ws.Allocations());
    }

    [Fact]
    public async Task CtrlC_InTheMiddleOfAnUpgrade_PrintsTheStepsWrittenAndHowToFinish_ExitsOneThirty()
    {
        using var ws = new Workspace();
        Assert.Equal(0, (await ws.RunIn("apply", "-f", Specs.WorkedExample)).ExitCode);
        using var ctrlC = new CancellationTokenSource();
        var host = CliInProcess.Wrapping(store => new CancelAfterCommit(store, ctrlC, commitsBeforeCancel: 2));

        var r = await CliInProcess.RunAsync(["--state", ws.State, "upgrade", "--cluster", "b", "--version", "v1.30.0", "-o", "json"], host, cancellationToken: ctrlC.Token);

        Assert.True(r.ExitCode == 130, r.ToString());
        var doc = Json.Parse(r);
        Assert.True(doc.GetProperty("applied").GetBoolean());
        Assert.Equal(2, doc.GetProperty("upgradeSteps").GetArrayLength());
        Assert.Contains("Interrupted", Json.Codes(doc));
        var stored = Json.Parse(await ws.RunIn("get", "clusters", "-o", "json")).EnumerateArray().Single(c => c.GetProperty("name").GetString() == "b");
        Assert.Equal("v1.30.0", stored.GetProperty("upgradeTarget").GetString());
        Assert.Equal(3, doc.GetProperty("revision").GetInt64());
    }

    [Fact]
    public async Task CtrlC_BeforeAnyCommit_SaysNothingWasWritten_ExitsOneThirty()
    {
        using var ws = new Workspace();
        using var ctrlC = new CancellationTokenSource();
        await ctrlC.CancelAsync();

        var r = await CliInProcess.RunAsync(["--state", ws.State, "apply", "-f", Specs.WorkedExample], cancellationToken: ctrlC.Token);

        Assert.True(r.ExitCode == 130, r.ToString());
        Assert.Equal("trellis: interrupted; nothing was written.", r.Stderr.Trim());
        Assert.Contains("NoSite", Json.Codes(Json.Parse(await ws.RunIn("get", "allocations", "-o", "json"))));
    }
}
