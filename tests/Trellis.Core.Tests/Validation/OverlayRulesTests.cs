using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Core.Validation;
using static Trellis.Core.Tests.SpecEdits;

namespace Trellis.Core.Tests.Validation;

/// <summary>A cluster's VXLAN is fixed when it is created; Windows nodes need VNI ≥ 4096 on UDP 4789 from the start.</summary>
public class OverlayRulesTests
{
    private const string Legacy = "spec.clusters[2]";

    private static SiteSpec LinuxOnly(SiteSpec s) => s.Cluster(2, c => c with { NodePools = c.NodePools.Where(p => p.OsType == OsType.Linux).ToList() });

    private static (int, int) VxlanOf(SiteSpec spec) => OverlayFacts.Vxlan(ExampleSites.Resolve(spec).Clusters.Single(c => c.Name == "legacy"));

    [Fact]
    public void LinuxOnlyFlannelCluster_IsCreatedWithTheWindowsReadyVxlan_SoAWindowsPoolChangesNothing()
    {
        var linuxOnly = LinuxOnly(Contoso);

        Assert.Equal((4096, 4789), VxlanOf(linuxOnly));
        Assert.Equal(VxlanOf(linuxOnly), VxlanOf(Contoso));
        Assert.Empty(ImmutabilityRules.Check(OverlayFacts.FixVxlan(null, linuxOnly), OverlayFacts.FixVxlan(OverlayFacts.FixVxlan(null, linuxOnly), Contoso)));
    }

    [Fact]
    public void WindowsPool_OnAFlannelClusterCreatedWithLinuxVxlan_IsAFindingWithTheFix()
    {
        var spec = Contoso.Cluster(2, c => c with { VxlanVni = 1, VxlanPort = 8472 });

        var finding = spec.AssertFinding("VxlanNotForWindows", $"{Legacy}.vxlanVni");

        Assert.Contains("vxlanVni: 4096", finding.Hint, StringComparison.Ordinal);
        Assert.Contains("vxlanPort: 4789", finding.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void WindowsPool_OnAFlannelClusterWithTheLinuxPort_IsAFindingAtThePort()
    {
        Contoso.Cluster(2, c => c with { VxlanVni = 4096, VxlanPort = 8472 }).AssertFinding("VxlanNotForWindows", $"{Legacy}.vxlanPort");
    }

    [Fact]
    public void FlannelsLinuxVxlan_WithoutWindowsNodes_IsAccepted_AndRenderedAsGiven()
    {
        var spec = LinuxOnly(Contoso).Cluster(2, c => c with { VxlanVni = 1, VxlanPort = 8472 });

        spec.AssertClean("VxlanNotForWindows");
        Assert.Equal((1, 8472), VxlanOf(spec));
    }

    [Fact]
    public void Vxlan_CannotChangeAfterDeployment()
    {
        var deployed = OverlayFacts.FixVxlan(null, LinuxOnly(Contoso));
        var changed = deployed.Cluster(2, c => c with { VxlanVni = 1, VxlanPort = 8472 });

        var findings = ImmutabilityRules.Check(deployed, changed);

        Assert.Contains(findings, f => f.Code == "ImmutableField" && f.Path == $"{Legacy}.vxlanVni");
        Assert.Contains(findings, f => f.Code == "ImmutableField" && f.Path == $"{Legacy}.vxlanPort");
    }

    [Fact]
    public void FixVxlan_KeepsWhatADeployedClusterRuns_AndGivesANewOneTheDefault()
    {
        var deployed = LinuxOnly(Contoso).Cluster(2, c => c with { VxlanVni = 1, VxlanPort = 8472 });

        var next = OverlayFacts.FixVxlan(deployed, Contoso);

        Assert.Equal((1, 8472), (next.Clusters[2].VxlanVni!.Value, next.Clusters[2].VxlanPort!.Value));
        Assert.Equal((4096, 4789), (OverlayFacts.FixVxlan(null, Contoso).Clusters[2].VxlanVni!.Value, OverlayFacts.FixVxlan(null, Contoso).Clusters[2].VxlanPort!.Value));
        Assert.Null(next.Clusters[0].VxlanVni);
    }

    [Fact]
    public void KeepStoredVxlan_GivesAFlannelClusterStoredWithoutOneTheVxlanItWasRenderedWith()
    {
        Assert.Equal(1, OverlayFacts.KeepStoredVxlan(LinuxOnly(Contoso)).Clusters[2].VxlanVni);
        Assert.Equal(4096, OverlayFacts.KeepStoredVxlan(Contoso).Clusters[2].VxlanVni);
    }

    [Fact]
    public void CalicoVxlan_IsFixed()
    {
        Contoso.Cluster(0, c => c with { VxlanVni = 5000 }).AssertFinding("CalicoVxlanFixed", "spec.clusters[0].vxlanVni");
        Contoso.Cluster(0, c => c with { VxlanPort = 8472 }).AssertFinding("CalicoVxlanFixed", "spec.clusters[0].vxlanPort");
        Contoso.Cluster(0, c => c with { VxlanVni = 4096, VxlanPort = 4789 }).AssertClean("CalicoVxlanFixed");
    }
}
