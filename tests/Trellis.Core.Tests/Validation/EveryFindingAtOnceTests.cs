using CsCheck;
using Trellis.Core.Model;
using Trellis.Core.Validation;
using static Trellis.Core.Tests.SpecEdits;

namespace Trellis.Core.Tests.Validation;

/// <summary>One error never hides another finding: each rule reports what it can judge, whatever else is wrong.</summary>
public class EveryFindingAtOnceTests
{
    private static IReadOnlyList<string> Keys(SiteSpec spec) =>
        SiteValidator.Validate(spec).Findings.Select(f => $"{f.Severity} {f.Code} {f.Path}").ToList();

    [Fact]
    public void Validate_AWindowsPoolsMaxPodsError_HidesNeitherAPodCidrOverlapNorAVipPoolTooSmall()
    {
        var spec = Worked
            .AddNodePool(0, new NodePoolSpec { Name = "winpool", OsType = OsType.Windows, Count = 1, MaxPodCount = 30 })
            .Host(n => n with { K8sNodeIpPoolEnd = "172.16.0.47", VipPoolEnd = "172.16.0.153" })
            .Cluster(1, c => c with { PodCidr = "172.16.0.0/16" });

        var keys = Keys(spec);

        Assert.Contains("Error InvalidMaxPodCount spec.clusters[0].nodePools[1].maxPodCount", keys);
        Assert.Contains("Warning OverlayOverlapsSiteNetwork spec.clusters[1].podCidr", keys);
        Assert.Contains("Error VipPoolTooSmall spec.hostNetwork.vipPoolEnd", keys);
    }

    [Fact]
    public void Validate_AVipPoolOverlappingTheNodePool_HidesNeitherTheDnsServerNorTheCloudAgentInIt()
    {
        var spec = Worked.Host(n => n with { VipPoolStart = "172.16.0.40", VipPoolEnd = "172.16.0.60", DnsServers = ["172.16.0.55"] })
            with { CloudServiceCidr = "172.16.0.56/24" };

        var keys = Keys(spec);

        Assert.Contains("Error VipPoolOverlapsNodePool spec.hostNetwork.vipPoolStart", keys);
        Assert.Contains("Error DnsServerInPool spec.hostNetwork.dnsServers[0]", keys);
        Assert.Contains("Error CloudAgentInPool spec.cloudServiceCidr", keys);
    }

