using Trellis.Cli.Tests.Infrastructure;
using Trellis.TestSupport;

namespace Trellis.Cli.Tests;

/// <summary>A rolling upgrade stopped by a store failure after its first step prints what it wrote, the error, and exits 3.</summary>
public sealed class UpgradeInterruptedTests
{
    private static readonly string[] Upgrade = ["upgrade", "--cluster", "b", "--version", "v1.30.0"];

    [Fact]
    public async Task AStoreFailureAfterTheFirstStep_PrintsTheStepWrittenAndUpgradeInterrupted_ExitsThree()
    {
        using var ws = new Workspace();
        Assert.Equal(0, (await ws.RunIn("apply", "-f", Specs.WorkedExample)).ExitCode);
        var host = CliInProcess.Wrapping(store => new FailingStore(store, commitsBeforeFailure: 1));

        var r = await CliInProcess.RunAsync(["--state", ws.State, .. Upgrade, "-o", "json"], host);

        Assert.True(r.ExitCode == ExitCodes.ConflictOrStore, r.ToString());
        var doc = Json.Parse(r);
        Assert.True(doc.GetProperty("applied").GetBoolean());
        Assert.Equal(1, doc.GetProperty("upgradeSteps").GetArrayLength());
        Assert.Equal(2, doc.GetProperty("revision").GetInt64());
        var finding = doc.GetProperty("findings").EnumerateArray().Single();
        Assert.Equal(("UpgradeInterrupted", "--cluster", "Error"),
            (finding.GetProperty("code").GetString(), finding.GetProperty("path").GetString(), finding.GetProperty("severity").GetString()));

        var resumed = await ws.RunIn([.. Upgrade, "-o", "json"]);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal(9, Json.Parse(resumed).GetProperty("upgradeSteps").GetArrayLength());
    }

    [Fact]
    public async Task AStoreFailureAfterTheFirstStep_InATable_ShowsTheErrorAndTheStepWritten()
    {
        using var ws = new Workspace();
        Assert.Equal(0, (await ws.RunIn("apply", "-f", Specs.WorkedExample)).ExitCode);
        var host = CliInProcess.Wrapping(store => new FailingStore(store, commitsBeforeFailure: 1));

        var r = await CliInProcess.RunAsync(["--state", ws.State, .. Upgrade], host);

        Assert.True(r.ExitCode == ExitCodes.ConflictOrStore, r.ToString());
        var printed = r.Stdout + r.Stderr;
        Assert.Contains("UpgradeInterrupted", printed, StringComparison.Ordinal);
        Assert.Contains("↻", printed, StringComparison.Ordinal);
        Assert.Contains("Stopped after store revision 2", printed, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", printed, StringComparison.Ordinal);
    }
}
