using System.Net;
using Trellis.Core.Addressing;
using Trellis.Core.Model;
using Trellis.Core.Planning;

namespace Trellis.Core.Validation;

/// <summary>Rules of New-AksHciNetworkSetting / New-AksHciClusterNetwork (reference §1.1–§1.2, §2.5–§2.6).</summary>
internal static class NetworkRules
{
    /// <summary>Windows DHCP Server's default lease.</summary>
    public static readonly TimeSpan DefaultLease = TimeSpan.FromDays(8);

    /// <summary>Leases shorter than this re-address node VMs after a host restart (MSLab PR #452).</summary>
    public static readonly TimeSpan ShortLease = TimeSpan.FromDays(1);

    public static ResolvedNetwork? Resolve(ValidationContext v, NetworkSpec n, string path)
    {
        Names.Check(v, Names.AksHci, n.Name, $"{path}.name", "Network name");
        if (string.IsNullOrWhiteSpace(n.VswitchName))
        {
            v.Error("RequiredFieldMissing", $"{path}.vswitchName", "Field 'vswitchName' is required.",
                "Give the name of the external virtual switch (Get-VMSwitch), the same on every host.");
        }
        else
        {
            Names.Check(v, Names.VmSwitch, n.VswitchName, $"{path}.vswitchName", "Virtual switch name");
        }

        if (n.VlanId is 0 or 4095)
        {
            v.Error("InvalidVlanId", $"{path}.vlanID", $"VLAN ID {n.VlanId} is reserved.", "Use 1–4094, or omit vlanID for an untagged network.");
        }

        var dns = DnsServers(v, n.DnsServers, $"{path}.dnsServers", n.IpAllocationMethod == IpAllocationMethod.Static);
        var vip = v.Range(n.VipPoolStart, n.VipPoolEnd, $"{path}.vipPoolStart", $"{path}.vipPoolEnd", required: true, "172.16.0.150", "172.16.0.199");

        // The network resolves whenever its prefix (and a DHCP scope's range) can be read, even with other errors, so that
        // the rules that build on it (DNS servers and the cloud agent in its pools, its clusters, capacity) still report.
        var resolved = n.IpAllocationMethod == IpAllocationMethod.Static
            ? ResolveStatic(v, n, path, vip, dns)
            : ResolveDhcp(v, n, path, vip, dns);
        return resolved is null ? null : DnsServersOutsidePools(v, resolved, path);
    }

    /// <summary>
    /// A DNS server inside a pool Trellis hands out would have its address given to a node VM, a load balancer or a
    /// service: DnsServerInPool for each. The network itself still resolves, so that the checks that build on it run.
    /// </summary>
    public static ResolvedNetwork DnsServersOutsidePools(ValidationContext v, ResolvedNetwork n, string path)
    {
        for (var i = 0; i < n.DnsServers.Count; i++)
        {
            var dns = n.DnsServers[i];
            var number = IpNumber.ToNumber(dns);
            var pools = new List<(string Name, AddressRange Range)>();
            if (n.NodePool is { } nodes)
            {
                pools.Add((n.Method == IpAllocationMethod.Static && n.VipPool is null ? "IP pool" : "node IP pool", nodes));
            }

            if (n.VipPool is { } vips)
            {
                pools.Add(("VIP pool", vips));
            }

            // The gateway is excluded from leasing too (SitePlanner.DhcpExclusions); routers often serve DNS.
            if (n.Dhcp is { } scope && !scope.Exclusions.Any(e => e.Contains(number)) && !dns.Equals(n.Gateway))
            {
                pools.Add(("DHCP scope (outside its exclusions)", scope.Range));
            }

            foreach (var (name, range) in pools.Where(p => p.Range.Family == dns.AddressFamily && p.Range.Contains(number)))
            {
                v.Error("DnsServerInPool", $"{path}.dnsServers[{i}]", $"DNS server {dns} lies in the {name} {range.Start}-{range.End} of network '{n.Name}'.",
                    "Give the DNS server's real address, outside the pools; or move the pool so that it leaves that address out (Trellis would hand it to a VM or a service).");
            }
        }

        return n;
    }

