using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

namespace Trellis.Benchmarks;

public static class Program
{
    /// <summary>
    /// Runs the benchmarks chosen by the BenchmarkSwitcher arguments, e.g. <c>--filter '*'</c> or <c>--filter '*Ledger*'</c>.
    /// <see cref="FullMatrixBenchmarks"/> takes minutes, so it runs only when an argument names it
    /// (<c>--filter '*FullMatrix*'</c>), never as part of <c>'*'</c> or <c>'*Policy*'</c>.
    /// Results go to benchmarks/Trellis.Benchmarks/BenchmarkDotNet.Artifacts unless <c>--artifacts</c> says otherwise.
    /// See docs/benchmarks.md.
    /// </summary>
    public static void Main(string[] args)
    {
        var named = args.Any(a => a.Contains("FullMatrix", StringComparison.OrdinalIgnoreCase));
        var types = typeof(Program).Assembly.GetTypes()
            .Where(t => t.IsPublic && !t.IsAbstract && t.GetMethods().Any(m => m.IsDefined(typeof(BenchmarkAttribute), false)))
            .Where(t => named || t != typeof(FullMatrixBenchmarks))
            .ToArray();
        BenchmarkSwitcher.FromTypes(types).Run(args, DefaultConfig.Instance.WithArtifactsPath(ArtifactsPath()));
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
