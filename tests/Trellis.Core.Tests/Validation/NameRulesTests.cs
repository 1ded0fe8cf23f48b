using Trellis.Core.Model;
using Trellis.Core.Validation;
using static Trellis.Core.Tests.SpecEdits;

namespace Trellis.Core.Tests.Validation;

/// <summary>Names as each product accepts them (docs/validation.md, "Name rules"): AksHci and AKS Arc differ.</summary>
public class NameRulesTests
{
    /// <summary>A hostile value: a typographic quote PowerShell takes for ', a statement and a comment.</summary>
    private const string Hostile = "x\u2019 -Description z; Write-Host PWNED; #";

    public static TheoryData<string, string> NameFields => new()
    {
        { "worked-example.yaml", "metadata.name" },
        { "worked-example.yaml", "spec.hostNetwork.name" },
        { "worked-example.yaml", "spec.hostNetwork.vswitchName" },
        { "contoso-multicluster.yaml", "spec.clusterNetworks[0].name" },
        { "contoso-multicluster.yaml", "spec.loadBalancerSettings[0].name" },
        { "contoso-multicluster.yaml", "spec.loadBalancerSettings[0].vmSize" },
        { "contoso-multicluster.yaml", "spec.clusters[0].name" },
        { "contoso-multicluster.yaml", "spec.clusters[0].controlPlaneVmSize" },
        { "contoso-multicluster.yaml", "spec.clusters[0].nodePools[0].name" },
        { "contoso-multicluster.yaml", "spec.clusters[0].nodePools[0].vmSize" },
        { "contoso-multicluster.yaml", "spec.clusters[0].services[0].namespace" },
        { "contoso-multicluster.yaml", "spec.clusters[0].services[0].name" },
        { "contoso-multicluster.yaml", "spec.clusters[0].services[0].sharedIpKey" },
        { "contoso-multicluster.yaml", "spec.clusters[2].loadBalancers[0].name" },
        { "dhcp-site.yaml", "spec.hostNetwork.dhcpScope.reservations[0].name" },
        { "aksarc-site.yaml", "spec.logicalNetwork.name" },
        { "aksarc-site.yaml", "spec.logicalNetwork.vmSwitchName" },
        { "aksarc-site.yaml", "spec.clusters[0].name" },
        { "aksarc-site.yaml", "spec.clusters[0].nodePools[0].name" },
        { "aksarc-site.yaml", "spec.clusters[0].loadBalancers[0].name" },
        { "aksarc-site.yaml", "spec.clusters[1].bgpPeers[0].name" },
    };

    private static SiteSpec Set(SiteSpec s, string path, Func<string?, string> value) => path switch
    {
        "metadata.name" => s with { Name = value(s.Name) },
        "spec.hostNetwork.name" => s.Host(n => n with { Name = value(n.Name) }),
        "spec.hostNetwork.vswitchName" => s.Host(n => n with { VswitchName = value(n.VswitchName) }),
        "spec.clusterNetworks[0].name" => s.ClusterNetwork(0, n => n with { Name = value(n.Name) }),
        "spec.loadBalancerSettings[0].name" => s with { LoadBalancerSettings = Replace(s.LoadBalancerSettings, 0, l => l with { Name = value(l.Name) }) },
        "spec.loadBalancerSettings[0].vmSize" => s with { LoadBalancerSettings = Replace(s.LoadBalancerSettings, 0, l => l with { VmSize = value(l.VmSize) }) },
        "spec.clusters[0].name" => s.Cluster(0, c => c with { Name = value(c.Name) }),
        "spec.clusters[0].controlPlaneVmSize" => s.Cluster(0, c => c with { ControlPlaneVmSize = value(c.ControlPlaneVmSize) }),
        "spec.clusters[0].nodePools[0].name" => s.NodePool(0, 0, p => p with { Name = value(p.Name) }),
        "spec.clusters[0].nodePools[0].vmSize" => s.NodePool(0, 0, p => p with { VmSize = value(p.VmSize) }),
        "spec.clusters[0].services[0].namespace" => s.Service(0, 0, x => x with { Namespace = value(x.Namespace) }),
        "spec.clusters[0].services[0].name" => s.Service(0, 0, x => x with { Name = value(x.Name) }),
        "spec.clusters[0].services[0].sharedIpKey" => s.Service(0, 0, x => x with { SharedIpKey = value(x.SharedIpKey) }),
        "spec.clusters[2].loadBalancers[0].name" => s.MetalLb(2, 0, l => l with { Name = value(l.Name) }),
        "spec.hostNetwork.dhcpScope.reservations[0].name" => s.Scope(d => d with { Reservations = Replace(d.Reservations, 0, r => r with { Name = value(r.Name) }) }),
        "spec.logicalNetwork.name" => s.Lnet(l => l with { Name = value(l.Name) }),
        "spec.logicalNetwork.vmSwitchName" => s.Lnet(l => l with { VmSwitchName = value(l.VmSwitchName) }),
        "spec.clusters[0].loadBalancers[0].name" => s.MetalLb(0, 0, l => l with { Name = value(l.Name) }),
        "spec.clusters[1].bgpPeers[0].name" => s.Cluster(1, c => c with { BgpPeers = Replace(c.BgpPeers, 0, p => p with { Name = value(p.Name) }) }),
        _ => throw new ArgumentException(path),
    };