    public static IReadOnlyList<IPAddress> DnsServers(ValidationContext v, IReadOnlyList<string> texts, string path, bool required)
    {
        if (texts.Count == 0 && !required)
        {
            return [];
        }

        if (texts.Count is < 1 or > 3)
        {
            v.Error("DnsServerCount", path, $"{texts.Count} DNS servers are given; AKS hybrid takes a minimum of one and a maximum of 3.",
                "List one to three DNS servers that resolve the cloud agent's name.");
        }

        var result = new List<IPAddress>();
        for (var i = 0; i < texts.Count; i++)
        {
            if (v.Address(texts[i], $"{path}[{i}]", required: true, "172.16.0.2") is { } address)
            {
                if (result.Contains(address))
                {
                    v.Warning("DnsServerDuplicate", $"{path}[{i}]", $"DNS server {address} is listed twice.", "Remove the duplicate.");
                }

                result.Add(address);
            }
        }

        return result;
    }

    private static ResolvedNetwork? ResolveStatic(ValidationContext v, NetworkSpec n, string path, AddressRange? vip, IReadOnlyList<IPAddress> dns)
    {
        var prefix = v.NetworkPrefix(n.IpAddressPrefix, $"{path}.ipAddressPrefix", required: true, "172.16.0.0/24", minLength: 8, maxLength: 29);
        var gateway = v.Address(n.Gateway, $"{path}.gateway", required: true, "172.16.0.1");
        var nodePool = v.Range(n.K8sNodeIpPoolStart, n.K8sNodeIpPoolEnd, $"{path}.k8sNodeIpPoolStart", $"{path}.k8sNodeIpPoolEnd",
            required: true, "172.16.0.20", "172.16.0.99");

        if (n.DhcpScope is not null)
        {
            v.Warning("DhcpScopeIgnored", $"{path}.dhcpScope", "A Static network has no DHCP scope; dhcpScope is ignored.",
                "Remove dhcpScope, or set ipAllocationMethod: Dhcp.");
        }

        if (prefix is { } p)
        {
            if (nodePool is { } np)
            {
                v.PoolInsidePrefix(np, p, "node IP pool", $"{path}.k8sNodeIpPoolStart", $"{path}.k8sNodeIpPoolEnd", "NodePoolOutsidePrefix");
            }

            if (vip is { } vp)
            {
                v.PoolInsidePrefix(vp, p, "VIP pool", $"{path}.vipPoolStart", $"{path}.vipPoolEnd", "VipPoolOutsidePrefix");
            }

            if (gateway is not null)
            {
                CheckGateway(v, gateway, p, $"{path}.gateway", nodePool, vip);
            }
        }

        if (nodePool is { } a && vip is { } b && a.Overlaps(b))
        {
            v.Error("VipPoolOverlapsNodePool", $"{path}.vipPoolStart", $"The VIP pool {b} overlaps the node IP pool {a}.",
                "Make the two pools disjoint ranges of the same subnet.");
        }

        return prefix is null
            ? null
            : new ResolvedNetwork(n.Name, n.VswitchName ?? "", n.VlanId, IpAllocationMethod.Static, prefix.Value, gateway, dns, nodePool, vip, null);
    }

    private static void CheckGateway(ValidationContext v, IPAddress gateway, Prefix prefix, string path, AddressRange? nodePool, AddressRange? vip)
    {
        if (!prefix.Contains(gateway))
        {
            v.Error("GatewayOutsidePrefix", path, $"The gateway {gateway} is not inside {prefix}.",
                "Give the default gateway of this subnet; a wrong gateway makes Install-AksHci time out.");
            return;
        }

        var number = IpNumber.ToNumber(gateway);
        if (number == prefix.First || number == prefix.Last)
        {
            v.Error("GatewayIsNetworkOrBroadcast", path, $"The gateway {gateway} is the network or broadcast address of {prefix}.",
                "Give the router's address on this subnet.");
        }

        if ((nodePool?.Contains(gateway) ?? false) || (vip?.Contains(gateway) ?? false))
        {
            v.Error("GatewayInPool", path, $"The gateway {gateway} lies inside the {(nodePool?.Contains(gateway) ?? false ? "node IP pool" : "VIP pool")}.",
                "Move the pool so that it does not include the gateway.");
        }
    }

