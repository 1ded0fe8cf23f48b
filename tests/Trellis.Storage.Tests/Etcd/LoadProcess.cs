using System.Diagnostics;
using System.Text;

namespace Trellis.Storage.Tests.Etcd;

/// <summary>
/// One running load process (tests/Trellis.StoreLoad, copied next to the tests by the project reference): <c>dotnet
/// Trellis.StoreLoad.dll ARGS</c> with its output drained in the background. Disposing kills it (and anything it started) if
/// it still runs, so that a failed test leaves nothing behind.
/// </summary>
internal sealed class LoadProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly Task<string> stdout;
    private readonly Task<string> stderr;

    private LoadProcess(Process process)
    {
        this.process = process;
        stdout = process.StandardOutput.ReadToEndAsync();
        stderr = process.StandardError.ReadToEndAsync();
    }

    public static LoadProcess Start(IEnumerable<string> args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Trellis.StoreLoad.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"The load program is not at {dll}; the project reference to tests/Trellis.StoreLoad should copy it there.");
        }

        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path && File.Exists(path) ? path : "dotnet";
        var info = new ProcessStartInfo(host)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch
        {
            process.Dispose();
            throw;
        }

        return new LoadProcess(process);
    }

    /// <summary>Waits for the end: its exit code and output; after <paramref name="timeout"/> it is killed and a <see cref="TimeoutException"/> thrown.</summary>
    public async Task<(int ExitCode, string Stdout, string Stderr)> WaitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            await DisposeAsync();
            throw new TimeoutException($"A load process ran longer than {timeout.TotalSeconds:0} s and was killed. Its errors: {await stderr}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill, or never started.
        }

        process.Dispose();
    }
}
