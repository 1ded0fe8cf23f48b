using System.Net.Sockets;
using System.Text.Json;
using Trellis.Core.Addressing;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Rendering.Emit;

namespace Trellis.Rendering.Dhcp;

/// <summary>
/// The Kea DHCPv4 server configuration (kea-dhcp4.conf) for one Dhcp network: one subnet whose pools are the scope
/// range minus the exclusions (the VIP pool, the cloud agent and the gateway), its options, and its reservations.
/// </summary>
public static class KeaConfigRenderer
{
    /// <summary>Where Debian's kea-dhcp4-server keeps leases (systemd StateDirectory=kea); persisted so that a restart re-addresses nothing.</summary>
    public const string LeaseFile = "/var/lib/kea/kea-leases4.csv";

    /// <summary>Each rendered file holds one network's scope, so its subnet id is always the same.</summary>
    public const int SubnetId = 1;

    public static string Render(ResolvedSite site, ResolvedNetwork network, string interfaceName = "eth0")
    {
        if (network.Method != IpAllocationMethod.Dhcp || network.Dhcp is not { } scope)
        {
            throw new ArgumentException($"Network {network.Name} does not use DHCP; only Dhcp networks have a DHCP server configuration.", nameof(network));
        }

        DhcpScopeOptions.RequireRouter(network);
        if (scope.Subnet.Family != AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"Network {network.Name} is not IPv4; kea-dhcp4 serves IPv4 scopes only.", nameof(network));
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(interfaceName);

        var pools = Pools(site, network);
        var valid = LeaseSeconds(scope.LeaseDuration);
        var renew = valid / 2;
        var rebind = (uint)((ulong)valid * 7 / 8);

        return JsonText.Write(json =>
        {
            json.WriteStartObject();
            json.WriteStartObject("Dhcp4");

            json.WriteStartObject("interfaces-config");
            json.WriteStartArray("interfaces");
            json.WriteRawValue(JsonText.KeaStringLiteral(interfaceName));
            json.WriteEndArray();
            json.WriteEndObject();

            json.WriteStartObject("lease-database");
            json.WriteString("type", "memfile");
            json.WriteBoolean("persist", true);
            json.WriteString("name", LeaseFile);
            json.WriteNumber("lfc-interval", 3600);
            json.WriteEndObject();

            json.WriteNumber("valid-lifetime", valid);
            // Renew at 50% and rebind at 87.5% of the lease (RFC 2131 defaults), only where they stay strictly ordered.
            if (renew > 0 && renew < rebind && rebind < valid)
            {
                json.WriteNumber("renew-timer", renew);
                json.WriteNumber("rebind-timer", rebind);
            }

            json.WriteStartArray("subnet4");
            WriteSubnet(json, site, network, scope, pools);
            json.WriteEndArray();

            json.WriteEndObject();
            json.WriteEndObject();
        });
    }

    /// <summary>The dynamic pools: the scope range with every exclusion cut out (Kea has no exclusion keyword).</summary>
    public static IReadOnlyList<AddressRange> Pools(ResolvedSite site, ResolvedNetwork network) =>
        network.Dhcp is { } scope ? scope.Range.Except(SitePlanner.DhcpExclusions(site, network)) : [];

    /// <summary>Kea's lifetimes are 32-bit seconds; 0xFFFFFFFF means infinite.</summary>
    public static uint LeaseSeconds(TimeSpan lease) =>
        lease.TotalSeconds >= uint.MaxValue ? uint.MaxValue : (uint)Math.Max(1, Math.Floor(lease.TotalSeconds));

    private static void WriteSubnet(Utf8JsonWriter json, ResolvedSite site, ResolvedNetwork network, ResolvedDhcpScope scope, IReadOnlyList<AddressRange> pools)
    {
        json.WriteStartObject();
        json.WriteNumber("id", SubnetId);
        json.WriteString("subnet", scope.Subnet.ToString());

        json.WriteStartArray("pools");
        foreach (var pool in pools)
        {
            json.WriteStartObject();
            json.WriteString("pool", $"{pool.Start} - {pool.End}");
            json.WriteEndObject();
        }

        json.WriteEndArray();

        var options = new List<(string Name, string Data)>();
        if (network.Gateway is { } gateway)
        {
            options.Add(("routers", gateway.ToString()));
        }

        if (network.DnsServers.Count > 0)
        {
            options.Add(("domain-name-servers", string.Join(", ", network.DnsServers.Select(d => d.ToString()))));
        }

        if (options.Count > 0)
        {
            json.WriteStartArray("option-data");
            foreach (var (name, data) in options)
            {
                json.WriteStartObject();
                json.WriteString("name", name);
                json.WriteString("data", data);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        // Reservations live in the subnet. Kea honours one outside every pool (e.g. inside an excluded hole) as it is;
        // "out-of-pool" may only be promised when no reservation lies in a pool, or Kea could lease that address to another client.
        json.WriteBoolean("reservations-global", false);
        json.WriteBoolean("reservations-in-subnet", true);
        json.WriteBoolean("reservations-out-of-pool", scope.Reservations.All(r => !pools.Any(p => p.Contains(r.Address))));

        json.WriteStartArray("reservations");
        foreach (var r in scope.Reservations.OrderBy(r => IpNumber.ToNumber(r.Address)))
        {
            json.WriteStartObject();
            json.WriteString("hw-address", HwAddress(r.MacAddress));
            json.WriteString("ip-address", r.Address.ToString());
            json.WriteStartObject("user-context");
            JsonText.WriteKeaString(json, "reservation", r.Name);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();

        json.WriteStartObject("user-context");
        JsonText.WriteKeaString(json, "site", site.Spec.Name);
        JsonText.WriteKeaString(json, "network", network.Name);
        json.WriteEndObject();

        json.WriteEndObject();
    }

    /// <summary>Kea's hw-address form: lowercase, colon-separated.</summary>
    public static string HwAddress(string mac) => mac.Replace('-', ':').ToLowerInvariant();
}
