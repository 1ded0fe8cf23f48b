using System.Text.RegularExpressions;
using CsCheck;
using Trellis.Core.Model;
using Trellis.Core.Validation;
using static Trellis.Core.Tests.SpecEdits;

namespace Trellis.Core.Tests.Validation;

public partial class FindingCoverageTests
{
    private static string Root => Path.GetDirectoryName(ExampleSites.Directory)!;

    [GeneratedRegex(@"\b(?:Error|Warning|Info|Finding\.Error|Finding\.Warning|Short)\(\s*""([A-Za-z0-9]+)""")]
    private static partial Regex EmittedCode();

    [GeneratedRegex(@"""([A-Za-z0-9]+)""")]
    private static partial Regex QuotedWord();

    /// <summary>Every code the validator or the capacity check can emit is asserted by some test here, so a new rule cannot land untested.</summary>
    [Fact]
    public void EveryFindingCode_IsExercisedByATest()
    {
        var sources = Directory.GetFiles(Path.Combine(Root, "src", "Trellis.Core", "Validation"), "*.cs")
            .Append(Path.Combine(Root, "src", "Trellis.Core", "Planning", "CapacityPlanner.cs"));
        var codes = sources.SelectMany(f => EmittedCode().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value)).ToHashSet(StringComparer.Ordinal);
        var testDirectory = Path.Combine(Root, "tests", "Trellis.Core.Tests");
        var tested = Directory.GetFiles(testDirectory, "*Tests.cs", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(nameof(FindingCoverageTests) + ".cs", StringComparison.Ordinal))
            .SelectMany(f => QuotedWord().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value))
            .ToHashSet(StringComparer.Ordinal);

        Assert.True(codes.Count > 90, $"only {codes.Count} codes found; has the source layout changed?");
        Assert.Empty(codes.Where(c => !tested.Contains(c)).Order(StringComparer.Ordinal));
    }

    // ---- every finding is complete, whatever the input ----

    private static readonly string?[] Addresses =
        [null, "", " ", "10.1", "172.16.0.1", "172.16.0.25", "172.16.0.152", "172.16.0.255", "10.220.32.41", "fd00::1", "300.1.1.1", "172.16.0.0/24", "x"];

    private static readonly string?[] Prefixes =
        [null, "", "172.16.0.0/24", "172.16.0.0/33", "172.16.0.1/24", "10.0.0.0/8", "0.0.0.0/0", "10.244.0.0/28", "fd00::/64", "172.16.0.10/24", "/"];

    private static readonly int[] Numbers = [int.MinValue, -1, 0, 1, 2, 3, 5, 50, 60, 64, 65, 110, 200, 201, 4095, 65536, int.MaxValue];

    /// <summary>One random edit of one field of a spec, from values that sit on or past the rules' edges.</summary>
    private static readonly Gen<Func<SiteSpec, SiteSpec>> Edit = Gen.Select(Gen.Int[0, 22], Gen.Int[0, 1000]).Select<int, int, Func<SiteSpec, SiteSpec>>((field, k) =>
    {
        var address = Addresses[k % Addresses.Length];
        var prefix = Prefixes[k % Prefixes.Length];
        var number = Numbers[k % Numbers.Length];
        return field switch
        {
            0 => s => s.HostNetwork is null ? s : s.Host(n => n with { Gateway = address }),
            1 => s => s.HostNetwork is null ? s : s.Host(n => n with { IpAddressPrefix = prefix }),
            2 => s => s.HostNetwork is null ? s : s.Host(n => n with { VipPoolStart = address }),
            3 => s => s.HostNetwork is null ? s : s.Host(n => n with { K8sNodeIpPoolEnd = address }),
            4 => s => s.HostNetwork is null ? s : s.Host(n => n with { DnsServers = [.. n.DnsServers, address ?? "?"], VlanId = number }),
            5 => s => s with { CloudServiceCidr = prefix },
            6 => s => s.Clusters.Count == 0 ? s : s.Cluster(k % s.Clusters.Count, c => c with { ControlPlaneNodeCount = number }),
            7 => s => s.Clusters.Count == 0 || s.Clusters[k % s.Clusters.Count].NodePools.Count == 0 ? s : s.NodePool(k % s.Clusters.Count, 0, p => p with { Count = number }),
            8 => s => s.Clusters.Count == 0 || s.Clusters[k % s.Clusters.Count].NodePools.Count == 0 ? s : s.NodePool(k % s.Clusters.Count, 0, p => p with { MaxPodCount = number, OsType = k % 2 == 0 ? OsType.Windows : OsType.Linux }),
            9 => s => s.Clusters.Count == 0 ? s : s.Cluster(k % s.Clusters.Count, c => c with { PodCidr = prefix ?? "", ServiceCidr = Prefixes[(k / 3) % Prefixes.Length] ?? "" }),
            10 => s => s.Clusters.Count == 0 ? s : s.AddService(k % s.Clusters.Count, new ServiceSpec { Namespace = k % 3 == 0 ? "kube-system" : "shop", Name = k % 5 == 0 ? "kube-dns" : $"s{k}", Ports = [number], SharedIpKey = k % 2 == 0 ? "front" : null }),
            11 => s => s.Clusters.Count == 0 ? s : s.Cluster(k % s.Clusters.Count, c => c with { Vnet = k % 2 == 0 ? "nope" : "prodvnet", LoadBalancerSettings = k % 3 == 0 ? "nope" : c.LoadBalancerSettings }),
            12 => s => s.Clusters.Count == 0 ? s : s.Cluster(k % s.Clusters.Count, c => c with { ControlPlaneIp = address }),
            13 => s => s.Clusters.Count == 0 ? s : s.Cluster(k % s.Clusters.Count, c => c with { LoadBalancers = [new MetalLbPoolSpec { Name = "lb-x", Addresses = [prefix ?? "", $"{address}-10.220.32.60"], AdvertiseMode = k % 2 == 0 ? "BGP" : "ARP" }] }),
            14 => s => s.LogicalNetwork is null ? s : s.Lnet(l => l with { IpPoolStart = address, AddressPrefixes = prefix is null ? [] : [prefix] }),
            15 => s => s.LogicalNetwork is null ? s : s.Lnet(l => l with { Gateway = address, DnsServers = k % 2 == 0 ? [] : l.DnsServers }),
            16 => s => s.HostNetwork?.DhcpScope is null ? s : s.Scope(d => d with { Start = address, LeaseDuration = k % 2 == 0 ? "00:00:01" : "nonsense" }),
            17 => s => s.HostNetwork?.DhcpScope is null ? s : s.Scope(d => d with { Reservations = [.. d.Reservations, new DhcpReservationSpec { Name = "r", IpAddress = address, MacAddress = k % 2 == 0 ? "02-00-00-00-00-01" : "bad" }] }),
            18 => s => s with { Clusters = [.. s.Clusters.Skip(k % Math.Max(1, s.Clusters.Count))] },
            19 => s => s with { Model = k % 7 == 0 ? SiteModel.AksArc : s.Model, Name = k % 4 == 0 ? "Bad Name" : s.Name },
            // Names used twice: a cluster's, and a network's (cluster network named like another or like the host).
            21 => s => s.Clusters.Count == 0 ? s : s with { Clusters = [.. s.Clusters, s.Clusters[k % s.Clusters.Count]] },
            22 => s => s.ClusterNetworks.Count == 0 || s.HostNetwork is null ? s
                : s with { ClusterNetworks = [.. s.ClusterNetworks.Select((n, i) => i == k % s.ClusterNetworks.Count ? n with { Name = k % 2 == 0 ? s.HostNetwork.Name : s.ClusterNetworks[0].Name } : n), .. k % 3 == 0 ? s.ClusterNetworks.Take(1) : []] },
            _ => s => s with { LoadBalancerSettings = [.. s.LoadBalancerSettings, new LoadBalancerSettingSpec { Name = k % 2 == 0 ? "haproxy2" : "x", LoadBalancerSku = LoadBalancerSku.None, LoadBalancerCount = number }] },
        };
    });

    [Fact]
    public void Validate_NeverThrows_AndEveryFindingHasACodePathMessageAndHint()
    {
        Gen.Select(Gen.OneOfConst("worked-example.yaml", "contoso-multicluster.yaml", "dhcp-site.yaml", "aksarc-site.yaml"), Edit.Array[1, 4]).Sample((file, edits) =>
        {
            var spec = edits.Aggregate(ExampleSites.Spec(file), (s, edit) => edit(s));

            var result = SiteValidator.Validate(spec);

            Assert.Equal(result.Site is null, result.Findings.HasErrors());
            foreach (var f in result.Findings)
            {
                Assert.Matches("^[A-Z][A-Za-z0-9]+$", f.Code);
                Assert.Matches(@"^(|metadata\.name|spec(\.[A-Za-z0-9]+(\[\d+\])?)*)$", f.Path);
                Assert.False(string.IsNullOrWhiteSpace(f.Message), f.ToString());
                Assert.False(string.IsNullOrWhiteSpace(f.Hint), f.ToString());
            }

            if (result.Site is { } site)
            {
                Assert.Empty(Trellis.Core.Planning.SitePlanner.Plan(site, [], DateTimeOffset.UnixEpoch).Findings);
            }
        }, iter: 400);
    }
}
