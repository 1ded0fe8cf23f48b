using BenchmarkDotNet.Running;

namespace Trellis.Benchmarks;

public static class Program
{
    /// <summary>
    /// Runs the benchmarks chosen by the BenchmarkSwitcher arguments, e.g. <c>--filter '*'</c> or
    /// <c>--filter '*Ledger*' --job short</c>. See docs/benchmarks.md.
    /// </summary>
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
