using System.Net;
using System.Text.Json.Nodes;
using Trellis.Core.Addressing;
using Trellis.Core.Model;
using Trellis.Core.Planning;

namespace Trellis.Rendering.Tests.Dhcp;

/// <summary>Sites and helpers the DHCP renderer tests share.</summary>
internal static class DhcpSites
{
    /// <summary>
    /// A /28 scope with every kind of hole: the VIP pool (.9-.10) and the cloud agent (.4) inside the range, the gateway
    /// outside it; one reservation inside a pool (.7) and one outside the range (.14).
    /// </summary>
    public const string TinyYaml = """
        apiVersion: trellis/v1
        kind: Site
        metadata: { name: tiny }
        spec:
          hostNetwork:
            name: tinyvnet
            vswitchName: External
            ipAllocationMethod: Dhcp
            gateway: 10.77.0.1
            dnsServers: [10.77.0.1, 10.77.0.15]
            vipPoolStart: 10.77.0.9
            vipPoolEnd: 10.77.0.10
            dhcpScope:
              subnet: 10.77.0.0/28
              start: 10.77.0.2
              end: 10.77.0.13
              leaseDuration: 1.12:30:00
              reservations:
                - { name: printer, ipAddress: 10.77.0.7, macAddress: 02-54-52-00-00-07 }
                - { name: jumphost, ipAddress: 10.77.0.14, macAddress: 02:54:52:00:00:0e }
          cloudServiceCidr: 10.77.0.4/28
        """;

    public static ExampleState Tiny => ExampleState.FromSpec(SiteSpecReader.Read(TinyYaml).Spec
        ?? throw new InvalidOperationException("The tiny DHCP site does not parse."));

    public static IEnumerable<(string File, ExampleState State, ResolvedNetwork Network)> ExampleDhcpNetworks() =>
        from file in ExampleState.Files
        let state = ExampleState.Load(file)
        from n in state.Site.Networks
        where n.Method == IpAllocationMethod.Dhcp
        select (file, state, n);

    /// <summary>The pools of a rendered Kea config, parsed back from their "a - b" form.</summary>
    public static IReadOnlyList<AddressRange> KeaPools(JsonNode config) =>
        config["Dhcp4"]!["subnet4"]![0]!["pools"]!.AsArray().Select(p =>
        {
            var text = p!["pool"]!.GetValue<string>();
            var parts = text.Split(" - ");
            Assert.True(parts.Length == 2, $"pool '{text}' is not in 'a - b' form");
            return AddressRange.Of(IPAddress.Parse(parts[0]), IPAddress.Parse(parts[1]));
        }).ToList();
}
