using System.Text.Json;
using Trellis.Core.Model;
using Trellis.TestSupport;

namespace Trellis.Engine.Tests;

/// <summary>The stored site as YAML: read back, it is the same spec, and it plans the same allocations on an empty state.</summary>
public sealed class SpecExportTests
{
    public static TheoryData<string> Examples => [.. ExampleState.Files];

    private static string Json(SiteSpec spec) => JsonSerializer.Serialize(spec, EngineJsonContext.Default.SiteSpec);

    /// <summary>
    /// <paramref name="spec"/> with every node pool's maxPodCount given: the export writes every value out, so that is how it
    /// reads back (docs/governance.md).
    /// </summary>
    internal static SiteSpec WithMaxPodCountGiven(SiteSpec spec) =>
        spec with { Clusters = [.. spec.Clusters.Select(c => c with { NodePools = [.. c.NodePools.Select(p => p with { MaxPodCountGiven = true })] })] };

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task Yaml_OfAStoredExample_ReadsBackToTheStoredSpec_AndAppliesToTheSameAllocations(string example)
    {
        await using var stored = new EngineFixture();
        Assert.True((await stored.Engine.ApplyAsync(EngineFixture.Example(example))).Applied);
        var state = await stored.Engine.ReadAsync();

        var (yaml, findings) = SpecExport.Yaml(state);

        Assert.Empty(findings);
        var read = SiteSpecs.Parse(yaml!);
        Assert.Empty(read.Findings);
        Assert.Equal(Json(WithMaxPodCountGiven(state.Spec!)), Json(read.Document!.Spec));
        await using var copy = new EngineFixture();
        Assert.True((await copy.Engine.ApplyAsync(read.Document)).Applied);
        var copied = await copy.Engine.ReadAsync();
        Assert.Equal(state.Allocations.Select(a => (a.Pool.ToString(), a.Address, a.Owner.ToString())), copied.Allocations.Select(a => (a.Pool.ToString(), a.Address, a.Owner.ToString())));
        Assert.Equal(yaml, SpecExport.Yaml(copied).Yaml);
    }

    [Fact]
    public void Yaml_WritesEveryFieldASpecCanHold_SoThatItReadsBackEqual()
    {
        var spec = EngineFixture.Example("contoso-multicluster.yaml") with
        {
            Settings = new PlanningSettings { ManagementClusterVip = false, WorkloadUpdateReserve = 3, CalicoBlockSize = 27, FlannelSubnetLen = 25, UnderlayMtu = 9000, VirtualRouterIdBase = 120, KubeVipControlPlane = true },
        };
        spec = spec with
        {
            HostNetwork = spec.HostNetwork! with
            {
                Name = "quoted: 'name' \"x\"",
                DhcpScope = new DhcpScopeSpec { Subnet = "10.0.0.0/24", Start = "10.0.0.10", End = "10.0.0.250", LeaseDuration = "8.00:00:00", Reservations = [new() { Name = "true", IpAddress = "10.0.0.20", MacAddress = "00-15-5D-01-02-03" }] },
            },
            Clusters = [.. spec.Clusters.Select((c, i) => i > 0 ? c : c with
            {
                LoadBalancerCount = 2, VxlanVni = 4100, VxlanPort = 4789, VirtualRouterId = 7, ControlPlaneIp = "10.0.0.5",
                LoadBalancers = [new() { Name = "lb1", Addresses = ["10.0.0.100-10.0.0.110"], AdvertiseMode = "BGP" }],
                BgpPeers = [new() { Name = "tor1", MyAsn = 64500, PeerAsn = 4_200_000_000, PeerAddress = "10.0.0.1", PeerPort = 179 }],
                NodePools = [.. c.NodePools.Select(p => p with { OsSku = "CBLMariner" })],
            })],
        };

        var (yaml, _) = SpecExport.Yaml(new SiteState(1, 1, spec, [], []));

        var read = SiteSpecReader.Read(yaml!);
        Assert.Empty(read.Findings);
        Assert.Equal(Json(WithMaxPodCountGiven(spec)), Json(read.Spec!));
    }

    [Fact]
    public void Yaml_OfAnEmptyState_IsNoSite()
    {
        var (yaml, findings) = SpecExport.Yaml(SiteState.Empty);

        Assert.Null(yaml);
        Assert.Equal("NoSite", Assert.Single(findings).Code);
    }
}