    [Fact]
    public void Validate_AnUnknownLoadBalancerSetting_StillJudgesTheVipPool_ButNotTheNodeIpPoolItSizes()
    {
        var spec = Worked.Cluster(1, c => c with { LoadBalancerSettings = "nosuchlb" }).Host(n => n with { VipPoolEnd = "172.16.0.153" });

        var keys = Keys(spec);

        Assert.Contains("Error UnknownLoadBalancerSetting spec.clusters[1].loadBalancerSettings", keys);
        Assert.Contains("Error VipPoolTooSmall spec.hostNetwork.vipPoolEnd", keys);
        Assert.DoesNotContain(keys, k => k.Contains("NodeIpPoolTooSmall", StringComparison.Ordinal) || k.Contains("NoUpgradeHeadroom", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_AnInvalidClusterNetwork_StillJudgesTheHostNetworksCapacity()
    {
        var spec = Contoso.ClusterNetwork(0, n => n with { VlanId = 0 }).Host(n => n with { VipPoolEnd = "172.16.0.150" });

        var keys = Keys(spec);

        Assert.Contains("Error InvalidVlanId spec.clusterNetworks[0].vlanID", keys);
        Assert.Contains("Error VipPoolTooSmall spec.hostNetwork.vipPoolEnd", keys);
    }

    // ---- property: adding an unrelated error never removes a finding ----

    /// <summary>An edit and the field it breaks: findings at that field may change, every other one must stay.</summary>
    private sealed record Edit(string Name, string Path, Func<SiteSpec, SiteSpec> Apply);

    private sealed record Base(string Name, SiteSpec Spec, Edit[] WithFindings);

    /// <summary>Each example with edits that give it findings of its own (capacity errors, warnings, infrastructure addresses in pools).</summary>
    private static readonly Base[] Bases =
    [
        new("worked", Worked,
        [
            new("vip pool short", "", s => s.Host(n => n with { VipPoolEnd = "172.16.0.153" })),
            new("node pool short", "", s => s.Host(n => n with { K8sNodeIpPoolEnd = "172.16.0.45" })),
            new("pod cidr overlap", "", s => s.Cluster(0, c => c with { PodCidr = "172.16.0.0/16" })),
            new("dns in vip pool", "", s => s.Host(n => n with { DnsServers = ["172.16.0.151"] })),
            new("windows pool at 110 pods", "", s => s.AddNodePool(1, new NodePoolSpec { Name = "win", OsType = OsType.Windows, Count = 1 })),
            new("flannel", "", s => s.Cluster(1, c => c with { PrimaryNetworkPlugin = NetworkPlugin.Flannel })),
        ]),
        new("contoso", Contoso,
        [
            new("mgmt vip pool short", "", s => s.Host(n => n with { VipPoolEnd = "172.16.0.151" })),
            new("windows pods", "", s => s.NodePool(0, 1, p => p with { MaxPodCount = 110 })),
            new("service cidr overlap", "", s => s.Cluster(1, c => c with { ServiceCidr = "172.16.0.0/12" })),
        ]),
        new("dhcp", Dhcp,
        [
            new("scope short", "", s => s.Scope(d => d with { End = "10.12.0.24" })),
            new("short lease", "", s => s.Scope(d => d with { LeaseDuration = "00:08:00" })),
            new("gateway in scope", "", s => s.Host(n => n with { Gateway = "10.12.0.100" })),
        ]),
    ];

    /// <summary>Errors that change no count, address or range that another rule judges.</summary>
    private static readonly Edit[] UnrelatedErrors =
    [
        new("site name", "metadata.name", s => s with { Name = "Bad_Site" }),
        new("kubernetes version", "spec.clusters[0].kubernetesVersion", s => s.Cluster(0, c => c with { KubernetesVersion = "latest" })),
        new("cluster name", "spec.clusters[0].name", s => s.Cluster(0, c => c with { Name = "Bad_Cluster" })),
        new("node pool name", "spec.clusters[0].nodePools[0].name", s => s.NodePool(0, 0, p => p with { Name = "Bad_Pool" })),
        new("os sku", "spec.clusters[0].nodePools[0].osSku", s => s.NodePool(0, 0, p => p with { OsSku = "Windows2016" })),
        new("max pods", "spec.clusters[0].nodePools[0].maxPodCount", s => s.NodePool(0, 0, p => p with { MaxPodCount = 30 })),
        new("host vswitch", "spec.hostNetwork.vswitchName", s => s.Host(n => n with { VswitchName = null })),
        new("dns server count", "spec.hostNetwork.dnsServers", s => s.Host(n => n with { DnsServers = [.. Enumerable.Repeat(n.DnsServers.Count > 0 ? n.DnsServers[0] : "8.8.8.8", 4)] })),
        new("lease", "spec.hostNetwork.dhcpScope.leaseDuration", s => s.Host(n => n.DhcpScope is null ? n : n with { DhcpScope = n.DhcpScope with { LeaseDuration = "forever" } })),
        new("service protocol", "spec.clusters[0].services[0].protocol", s => s.Clusters[0].Services.Count == 0 ? s : s.Service(0, 0, x => x with { Protocol = "HTTP" })),
        new("service name", "spec.clusters[0].services[0].name", s => s.Clusters[0].Services.Count == 0 ? s : s.Service(0, 0, x => x with { Name = "Bad_Service" })),
        new("unused load balancer setting name", "spec.loadBalancerSettings", s => s with { LoadBalancerSettings = [.. s.LoadBalancerSettings, new LoadBalancerSettingSpec { Name = "Bad_Lb" }] }),
    ];

    [Fact]
    public void Validate_AddingAnUnrelatedError_NeverRemovesAFindingTheSiteHad()
    {
        var gen = Gen.Int[0, Bases.Length - 1].SelectMany(b => Gen.Select(
            Gen.Int[0, Bases[b].WithFindings.Length - 1].HashSet[0, 3],
            Gen.Int[0, UnrelatedErrors.Length - 1],
            (edits, error) => (b, edits, error)));

        gen.Sample(t =>
        {
            var (b, edits, error) = t;
            var site = edits.Order().Aggregate(Bases[b].Spec, (s, i) => Bases[b].WithFindings[i].Apply(s));
            var unrelated = UnrelatedErrors[error];

            var before = SiteValidator.Validate(site).Findings;
            var after = Keys(unrelated.Apply(site)).ToHashSet(StringComparer.Ordinal);

            var lost = before
                .Where(f => !(f.Path == unrelated.Path || f.Path.StartsWith(unrelated.Path + ".", StringComparison.Ordinal) || f.Path.StartsWith(unrelated.Path + "[", StringComparison.Ordinal)))
                .Select(f => $"{f.Severity} {f.Code} {f.Path}")
                .Where(k => !after.Contains(k))
                .ToList();
            Assert.True(lost.Count == 0,
                $"{Bases[b].Name} with [{string.Join(", ", edits.Order().Select(i => Bases[b].WithFindings[i].Name))}] + {unrelated.Name} lost:\n{string.Join("\n", lost)}");
        }, iter: 400);
    }
}
