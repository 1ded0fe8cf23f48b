using Trellis.Core.Model;
using Trellis.Core.Validation;
using static Trellis.Core.Tests.SpecEdits;

namespace Trellis.Core.Tests.Validation;

/// <summary>Kubernetes' version skew policy: one minor version per upgrade; and one text per version.</summary>
public class UpgradeSkewTests
{
    private const string Path = "spec.clusters[0].kubernetesVersion";

    [Theory]
    [InlineData("v1.31.0")]
    [InlineData("v1.32.0")]
    [InlineData("v2.0.0")]
    [InlineData("2.29.4")]
    public void Check_RefusesAnUpgradeThatSkipsAMinorVersion(string target)
    {
        var finding = Assert.Single(ImmutabilityRules.Check(Contoso, Contoso.Cluster(0, c => c with { KubernetesVersion = target })));

        Assert.Equal("UpgradeSkipsMinorVersion", finding.Code);
        Assert.Equal(Path, finding.Path);
        Assert.Contains("v1.30", finding.Hint, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("v1.29.9")]
    [InlineData("v1.30.0")]
    [InlineData("1.30.14")]
    public void Check_AcceptsAPatchOrTheNextMinorVersion(string target)
    {
        Assert.Empty(ImmutabilityRules.Check(Contoso, Contoso.Cluster(0, c => c with { KubernetesVersion = target })));
    }

    [Fact]
    public void Check_TreatsAVersionWithAndWithoutVAsTheSame()
    {
        var withV = Contoso.Cluster(0, c => c with { KubernetesVersion = "v1.30.0" });
        var withoutV = Contoso.Cluster(0, c => c with { KubernetesVersion = "1.30.0" });

        Assert.Empty(ImmutabilityRules.Check(withV, withoutV));
        Assert.Empty(ImmutabilityRules.Check(withoutV, withV));
        Assert.Equal("v1.30.0", withoutV.Clusters[0].KubernetesVersion);
    }

    [Fact]
    public void Reader_KeepsTheCanonicalVersion()
    {
        var yaml = File.ReadAllText(System.IO.Path.Combine(ExampleSites.Directory, "contoso-multicluster.yaml")).Replace("kubernetesVersion: v1.29.4", "kubernetesVersion: 1.29.4", StringComparison.Ordinal);

        Assert.Equal("v1.29.4", SiteSpecReader.Read(yaml).Spec!.Clusters[0].KubernetesVersion);
    }

    [Theory]
    [InlineData("v1.029.4")]
    [InlineData("v1.29.4\n")]
    [InlineData("v1.29.99999999999")]
    public void Validate_RejectsVersionsThatAreNotOneCanonicalRelease(string version)
    {
        Contoso.Cluster(0, c => c with { KubernetesVersion = version }).AssertFinding("InvalidKubernetesVersion", Path);
    }

    [Fact]
    public void Versions_CompareByTheirNumbers()
    {
        Assert.True(KubernetesVersion.TryParse("v1.9.0", out var a));
        Assert.True(KubernetesVersion.TryParse("1.10.0", out var b));
        Assert.True(a < b);
        Assert.Equal("v1.10.0", b.ToString());
    }
}
