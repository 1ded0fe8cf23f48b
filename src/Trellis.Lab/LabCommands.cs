using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Trellis.Lab;

/// <summary>What one program run answered.</summary>
public sealed record CommandRun(string Command, int ExitCode, string Output, string Error)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>A command the lab ran failed: which one, and what it said.</summary>
public class LabCommandException(CommandRun run) : Exception($"'{run.Command}' failed (exit {run.ExitCode}): {run.Error.Trim()}")
{
    public CommandRun Run { get; } = run;
}

/// <summary>A command of the lab's VLAN filtering failed: the kernel may have none.</summary>
public sealed class LabVlanException(CommandRun run) : LabCommandException(run);

/// <summary>
/// The only way the lab changes the machine: iproute2 run as a program (no shell). Every change is made inside a named
/// namespace (<c>ip -n NS …</c>, <c>bridge -n NS …</c>, <c>ip netns exec NS …</c>); the host's own namespace is only ever
/// asked which namespaces exist and told to add or delete a named one, so no link or route can be made in it.
/// </summary>
public sealed class LabCommands
{
    /// <summary>How long one command may take before it is killed: nothing the lab runs should take more than a moment.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>Whether this process runs as root, which making namespaces needs.</summary>
    public static bool IsRoot => NativeMethods.GetEffectiveUserId() == 0;

    /// <summary>The names of every network namespace (<c>ip netns list</c>).</summary>
    public async Task<IReadOnlyList<string>> NamespacesAsync(CancellationToken cancellationToken)
    {
        var run = await RunAsync("ip", ["-j", "netns", "list"], cancellationToken).ConfigureAwait(false);
        Check(run);
        if (string.IsNullOrWhiteSpace(run.Output))
        {
            return [];
        }

        using var json = JsonDocument.Parse(run.Output);
        return [.. json.RootElement.EnumerateArray().Select(e => e.GetProperty("name").GetString()).OfType<string>()];
    }

    public async Task AddNamespaceAsync(string name, CancellationToken cancellationToken) =>
        Check(await RunAsync("ip", ["netns", "add", name], cancellationToken).ConfigureAwait(false));

    public async Task DeleteNamespaceAsync(string name, CancellationToken cancellationToken) =>
        Check(await RunAsync("ip", ["netns", "delete", name], cancellationToken).ConfigureAwait(false));

    /// <summary>The processes that run in namespace <paramref name="name"/> (<c>ip netns pids</c>).</summary>
    public async Task<IReadOnlyList<int>> PidsAsync(string name, CancellationToken cancellationToken)
    {
        var run = await RunAsync("ip", ["netns", "pids", name], cancellationToken).ConfigureAwait(false);
        Check(run);
        return [.. run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => int.TryParse(t, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid) ? pid : -1)
            .Where(pid => pid > 0)];
    }

    /// <summary><c>ip -n NS ARGS</c>: a change or a question inside namespace <paramref name="ns"/>; a failure throws.</summary>
    public async Task<string> IpAsync(string ns, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var run = await RunAsync("ip", ["-n", ns, .. args], cancellationToken).ConfigureAwait(false);
        Check(run);
        return run.Output;
    }

    /// <summary><c>bridge -n NS ARGS</c>: VLANs of the bridge ports, or the VXLAN device's FDB, inside namespace <paramref name="ns"/>; a failure throws.</summary>
    public async Task BridgeAsync(string ns, IReadOnlyList<string> args, CancellationToken cancellationToken) =>
        Check(await RunAsync("bridge", ["-n", ns, .. args], cancellationToken).ConfigureAwait(false));

    /// <summary><c>ip netns exec NS PROGRAM ARGS</c>: a program run inside namespace <paramref name="ns"/>; its answer, failed or not.</summary>
    public Task<CommandRun> ExecAsync(string ns, string program, IReadOnlyList<string> args, CancellationToken cancellationToken) =>
        RunAsync("ip", ["netns", "exec", ns, program, .. args], cancellationToken);

    /// <summary>
    /// Starts <paramref name="program"/> in namespace <paramref name="ns"/> in the background (a daemon of the lab: Kea, HAProxy,
    /// keepalived, a listener) in a session of its own (<c>setsid</c>), its output and errors appended to <paramref name="log"/>,
    /// its input /dev/null; returns its process id once it is started, without waiting for it. A fixed <c>sh</c> script does
    /// the redirection and takes every value as an argument, never as script text. <c>lab down</c> kills it with everything
    /// else in the namespace (<c>ip netns pids</c>).
    /// </summary>
    public async Task<int> StartAsync(string ns, string log, string program, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var run = await RunAsync("ip", ["netns", "exec", ns, "sh", "-c", "log=$1; shift; setsid \"$@\" >>\"$log\" 2>&1 </dev/null & echo $!", "sh", log, program, .. args], cancellationToken).ConfigureAwait(false);
        Check(run);
        return int.TryParse(run.Output.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid) && pid > 0
            ? pid
            : throw new LabCommandException(run with { ExitCode = 1, Error = $"no process id in '{run.Output.Trim()}'" });
    }

    /// <summary>
    /// <c>ip netns exec NS PROGRAM ARGS</c> left running in namespace <paramref name="ns"/> (a pod's listener): its first lines
    /// of output up to the one that is <paramref name="ready"/>. Exit code 0 when that line came; the program's own when it
    /// ended first; 124 (and the program killed) when it said nothing of the kind within <see cref="Timeout"/>. Once ready it
    /// runs on, until <c>lab down</c> kills what runs in the namespace.
    /// </summary>
    public async Task<CommandRun> StartUntilReadyAsync(string ns, string program, IReadOnlyList<string> args, string ready, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var arg in (string[])["netns", "exec", ns, program, .. args])
        {
            start.ArgumentList.Add(arg);
        }

        var text = $"ip netns exec {ns} {program} {(args.Count > 0 ? args[0] : "")} …";
        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new CommandRun(text, 127, "", $"ip could not be started: {e.Message}");
        }

        process.StandardInput.Close();
        var lines = new List<string>();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(Timeout);
        try
        {
            while (await process.StandardOutput.ReadLineAsync(limit.Token).ConfigureAwait(false) is { } line)
            {
                lines.Add(line);
                if (line == ready)
                {
                    return new CommandRun(text, 0, string.Join('\n', lines), "");
                }
            }
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            return new CommandRun(text, 124, string.Join('\n', lines), $"not ready after {Timeout.TotalSeconds:0} s");
        }

        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        return new CommandRun(text, process.ExitCode == 0 ? 1 : process.ExitCode, string.Join('\n', lines), await process.StandardError.ReadToEndAsync(CancellationToken.None).ConfigureAwait(false));
    }

    private static void Check(CommandRun run)
    {
        if (!run.Succeeded)
        {
            throw new LabCommandException(run);
        }
    }

    private static async Task<CommandRun> RunAsync(string program, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var text = string.Join(' ', [program, .. args]);
        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new CommandRun(text, 127, "", $"{program} could not be started: {e.Message}");
        }

        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(Timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            return new CommandRun(text, 124, "", $"timed out after {Timeout.TotalSeconds:0} s");
        }

        return new CommandRun(text, process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
    }

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "geteuid")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern uint GetEffectiveUserId();
    }
}
