using System.Net;
using Trellis.Core.Addressing;
using Trellis.Core.Model;
using Trellis.Core.Planning;

namespace Trellis.Core.Validation;

/// <summary>AKS Arc (Azure Local) rules, with the messages of Az.AksArc's own validation (reference §1.9, §2.8, §3.3).</summary>
internal static class ArcRules
{
    private const string Help = "Read aka.ms/aks-arc-networking-requirements for more information.";

    /// <summary>A /16: far more than any cluster's services, and small enough that all of a cluster's ranges fit one ledger.</summary>
    public const int MaxMetalLbRange = 1 << 16;

    public static ResolvedNetwork? ResolveLogicalNetwork(ValidationContext v, SiteSpec spec)
    {
        foreach (var (present, field) in new[]
                 {
                     (spec.HostNetwork is not null, "hostNetwork"), (spec.ClusterNetworks.Count > 0, "clusterNetworks"),
                     (spec.CloudServiceCidr is not null, "cloudServiceCidr"),
                 })
        {
            if (present)
            {
                v.Error("FieldNotForModel", $"spec.{field}", $"{field} belongs to the AksHci model; AKS Arc clusters use a logical network.",
                    "Describe the network as spec.logicalNetwork, or set model: AksHci.");
            }
        }

        const string path = "spec.logicalNetwork";
        if (spec.LogicalNetwork is not { } l)
        {
            v.Error("LogicalNetworkMissing", path, "An AksArc site needs the logical network its clusters use.",
                "Add spec.logicalNetwork with addressPrefixes, gateway, dnsServers, ipPoolStart and ipPoolEnd.");
            return null;
        }

        if (l.IpAllocationMethod != IpAllocationMethod.Static)
        {
            v.Error("LogicalNetworkNotStatic", $"{path}.ipAllocationMethod",
                $"Logical network {l.Name} with IP allocation method Dynamic is not supported. Create a new or use an existing logical network of Static IP allocation method. {Help}",
                "Set ipAllocationMethod: Static.");
        }

        if (l.AddressPrefixes.Count != 1)
        {
            v.Error("LogicalNetworkPrefixCount", $"{path}.addressPrefixes", $"{l.AddressPrefixes.Count} address prefixes are given; a logical network supports only one.",
                "Give exactly one address prefix.");
        }

        var prefix = l.AddressPrefixes.Count == 1
            ? v.NetworkPrefix(l.AddressPrefixes[0], $"{path}.addressPrefixes[0]", required: true, "10.220.32.0/24", minLength: 8, maxLength: 29)
            : null;

        if (l.DnsServers.Count == 0)
        {
            v.Error("DnsServerRequired", $"{path}.dnsServers",
                $"For creating Kubernetes clusters, DNS server in the logical network is a required input. Logical network {l.Name} does not have a DNS server. Update the logical network or use a new logical network with a DNS server.",
                "List one to three DNS servers.");
        }

        var dns = NetworkRules.DnsServers(v, l.DnsServers, $"{path}.dnsServers", required: false);
        var gateway = v.Address(l.Gateway, $"{path}.gateway", required: true, "10.220.32.1");
        AddressRange? pool = null;
        if (l.IpPoolStart is null && l.IpPoolEnd is null)
        {
            v.Error("LogicalNetworkNoIpPool", $"{path}.ipPoolStart", $"Logical network {l.Name} does not have an ippool. {Help}",
                "Give ipPoolStart and ipPoolEnd: the AKS Arc VMs take their addresses from it.");
        }
        else
        {
            if (l.IpPoolStart is not null && !IpNumber.TryParse(l.IpPoolStart, out _))
            {
                v.Error("InvalidIpPoolStart", $"{path}.ipPoolStart", $"Logical network {l.Name} does not have a valid ip pool start address {l.IpPoolStart}. {Help}", "Write an IPv4 address.");
            }
            else if (l.IpPoolEnd is not null && !IpNumber.TryParse(l.IpPoolEnd, out _))
            {
                v.Error("InvalidIpPoolEnd", $"{path}.ipPoolEnd", $"Logical network {l.Name} does not have a valid ip pool end address {l.IpPoolEnd}. {Help}", "Write an IPv4 address.");
            }
            else
            {
                pool = v.Range(l.IpPoolStart, l.IpPoolEnd, $"{path}.ipPoolStart", $"{path}.ipPoolEnd", required: true, "10.220.32.18", "10.220.32.37");
            }
        }

        if (prefix is { } p)
        {
            if (pool is { } ip && !p.Contains(ip))
            {
                v.Error("IpPoolOutsidePrefix", $"{path}.ipPoolStart", $"The IP pool {ip} is not in range of the address prefix {p}.", $"Keep the pool inside {p}.");
            }

            if (gateway is not null && !p.Contains(gateway))
            {
                v.Error("GatewayOutsidePrefix", $"{path}.gateway", $"The gateway {gateway} is not within the scope of the address prefix {p}.", "Give the subnet's default gateway.");
            }
            else if (gateway is not null && (pool?.Contains(gateway) ?? false))
            {
                v.Error("GatewayInPool", $"{path}.gateway", $"The gateway {gateway} lies inside the IP pool.", "Move the pool so that it does not include the gateway.");
            }
        }

        Names.Check(v, Names.ArcNetwork, l.Name, $"{path}.name", "Logical network name");
        if (l.VmSwitchName is not null)
        {
            Names.Check(v, Names.VmSwitch, l.VmSwitchName, $"{path}.vmSwitchName", "Virtual switch name");
        }

        // Resolves with other errors too, so that the rules that build on the network (its clusters, capacity) still report.
        // A pool outside the prefix cannot be subtracted from it for the control plane IPs: that network does not resolve.
        return prefix is null || pool is null || !prefix.Value.Contains(pool.Value)
            ? null
            : NetworkRules.DnsServersOutsidePools(v, new ResolvedNetwork(l.Name, l.VmSwitchName ?? "", l.Vlan, IpAllocationMethod.Static, prefix.Value, gateway, dns, pool, null, null), path);
    }

