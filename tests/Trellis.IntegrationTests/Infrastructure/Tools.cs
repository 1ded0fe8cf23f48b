using System.Diagnostics;
using System.Text;

namespace Trellis.IntegrationTests.Infrastructure;

/// <summary>Runs the real components (haproxy, keepalived, kea-dhcp4, ip) and fails clearly when one is missing.</summary>
internal static class Tools
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string Output => $"{Stdout}\n{Stderr}";
    }

    /// <summary>The full path of a program installed by test.sh from Debian; fails the test with the package to install.</summary>
    public static string Require(string program, string debianPackage)
    {
        foreach (var dir in new[] { "/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin" })
        {
            var path = Path.Combine(dir, program);
            if (File.Exists(path))
            {
                return path;
            }
        }

        Assert.Fail($"'{program}' is not installed. Run ./test.sh (it installs the Debian package '{debianPackage}'), or: apt-get install -y {debianPackage}");
        return program;
    }

    public static Result Run(string file, IEnumerable<string> args, TimeSpan? timeout = null, string? stdin = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (stdout) { stdout.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (stderr) { stderr.AppendLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }

        if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in time.");
        }

        process.WaitForExit();
        return new Result(process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    public static Result Run(string file, params string[] args) => Run(file, args, null);
}
