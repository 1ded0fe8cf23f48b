using System.Text.Json;
using Trellis.Cli;

namespace Trellis.Lab.Tests;

/// <summary>trellis lab up, probe and down as a person runs them, in-process, under a prefix of this test class's own.</summary>
public sealed class LabCliTests(StoredSite site) : IClassFixture<StoredSite>, IAsyncLifetime
{
    private readonly string prefix = $"{LabNames.TestPrefix}{Guid.NewGuid():N}"[..(LabNames.TestPrefix.Length + 6)] + "-";

    private CliHost Host => new() { Environment = v => v == "TRELLIS_LAB_PREFIX" ? prefix : null, InputIsTerminal = () => false, ReadLine = () => null };

    private Task<(int Code, string Out, string Err)> RunAsync(params string[] args) => RunOnAsync(site.StatePath, args);

    private async Task<(int Code, string Out, string Err)> RunOnAsync(string state, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await new TrellisCli(stdout, stderr, Host).RunAsync([.. args, "--state", state]);
        return (code, stdout.ToString(), stderr.ToString());
    }

    public Task InitializeAsync()
    {
        Assert.True(LabCommands.IsRoot, Kernel.RootNeeded);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (LabCommands.IsRoot)
        {
            await LabNetwork.DownAllAsync(prefix);
        }
    }

    [Fact]
    public async Task UpProbeDown_ClusterB_SaysWhatItMadeWhatItSawAndItsLimits()
    {
        var up = await RunAsync("lab", "up", "--cluster", "b");

        Assert.True(up.Code == 0, up.Out + up.Err);
        Assert.Contains("Lab 'jane' is up", up.Out, StringComparison.Ordinal);
        Assert.Contains($"{prefix}jane-n4", up.Out, StringComparison.Ordinal);
        Assert.Contains("Limits:", up.Out, StringComparison.Ordinal);
        Assert.NotEmpty(LabScope.Limits);
        Assert.All(LabScope.Limits, missing => Assert.Contains(missing, up.Out, StringComparison.Ordinal));

        var probe = await RunAsync("lab", "probe");

        Assert.True(probe.Code == 0, probe.Out + probe.Err);
        Assert.Contains("Every pair reachable: 28 pings from 4 node VMs and 4 pods (12 across the overlay).", probe.Out, StringComparison.Ordinal);
        Assert.Contains("Every VIP port reached", probe.Out, StringComparison.Ordinal);

        var json = await RunAsync("lab", "probe", "--name", "jane", "-o", "json");

        using var document = JsonDocument.Parse(json.Out);
        Assert.Equal(28, document.RootElement.GetProperty("probe").GetProperty("pairs").GetArrayLength());
        Assert.Equal(0, document.RootElement.GetProperty("probe").GetProperty("unreachable").GetArrayLength());
        Assert.Equal(LabScope.Limits.Count, document.RootElement.GetProperty("limits").GetArrayLength());

        var trace = await RunAsync("lab", "trace", "--from", "n2-p0", "--to", "n4-p0");

        Assert.True(trace.Code == 0, trace.Out + trace.Err);
        Assert.Contains("The encapsulation is as planned.", trace.Out, StringComparison.Ordinal);
        Assert.Contains("4096", trace.Out, StringComparison.Ordinal);

        var again = await RunAsync("lab", "up", "--cluster", "b");

        Assert.Equal(ExitCodes.Findings, again.Code);
        Assert.Contains("LabNameTaken", again.Out, StringComparison.Ordinal);

        var down = await RunAsync("lab", "down", "--name", "jane");

        Assert.True(down.Code == 0, down.Out + down.Err);
        Assert.Contains("Removed 11 namespaces", down.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(Kernel.Namespaces(), n => n.StartsWith(prefix, StringComparison.Ordinal));
        Assert.Contains("Nothing to remove", (await RunAsync("lab", "down", "--name", "jane")).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_DhcpSite_LeasesEveryNodeFromKeaAndSaysWhatItLeased()
    {
        using var dhcp = await StoredSite.DhcpWithoutVlanAsync();

        var up = await RunOnAsync(dhcp.StatePath, "lab", "up", "--name", "branch");

        Assert.True(up.Code == 0, up.Out + up.Err);
        Assert.Contains("Kea (kea-dhcp4 on the rendered file)", up.Out, StringComparison.Ordinal);
        Assert.Equal(6, System.Text.RegularExpressions.Regex.Count(up.Out, @"\(leased; plan expects 10\.12\.0\.\d+\)"));
        Assert.DoesNotContain("DHCP networks", up.Out, StringComparison.Ordinal);
        var down = await RunAsync("lab", "down", "--name", "branch");
        Assert.True(down.Code == 0, down.Out + down.Err);
        Assert.DoesNotContain(Kernel.Namespaces(), n => n.StartsWith(prefix, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Down_NameAndAll_IsAUsageError() =>
        Assert.Equal(ExitCodes.Usage, (await RunAsync("lab", "down", "--name", "x", "--all")).Code);

    [Fact]
    public async Task Probe_NoLabUp_SaysSo()
    {
        var probe = await RunAsync("lab", "probe");

        Assert.Equal(ExitCodes.Findings, probe.Code);
        Assert.Contains("LabNotUp", probe.Out, StringComparison.Ordinal);
    }
}
