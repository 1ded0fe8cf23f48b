using System.Diagnostics;

namespace Trellis.IntegrationTests.Infrastructure;

/// <summary>
/// A network namespace of the test's own, named trellis-test-*, never connected to the host's namespace and
/// always deleted on dispose (processes started in it are killed first). Tests send packets only inside these.
/// </summary>
internal sealed class NetworkNamespace : IDisposable
{
    private static readonly string Ip = Tools.Require("ip", "iproute2");
    private readonly List<Process> _processes = [];

    public NetworkNamespace(string role)
    {
        if (Environment.UserName != "root" && Environment.GetEnvironmentVariable("USER") != "root" && !IsRoot())
        {
            Assert.Fail("Network namespace tests need root (ip netns add); CI and test.sh run as root.");
        }

        Name = $"trellis-test-{role}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";
        Check(Tools.Run(Ip, "netns", "add", Name), "create the namespace");
        Exec("ip", "link", "set", "lo", "up");
    }

    public string Name { get; }

    private static bool IsRoot() => File.Exists("/proc/self/status")
        && File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal)) is { } uid
        && uid.Split('\t', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1) == "0";

    /// <summary>Runs a command inside the namespace and fails the test when it fails.</summary>
    public Tools.Result Exec(params string[] command)
    {
        var result = Tools.Run(Ip, ["netns", "exec", Name, .. command]);
        Check(result, string.Join(' ', command));
        return result;
    }

    public Tools.Result TryExec(params string[] command) => Tools.Run(Ip, ["netns", "exec", Name, .. command]);

    /// <summary>Starts a long-running process in the namespace; it is killed on dispose.</summary>
    public Process Start(params string[] command)
    {
        var info = new ProcessStartInfo(Ip) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "netns", "exec", Name }.Concat(command))
        {
            info.ArgumentList.Add(a);
        }

        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
        return process;
    }

    /// <summary>Connects this namespace to <paramref name="other"/> with a veth pair (never to the host namespace).</summary>
    public void Link(NetworkNamespace other, string here, string there)
    {
        // Made inside this namespace with its peer put straight into the other: the pair never exists in the host's.
        Check(Tools.Run(Ip, "-n", Name, "link", "add", here, "type", "veth", "peer", "name", there, "netns", other.Name), "create a veth pair");
        Exec("ip", "link", "set", here, "up");
        other.Exec("ip", "link", "set", there, "up");
    }

    private static void Check(Tools.Result result, string what)
    {
        if (result.ExitCode != 0)
        {
            Assert.Fail($"Could not {what}: {result.Output}");
        }
    }

    public void Dispose()
    {
        foreach (var p in _processes)
        {
            try
            {
                if (!p.HasExited)
                {
                    p.Kill(entireProcessTree: true);
                    p.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
            }

            p.Dispose();
        }

        // Kill anything still running inside (e.g. daemons that forked), then delete the namespace.
        var pids = Tools.Run(Ip, "netns", "pids", Name).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var pid in pids)
        {
            Tools.Run("/bin/kill", "-9", pid.Trim());
        }

        Tools.Run(Ip, "netns", "delete", Name);
    }
}
