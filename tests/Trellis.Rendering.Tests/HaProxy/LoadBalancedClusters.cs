using Trellis.Core.Model;
using Trellis.Core.Planning;

namespace Trellis.Rendering.Tests.HaProxy;

/// <summary>The clusters of the example sites as the load balancer renderers see them.</summary>
internal static class LoadBalancedClusters
{
    public static (ResolvedSite Site, ClusterTopology Cluster) Load(string file, string cluster) => From(ExampleState.Load(file), cluster);

    public static (ResolvedSite Site, ClusterTopology Cluster) From(SiteSpec spec, string cluster) => From(ExampleState.FromSpec(spec), cluster);

    public static SiteSpec Spec(string file) =>
        SiteSpecReader.Read(File.ReadAllText(Path.Combine(ExampleState.ExamplesDirectory, file))).Spec
        ?? throw new InvalidOperationException($"{file} does not parse.");

    private static (ResolvedSite Site, ClusterTopology Cluster) From(ExampleState state, string cluster)
    {
        var topology = ClusterTopology.From(state.Site, state.Site.Clusters.Single(c => c.Name == cluster), state.Allocations);
        // The planner may not allocate cluster/<c>/vrrp yet; 51 (the distributions' default) stands in until it does.
        return (state.Site, topology.VirtualRouterId is null ? topology with { VirtualRouterId = 51 } : topology);
    }
}