    [Theory]
    [MemberData(nameof(NameFields))]
    public void EveryNameField_RefusesAHostileValue_WithAFindingAtItsPath(string example, string path)
    {
        var finding = Set(ExampleSites.Spec(example), path, _ => Hostile).AssertFinding("InvalidName", path);

        Assert.Contains("e.g.", finding.Hint, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(NameFields))]
    public void EveryNameField_RefusesATrailingNewline(string example, string path)
    {
        Set(ExampleSites.Spec(example), path, original => original + "\n").AssertFinding("InvalidName", path);
    }

    [Fact]
    public void Validate_AcceptsAnAksArcClusterNameWithHyphens()
    {
        Arc.Cluster(0, c => c with { Name = "hcibox-aks" }).AssertClean("InvalidName");
    }

    [Theory]
    [InlineData("HciBox")]
    [InlineData("hcibox_aks")]
    [InlineData("hcibox-")]
    public void Validate_RejectsAnAksArcClusterNameThatIsNotAKubernetesName(string name)
    {
        Arc.Cluster(0, c => c with { Name = name }).AssertFinding("InvalidName", "spec.clusters[0].name");
    }

    [Fact]
    public void Validate_StillRejectsAHyphenInAnAksHciClusterName()
    {
        Contoso.Cluster(0, c => c with { Name = "hcibox-aks" }).AssertFinding("InvalidName", "spec.clusters[0].name");
    }

    [Theory]
    [InlineData("win-pool")]
    [InlineData("ab")]
    [InlineData("linuxpool1234")]
    [InlineData("1linux")]
    public void Validate_AksArcNodePoolNames_FollowTheAgentPoolPattern(string name)
    {
        Arc.NodePool(0, 0, p => p with { Name = name }).AssertFinding("InvalidName", "spec.clusters[0].nodePools[0].name");
    }

    [Theory]
    [InlineData("linux")]
    [InlineData("win2022")]
    [InlineData("linuxpool123")]
    public void Validate_AksArcNodePoolNames_AcceptTheAgentPoolPattern(string name)
    {
        Arc.NodePool(0, 0, p => p with { Name = name }).AssertClean("InvalidName");
    }

    [Fact]
    public void Validate_AcceptsTheProductsOwnLoadBalancerSettingExample()
    {
        (Contoso with { LoadBalancerSettings = Replace(Contoso.LoadBalancerSettings, 0, l => l with { Name = "haProxyLB" }) })
            .Cluster(0, c => c with { LoadBalancerSettings = "haProxyLB" }).Cluster(1, c => c with { LoadBalancerSettings = "haProxyLB" }).AssertClean("InvalidName");
    }

    [Fact]
    public void Validate_AcceptsAzureLocalsConvergedSwitch()
    {
        Arc.Lnet(l => l with { VmSwitchName = "ConvergedSwitch(compute_management)" }).AssertClean("InvalidName");
    }

    [Fact]
    public void Validate_RejectsTwoMetalLbNamesThatDifferOnlyInCase()
    {
        Arc.Cluster(0, c => c with { LoadBalancers = [c.LoadBalancers[0], new MetalLbPoolSpec { Name = "LB-A", Addresses = ["10.220.32.50-10.220.32.52"] }] })
            .AssertFinding("DuplicateName", "spec.clusters[0].loadBalancers[1].name");
    }
}
