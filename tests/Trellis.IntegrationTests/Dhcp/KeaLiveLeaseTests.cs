using System.Net;
using Trellis.Core.Addressing;
using Trellis.Core.Planning;
using Trellis.Rendering.Dhcp;

namespace Trellis.IntegrationTests.Dhcp;

/// <summary>What real kea-dhcp4, serving the rendered configuration, leases to a real DHCP client (ISC dhclient).</summary>
public class KeaLiveLeaseTests(KeaLiveRun run) : IClassFixture<KeaLiveRun>
{
    private static readonly ResolvedSite Site = TinyDhcpSite.State.Site;
    private static readonly ResolvedNetwork Network = Site.HostNetwork;

    [Fact]
    public void Leases_NeverTakeTheVipPoolTheCloudAgentOrTheGateway()
    {
        Assert.NotEmpty(run.Dynamic);
        foreach (var lease in run.Dynamic)
        {
            Assert.False(Network.VipPool!.Value.Contains(lease.Address), $"{lease.Address} is in the VIP pool\n{run.Report}");
            Assert.NotEqual(Site.CloudAgentAddress, lease.Address);
            Assert.NotEqual(Network.Gateway, lease.Address);
        }
    }

    [Fact]
    public void Leases_ComeFromTheScopeAndAreEveryPoolAddressButTheReservedOnes()
    {
        var scope = Network.Dhcp!;
        var expected = KeaConfigRenderer.Pools(Site, Network)
            .SelectMany(p => Enumerable.Range(0, (int)p.Count).Select(i => p.First + (uint)i))
            .Where(n => !scope.Reservations.Any(r => IpNumber.ToNumber(r.Address) == n))
            .Order().Select(n => IpNumber.Format(n, scope.Subnet.Family)).ToList();

        Assert.All(run.Dynamic, l => Assert.True(scope.Range.Contains(l.Address), $"{l.Address} is outside the scope range {scope.Range}"));
        Assert.Equal(run.Dynamic.Count, run.Dynamic.Select(l => l.Address).Distinct().Count());
        Assert.Equal(expected, run.Dynamic.OrderBy(l => IpNumber.ToNumber(l.Address)).Select(l => l.Address.ToString()).ToList());
    }

    [Fact]
    public void ExhaustedScope_GrantsNoMoreLeases()
    {
        Assert.True(run.Dynamic.Count == run.Capacity, $"{run.Dynamic.Count} leases granted, capacity {run.Capacity}\n{run.Report}");
        Assert.Empty(run.GrantedAfterExhaustion);
        Assert.Contains("ALLOC_ENGINE_V4_ALLOC_FAIL", run.KeaLog, StringComparison.Ordinal);
    }

    [Fact]
    public void ReservedMacs_GetTheirAddresses_InsideAPoolAndOutsideTheRange_EvenAfterExhaustion()
    {
        foreach (var r in Network.Dhcp!.Reservations)
        {
            var lease = run.Reserved[r.Name];
            Assert.True(lease is not null, $"{r.Name} ({r.MacAddress}) got no lease\n{run.Report}");
            Assert.Equal(r.Address, lease.Address);
        }

        // The in-pool reservation was never handed to another client while the pool ran dry.
        Assert.DoesNotContain(run.Dynamic, l => l.Address.Equals(IPAddress.Parse("10.77.0.7")));
    }

    [Fact]
    public void Leases_CarryTheRenderedLifetimeTimersAndOptions()
    {
        var lease = run.Dynamic.First().LeaseText;

        Assert.Contains("option dhcp-lease-time 131400;", lease, StringComparison.Ordinal);
        Assert.Contains("option dhcp-renewal-time 65700;", lease, StringComparison.Ordinal);
        Assert.Contains("option dhcp-rebinding-time 114975;", lease, StringComparison.Ordinal);
        Assert.Contains("option routers 10.77.0.3;", lease, StringComparison.Ordinal);
        Assert.Contains("option domain-name-servers 10.77.0.1;", lease, StringComparison.Ordinal);
        Assert.Contains("option subnet-mask 255.255.255.240;", lease, StringComparison.Ordinal);
    }

    [Fact]
    public void KeaLeaseFile_HoldsExactlyWhatTheClientsWereGranted()
    {
        var granted = run.Dynamic.Concat(run.Reserved.Values.OfType<GrantedLease>())
            .Select(l => (l.Address.ToString(), l.Mac)).Order().ToList();

        Assert.Equal(granted, run.KeaLeases.Select(l => (l.Address.ToString(), l.HwAddress)).Order().ToList());
    }
}
