using Trellis.Core.Model;
using Trellis.Core.Validation;

namespace Trellis.Core.Tests.Model;

public class SiteSpecReaderTests
{
    private const string Header = "apiVersion: trellis/v1\nkind: Site\nmetadata: { name: jane }\n";

    private static Finding SingleFinding(string yaml, string code)
    {
        var result = SiteSpecReader.Read(yaml);
        Assert.Null(result.Spec);
        var finding = Assert.Single(result.Findings, f => f.Code == code);
        Assert.Equal(Severity.Error, finding.Severity);
        Assert.False(string.IsNullOrWhiteSpace(finding.Message));
        Assert.False(string.IsNullOrWhiteSpace(finding.Hint));
        return finding;
    }

    private static string TwoClusters(string secondPool) => Header + $$"""
        spec:
          hostNetwork: { name: mgmtvnet }
          clusters:
            - name: a
              nodePools:
                - { name: linuxpool, count: 5 }
            - name: b
              nodePools:
                - { name: linuxpool, {{secondPool}} }
        """;

    [Theory]
    [InlineData("worked-example.yaml")]
    [InlineData("contoso-multicluster.yaml")]
    [InlineData("dhcp-site.yaml")]
    [InlineData("aksarc-site.yaml")]
    public void Read_AcceptsEveryExample_WithoutFindings(string file)
    {
        var result = SiteSpecReader.Read(File.ReadAllText(Path.Combine(ExampleSites.Directory, file)));

        Assert.Empty(result.Findings);
        Assert.NotNull(result.Spec);
    }

    [Fact]
    public void Read_MapsTheWorkedExampleFieldByField()
    {
        var spec = SpecEdits.Worked;

        Assert.Equal("jane", spec.Name);
        Assert.Equal(SiteModel.AksHci, spec.Model);
        Assert.Equal("172.16.0.0/24", spec.HostNetwork!.IpAddressPrefix);
        Assert.Equal(["172.16.0.2"], spec.HostNetwork.DnsServers);
        Assert.Equal("172.16.0.46", spec.HostNetwork.K8sNodeIpPoolEnd);
        Assert.Equal("172.16.0.10/24", spec.CloudServiceCidr);
        Assert.False(spec.Settings.ManagementClusterVip);
        Assert.Equal(3, spec.Clusters[0].ControlPlaneNodeCount);
        Assert.Equal(5, spec.Clusters[0].NodePools[0].Count);
        Assert.Equal("front", spec.Clusters[0].Services[3].SharedIpKey);
        Assert.Equal([80], spec.Clusters[0].Services[3].Ports);
    }

    [Fact]
    public void Read_FillsTheAksHciDefaults()
    {
        var result = SiteSpecReader.Read(Header + """
            spec:
              hostNetwork: { name: mgmtvnet }
              loadBalancerSettings:
                - { name: ha }
                - { name: byo, loadBalancerSku: none }
              clusters:
                - name: a
                  nodePools: [ { name: p } ]
                  services: [ { name: web, ports: [443] } ]
            """);

        var spec = Assert.IsType<SiteSpec>(result.Spec);
        var c = spec.Clusters[0];
        Assert.Equal(1, c.ControlPlaneNodeCount);
        Assert.Equal(NetworkPlugin.Calico, c.PrimaryNetworkPlugin);
        Assert.Equal("10.244.0.0/16", c.PodCidr);
        Assert.Equal("10.96.0.0/12", c.ServiceCidr);
        Assert.Equal(1, c.NodePools[0].Count);
        Assert.Equal(OsType.Linux, c.NodePools[0].OsType);
        Assert.Equal(110, c.NodePools[0].MaxPodCount);
        Assert.Equal("Standard_K8S3_v1", c.NodePools[0].VmSize);
        Assert.Equal("default", c.Services[0].Namespace);
        Assert.Equal("TCP", c.Services[0].Protocol);
        Assert.Equal(IpAllocationMethod.Static, spec.HostNetwork!.IpAllocationMethod);
        Assert.Equal((LoadBalancerSku.HAProxy, 1), (spec.LoadBalancerSettings[0].LoadBalancerSku, spec.LoadBalancerSettings[0].LoadBalancerCount));
        Assert.Equal((LoadBalancerSku.None, 0), (spec.LoadBalancerSettings[1].LoadBalancerSku, spec.LoadBalancerSettings[1].LoadBalancerCount));
        Assert.True(spec.Settings.ManagementClusterVip);
        Assert.Null(spec.Settings.WorkloadUpdateReserve);
    }

