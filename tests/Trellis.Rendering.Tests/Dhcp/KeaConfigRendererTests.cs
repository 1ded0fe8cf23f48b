using System.Net;
using System.Text.Json.Nodes;
using CsCheck;
using Trellis.Core.Addressing;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Rendering.Dhcp;

namespace Trellis.Rendering.Tests.Dhcp;

public class KeaConfigRendererTests
{
    private static JsonNode Parse(string json) => JsonNode.Parse(json) ?? throw new InvalidOperationException("empty JSON");

    private static JsonNode Subnet(JsonNode config) => config["Dhcp4"]!["subnet4"]!.AsArray().Single()!;

    /// <summary>The pools lease exactly the scope range minus the holes: nothing excluded, nothing else left out, no overlap.</summary>
    private static void AssertPoolsAreScopeMinusExclusions(ResolvedSite site, ResolvedNetwork network, JsonNode config)
    {
        var scope = network.Dhcp!;
        var holes = SitePlanner.DhcpExclusions(site, network);
        var pools = DhcpSites.KeaPools(config);
        Assert.NotEmpty(pools);
        for (var i = 1; i < pools.Count; i++)
        {
            Assert.True(pools[i - 1].Last + 1 < pools[i].First, $"pools {pools[i - 1]} and {pools[i]} overlap or touch");
        }

        for (var n = scope.Subnet.First; n <= scope.Subnet.Last; n++)
        {
            var expected = scope.Range.Contains(n) && !holes.Any(h => h.Contains(n));
            Assert.True(expected == pools.Any(p => p.Contains(n)),
                $"{IpNumber.Format(n, scope.Subnet.Family)}: expected {(expected ? "in" : "outside")} the pools of {network.Name}");
        }
    }

