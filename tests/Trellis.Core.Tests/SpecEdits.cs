using Trellis.Core.Model;
using Trellis.Core.Validation;

namespace Trellis.Core.Tests;

/// <summary>Small `with` helpers to mutate one field deep inside an example spec.</summary>
internal static class SpecEdits
{
    private static readonly Lazy<SiteSpec> WorkedSpec = new(() => ExampleSites.Spec("worked-example.yaml"));
    private static readonly Lazy<SiteSpec> ContosoSpec = new(() => ExampleSites.Spec("contoso-multicluster.yaml"));
    private static readonly Lazy<SiteSpec> DhcpSpec = new(() => ExampleSites.Spec("dhcp-site.yaml"));
    private static readonly Lazy<SiteSpec> ArcSpec = new(() => ExampleSites.Spec("aksarc-site.yaml"));

    /// <summary>The documentation's worked example (examples/worked-example.yaml); specs are immutable, so one copy is shared.</summary>
    public static SiteSpec Worked => WorkedSpec.Value;
    public static SiteSpec Contoso => ContosoSpec.Value;
    public static SiteSpec Dhcp => DhcpSpec.Value;
    public static SiteSpec Arc => ArcSpec.Value;

    public static SiteSpec Host(this SiteSpec s, Func<NetworkSpec, NetworkSpec> edit) => s with { HostNetwork = edit(s.HostNetwork!) };

    public static SiteSpec Scope(this SiteSpec s, Func<DhcpScopeSpec, DhcpScopeSpec> edit) =>
        s.Host(n => n with { DhcpScope = edit(n.DhcpScope!) });

    public static SiteSpec ClusterNetwork(this SiteSpec s, int i, Func<NetworkSpec, NetworkSpec> edit) =>
        s with { ClusterNetworks = Replace(s.ClusterNetworks, i, edit) };

    public static SiteSpec Lnet(this SiteSpec s, Func<LogicalNetworkSpec, LogicalNetworkSpec> edit) => s with { LogicalNetwork = edit(s.LogicalNetwork!) };

    public static SiteSpec Cluster(this SiteSpec s, int i, Func<ClusterSpec, ClusterSpec> edit) =>
        s with { Clusters = Replace(s.Clusters, i, edit) };

    public static SiteSpec NodePool(this SiteSpec s, int cluster, int pool, Func<NodePoolSpec, NodePoolSpec> edit) =>
        s.Cluster(cluster, c => c with { NodePools = Replace(c.NodePools, pool, edit) });

    public static SiteSpec Service(this SiteSpec s, int cluster, int service, Func<ServiceSpec, ServiceSpec> edit) =>
        s.Cluster(cluster, c => c with { Services = Replace(c.Services, service, edit) });

    public static SiteSpec AddNodePool(this SiteSpec s, int cluster, NodePoolSpec pool) =>
        s.Cluster(cluster, c => c with { NodePools = [.. c.NodePools, pool] });

    public static SiteSpec AddService(this SiteSpec s, int cluster, ServiceSpec service) =>
        s.Cluster(cluster, c => c with { Services = [.. c.Services, service] });

    public static SiteSpec MetalLb(this SiteSpec s, int cluster, int lb, Func<MetalLbPoolSpec, MetalLbPoolSpec> edit) =>
        s.Cluster(cluster, c => c with { LoadBalancers = Replace(c.LoadBalancers, lb, edit) });

    public static SiteSpec Settings(this SiteSpec s, Func<PlanningSettings, PlanningSettings> edit) => s with { Settings = edit(s.Settings) };

    public static IReadOnlyList<T> Replace<T>(IReadOnlyList<T> list, int index, Func<T, T> edit) =>
        list.Select((x, i) => i == index ? edit(x) : x).ToList();

    public static IReadOnlyList<Finding> Findings(this SiteSpec s) => SiteValidator.Validate(s).Findings;

    /// <summary>Asserts exactly one finding of <paramref name="code"/> at <paramref name="path"/> with the severity, and returns it.</summary>
    public static Finding AssertFinding(this SiteSpec s, string code, string path, Severity severity = Severity.Error)
    {
        var result = SiteValidator.Validate(s);
        var matches = result.Findings.Where(f => f.Code == code).ToList();
        Assert.True(matches.Count > 0, $"expected {code} at {path}; got:\n{string.Join("\n", result.Findings)}");
        var finding = Assert.Single(matches, f => f.Path == path);
        Assert.Equal(severity, finding.Severity);
        Assert.False(string.IsNullOrWhiteSpace(finding.Message));
        Assert.False(string.IsNullOrWhiteSpace(finding.Hint));
        if (severity == Severity.Error)
        {
            Assert.False(result.IsValid);
        }

        return finding;
    }

    /// <summary>Asserts that <paramref name="code"/> is not reported and that the spec is valid.</summary>
    public static void AssertClean(this SiteSpec s, string code)
    {
        var result = SiteValidator.Validate(s);
        Assert.DoesNotContain(result.Findings, f => f.Code == code);
        Assert.True(result.IsValid, string.Join("\n", result.Findings));
    }
}