    public static List<ResolvedCluster> ResolveClusters(ValidationContext v, SiteSpec spec, ResolvedNetwork lnet, List<ResolvedCluster> clusters)
    {
        var result = new List<ResolvedCluster>();
        var controlPlaneIps = new List<(string, IPAddress)>();
        var metalLbRanges = new List<(string Path, string Cluster, AddressRange Range)>();
        var infrastructure = MetalLbRules.Infrastructure([lnet], null);
        foreach (var c in clusters)
        {
            var path = $"spec.clusters[{SiteValidator.IndexOf(spec, c.Name)}]";
            IPAddress? controlPlaneIp = null;
            if (c.Spec.ControlPlaneIp is { } text)
            {
                if (!IpNumber.TryParse(text, out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
                {
                    v.Error("InvalidControlPlaneIp", $"{path}.controlPlaneIp", $"Control Plane HostIP {text} is not a valid IP address. {Help}", "Write an IPv4 address.");
                }
                else if (!lnet.Prefix.Contains(ip) || lnet.NodePool!.Value.Contains(ip) || IpNumber.ToNumber(ip) == lnet.Prefix.First || IpNumber.ToNumber(ip) == lnet.Prefix.Last)
                {
                    v.Error("ControlPlaneIpOutsideRange", $"{path}.controlPlaneIp",
                        $"The control plane IP {ip} should be within the address prefixes {lnet.Prefix} of the logical network {lnet.Name}, but outside the IP pool {lnet.NodePool!.Value.Start} - {lnet.NodePool!.Value.End}. {Help}",
                        "Choose a free address of the prefix outside the IP pool.");
                }
                else if (ip.Equals(lnet.Gateway))
                {
                    v.Error("ControlPlaneIpIsGateway", $"{path}.controlPlaneIp", $"The control plane IP {ip} is the gateway.", "Choose a free address.");
                }
                else if (lnet.DnsServers.Contains(ip))
                {
                    v.Error("ControlPlaneIpIsDnsServer", $"{path}.controlPlaneIp", $"The control plane IP {ip} is a DNS server of the logical network {lnet.Name}.",
                        "Choose a free address of the prefix outside the IP pool; KubeVIP would take the DNS server's address.");
                }
                else
                {
                    controlPlaneIp = ip;
                    controlPlaneIps.Add(($"{path}.controlPlaneIp", ip));
                }
            }

            var ranges = new List<AddressRange>();
            var lbNames = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < c.Spec.LoadBalancers.Count; i++)
            {
                var lb = c.Spec.LoadBalancers[i];
                var lp = $"{path}.loadBalancers[{i}]";
                MetalLbRules.UniqueName(v, lbNames, lb.Name, $"{lp}.name", "Load balancer");

                if (lb.AdvertiseMode is not ("ARP" or "BGP" or "Both"))
                {
                    v.Error("InvalidValue", $"{lp}.advertiseMode", $"'{lb.AdvertiseMode}' is not an advertise mode.", "Use ARP, BGP or Both.");
                }

                for (var j = 0; j < lb.Addresses.Count; j++)
                {
                    if (MetalLbRange(v, lb.Addresses[j], $"{lp}.addresses[{j}]", lnet, lb.AdvertiseMode, infrastructure) is { } r)
                    {
                        ranges.Add(r);
                        metalLbRanges.Add(($"{lp}.addresses[{j}]", c.Name, r));
                    }
                }

                if (lb.Addresses.Count == 0)
                {
                    v.Error("RequiredFieldMissing", $"{lp}.addresses", "The load balancer has no addresses.", "Give a range or CIDR, e.g. 10.220.32.47-10.220.32.49.");
                }
            }

            if (c.Spec.Services.Count > 0 && c.Spec.LoadBalancers.Count == 0)
            {
                v.Error("NoLoadBalancerForServices", $"{path}.services", $"Cluster '{c.Name}' has LoadBalancer services but no MetalLB load balancer to give them addresses.",
                    "Add loadBalancers: [{ name: lb1, addresses: [a-b], advertiseMode: ARP }] outside the logical network's IP pool.");
            }

            result.Add(c with { ControlPlaneIp = controlPlaneIp, MetalLbRanges = ranges });
        }

        ClusterRules.ControlPlaneIpsUnique(v, controlPlaneIps);
        for (var i = 0; i < metalLbRanges.Count; i++)
        {
            for (var j = i + 1; j < metalLbRanges.Count; j++)
            {
                if (metalLbRanges[i].Range.Overlaps(metalLbRanges[j].Range))
                {
                    v.Error("MetalLbRangeOverlap", metalLbRanges[j].Path, $"{metalLbRanges[j].Range} overlaps {metalLbRanges[i].Range} ({metalLbRanges[i].Path}).",
                        "A MetalLB instance belongs to one cluster: give each its own addresses.");
                }
            }

            foreach (var (cpPath, ip) in controlPlaneIps.Where(x => metalLbRanges[i].Range.Contains(x.Item2)))
            {
                v.Error("MetalLbRangeHoldsControlPlaneIp", metalLbRanges[i].Path, $"{metalLbRanges[i].Range} contains the control plane IP {ip} ({cpPath}).",
                    "Keep control plane IPs out of MetalLB ranges.");
            }
        }

        return result;
    }

    internal static AddressRange? MetalLbRange(ValidationContext v, string text, string path, ResolvedNetwork lnet, string mode,
        IReadOnlyList<MetalLbRules.InfrastructureAddress> infrastructure)
    {
        AddressRange? range = null;
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash > 0 && IpNumber.TryParse(text[..dash].Trim(), out var a) && IpNumber.TryParse(text[(dash + 1)..].Trim(), out var b)
            && a.AddressFamily == b.AddressFamily && IpNumber.ToNumber(a) <= IpNumber.ToNumber(b))
        {
            range = AddressRange.Of(a, b);
        }
        else if (Prefix.TryParse(text, out var prefix, out _, out var hostBits) && !hostBits)
        {
            range = prefix.Range;
        }

        if (range is not { } r || r.Family != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            v.Error("InvalidAddressRange", path, $"'{text}' is not an IPv4 range or CIDR.", "Write start-end (10.220.32.47-10.220.32.49) or a CIDR.");
            return null;
        }

        if (r.Count > MaxMetalLbRange)
        {
            v.Error("MetalLbRangeTooLarge", path, $"{r} holds {r.Count} addresses; a MetalLB range holds at most {MaxMetalLbRange}.",
                "Give the load balancer a /16 or smaller range: one address per LoadBalancer service is enough.");
            return null;
        }

        if (mode != "BGP" && !lnet.Prefix.Contains(r))
        {
            v.Error("MetalLbRangeOutsidePrefix", path, $"{r} is outside {lnet.Prefix}: MetalLB L2 (ARP) pools must be in the same subnet as the Kubernetes nodes.",
                $"Choose addresses of {lnet.Prefix} outside the IP pool, or advertise by BGP.");
        }

        MetalLbRules.InfrastructureOutside(v, r, path, infrastructure);
        return r;
    }
}
