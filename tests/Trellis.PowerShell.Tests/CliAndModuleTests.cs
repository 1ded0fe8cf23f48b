using System.Diagnostics;
using System.Text.Json;
using Trellis.TestSupport;

namespace Trellis.PowerShell.Tests;

/// <summary>
/// The module and the CLI on one state file at once, found the same way (the default .trellis/state.db under the current
/// folder, or TRELLIS_STATE): what one writes, the other reads at the next command.
/// </summary>
public sealed class CliAndModuleTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>The managed CLI the solution build makes, run in <see cref="_temp"/> with no TRELLIS_STATE.</summary>
    private (int ExitCode, string Output) Cli(params string[] arguments)
    {
        var dll = Path.Combine(Pwsh.Root, "src", "Trellis.Cli", "bin", "Release", "net10.0", "trellis.dll");
        Assert.True(File.Exists(dll), $"the CLI is not built at {dll}; build the solution first (./test.sh does).");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = _temp.Path, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])[dll, .. arguments])
        {
            start.ArgumentList.Add(a);
        }

        start.Environment.Remove("TRELLIS_STATE");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)), "the CLI did not finish in a minute");
        return (process.ExitCode, output.Result + error.Result);
    }

    private static List<string> CliAllocations(string json) =>
        [.. JsonDocument.Parse(json).RootElement.EnumerateArray()
            .Select(a => $"{a.GetProperty("pool").GetString()} {a.GetProperty("address").GetString()} {a.GetProperty("owner").GetString()}")];

    [Fact]
    public void WhatTheCmdletsWrite_TheCliReads_AndWhatTheCliWrites_TheCmdletsRead_OnTheDefaultStateFile()
    {
        var host = new ModuleHost(_temp.Path);
        host.Run(AksHciWalkthroughTests.StaticVlan).Succeeded();

        var (exit, json) = Cli("get", "allocations", "-o", "json");
        Assert.True(exit == 0, json);
        var module = host.Run("Get-TrellisIpAllocation | ForEach-Object { \"$($_.Pool) $($_.Address) $($_.Owner)\" }").Succeeded();
        Assert.Equal(CliAllocations(json), module.Output.Select(o => o.ToString()));

        var (scaled, text) = Cli("scale", "--cluster", "mycluster", "--nodepool", "mycluster-linux", "--count", "3");
        Assert.True(scaled == 0, text);
        var pool = host.Run("(Get-AksHciNodePool -clusterName mycluster -name mycluster-linux).NodeCount").Succeeded();
        Assert.Equal(3, pool.Output.Single().BaseObject);

        host.Run("Set-AksHciNodePool -clusterName mycluster -name mycluster-linux -count 2").Succeeded();
        var (_, after) = Cli("get", "nodepools", "--cluster", "mycluster", "-o", "json");
        var counts = JsonDocument.Parse(after).RootElement.EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("count").GetInt32());
        Assert.Equal(2, counts["mycluster-linux"]);
    }
}
