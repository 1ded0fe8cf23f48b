using System.Diagnostics;
using System.Text.Json;

namespace Trellis.Lab.Tests;

/// <summary>What the kernel says, asked with iproute2 directly (not through the lab's own code): the tests' ground truth.</summary>
internal static class Kernel
{
    public const string RootNeeded = "The lab tests make network namespaces and must run as root (CI runs as root; run 'sudo dotnet test tests/Trellis.Lab.Tests'). They are not skipped: a run without root would prove nothing about the lab.";

    public static string Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)} failed: {error}");
        return output;
    }

    public static IReadOnlyList<string> Namespaces()
    {
        var text = Run("ip", "-j", "netns", "list");
        return string.IsNullOrWhiteSpace(text) ? [] : [.. JsonDocument.Parse(text).RootElement.EnumerateArray().Select(e => e.GetProperty("name").GetString()!)];
    }

    /// <summary>The IPv4 addresses on <paramref name="device"/> in namespace <paramref name="ns"/>, as ADDRESS/LENGTH.</summary>
    public static IReadOnlyList<string> Addresses(string ns, string device) =>
        [.. JsonDocument.Parse(Run("ip", "-n", ns, "-j", "-4", "addr", "show", "dev", device)).RootElement.EnumerateArray()
            .SelectMany(l => l.GetProperty("addr_info").EnumerateArray())
            .Select(a => $"{a.GetProperty("local").GetString()}/{a.GetProperty("prefixlen").GetInt32()}")];

    /// <summary>The names of the host namespace's links.</summary>
    public static IReadOnlySet<string> HostLinks() =>
        JsonDocument.Parse(Run("ip", "-j", "link", "show")).RootElement.EnumerateArray().Select(l => l.GetProperty("ifname").GetString()!).ToHashSet(StringComparer.Ordinal);

    /// <summary>The host namespace's IPv4 routes in every table (other test projects' short-lived veths hold no IPv4 address, so these stay put).</summary>
    public static string HostRoutes() => Run("ip", "-4", "route", "show", "table", "all");
}