    [Fact]
    public void Read_AcceptsJson()
    {
        var result = SiteSpecReader.Read("""
            { "apiVersion": "trellis/v1", "kind": "Site", "metadata": { "name": "j" },
              "spec": { "hostNetwork": { "name": "mgmtvnet", "vlanID": 7, "dnsServers": ["172.16.0.2"] } } }
            """);

        Assert.Empty(result.Findings);
        Assert.Equal(7, result.Spec!.HostNetwork!.VlanId);
    }

    [Fact]
    public void Read_MatchesEnumValuesCaseInsensitively()
    {
        var result = SiteSpecReader.Read(Header + "spec:\n  model: aksarc\n  logicalNetwork: { name: l, ipAllocationMethod: dynamic }\n");

        Assert.Empty(result.Findings);
        Assert.Equal(SiteModel.AksArc, result.Spec!.Model);
        Assert.Equal(IpAllocationMethod.Dhcp, result.Spec.LogicalNetwork!.IpAllocationMethod);
    }

    [Fact]
    public void Read_ReportsMalformedYaml_WithItsLine()
    {
        var finding = SingleFinding(Header + "spec:\n  hostNetwork: name: x: y\n", "YamlSyntax");

        Assert.Equal("", finding.Path);
        Assert.Contains("line 5", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ReportsAnUnclosedFlowSequence()
    {
        var finding = SingleFinding(Header + "spec:\n  clusters: [ { name: a }\n", "YamlSyntax");

        Assert.Matches(@"line \d+, column \d+", finding.Message);
    }

    [Fact]
    public void Read_ReportsAnExactDuplicateKeyAsSyntax()
    {
        var finding = SingleFinding("apiVersion: trellis/v1\nkind: Site\nkind: Site\n", "YamlSyntax");

        Assert.Contains("line 3", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ReportsAnUnclosedFlowMappingFollowedByBlockLines_AsSyntax()
    {
        // YamlDotNet's scanner throws InvalidOperationException here, not a YamlException.
        var finding = SingleFinding(Header.Replace("{ name: jane }", "{ name: jane", StringComparison.Ordinal) + "spec:\n  hostNetwork:\n    name: x\n", "YamlSyntax");

        Assert.Matches(@"line \d+", finding.Message);
    }

    [Fact]
    public void Read_ReportsAnEmptyKeyWithoutValue_AsSyntax()
    {
        // YamlDotNet's parser drops the value here and YamlStream then throws ArgumentException.
        var finding = SingleFinding(Header + "spec:\n  : AksHci\n  hostNetwork: { name: a }\n", "YamlSyntax");

        Assert.Contains("line 5", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ReportsAMalformedTag_AsSyntax()
    {
        // YamlDotNet throws ArgumentException ("Global tags must be valid URIs") here.
        var finding = SingleFinding(Header + "spec:\n  clusters:\n    - { name: a, !![sType: Linux }\n", "YamlSyntax");

        Assert.Equal("", finding.Path);
    }

    [Fact]
    public void Read_ReportsAnUndefinedAlias()
    {
        SingleFinding(Header + "spec:\n  hostNetwork: *nope\n", "YamlSyntax");
    }

    [Fact]
    public void Read_FollowsAnchorsAndAliases()
    {
        var result = SiteSpecReader.Read(Header + """
            spec:
              hostNetwork: { name: mgmtvnet }
              clusters:
                - { name: a, nodePools: &pools [ { name: p, count: 2 } ] }
                - { name: b, nodePools: *pools }
            """);

        Assert.Empty(result.Findings);
        Assert.Equal(2, result.Spec!.Clusters[1].NodePools[0].Count);
    }

    [Fact]
    public void Read_ReportsAWrongType_WithTheExactPath()
    {
        var finding = SingleFinding(TwoClusters("count: three"), "WrongType");

        Assert.Equal("spec.clusters[1].nodePools[0].count", finding.Path);
        Assert.Contains("'three'", finding.Message, StringComparison.Ordinal);
        Assert.Contains("line 12", finding.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("count: [3]")]
    [InlineData("count: { n: 3 }")]
    [InlineData("count: 3.5")]
    [InlineData("count: 0x10")]
    [InlineData("count: ''")]
    public void Read_ReportsNonIntegerCounts_AsWrongType(string field)
    {
        Assert.Equal("spec.clusters[1].nodePools[0].count", SingleFinding(TwoClusters(field), "WrongType").Path);
    }

    [Theory]
    [InlineData("99999999999")]
    [InlineData("-1")]
    [InlineData("100001")]
    [InlineData("99999999999999999999999999999999")]
    [InlineData("-99999999999999999999999999999999")]
    public void Read_ReportsAbsurdCounts_AsOutOfRange_NotAsAnException(string count)
    {
        var finding = SingleFinding(TwoClusters($"count: {count}"), "ValueOutOfRange");

        Assert.Equal("spec.clusters[1].nodePools[0].count", finding.Path);
        Assert.Contains("0–100000", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_AcceptsAQuotedOrSignedCount()
    {
        var result = SiteSpecReader.Read(TwoClusters("count: \"+7\""));

        Assert.Empty(result.Findings);
        Assert.Equal(7, result.Spec!.Clusters[1].NodePools[0].Count);
    }

    [Fact]
    public void Read_ReportsAnUnknownField_WithADidYouMeanHint()
    {
        var finding = SingleFinding(Header + "spec:\n  hostNetwork: { name: mgmtvnet, vipPoolStrat: 172.16.0.150 }\n", "UnknownField");

        Assert.Equal("spec.hostNetwork.vipPoolStrat", finding.Path);
        Assert.StartsWith("Did you mean 'vipPoolStart'?", finding.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ReportsAnUnknownNestedField_WithItsPath()
    {
        var finding = SingleFinding(TwoClusters("count: 3, maxPods: 60"), "UnknownField");

        Assert.Equal("spec.clusters[1].nodePools[0].maxPods", finding.Path);
        Assert.Contains("maxPodCount", finding.Hint, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("count: 3, maxPodCount: 60", 60, true)]
    [InlineData("count: 3, maxPodCount: 110", 110, true)]
    [InlineData("count: 3", 110, false)]
    [InlineData("count: 3, maxPodCount: null", 110, false)]
    [InlineData("count: 3, maxPodCount: ~", 110, false)]
    public void Read_RecordsWhetherANodePoolGivesMaxPodCount_EvenWhenItGivesTheDefault(string pool, int maxPods, bool given)
    {
        var read = SiteSpecReader.Read(TwoClusters(pool));

        Assert.True(read.Spec is not null, string.Join("\n", read.Findings));
        Assert.Equal((maxPods, given), (read.Spec.Clusters[1].NodePools[0].MaxPodCount, read.Spec.Clusters[1].NodePools[0].MaxPodCountGiven));
        Assert.False(read.Spec.Clusters[0].NodePools[0].MaxPodCountGiven);
    }

    [Fact]
    public void Read_ListsTheKnownFields_WhenNoNameIsClose()
    {
        var finding = SingleFinding(Header + "spec:\n  bananas: 3\n", "UnknownField");

        Assert.Equal("spec.bananas", finding.Path);
        Assert.Contains("hostNetwork", finding.Hint, StringComparison.Ordinal);
        Assert.DoesNotContain("Did you mean", finding.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ReportsTheSameFieldInTwoCasings_AsDuplicate()
    {
        var finding = SingleFinding(Header + "spec:\n  hostNetwork: { name: a, Name: b }\n", "DuplicateField");

        Assert.Equal("spec.hostNetwork.Name", finding.Path);
    }

    [Fact]
    public void Read_ReportsAnInvalidEnumValue_WithTheChoices()
    {
        var finding = SingleFinding(TwoClusters("osType: Solaris"), "InvalidValue");

        Assert.Equal("spec.clusters[1].nodePools[0].osType", finding.Path);
        Assert.Contains("Linux | Windows", finding.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ReportsAPortOutOfRange_AtItsIndex()
    {
        var yaml = Header + "spec:\n  clusters:\n    - name: a\n      services: [ { name: web, ports: [443, 70000, x] } ]\n";
        var result = SiteSpecReader.Read(yaml);

        Assert.Null(result.Spec);
        Assert.Contains(result.Findings, f => f is { Code: "ValueOutOfRange", Path: "spec.clusters[0].services[0].ports[1]" });
        Assert.Contains(result.Findings, f => f is { Code: "WrongType", Path: "spec.clusters[0].services[0].ports[2]" });
    }

    [Fact]
    public void Read_ReportsANonBoolean()
    {
        var finding = SingleFinding(Header + "spec:\n  settings: { managementClusterVip: maybe }\n", "WrongType");

        Assert.Equal("spec.settings.managementClusterVip", finding.Path);
    }

    [Fact]
    public void Read_ReportsAScalarWhereAListBelongs()
    {
        var finding = SingleFinding(Header + "spec:\n  hostNetwork: { name: a, dnsServers: 172.16.0.2 }\n", "WrongType");

        Assert.Equal("spec.hostNetwork.dnsServers", finding.Path);
        Assert.Contains("a list", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ReportsAListWhereAMappingBelongs()
    {
        var finding = SingleFinding(Header + "spec:\n  clusters: [ [a, b] ]\n", "WrongType");

        Assert.Equal("spec.clusters[0]", finding.Path);
    }

    [Fact]
    public void Read_ReportsAMissingName()
    {
        var finding = SingleFinding(Header + "spec:\n  clusters: [ { controlPlaneNodeCount: 3 } ]\n", "RequiredFieldMissing");

        Assert.Equal("spec.clusters[0].name", finding.Path);
    }

    [Fact]
    public void Read_ReportsMissingHeaderFields()
    {
        var result = SiteSpecReader.Read("spec: {}\n");

        Assert.Null(result.Spec);
        Assert.Equal(["apiVersion", "kind", "metadata.name"],
            result.Findings.Where(f => f.Code == "RequiredFieldMissing").Select(f => f.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Read_ReportsAMissingSpec()
    {
        Assert.Equal("spec", SingleFinding(Header, "RequiredFieldMissing").Path);
    }

    [Fact]
    public void Read_RejectsAnotherApiVersionOrKind()
    {
        var result = SiteSpecReader.Read("apiVersion: trellis/v2\nkind: Cluster\nmetadata: { name: x }\nspec: {}\n");

        Assert.Contains(result.Findings, f => f is { Code: "UnsupportedApiVersion", Path: "apiVersion" });
        Assert.Contains(result.Findings, f => f is { Code: "UnsupportedKind", Path: "kind" });
    }

    [Fact]
    public void Read_RejectsAValueTooLong()
    {
        var finding = SingleFinding(Header + $"spec:\n  hostNetwork: {{ name: {new string('a', 300)} }}\n", "ValueTooLong");

        Assert.Equal("spec.hostNetwork.name", finding.Path);
    }

    [Fact]
    public void Read_RejectsTooManyListItems()
    {
        var dns = string.Join(", ", Enumerable.Range(1, 65).Select(i => $"10.0.0.{i}"));
        var finding = SingleFinding(Header + $"spec:\n  hostNetwork: {{ name: a, dnsServers: [{dns}] }}\n", "TooManyItems");

        Assert.Equal("spec.hostNetwork.dnsServers", finding.Path);
    }

    [Fact]
    public void Read_ReportsMultipleDocuments()
    {
        var finding = SingleFinding(Header + "spec: {}\n---\n" + Header + "spec: {}\n", "SpecDocumentCount");

        Assert.Contains("2 documents", finding.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n\n")]
    [InlineData("# only a comment\n")]
    [InlineData("---\n---\n")]
    public void Read_ReportsAnEmptyFile(string yaml)
    {
        var finding = SingleFinding(yaml, "SpecDocumentCount");

        Assert.Contains("no document", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ReportsANullDocument_AsEmpty()
    {
        SingleFinding("~\n", "SpecEmpty");
    }

    [Fact]
    public void Read_ReportsAScalarDocument_AsOneWrongType()
    {
        var result = SiteSpecReader.Read("hello\n");

        var finding = Assert.Single(result.Findings);
        Assert.Equal(("WrongType", ""), (finding.Code, finding.Path));
    }

    [Fact]
    public void Read_RefusesDeepNesting_InsteadOfOverflowingTheStack()
    {
        var finding = SingleFinding(new string('[', 100_000), "YamlTooDeep");

        Assert.Equal("", finding.Path);
        Assert.Equal(Severity.Error, SingleFinding(new string('{', 10_000) + new string('}', 10_000), "YamlTooDeep").Severity);
        Assert.Equal(Severity.Error, SingleFinding(string.Concat(Enumerable.Range(0, 200).Select(i => new string(' ', i) + "- \n")), "YamlTooDeep").Severity);
    }

    [Fact]
    public void Read_AllowsReasonableNesting()
    {
        var yaml = new string('[', SiteSpecReader.MaxNestingDepth) + new string(']', SiteSpecReader.MaxNestingDepth);

        Assert.Equal("WrongType", Assert.Single(SiteSpecReader.Read(yaml).Findings).Code);
    }

    [Fact]
    public void Read_RefusesAHugeSpec_BeforeParsing()
    {
        var finding = SingleFinding(new string('#', SiteSpecReader.MaxSpecBytes + 1), "SpecTooLarge");

        Assert.Equal("", finding.Path);
    }

    [Fact]
    public void Read_ReportsEveryProblemAtOnce()
    {
        var result = SiteSpecReader.Read(Header + """
            spec:
              hostNetwork: { name: mgmtvnet, vlanID: seven, vipPoolStrat: 172.16.0.150 }
              clusters:
                - { name: a, controlPlaneNodeCount: lots, primaryNetworkPlugin: weave }
            """);

        Assert.Null(result.Spec);
        Assert.Equal(
            ["InvalidValue spec.clusters[0].primaryNetworkPlugin", "UnknownField spec.hostNetwork.vipPoolStrat", "WrongType spec.clusters[0].controlPlaneNodeCount", "WrongType spec.hostNetwork.vlanID"],
            result.Findings.Select(f => $"{f.Code} {f.Path}").Order(StringComparer.Ordinal));
    }
}
