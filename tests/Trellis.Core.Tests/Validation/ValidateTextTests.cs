using Trellis.Core.Validation;

namespace Trellis.Core.Tests.Validation;

public class ValidateTextTests
{
    private static string Worked => File.ReadAllText(Path.Combine(ExampleSites.Directory, "worked-example.yaml"));

    [Fact]
    public void ValidateText_ReportsTypeErrorsAndRuleViolationsAtOnce()
    {
        var yaml = Worked
            .Replace("{ name: linuxpool, osType: Linux, count: 5 }", "{ name: linuxpool, osType: Linux, count: five }", StringComparison.Ordinal)
            .Replace("gateway: 172.16.0.1", "gateway: 172.16.1.1", StringComparison.Ordinal);

        var result = SiteValidator.ValidateText(yaml);

        Assert.False(result.IsValid);
        Assert.Contains(result.Findings, f => f.Code == "WrongType" && f.Path == "spec.clusters[0].nodePools[0].count");
        Assert.Contains(result.Findings, f => f.Code == "GatewayOutsidePrefix" && f.Path == "spec.hostNetwork.gateway");
    }

    [Fact]
    public void ValidateText_DoesNotRepeatAProblemOfAnUnreadableField()
    {
        var yaml = Worked.Replace("vipPoolStart: 172.16.0.150", "vipPoolStart: [172.16.0.150]", StringComparison.Ordinal);

        var result = SiteValidator.ValidateText(yaml);

        Assert.Single(result.Findings, f => f.Path.StartsWith("spec.hostNetwork.vipPoolStart", StringComparison.Ordinal));
        Assert.Equal("WrongType", result.Findings.Single(f => f.Path == "spec.hostNetwork.vipPoolStart").Code);
    }

    [Fact]
    public void ValidateText_AFiveThousandCharacterSiteName_IsTooLong_NotMissing()
    {
        var yaml = Worked.Replace("metadata: { name: jane }", $"metadata: {{ name: {new string('j', 5000)} }}", StringComparison.Ordinal);

        var result = SiteValidator.ValidateText(yaml);

        var finding = Assert.Single(result.Findings);
        Assert.Equal(("ValueTooLong", "metadata.name"), (finding.Code, finding.Path));
    }

    [Fact]
    public void ValidateText_OfAValidSpec_ResolvesIt()
    {
        Assert.True(SiteValidator.ValidateText(Worked).IsValid);
    }
}