    private static ResolvedNetwork? ResolveDhcp(ValidationContext v, NetworkSpec n, string path, AddressRange? vip, IReadOnlyList<IPAddress> dns)
    {
        if (n.K8sNodeIpPoolStart is not null || n.K8sNodeIpPoolEnd is not null)
        {
            v.Error("NodePoolNotSupportedWithDhcp", $"{path}.k8sNodeIpPoolStart",
                "A node IP pool is not supported with DHCP networking: node VMs take their addresses from the DHCP server.",
                "Remove k8sNodeIpPoolStart/End, or set ipAllocationMethod: Static.");
        }

        var scopePath = $"{path}.dhcpScope";
        if (n.DhcpScope is not { } scope)
        {
            v.Error("DhcpScopeMissing", scopePath, "A Dhcp network needs the DHCP server's scope to check exclusions and capacity.",
                "Add dhcpScope: { subnet, start, end, leaseDuration } as configured on your DHCP server.");
            return null;
        }

        var subnet = v.NetworkPrefix(scope.Subnet, $"{scopePath}.subnet", required: true, "172.16.0.0/24", minLength: 8, maxLength: 29);
        var range = v.Range(scope.Start, scope.End, $"{scopePath}.start", $"{scopePath}.end", required: true, "172.16.0.20", "172.16.0.250");
        var lease = v.Duration(scope.LeaseDuration, $"{scopePath}.leaseDuration", DefaultLease);
        if (lease is { } l && l < ShortLease)
        {
            v.Warning("DhcpLeaseShort", $"{scopePath}.leaseDuration",
                $"A lease of {l} can expire while hosts restart, and node VMs then come back with new addresses that etcd and the API server do not know.",
                "Use a lease of several days (Windows DHCP's default is 8 days).");
        }

        if (n.IpAddressPrefix is not null && subnet is { } s0
            && v.NetworkPrefix(n.IpAddressPrefix, $"{path}.ipAddressPrefix", required: false, "172.16.0.0/24") is { } declared && declared != s0)
        {
            v.Error("DhcpSubnetMismatch", $"{path}.ipAddressPrefix", $"ipAddressPrefix {declared} differs from the DHCP scope's subnet {s0}.",
                "Make them the same, or omit ipAddressPrefix for a Dhcp network.");
        }

        var gateway = v.Address(n.Gateway, $"{path}.gateway", required: false, "172.16.0.1");
        DhcpOptionsPresent(v, n, path);
        if (subnet is not { } sub)
        {
            return null;
        }

        if (range is { } r && !sub.Contains(r))
        {
            v.Error("DhcpScopeOutsideSubnet", $"{scopePath}.start", $"The scope range {r} is not inside its subnet {sub}.", $"Keep start and end inside {sub}.");
        }
        else if (range is { } r2 && (r2.First == sub.First || r2.Last == sub.Last))
        {
            v.Error("PoolIncludesNetworkOrBroadcast", $"{scopePath}.start", $"The scope range {r2} includes the network or broadcast address of {sub}.",
                "Leave out the first and last address of the subnet.");
        }

        if (vip is { } vp)
        {
            if (!sub.Contains(vp))
            {
                v.Error("VipPoolOutsideDhcpSubnet", $"{path}.vipPoolStart", $"The VIP pool {vp} is not inside the DHCP scope's subnet {sub}.",
                    "VIP pool addresses must be in the same subnet as the DHCP scope (they are excluded from leasing).");
            }
            else
            {
                v.PoolInsidePrefix(vp, sub, "VIP pool", $"{path}.vipPoolStart", $"{path}.vipPoolEnd", "VipPoolOutsideDhcpSubnet");
            }
        }

        if (gateway is not null)
        {
            CheckGateway(v, gateway, sub, $"{path}.gateway", null, vip);
            if (range is { } gr && gr.Contains(gateway) && !(vip?.Contains(gateway) ?? false))
            {
                // A scope over the whole subnet with the router excluded is the usual setup: Trellis plans the gateway
                // as an exclusion (SitePlanner.DhcpExclusions), as it does the VIP pool and the cloud agent.
                v.Warning("GatewayInDhcpScope", $"{path}.gateway",
                    $"The gateway {gateway} lies inside the DHCP scope range {gr}: Trellis excludes it from leasing in the Kea configuration and the Windows DHCP script it renders.",
                    "Make sure the DHCP server you run excludes it too (Add-DhcpServerv4ExclusionRange), or start the scope after the gateway.");
            }
        }

        var reservations = Reservations(v, scope.Reservations, $"{scopePath}.reservations", sub, vip, gateway);
        if (range is null)
        {
            return null;
        }

        var dhcp = new ResolvedDhcpScope(sub, range.Value, lease ?? DefaultLease, vip is { } x && x.Overlaps(range.Value) ? [x] : [], reservations);
        return new ResolvedNetwork(n.Name, n.VswitchName ?? "", n.VlanId, IpAllocationMethod.Dhcp, sub, gateway, dns, null, vip, dhcp);
    }

