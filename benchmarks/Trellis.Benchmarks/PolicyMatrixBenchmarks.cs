using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using Trellis.Policy.Connectivity;
using Trellis.Policy.Evaluation;
using Trellis.Policy.Manifests;

namespace Trellis.Benchmarks;

/// <summary>
/// <see cref="ConnectivityAnalyzer.Matrix(PolicyEngine)"/> (every workload to every other workload and to the outside
/// ranges, from an engine compiled in setup) on a sample of <see cref="PolicyClusters.Large"/>: the pods of every
/// 20th, 10th or 5th of its 500 namespaces, with all 2,000 policies, all namespaces and all outside ranges. Each pod thus
/// meets the same tiers and policies as in the full cluster, and the matrix differs only in its number of pairs: the
/// full 10,000-pod matrix has 100 times the pairs of the 1,000-pod sample. The full matrix is <see cref="FullMatrixBenchmarks"/>.
/// </summary>
[Config(typeof(PolicyMatrixConfig))]
public class PolicyMatrixBenchmarks
{
    private PolicyEngine engine = null!;

    [Params(500, 1_000, 2_000)]
    public int Pods { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var full = PolicyClusters.Large();
        var every = full.Workloads.Count / Pods;
        var sample = full with { Workloads = full.Workloads.Where((_, i) => i / PolicyClusters.PodsPerNamespace % every == 0).ToList() };
        if (sample.Workloads.Count != Pods)
        {
            throw new InvalidOperationException($"The sample has {sample.Workloads.Count} pods, not {Pods}.");
        }

        engine = PolicyEngine.Compile(sample);
    }

    [Benchmark(Description = "ConnectivityAnalyzer.Matrix, sample of the 10,000-pod cluster, 2,000 policies")]
    public int Matrix() => ConnectivityAnalyzer.Matrix(engine).Lines.Count;
}

/// <summary>
/// <see cref="ConnectivityAnalyzer.Matrix(PolicyEngine)"/> of the whole 10,000-pod, 2,000-policy cluster, the case the
/// 5 s target is for, from an engine compiled in setup. The first (warmup) run is the cold one: BenchmarkDotNet prints
/// it as <c>WorkloadWarmup</c>, and docs/benchmarks.md reports it next to the measured runs.
/// </summary>
[Config(typeof(PolicyMatrixConfig))]
public class FullMatrixBenchmarks
{
    private PolicyEngine engine = null!;

    [GlobalSetup]
    public void Setup() => engine = PolicyEngine.Compile(PolicyClusters.Large());

    [Benchmark(Description = "ConnectivityAnalyzer.Matrix, 10,000 pods / 2,000 policies")]
    public int Matrix() => ConnectivityAnalyzer.Matrix(engine).Lines.Count;
}

/// <summary>
/// <see cref="ConnectivityAnalyzer.Diff"/> of the whole 10,000-pod, 2,000-policy cluster against itself with one change:
/// <c>allow-same-namespace</c> dropped from the 20 namespaces of one team, which closes most traffic of their pods.
/// Both clusters are compiled and both pair tables built inside the measurement.
/// </summary>
[Config(typeof(PolicyMatrixConfig))]
public class PolicyDiffBenchmarks
{
    private PolicySet before = null!;
    private PolicySet after = null!;

    [GlobalSetup]
    public void Setup()
    {
        before = PolicyClusters.Large();
        var team = before.Namespaces.Where(n => n.Labels["team"] == "team3").Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        after = before with { KubernetesPolicies = before.KubernetesPolicies.Where(p => !(p.Name == "allow-same-namespace" && team.Contains(p.Namespace))).ToList() };
        if (before.PolicyCount - after.PolicyCount != 20)
        {
            throw new InvalidOperationException($"The change drops {before.PolicyCount - after.PolicyCount} policies, not 20.");
        }
    }

    [Benchmark(Description = "ConnectivityAnalyzer.Diff, 10,000 pods / 2,000 policies, one team's allow-same-namespace dropped")]
    public int Diff() => ConnectivityAnalyzer.Diff(before, after).Lines.Count;
}

/// <summary>
/// <see cref="Trellis.Policy.Lint.PolicyLinter.Lint(PolicyEngine)"/> of the whole 10,000-pod, 2,000-policy cluster from an
/// engine compiled in setup: every check the linter makes, the shadowed-rule analysis included.
/// </summary>
[Config(typeof(PolicyMatrixConfig))]
public class PolicyLintBenchmarks
{
    private PolicyEngine engine = null!;

    [GlobalSetup]
    public void Setup() => engine = PolicyEngine.Compile(PolicyClusters.Large());

    [Benchmark(Description = "PolicyLinter.Lint, 10,000 pods / 2,000 policies")]
    public int Lint() => Trellis.Policy.Lint.PolicyLinter.Lint(engine).Count;
}

/// <summary>
/// 1 launch, 1 warmup and 3 measured iterations of one invocation each, without pilot or overhead runs: a matrix takes
/// seconds. The memory diagnoser runs the matrix once more.
/// </summary>
public sealed class PolicyMatrixConfig : ManualConfig
{
    public PolicyMatrixConfig()
    {
        AddJob(Job.Default.WithId("Matrix").WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(3)
            .WithInvocationCount(1).WithUnrollFactor(1));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.OperationsPerSecond);
    }
}
