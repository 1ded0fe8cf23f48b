using System.Diagnostics;
using System.Text;

namespace Trellis.Cli.Tests.Infrastructure;

/// <summary>What one run of the built <c>trellis</c> program did.</summary>
internal sealed record CliResult(IReadOnlyList<string> Args, int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    /// <summary>A one-paragraph account of the run for assertion messages.</summary>
    public override string ToString() =>
        $"trellis {string.Join(' ', Args)}\n  exit {ExitCode} after {Elapsed.TotalMilliseconds:F0} ms\n  stdout: {Cut(Stdout)}\n  stderr: {Cut(Stderr)}";

    private static string Cut(string s) => s.Length <= 4000 ? s : s[..4000] + $"… ({s.Length} chars)";
}

/// <summary>
/// Runs the built CLI (<c>trellis.dll</c>, copied next to the test assembly by the project reference) as a child
/// process: <c>dotnet trellis.dll ARGS</c>, capturing stdout, stderr and the exit code, with a timeout.
/// </summary>
internal static class CliProcess
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);

    public static string Dll { get; } = FindDll();

    private static string FindDll()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "trellis.dll");
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"The built CLI is not at {path}; the project reference to src/Trellis.Cli should copy it there.");
        }

        return path;
    }

    /// <summary>The dotnet host that runs the tests (set by the dotnet CLI for its children), else the one on PATH.</summary>
    private static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <param name="program">A native <c>trellis</c> binary to run instead of <c>dotnet trellis.dll</c>.</param>
    public static ProcessStartInfo StartInfo(string workingDirectory, IEnumerable<string> args, string? program = null)
    {
        var info = new ProcessStartInfo(program ?? DotnetHost)
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (program is null)
        {
            info.ArgumentList.Add(Dll);
        }

        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // Each test names its state file; an inherited TRELLIS_STATE must never be used instead.
        info.Environment.Remove("TRELLIS_STATE");
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        return info;
    }

    /// <summary>Runs <c>trellis ARGS</c> in <paramref name="workingDirectory"/> to its end; kills it and fails after the timeout.</summary>
    public static async Task<CliResult> RunAsync(string workingDirectory, IReadOnlyList<string> args, TimeSpan? timeout = null, string? program = null)
    {
        await using var running = RunningCli.Start(workingDirectory, args, program);
        return await running.WaitAsync(timeout ?? DefaultTimeout);
    }
}

/// <summary>A started <c>trellis</c> process whose output is being drained in the background.</summary>
internal sealed class RunningCli : IAsyncDisposable
{
    private readonly Process process;
    private readonly Task<string> stdout;
    private readonly Task<string> stderr;
    private readonly Stopwatch clock;

    private RunningCli(Process process, IReadOnlyList<string> args)
    {
        this.process = process;
        Args = args;
        clock = Stopwatch.StartNew();
        process.StandardInput.Close();
        stdout = process.StandardOutput.ReadToEndAsync();
        stderr = process.StandardError.ReadToEndAsync();
    }

    public IReadOnlyList<string> Args { get; }

    public bool HasExited => process.HasExited;

    public static RunningCli Start(string workingDirectory, IReadOnlyList<string> args, string? program = null)
    {
        var process = new Process { StartInfo = CliProcess.StartInfo(workingDirectory, args, program) };
        try
        {
            if (!process.Start())
            {
                throw new InvalidOperationException($"Could not start trellis {string.Join(' ', args)}.");
            }
        }
        catch
        {
            process.Dispose();
            throw;
        }

        return new RunningCli(process, args);
    }

    /// <summary>Kills the process and everything it started; true when it was still running.</summary>
    public bool Kill()
    {
        try
        {
            if (process.HasExited)
            {
                return false;
            }

            process.Kill(entireProcessTree: true);
            return true;
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
            return false;
        }
    }

    public async Task<CliResult> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            await process.WaitForExitAsync(CancellationToken.None);
            var partial = new CliResult(Args, -1, await stdout, await stderr, clock.Elapsed);
            throw new TimeoutException($"Timed out after {timeout.TotalSeconds:F0} s and killed: {partial}");
        }

        var result = new CliResult(Args, process.ExitCode, await stdout, await stderr, clock.Elapsed);
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        if (Kill())
        {
            await process.WaitForExitAsync(CancellationToken.None);
        }

        process.Dispose();
    }
}
