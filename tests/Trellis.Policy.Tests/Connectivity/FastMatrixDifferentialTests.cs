using CsCheck;
using Trellis.Core.Addressing;
using Trellis.Policy.Connectivity;
using Trellis.Policy.Evaluation;
using Trellis.Policy.Manifests;
using static Trellis.Policy.Tests.Evaluation.PolicyGenerators;

namespace Trellis.Policy.Tests.Connectivity;

/// <summary>
/// <see cref="ConnectivityAnalyzer.Matrix(PolicyEngine)"/> (on bitsets) against <see cref="ConnectivityAnalyzer.MatrixByProbing"/>
/// (one engine check per pair and piece of the port space): the reports must be the same, node for node, line for line
/// and cell for cell, on random clusters and policies and on the shop example; and the lines streamed by
/// <see cref="ConnectivityAnalyzer.MatrixLines(PolicyEngine)"/> are the report's.
/// </summary>
public sealed class FastMatrixDifferentialTests
{
    private static readonly Gen<PolicyOptions> Options = Gen.OneOfConst(
        PolicyOptions.Calico,
        PolicyOptions.Calico with { IpBlockMatchesPods = false },
        PolicyOptions.Calico with { AllowSelfTraffic = false },
        PolicyOptions.Calico with { PodCidrs = [Prefix.Parse("10.0.0.0/8")] },
        PolicyOptions.Calico with { HostNetworkPoliced = true },
        PolicyOptions.Flannel);

    [Fact]
    public void FastMatrix_EqualsTheProbingMatrix_OnRandomClusters()
    {
        Gen.Select(Clusters, Options).Sample((set, options) => AssertSame(PolicyEngine.Compile(set, options)), iter: 400);
    }

    [Fact]
    public void FastMatrix_EqualsTheProbingMatrix_OnBarePodsWithPortRangesAndNamedPorts()
    {
        Gen.Select(BarePodSets, Options).Sample((set, options) => AssertSame(PolicyEngine.Compile(set, options)), iter: 400);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void FastMatrix_EqualsTheProbingMatrix_OnTheBarePodBenchmarkFamily(bool portRanges)
    {
        // 200 pods and 50 policies of the benchmark family: 50 port ranges and 200 named ports cut the port space into
        // hundreds of pieces, far more than any one pod's rules do.
        var set = Trellis.Benchmarks.BarePodClusters.Build(200, portRanges);
        AssertSame(PolicyEngine.Compile(set));
    }

    [Fact]
    public void FastMatrix_EqualsTheProbingMatrix_OnTheShopExample()
    {
        var shop = Tests.Manifests.ManifestFile.Load(Path.Combine(RepositoryRoot(), "examples", "manifests", "shop.yaml"));
        AssertSame(PolicyEngine.Compile(shop));
        AssertSame(PolicyEngine.Compile(shop, PolicyOptions.Calico with { IpBlockMatchesPods = false }));
    }

    [Fact]
    public void FastMatrix_EqualsTheProbingMatrix_OnTheMinimalExample()
    {
        AssertSame(PolicyEngine.Compile(MinimalExample.Load()));
    }

    [Fact]
    public void Diff_EqualsTheProbingDiff_OnRandomPolicyChanges()
    {
        // The same workloads under other policies, and other workloads altogether (added, removed and relabelled pods).
        var samePods = Gen.Select(Clusters, Clusters).Select((x, y) => (x, y with { Workloads = x.Workloads, Namespaces = x.Namespaces }));
        var otherPods = Gen.Select(Clusters, Clusters);
        Gen.Select(Gen.OneOf(samePods, otherPods), Options).Sample((pair, options) =>
        {
            var fast = ConnectivityAnalyzer.Diff(pair.Item1, pair.Item2, options);
            var probed = ConnectivityAnalyzer.DiffByProbing(pair.Item1, pair.Item2, options);
            Assert.Equal(probed.ToString(), fast.ToString());
            Assert.Equal(probed.Lines, fast.Lines);
        }, iter: 300);
    }

    [Fact]
    public void Diff_EqualsTheProbingDiff_OnBarePodsWithPortRanges()
    {
        var samePods = Gen.Select(BarePodSets, BarePodSets)
            .Select((x, y) => (x, y with { Workloads = x.Workloads, Namespaces = x.Namespaces }));
        Gen.Select(samePods, Options).Sample((pair, options) =>
            Assert.Equal(ConnectivityAnalyzer.DiffByProbing(pair.Item1, pair.Item2, options).Lines, ConnectivityAnalyzer.Diff(pair.Item1, pair.Item2, options).Lines), iter: 200);
    }

    [Fact]
    public void Diff_EqualsTheProbingDiff_OnTheShopExample()
    {
        var shop = Tests.Manifests.ManifestFile.Load(Path.Combine(RepositoryRoot(), "examples", "manifests", "shop.yaml"));
        var open = shop with { KubernetesPolicies = shop.KubernetesPolicies.Skip(1).ToList(), CalicoPolicies = shop.CalicoPolicies.Take(1).ToList() };
        var fast = ConnectivityAnalyzer.Diff(shop, open);
        Assert.False(fast.IsEmpty);
        Assert.Equal(ConnectivityAnalyzer.DiffByProbing(shop, open).Lines, fast.Lines);
        Assert.Equal(ConnectivityAnalyzer.DiffByProbing(open, shop).Lines, ConnectivityAnalyzer.Diff(open, shop).Lines);
    }

    private static void AssertSame(PolicyEngine engine)
    {
        var fast = ConnectivityAnalyzer.Matrix(engine);
        var probed = ConnectivityAnalyzer.MatrixByProbing(engine);
        Assert.Equal(probed.Enforced, fast.Enforced);
        Assert.Equal(probed.Note, fast.Note);
        Assert.Equal(probed.Nodes.Select(n => n.ToString()), fast.Nodes.Select(n => n.ToString()));
        Assert.Equal(probed.Nodes.Select(n => n.IsExternal), fast.Nodes.Select(n => n.IsExternal));
        Assert.Equal(probed.Lines.Select(l => l.ToString()), fast.Lines.Select(l => l.ToString()));
        Assert.Equal(probed.Lines, fast.Lines);
        // The streamed lines, as the CLI writes them, are the report's.
        var streamed = ConnectivityAnalyzer.MatrixLines(engine);
        Assert.Equal(fast.Lines, streamed.Lines.ToList());
        Assert.Equal((fast.Enforced, fast.Note), (streamed.Enforced, streamed.Note));
        Assert.Equal(probed.Cells.Count, fast.Cells.Count);
        for (var r = 0; r < probed.Cells.Count; r++)
        {
            for (var c = 0; c < probed.Cells.Count; c++)
            {
                Assert.True(Equals(probed.Cells[r][c], fast.Cells[r][c]), $"cell {probed.Nodes[r]} -> {probed.Nodes[c]}: probing {probed.Cells[r][c]}, fast {fast.Cells[r][c]}");
            }
        }
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Trellis.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("The repository root (Trellis.slnx) is not above the test's directory.");
    }
}
