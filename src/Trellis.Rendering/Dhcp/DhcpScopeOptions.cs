using Trellis.Core.Planning;
using Trellis.Core.Validation;

namespace Trellis.Rendering.Dhcp;

/// <summary>
/// What a rendered DHCP scope must hand node VMs: a router (option 3), without which they have no default route, and
/// DNS servers (option 6). A Dhcp network without a gateway is refused for rendering; one without DNS servers is a warning.
/// </summary>
public static class DhcpScopeOptions
{
    public static bool CanRender(ResolvedNetwork network) => network.Gateway is not null;

    public static IReadOnlyList<Finding> Findings(ResolvedSite site, ResolvedNetwork network)
    {
        var path = site.HostNetwork == network ? "spec.hostNetwork" : $"spec.clusterNetworks[{site.ClusterNetworks.ToList().IndexOf(network)}]";
        var findings = new List<Finding>();
        if (network.Gateway is null)
        {
            findings.Add(Finding.Error("DhcpRouterMissing", $"{path}.gateway",
                $"Dhcp network '{network.Name}' names no gateway, so its DHCP scope would give node VMs no router (option 3) and no default route.",
                "Give the subnet's default gateway in the network's gateway field; Kea and Windows DHCP are rendered with it as the router option."));
        }

        if (network.DnsServers.Count == 0)
        {
            findings.Add(Finding.Warning("DhcpDnsServersMissing", $"{path}.dnsServers",
                $"Dhcp network '{network.Name}' names no DNS server, so its DHCP scope gives node VMs no resolver (option 6).",
                "List one to three DNS servers in the network's dnsServers field; they must resolve the cloud agent's name."));
        }

        return findings;
    }

    internal static void RequireRouter(ResolvedNetwork network)
    {
        if (!CanRender(network))
        {
            throw new ArgumentException($"Network {network.Name} has no gateway; a DHCP scope without a router leaves node VMs without a default route (DhcpRouterMissing).", nameof(network));
        }
    }
}
