using BenchmarkDotNet.Attributes;
using Trellis.Policy.Evaluation;
using Trellis.Policy.Manifests;

namespace Trellis.Benchmarks;

/// <summary>
/// The policy engine at the scale, <see cref="PolicyClusters.Large"/>: 10,000 pods in 500 namespaces with 2,000
/// policies (1,500 Kubernetes NetworkPolicies, 500 Calico policies in three tiers). Measures one
/// <see cref="PolicyEngine.Check"/> after compiling (target ≤ 20 µs) and the compile itself (no target).
/// </summary>
[Config(typeof(BenchConfig))]
public class PolicyBenchmarks
{
    /// <summary>Flows per invocation; Mean is per check.</summary>
    public const int FlowCount = 4096;

    private PolicySet set = null!;
    private PolicyEngine engine = null!;
    private Flow[] flows = null!;

    [GlobalSetup]
    public void Setup()
    {
        set = PolicyClusters.Large();
        engine = PolicyEngine.Compile(set);
        flows = PolicyClusters.EngineFlows(engine, PolicyClusters.SampleFlows(set, FlowCount, seed: 7));
        var allowed = flows.Count(f => engine.Check(f).Allowed);
        Console.WriteLine($"// PolicyBenchmarks: {set.Workloads.Count} pods, {set.Namespaces.Count} namespaces, {set.PolicyCount} policies; {allowed} of {flows.Length} sampled flows allowed.");
    }

    [Benchmark(OperationsPerInvoke = FlowCount, Description = "PolicyEngine.Check, 10,000 pods / 2,000 policies")]
    public int Check()
    {
        var allowed = 0;
        foreach (var f in flows)
        {
            allowed += engine.Check(f).Allowed ? 1 : 0;
        }

        return allowed;
    }

    [Benchmark(Description = "PolicyEngine.Compile, 10,000 pods / 2,000 policies")]
    public PolicyEngine Compile() => PolicyEngine.Compile(set);
}
