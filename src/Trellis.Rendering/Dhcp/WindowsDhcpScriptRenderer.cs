using System.Net;
using System.Net.Sockets;
using System.Text;
using Trellis.Core.Addressing;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Rendering.Emit;

namespace Trellis.Rendering.Dhcp;

/// <summary>
/// A PowerShell script (DhcpServer module) that configures a Windows DHCP Server scope for one Dhcp network: the scope,
/// its router and DNS options, one exclusion per hole (VIP pool, cloud agent, gateway) and one reservation per host.
/// Safe to run again: it adds only what is missing.
/// </summary>
public static class WindowsDhcpScriptRenderer
{
    public static string Render(ResolvedSite site, ResolvedNetwork network)
    {
        if (network.Method != IpAllocationMethod.Dhcp || network.Dhcp is not { } scope)
        {
            throw new ArgumentException($"Network {network.Name} does not use DHCP; only Dhcp networks have a DHCP server scope.", nameof(network));
        }

        DhcpScopeOptions.RequireRouter(network);
        if (scope.Subnet.Family != AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"Network {network.Name} is not IPv4; Windows DHCP scopes here are IPv4 only.", nameof(network));
        }

        var id = scope.Subnet.NetworkAddress.ToString();
        var s = new StringBuilder();
        void Line(string text = "") => s.Append(text).Append('\n');

        Line(PowerShellText.Comment($"Windows DHCP Server scope {scope.Subnet} for the Dhcp network {network.Name} of site {site.Spec.Name}, rendered by Trellis."));
        Line("# Exclusions keep the VIP pool, the cloud agent and the gateway from being leased; a reservation is leased even inside one.");
        Line("# Run on the DHCP server (DhcpServer module). Running it again adds only what is missing.");
        Line("$ErrorActionPreference = 'Stop'");
        Line();

        // The scope starts inactive so that no client can lease an excluded address before the exclusions exist.
        Line($"if (-not (Get-DhcpServerv4Scope -ScopeId {id} -ErrorAction SilentlyContinue)) {{");
        Line($"    Add-DhcpServerv4Scope -Name {Quote(network.Name)} -Description {Quote($"Trellis: site {site.Spec.Name}, network {network.Name}")}"
            + $" -StartRange {scope.Range.Start} -EndRange {scope.Range.End} -SubnetMask {SubnetMask(scope.Subnet)}"
            + $" -LeaseDuration ({NewTimeSpan(scope.LeaseDuration)}) -State InActive");
        Line("}");
        Line();

        var options = new List<string>();
        if (network.Gateway is { } gateway)
        {
            options.Add($"-Router {gateway}");
        }

        if (network.DnsServers.Count > 0)
        {
            // -Force skips the DHCP server's own DNS probe; the servers may not answer it before the deployment.
            options.Add($"-DnsServer {string.Join(", ", network.DnsServers.Select(d => d.ToString()))} -Force");
        }

        if (options.Count > 0)
        {
            Line($"Set-DhcpServerv4OptionValue -ScopeId {id} {string.Join(' ', options)}");
            Line();
        }

        var holes = SitePlanner.DhcpExclusions(site, network);
        foreach (var hole in holes)
        {
            Line($"if (-not (Get-DhcpServerv4ExclusionRange -ScopeId {id} | Where-Object {{ $_.StartRange.IPAddressToString -eq {Quote(hole.Start.ToString())} -and $_.EndRange.IPAddressToString -eq {Quote(hole.End.ToString())} }})) {{");
            Line($"    Add-DhcpServerv4ExclusionRange -ScopeId {id} -StartRange {hole.Start} -EndRange {hole.End}");
            Line("}");
        }

        if (holes.Count > 0 && scope.Reservations.Count > 0)
        {
            Line();
        }

        foreach (var r in scope.Reservations.OrderBy(r => IpNumber.ToNumber(r.Address)))
        {
            Line($"if (-not (Get-DhcpServerv4Reservation -IPAddress {r.Address} -ErrorAction SilentlyContinue)) {{");
            Line($"    Add-DhcpServerv4Reservation -ScopeId {id} -IPAddress {r.Address} -ClientId {ClientId(r.MacAddress)} -Name {Quote(r.Name)}"
                + $" -Description {Quote($"Trellis reservation {r.Name} of {network.Name}")}");
            Line("}");
        }

        Line();
        Line($"Set-DhcpServerv4Scope -ScopeId {id} -State Active");
        return PowerShellText.Script(s.ToString());
    }

    /// <summary>Windows writes a MAC client id with dashes, e.g. 02-1E-2B-78-00-01.</summary>
    public static string ClientId(string mac) => mac.Replace(':', '-').ToUpperInvariant();

    public static IPAddress SubnetMask(Prefix subnet) =>
        IpNumber.ToAddress(subnet.Length == 0 ? UInt128.Zero : (uint.MaxValue << (32 - subnet.Length)) & uint.MaxValue, AddressFamily.InterNetwork);

    /// <summary>New-TimeSpan with only the non-zero parts, e.g. "New-TimeSpan -Days 8" or "New-TimeSpan -Hours 1 -Minutes 30".</summary>
    public static string NewTimeSpan(TimeSpan lease)
    {
        var parts = new List<string>();
        if (lease.Days > 0)
        {
            parts.Add($"-Days {lease.Days}");
        }

        if (lease.Hours > 0)
        {
            parts.Add($"-Hours {lease.Hours}");
        }

        if (lease.Minutes > 0)
        {
            parts.Add($"-Minutes {lease.Minutes}");
        }

        if (lease.Seconds > 0 || parts.Count == 0)
        {
            parts.Add($"-Seconds {lease.Seconds}");
        }

        return $"New-TimeSpan {string.Join(' ', parts)}";
    }

    private static string Quote(string text) => PowerShellText.Quote(text);
}
