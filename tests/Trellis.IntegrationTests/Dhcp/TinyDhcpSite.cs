using Trellis.Core.Model;
using Trellis.IntegrationTests.Infrastructure;

namespace Trellis.IntegrationTests.Dhcp;

/// <summary>
/// A DHCP site small enough to exhaust in seconds: a /28 scope .2-.13 with the gateway (.3), the cloud agent (.4) and the
/// VIP pool (.9-.10) inside the range, one reservation inside a pool (.7) and one outside the range (.14). Seven
/// addresses are left to lease dynamically.
/// </summary>
internal static class TinyDhcpSite
{
    public const string Yaml = """
        apiVersion: trellis/v1
        kind: Site
        metadata: { name: tiny }
        spec:
          hostNetwork:
            name: tinyvnet
            vswitchName: External
            ipAllocationMethod: Dhcp
            gateway: 10.77.0.3
            dnsServers: [10.77.0.1]
            vipPoolStart: 10.77.0.9
            vipPoolEnd: 10.77.0.10
            dhcpScope:
              subnet: 10.77.0.0/28
              start: 10.77.0.2
              end: 10.77.0.13
              leaseDuration: 1.12:30:00
              reservations:
                - { name: printer, ipAddress: 10.77.0.7, macAddress: 02-54-52-00-00-07 }
                - { name: jumphost, ipAddress: 10.77.0.14, macAddress: 02-54-52-00-00-0E }
          cloudServiceCidr: 10.77.0.4/28
        """;

    public static ExampleState State => ExampleState.FromSpec(SiteSpecReader.Read(Yaml).Spec
        ?? throw new InvalidOperationException("The tiny DHCP site does not parse."));

    /// <summary>Names Kea's JSON parser cannot take as \u escapes (it reads only \u0000-\u00FF): typographic quotes, line separators, controls.</summary>
    public const string HostileName = "x\u2019 \u2018\u201A\u201B' \"q\" \\ \n---\n${a} $(b) `c` # \0 \u2028\u2029 \u00e9 \U0001F600";

    /// <summary>The tiny site with a hostile value in every string a Kea config carries (site and reservation names), past validation.</summary>
    public static ExampleState HostileNames
    {
        get
        {
            var state = State;
            var network = state.Site.HostNetwork;
            var scope = network.Dhcp! with { Reservations = network.Dhcp!.Reservations.Select(r => r with { Name = HostileName + r.Name }).ToList() };
            var site = state.Site with { Spec = state.Site.Spec with { Name = HostileName }, HostNetwork = network with { Dhcp = scope } };
            return state with { Site = site };
        }
    }
}