    /// <summary>
    /// The DHCP server hands node VMs their default route (option 3) and resolvers (option 6). AksHci's DHCP parameter
    /// set leaves both to the server, so a Dhcp network may omit them; but Trellis then has nothing to render them from.
    /// </summary>
    private static void DhcpOptionsPresent(ValidationContext v, NetworkSpec n, string path)
    {
        if (n.Gateway is null)
        {
            v.Warning("DhcpRouterMissing", $"{path}.gateway",
                $"Dhcp network '{n.Name}' names no gateway: Trellis cannot give its DHCP scope a router (option 3), so it refuses to render the Kea and Windows DHCP configuration.",
                "Give the subnet's default gateway (it becomes the scope's router option), or keep configuring the scope on your own DHCP server.");
        }

        if (n.DnsServers.Count == 0)
        {
            v.Warning("DhcpDnsServersMissing", $"{path}.dnsServers",
                $"Dhcp network '{n.Name}' names no DNS server: a rendered DHCP scope would give node VMs no resolver (option 6), and they must resolve the cloud agent's name.",
                "List one to three DNS servers (they become the scope's DNS option), or keep configuring the scope on your own DHCP server.");
        }
    }

    private static IReadOnlyList<ResolvedReservation> Reservations(ValidationContext v, IReadOnlyList<DhcpReservationSpec> specs, string path, Prefix subnet, AddressRange? vip, IPAddress? gateway)
    {
        var result = new List<ResolvedReservation>();
        for (var i = 0; i < specs.Count; i++)
        {
            var r = specs[i];
            var rp = $"{path}[{i}]";
            Names.Check(v, Names.Reservation, r.Name, $"{rp}.name", "Reservation name");
            var address = v.Address(r.IpAddress, $"{rp}.ipAddress", required: true, "172.16.0.30");
            if (r.MacAddress is null || !Names.MacAddress().IsMatch(r.MacAddress))
            {
                v.Error("InvalidMacAddress", $"{rp}.macAddress", $"'{r.MacAddress}' is not a MAC address.", "Write six hex byte pairs, e.g. 02-1E-2B-78-00-01.");
                continue;
            }

            if (address is null)
            {
                continue;
            }

            if (!subnet.Contains(address))
            {
                v.Error("ReservationOutsideSubnet", $"{rp}.ipAddress", $"Reserved address {address} is not inside {subnet}.", "Reserve an address of the scope's subnet.");
            }
            else if (vip?.Contains(address) ?? false)
            {
                v.Error("ReservationInVipPool", $"{rp}.ipAddress", $"Reserved address {address} lies in the VIP pool.", "Reserve an address outside the VIP pool.");
            }
            else if (address.Equals(gateway))
            {
                // A reservation is leased even inside an exclusion: the DHCP server would hand the router's address to this MAC.
                v.Error("ReservationIsGateway", $"{rp}.ipAddress", $"Reserved address {address} is the network's gateway.",
                    "Reserve another address; the gateway's is the router's own.");
            }

            var mac = r.MacAddress.Replace(':', '-').ToUpperInvariant();
            if (result.Any(x => x.Address.Equals(address) || x.MacAddress == mac || x.Name == r.Name))
            {
                v.Error("ReservationDuplicate", rp, $"Reservation '{r.Name}' repeats the name, address or MAC of an earlier one.",
                    "Give each reservation its own name, address and MAC.");
                continue;
            }

            result.Add(new ResolvedReservation(r.Name, address, mac));
        }

        return result;
    }
}
