using BenchmarkDotNet.Attributes;
using Trellis.Policy.Evaluation;
using Trellis.Policy.Manifests;
using Trellis.Policy.Tests.Evaluation;

namespace Trellis.Benchmarks;

/// <summary>
/// The naive evaluator of the differential test (tests/Trellis.Policy.Tests/Evaluation/NaiveEvaluator.cs, linked) next
/// to the engine on <see cref="PolicyClusters.Small"/>: 1,000 pods in 50 namespaces with 200 policies, the same 256
/// flows for both. The naive one is the baseline, so the engine's Ratio is engine / naive.
/// </summary>
[Config(typeof(BenchConfig))]
public class PolicyNaiveBenchmarks
{
    /// <summary>Flows per invocation; Mean is per check.</summary>
    public const int FlowCount = 256;

    private PolicySet set = null!;
    private PolicyEngine engine = null!;
    private NaiveEvaluator naive = null!;
    private PolicyFlowSpec[] specs = null!;
    private Flow[] flows = null!;

    [GlobalSetup]
    public void Setup()
    {
        set = PolicyClusters.Small();
        engine = PolicyEngine.Compile(set);
        naive = new NaiveEvaluator(set, engine.Options);
        specs = PolicyClusters.SampleFlows(set, FlowCount, seed: 11);
        flows = PolicyClusters.EngineFlows(engine, specs);
        var disagree = Enumerable.Range(0, FlowCount).Count(i => engine.Check(flows[i]).Allowed != naive.Allowed(specs[i].From, specs[i].To, specs[i].Protocol, specs[i].Port));
        if (disagree > 0)
        {
            throw new InvalidOperationException($"The engine and the naive evaluator disagree on {disagree} of {FlowCount} flows.");
        }

        Console.WriteLine($"// PolicyNaiveBenchmarks: {set.Workloads.Count} pods, {set.PolicyCount} policies; both evaluators agree on all {FlowCount} flows.");
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = FlowCount, Description = "naive evaluator, 1,000 pods / 200 policies")]
    public int Naive()
    {
        var allowed = 0;
        foreach (var f in specs)
        {
            allowed += naive.Allowed(f.From, f.To, f.Protocol, f.Port) ? 1 : 0;
        }

        return allowed;
    }

    [Benchmark(OperationsPerInvoke = FlowCount, Description = "PolicyEngine.Check, 1,000 pods / 200 policies")]
    public int Engine()
    {
        var allowed = 0;
        foreach (var f in flows)
        {
            allowed += engine.Check(f).Allowed ? 1 : 0;
        }

        return allowed;
    }
}
