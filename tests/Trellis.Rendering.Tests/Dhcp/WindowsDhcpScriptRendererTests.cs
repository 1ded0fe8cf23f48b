using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Rendering.Dhcp;

namespace Trellis.Rendering.Tests.Dhcp;

public class WindowsDhcpScriptRendererTests
{
    private static string[] Lines(string script) => script.Split('\n');

    [Fact]
    public void Render_TinySite_AddsTheScopeWithRangeMaskAndLease()
    {
        var site = DhcpSites.Tiny.Site;

        var script = WindowsDhcpScriptRenderer.Render(site, site.HostNetwork);

        Assert.Contains("$ErrorActionPreference = 'Stop'", Lines(script));
        var add = Assert.Single(Lines(script), l => l.Contains("Add-DhcpServerv4Scope ", StringComparison.Ordinal));
        Assert.Contains("-Name 'tinyvnet'", add, StringComparison.Ordinal);
        Assert.Contains("-StartRange 10.77.0.2 -EndRange 10.77.0.13 -SubnetMask 255.255.255.240", add, StringComparison.Ordinal);
        Assert.Contains("-LeaseDuration (New-TimeSpan -Days 1 -Hours 12 -Minutes 30)", add, StringComparison.Ordinal);
        Assert.Contains("if (-not (Get-DhcpServerv4Scope -ScopeId 10.77.0.0 -ErrorAction SilentlyContinue)) {", Lines(script));
        Assert.Equal("Set-DhcpServerv4Scope -ScopeId 10.77.0.0 -State Active", Lines(script).Last(l => l.Length > 0));
    }

    [Fact]
    public void Render_TinySite_SetsRouterAndDnsOptions()
    {
        var site = DhcpSites.Tiny.Site;

        var script = WindowsDhcpScriptRenderer.Render(site, site.HostNetwork);

        Assert.Contains("Set-DhcpServerv4OptionValue -ScopeId 10.77.0.0 -Router 10.77.0.1 -DnsServer 10.77.0.1, 10.77.0.15 -Force", Lines(script));
    }

    [Fact]
    public void Render_OneExclusionRangePerHole()
    {
        var site = DhcpSites.Tiny.Site;

        var script = WindowsDhcpScriptRenderer.Render(site, site.HostNetwork);

        var exclusions = Lines(script).Where(l => l.TrimStart().StartsWith("Add-DhcpServerv4ExclusionRange", StringComparison.Ordinal)).Select(l => l.Trim());
        Assert.Equal(
        [
            "Add-DhcpServerv4ExclusionRange -ScopeId 10.77.0.0 -StartRange 10.77.0.4 -EndRange 10.77.0.4",
            "Add-DhcpServerv4ExclusionRange -ScopeId 10.77.0.0 -StartRange 10.77.0.9 -EndRange 10.77.0.10",
        ], exclusions);
    }

    [Fact]
    public void Render_DhcpSite_ExcludesTheVipPool()
    {
        var state = ExampleState.Load("dhcp-site.yaml");

        var script = WindowsDhcpScriptRenderer.Render(state.Site, state.Site.HostNetwork);

        Assert.Contains("    Add-DhcpServerv4ExclusionRange -ScopeId 10.12.0.0 -StartRange 10.12.0.200 -EndRange 10.12.0.239", Lines(script));
        Assert.Contains("-LeaseDuration (New-TimeSpan -Days 8)", script, StringComparison.Ordinal);
        Assert.Contains("Set-DhcpServerv4OptionValue -ScopeId 10.12.0.0 -Router 10.12.0.1 -DnsServer 10.10.0.53 -Force", Lines(script));
    }

    [Fact]
    public void Render_ReservationsByMacWithDashes()
    {
        var site = DhcpSites.Tiny.Site;

        var script = WindowsDhcpScriptRenderer.Render(site, site.HostNetwork);

        var reservations = Lines(script).Where(l => l.TrimStart().StartsWith("Add-DhcpServerv4Reservation", StringComparison.Ordinal)).Select(l => l.Trim()).ToList();
        Assert.Equal(2, reservations.Count);
        Assert.StartsWith("Add-DhcpServerv4Reservation -ScopeId 10.77.0.0 -IPAddress 10.77.0.7 -ClientId 02-54-52-00-00-07 -Name 'printer' -Description ", reservations[0], StringComparison.Ordinal);
        Assert.StartsWith("Add-DhcpServerv4Reservation -ScopeId 10.77.0.0 -IPAddress 10.77.0.14 -ClientId 02-54-52-00-00-0E -Name 'jumphost' -Description ", reservations[1], StringComparison.Ordinal);
        Assert.Contains("if (-not (Get-DhcpServerv4Reservation -IPAddress 10.77.0.7 -ErrorAction SilentlyContinue)) {", Lines(script));
    }

    [Fact]
    public void Render_GuardsEveryAddSoThatItCanRunAgain()
    {
        var site = DhcpSites.Tiny.Site;

        var lines = Lines(WindowsDhcpScriptRenderer.Render(site, site.HostNetwork));

        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].TrimStart().StartsWith("Add-DhcpServerv4", StringComparison.Ordinal))
            {
                Assert.StartsWith("if (-not (Get-DhcpServerv4", lines[i - 1], StringComparison.Ordinal);
                Assert.Equal("}", lines[i + 1]);
            }
        }
    }

    [Fact]
    public void Render_IsDeterministicWithLfAndAHeader()
    {
        var site = DhcpSites.Tiny.Site;

        var first = WindowsDhcpScriptRenderer.Render(site, site.HostNetwork);

        Assert.Equal(first, WindowsDhcpScriptRenderer.Render(DhcpSites.Tiny.Site, DhcpSites.Tiny.Site.HostNetwork));
        Assert.DoesNotContain('\r', first);
        Assert.EndsWith("\n", first, StringComparison.Ordinal);
        Assert.StartsWith("# Windows DHCP Server scope 10.77.0.0/28 for the Dhcp network tinyvnet of site tiny", first, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("8.00:00:00", "New-TimeSpan -Days 8")]
    [InlineData("01:30:00", "New-TimeSpan -Hours 1 -Minutes 30")]
    [InlineData("00:08:00", "New-TimeSpan -Minutes 8")]
    [InlineData("2.00:00:05", "New-TimeSpan -Days 2 -Seconds 5")]
    public void NewTimeSpan_WritesOnlyTheNonZeroParts(string lease, string expected) =>
        Assert.Equal(expected, WindowsDhcpScriptRenderer.NewTimeSpan(TimeSpan.Parse(lease, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void Render_StaticNetwork_Throws()
    {
        var state = ExampleState.Load("worked-example.yaml");
        var network = state.Site.Networks.First(n => n.Method == IpAllocationMethod.Static);

        Assert.Throws<ArgumentException>(() => WindowsDhcpScriptRenderer.Render(state.Site, network));
    }

    [Fact]
    public void SubnetMask_FromPrefixLength() =>
        Assert.Equal("255.255.252.0", WindowsDhcpScriptRenderer.SubnetMask(Core.Addressing.Prefix.Parse("10.0.0.0/22")).ToString());
}