    public static TheoryData<string, string> DhcpNetworks()
    {
        var data = new TheoryData<string, string>();
        foreach (var (file, _, n) in DhcpSites.ExampleDhcpNetworks())
        {
            data.Add(file, n.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(DhcpNetworks))]
    public void Render_Examples_PoolsAvoidEveryExclusionAndCoverTheRestOfTheScope(string file, string network)
    {
        var state = ExampleState.Load(file);
        var n = state.Site.Networks.Single(x => x.Name == network);

        AssertPoolsAreScopeMinusExclusions(state.Site, n, Parse(KeaConfigRenderer.Render(state.Site, n)));
    }

    [Fact]
    public void Render_DhcpSite_LeavesTheVipPoolOut()
    {
        var state = ExampleState.Load("dhcp-site.yaml");

        var pools = DhcpSites.KeaPools(Parse(KeaConfigRenderer.Render(state.Site, state.Site.HostNetwork)));

        Assert.Equal(["10.12.0.10-10.12.0.199", "10.12.0.240-10.12.0.250"], pools.Select(p => p.ToString()));
    }

    [Fact]
    public void Render_TinySite_SplitsThePoolsAroundTheCloudAgentAndTheVipPool()
    {
        var site = DhcpSites.Tiny.Site;

        var json = KeaConfigRenderer.Render(site, site.HostNetwork);

        var pools = Subnet(Parse(json))["pools"]!.AsArray().Select(p => p!["pool"]!.GetValue<string>());
        Assert.Equal(["10.77.0.2 - 10.77.0.3", "10.77.0.5 - 10.77.0.8", "10.77.0.11 - 10.77.0.13"], pools);
        Assert.DoesNotContain("/", string.Concat(pools));
        AssertPoolsAreScopeMinusExclusions(site, site.HostNetwork, Parse(json));
    }

    [Fact]
    public void Render_TinySite_WritesTheSubnetInterfaceAndOptions()
    {
        var site = DhcpSites.Tiny.Site;

        var config = Parse(KeaConfigRenderer.Render(site, site.HostNetwork, "veth-dhcp"));

        Assert.Equal("veth-dhcp", config["Dhcp4"]!["interfaces-config"]!["interfaces"]!.AsArray().Single()!.GetValue<string>());
        Assert.Equal("memfile", config["Dhcp4"]!["lease-database"]!["type"]!.GetValue<string>());
        var subnet = Subnet(config);
        Assert.Equal(1, subnet["id"]!.GetValue<int>());
        Assert.Equal("10.77.0.0/28", subnet["subnet"]!.GetValue<string>());
        var options = subnet["option-data"]!.AsArray().ToDictionary(o => o!["name"]!.GetValue<string>(), o => o!["data"]!.GetValue<string>());
        Assert.Equal("10.77.0.1", options["routers"]);
        Assert.Equal("10.77.0.1, 10.77.0.15", options["domain-name-servers"]);
    }

    [Fact]
    public void Render_LeaseDuration_BecomesSecondsWithRenewAtHalfAndRebindAtSevenEighths()
    {
        var site = DhcpSites.Tiny.Site;

        var dhcp4 = Parse(KeaConfigRenderer.Render(site, site.HostNetwork))["Dhcp4"]!;

        var seconds = (long)new TimeSpan(1, 12, 30, 0).TotalSeconds;
        Assert.Equal(seconds, dhcp4["valid-lifetime"]!.GetValue<long>());
        Assert.Equal(seconds / 2, dhcp4["renew-timer"]!.GetValue<long>());
        Assert.Equal(seconds * 7 / 8, dhcp4["rebind-timer"]!.GetValue<long>());
    }

    [Fact]
    public void Render_DhcpSite_EightDayLease()
    {
        var state = ExampleState.Load("dhcp-site.yaml");

        var dhcp4 = Parse(KeaConfigRenderer.Render(state.Site, state.Site.HostNetwork))["Dhcp4"]!;

        Assert.Equal(691200, dhcp4["valid-lifetime"]!.GetValue<long>());
        Assert.Equal(345600, dhcp4["renew-timer"]!.GetValue<long>());
        Assert.Equal(604800, dhcp4["rebind-timer"]!.GetValue<long>());
    }

    [Fact]
    public void Render_Reservations_ByLowercaseColonMacInAddressOrder()
    {
        var site = DhcpSites.Tiny.Site;

        var subnet = Subnet(Parse(KeaConfigRenderer.Render(site, site.HostNetwork)));

        var reservations = subnet["reservations"]!.AsArray()
            .Select(r => (r!["hw-address"]!.GetValue<string>(), r["ip-address"]!.GetValue<string>())).ToList();
        Assert.Equal([("02:54:52:00:00:07", "10.77.0.7"), ("02:54:52:00:00:0e", "10.77.0.14")], reservations);
    }

    [Fact]
    public void Render_ReservationInsideAPool_DoesNotPromiseOutOfPool()
    {
        var site = DhcpSites.Tiny.Site;

        var subnet = Subnet(Parse(KeaConfigRenderer.Render(site, site.HostNetwork)));

        // The printer's 10.77.0.7 lies in a pool: Kea must keep checking reservations before leasing pool addresses.
        Assert.False(subnet["reservations-out-of-pool"]!.GetValue<bool>());
        Assert.True(subnet["reservations-in-subnet"]!.GetValue<bool>());
        Assert.False(subnet["reservations-global"]!.GetValue<bool>());
    }

    [Fact]
    public void Render_ReservationsOnlyOutsideThePools_PromisesOutOfPool()
    {
        var spec = SiteSpecReader.Read(DhcpSites.TinyYaml.Replace("ipAddress: 10.77.0.7", "ipAddress: 10.77.0.12", StringComparison.Ordinal)
            .Replace("end: 10.77.0.13", "end: 10.77.0.11", StringComparison.Ordinal)).Spec!;
        var site = ExampleState.FromSpec(spec).Site;

        var subnet = Subnet(Parse(KeaConfigRenderer.Render(site, site.HostNetwork)));

        Assert.True(subnet["reservations-out-of-pool"]!.GetValue<bool>());
        Assert.Equal(2, subnet["reservations"]!.AsArray().Count);
    }

    [Fact]
    public void Render_IsDeterministicTwoSpaceIndentedLfJson()
    {
        var site = DhcpSites.Tiny.Site;

        var first = KeaConfigRenderer.Render(site, site.HostNetwork);
        var second = KeaConfigRenderer.Render(DhcpSites.Tiny.Site, DhcpSites.Tiny.Site.HostNetwork);

        Assert.Equal(first, second);
        Assert.DoesNotContain('\r', first);
        Assert.EndsWith("}\n", first, StringComparison.Ordinal);
        Assert.StartsWith("{\n  \"Dhcp4\": {\n    \"interfaces-config\": {", first, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_StaticNetwork_Throws()
    {
        var state = ExampleState.Load("worked-example.yaml");
        var network = state.Site.Networks.First(n => n.Method == IpAllocationMethod.Static);

        Assert.Throws<ArgumentException>(() => KeaConfigRenderer.Render(state.Site, network));
    }

    /// <summary>Random /24 scopes with a VIP pool that may straddle the range, a cloud agent, and a gateway anywhere in the subnet.</summary>
    [Fact]
    public void Render_AnyScope_PoolsAreExactlyTheRangeMinusTheHoles()
    {
        var gen =
            from start in Gen.Int[1, 200]
            from length in Gen.Int[0, 53]
            from vipStart in Gen.Int[1, 254]
            from vipLength in Gen.Int[0, 30]
            from agent in Gen.Int[0, 255]
            from gateway in Gen.Int[0, 255]
            select (start, end: start + length, vipStart, vipEnd: Math.Min(254, vipStart + vipLength), agent, gateway);

        gen.Sample(g =>
        {
            var subnet = Prefix.Parse("10.9.8.0/24");
            IPAddress At(int host) => IpNumber.ToAddress(subnet.First + (uint)host, subnet.Family);
            var range = AddressRange.Of(At(g.start), At(g.end));
            var vip = AddressRange.Of(At(g.vipStart), At(g.vipEnd));
            var scope = new ResolvedDhcpScope(subnet, range, TimeSpan.FromDays(8), [], []);
            var network = new ResolvedNetwork("n", "External", null, IpAllocationMethod.Dhcp, subnet, At(g.gateway), [], null, vip, scope);
            var site = new ResolvedSite(new SiteSpec { Name = "p" }, network, [], At(g.agent), []);
            // A scope whose every address is excluded has nothing to lease (holes may overlap, so they are not summed).
            var holes = SitePlanner.DhcpExclusions(site, network);
            var leasable = false;
            for (var n = range.First; n <= range.Last && !leasable; n++)
            {
                leasable = !holes.Any(h => h.Contains(n));
            }

            if (!leasable)
            {
                return;
            }

            AssertPoolsAreScopeMinusExclusions(site, network, Parse(KeaConfigRenderer.Render(site, network)));
        });
    }
}
