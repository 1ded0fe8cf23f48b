using BenchmarkDotNet.Attributes;
using Trellis.Core.Ipam;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Core.Validation;

namespace Trellis.Benchmarks;

/// <summary>
/// Capacity and validation of a site of <see cref="Clusters"/> clusters (<see cref="Sites.SmallClusters"/>): per cluster
/// 1 control plane + 3 workers + 5 update addresses in the node IP pool (load balancer SKU none, so no HAProxy VM),
/// 1 API server VIP and 1 service VIP. The target is for 1,000 clusters; 100 is measured as well to show how the time
/// grows with the site.
/// </summary>
[Config(typeof(BenchConfig))]
public class CapacityBenchmarks
{
    [Params(100, 1000)]
    public int Clusters { get; set; }

    private SiteSpec spec = null!;
    private ResolvedSite site = null!;
    private IReadOnlyList<Allocation> allocations = null!;
    private ResolvedSite smallServiceSite = null!;
    private IReadOnlyList<Allocation> smallServiceAllocations = null!;

    [GlobalSetup]
    public void Setup()
    {
        spec = Sites.SmallClusters(Clusters);
        var validation = SiteValidator.Validate(spec);
        site = validation.Site ?? throw new InvalidOperationException(
            "The benchmark site does not validate: " + string.Join("; ", validation.Findings.Select(f => $"{f.Code} {f.Path}: {f.Message}")));
        var plan = SitePlanner.Plan(site, [], DateTimeOffset.UnixEpoch);
        if (plan.Findings.HasErrors())
        {
            throw new InvalidOperationException("The benchmark site does not plan: " + string.Join("; ", plan.Findings.Select(f => f.Message)));
        }

        allocations = plan.Result;

        smallServiceSite = SiteValidator.Validate(Sites.SmallClusters(Clusters, "10.96.0.0/20")).Site ?? throw new InvalidOperationException("The /20 variant does not validate.");
        smallServiceAllocations = SitePlanner.Plan(smallServiceSite, [], DateTimeOffset.UnixEpoch).Result;
    }

    /// <summary>What <c>trellis capacity</c> computes for a deployed site: the report over every planned allocation.</summary>
    [Benchmark(Baseline = true, Description = "CapacityPlanner.Report, all allocations")]
    public CapacityReport ReportDeployed() => CapacityPlanner.Report(site, allocations);

    /// <summary>The report before deployment (no allocations yet), as validation computes it.</summary>
    [Benchmark(Description = "CapacityPlanner.Report, no allocations")]
    public CapacityReport ReportEmpty() => CapacityPlanner.Report(site, []);

    /// <summary>
    /// Diagnostic, not a target: the same site with a /20 service CIDR instead of the default /12, to show what building a
    /// ledger of 1,048,576 ClusterIPs per cluster (a 128 KB bitset on the large object heap) costs the report.
    /// </summary>
    [Benchmark(Description = "CapacityPlanner.Report, all allocations, serviceCidr /20 (diagnostic)")]
    public CapacityReport ReportSmallServiceCidr() => CapacityPlanner.Report(smallServiceSite, smallServiceAllocations);

    /// <summary>Every rule of the spec, including the capacity check (which itself builds a report).</summary>
    [Benchmark(Description = "SiteValidator.Validate")]
    public ValidationResult Validate() => SiteValidator.Validate(spec);
}
