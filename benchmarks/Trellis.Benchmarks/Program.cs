using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

namespace Trellis.Benchmarks;

public static class Program
{
    /// <summary>
    /// Runs the benchmarks chosen by the BenchmarkSwitcher arguments, e.g. <c>--filter '*'</c> or <c>--filter '*Ledger*'</c>.
    /// Results go to benchmarks/Trellis.Benchmarks/BenchmarkDotNet.Artifacts unless <c>--artifacts</c> says otherwise.
    /// See docs/benchmarks.md. <c>etcd-paired [rounds] [perRound]</c> runs <see cref="EtcdPairedRun"/> instead.
    /// </summary>
    public static void Main(string[] args)
    {
        if (args is ["etcd-paired", ..])
        {
            EtcdPairedRun.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10, args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 256)
                .GetAwaiter().GetResult();
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, DefaultConfig.Instance.WithArtifactsPath(ArtifactsPath()));
    }

    // Beside the project, not in whatever directory `dotnet run` was started from (usually the repository root).
    private static string ArtifactsPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Trellis.Benchmarks.csproj")))
            {
                return Path.Combine(dir.FullName, "BenchmarkDotNet.Artifacts");
            }
        }

        return Path.Combine(Directory.GetCurrentDirectory(), "BenchmarkDotNet.Artifacts");
    }
}
