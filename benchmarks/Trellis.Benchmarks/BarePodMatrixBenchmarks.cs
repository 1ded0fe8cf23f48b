using BenchmarkDotNet.Attributes;
using Trellis.Policy.Connectivity;
using Trellis.Policy.Evaluation;

namespace Trellis.Benchmarks;

/// <summary>
/// The connectivity matrix of <see cref="BarePodClusters"/>: N bare pods, each its own identity with a named port of its
/// own, and N/4 policies with a port range each (or a single port each), from an engine compiled in setup. Measured two
/// ways: the whole report in memory (<see cref="ConnectivityAnalyzer.Matrix(PolicyEngine)"/>, as the deployment-shaped
/// <see cref="FullMatrixBenchmarks"/> measures it), and the lines streamed to a writer as <c>trellis netpol matrix</c>
/// writes them (<see cref="ConnectivityAnalyzer.MatrixLines(PolicyEngine)"/>).
/// </summary>
[Config(typeof(PolicyMatrixConfig))]
public class BarePodMatrixBenchmarks
{
    private PolicyEngine engine = null!;

    [Params(2_000, 10_000)]
    public int Pods { get; set; }

    [Params(true, false)]
    public bool PortRanges { get; set; }

    [GlobalSetup]
    public void Setup() => engine = PolicyEngine.Compile(BarePodClusters.Build(Pods, PortRanges));

    [Benchmark(Description = "ConnectivityAnalyzer.Matrix, bare pods, N/4 policies")]
    public int Matrix() => ConnectivityAnalyzer.Matrix(engine).Lines.Count;

    [Benchmark(Description = "ConnectivityAnalyzer.MatrixLines written as text, bare pods, N/4 policies")]
    public int Streamed()
    {
        ConnectivityText.Write(ConnectivityAnalyzer.MatrixLines(engine), TextWriter.Null);
        return Pods;
    }
}
