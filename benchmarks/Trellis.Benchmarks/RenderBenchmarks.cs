using BenchmarkDotNet.Attributes;
using Trellis.Core.Ipam;
using Trellis.Core.Planning;
using Trellis.Core.Validation;
using Trellis.Rendering;

namespace Trellis.Benchmarks;

/// <summary>
/// SiteRenderer.Render of every file (haproxy.cfg and keepalived.conf per LB VM, Calico or Flannel, HNS per Windows node,
/// the neutral LB JSON) for 32 clusters with 200 LoadBalancer services each, from a plan computed once in setup.
/// </summary>
[Config(typeof(BenchConfig))]
public class RenderBenchmarks
{
    private ResolvedSite site = null!;
    private IReadOnlyList<Allocation> allocations = null!;

    [Params(32)]
    public int Clusters { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var validation = SiteValidator.Validate(Sites.ManyServices(Clusters, 200));
        site = validation.Site ?? throw new InvalidOperationException(string.Join("; ", validation.Findings));
        var plan = SitePlanner.Plan(site, [], DateTimeOffset.UnixEpoch);
        if (plan.Findings.HasErrors())
        {
            throw new InvalidOperationException(string.Join("; ", plan.Findings));
        }

        allocations = plan.Result;
    }

    [Benchmark(Description = "render all files, 32 clusters x 200 services")]
    public int RenderAll() => SiteRenderer.Render(site, allocations).Sum(f => f.Content.Length);
}
