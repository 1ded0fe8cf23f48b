using Trellis.Core.Model;
using Trellis.Core.Validation;
using static Trellis.Core.Tests.SpecEdits;

namespace Trellis.Core.Tests.Validation;

/// <summary>What AKS hybrid does not let change after deployment (reference §1.8, §4.1).</summary>
public class ImmutabilityRulesTests
{
    private static Finding Single(SiteSpec stored, SiteSpec next, string code, string path)
    {
        var findings = ImmutabilityRules.Check(stored, next);
        var finding = Assert.Single(findings);
        Assert.Equal((code, path, Severity.Error), (finding.Code, finding.Path, finding.Severity));
        Assert.False(string.IsNullOrWhiteSpace(finding.Message));
        Assert.False(string.IsNullOrWhiteSpace(finding.Hint));
        return finding;
    }

    [Theory]
    [InlineData("worked-example.yaml")]
    [InlineData("contoso-multicluster.yaml")]
    [InlineData("dhcp-site.yaml")]
    [InlineData("aksarc-site.yaml")]
    public void Check_FindsNothing_WhenNothingChanged(string file)
    {
        var spec = ExampleSites.Spec(file);

        Assert.Empty(ImmutabilityRules.Check(spec, spec));
    }

    [Fact]
    public void Check_AllowsScalingNodePoolsAndServices_AndAddingClusters()
    {
        var next = Contoso.NodePool(0, 0, p => p with { Count = 9 })
            .AddService(1, new ServiceSpec { Namespace = "bi", Name = "api", Ports = [80] })
            .Cluster(0, c => c with { ControlPlaneNodeCount = 5 });
        next = next with { Clusters = [.. next.Clusters, Contoso.Clusters[1] with { Name = "newone" }] };

        Assert.Empty(ImmutabilityRules.Check(Contoso, next));
    }

    [Fact]
    public void Check_RejectsChangingTheNetworkPlugin()
    {
        var finding = Single(Contoso, Contoso.Cluster(2, c => c with { PrimaryNetworkPlugin = NetworkPlugin.Calico }), "ImmutableField", "spec.clusters[2].primaryNetworkPlugin");

        Assert.Contains("Flannel → Calico", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_RejectsChangingThePodOrServiceCidr()
    {
        Single(Contoso, Contoso.Cluster(1, c => c with { PodCidr = "10.246.0.0/16" }), "ImmutableField", "spec.clusters[1].podCidr");
        Single(Contoso, Contoso.Cluster(1, c => c with { ServiceCidr = "10.100.0.0/16" }), "ImmutableField", "spec.clusters[1].serviceCidr");
    }

    [Fact]
    public void Check_RejectsChangingTheHostNetwork_AndTheCloudAgent()
    {
        Single(Worked, Worked.Host(n => n with { VipPoolEnd = "172.16.0.160" }), "ImmutableField", "spec.hostNetwork.vipPoolEnd");
        Single(Worked, Worked with { CloudServiceCidr = "172.16.0.11/24" }, "ImmutableField", "spec.cloudServiceCidr");
    }

    [Fact]
    public void Check_RejectsChangingAClusterNetworkInUse_ButNotAnUnusedOne()
    {
        Single(Contoso, Contoso.ClusterNetwork(0, n => n with { VlanId = 18 }), "ImmutableField", "spec.clusterNetworks[0].vlanID");

        var unused = Contoso with { ClusterNetworks = [.. Contoso.ClusterNetworks, Contoso.ClusterNetworks[0] with { Name = "spare", IpAddressPrefix = "172.18.0.0/23" }] };
        Assert.Empty(ImmutabilityRules.Check(unused, unused.ClusterNetwork(1, n => n with { VlanId = 99 })));
    }

    [Fact]
    public void Check_RejectsChangingTheLoadBalancerSku_ButNotTheSettingWithTheSameSku()
    {
        Single(Contoso, Contoso.Cluster(2, c => c with { LoadBalancerSettings = "haproxy2" }), "ImmutableField", "spec.clusters[2].loadBalancerSettings");
        Assert.Empty(ImmutabilityRules.Check(Contoso, Contoso.Cluster(0, c => c with { LoadBalancerSettings = null })));
    }

    [Fact]
    public void Check_RejectsAKubernetesDowngrade_ButNotAnUpgrade()
    {
        Single(Contoso, Contoso.Cluster(0, c => c with { KubernetesVersion = "v1.28.9" }), "DowngradeNotSupported", "spec.clusters[0].kubernetesVersion");
        Assert.Empty(ImmutabilityRules.Check(Contoso, Contoso.Cluster(0, c => c with { KubernetesVersion = "v1.30.0" })));
    }

    [Fact]
    public void Check_RejectsChangingANodePoolsOsTypeOrMaxPods()
    {
        Single(Contoso, Contoso.NodePool(1, 0, p => p with { OsType = OsType.Windows }), "ImmutableField", "spec.clusters[1].nodePools[0].osType");
        Single(Contoso, Contoso.NodePool(1, 0, p => p with { MaxPodCount = 100 }), "ImmutableField", "spec.clusters[1].nodePools[0].maxPodCount");
    }

    [Fact]
    public void Check_RejectsChangingTheArcControlPlaneIpOrIpPool()
    {
        Single(Arc, Arc.Cluster(1, c => c with { ControlPlaneIp = "10.220.32.42" }), "ImmutableField", "spec.clusters[1].controlPlaneIp");
        Single(Arc, Arc.Lnet(l => l with { IpPoolEnd = "10.220.32.40" }), "ImmutableField", "spec.logicalNetwork.ipPoolEnd");
    }

    [Fact]
    public void Check_RejectsChangingTheBlockSize_OnceClustersExist()
    {
        Single(Contoso, Contoso.Settings(s => s with { CalicoBlockSize = 24 }), "ImmutableField", "spec.settings.calicoBlockSize");
        var empty = Contoso with { Clusters = [] };
        Assert.Empty(ImmutabilityRules.Check(empty, empty.Settings(s => s with { CalicoBlockSize = 24 })));
    }
}
