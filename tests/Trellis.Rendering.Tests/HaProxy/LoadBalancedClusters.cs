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
                return (state.Site, topology);
    }
}
