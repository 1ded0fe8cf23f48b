using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;

namespace Trellis.Benchmarks;

/// <summary>
/// A short job (1 launch, 2 warmup and 5 measured iterations) so that the whole suite runs in a few minutes on a
/// shared 2-core machine, plus allocated bytes and operations per second, and 10 minutes to build. A <c>--job</c> given on the command line
/// runs in addition to this one.
/// </summary>
public sealed class BenchConfig : ManualConfig
{
    public BenchConfig()
    {
        AddJob(Job.Default.WithId("Short").WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(5));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.OperationsPerSecond);
        // BenchmarkDotNet's 2 minutes to build its generated project are not enough while other builds load the 2 cores.
        WithBuildTimeout(TimeSpan.FromMinutes(10));
    }
}
