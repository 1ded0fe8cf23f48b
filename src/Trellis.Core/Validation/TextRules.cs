using System.Globalization;
using System.Text;
using Trellis.Core.Model;

namespace Trellis.Core.Validation;

/// <summary>
/// No value of a site spec may hold a control character: every string reaches a file, a script, a table or a log line,
/// where a NUL, a line break (CR, LF, U+0085, U+2028, U+2029), a tab, an escape or an invisible format character
/// (bidirectional overrides, zero-width characters) could end a statement or hide what the text says.
/// </summary>
internal static class TextRules
{
    public static void Check(ValidationContext v, SiteSpec spec)
    {
        foreach (var (path, value) in Strings(spec))
        {
            if (FirstForbidden(value) is { } at)
            {
                v.Error("ControlCharacter", path,
                    $"The value holds {Describe(at.Rune)} at character {at.Index + 1}: '{Names.Printable(value)}'.",
                    "Remove it: every value of a site spec is one line of printable text, without NUL, tab, CR, LF, U+2028/U+2029 or other control and format characters.");
            }
        }
    }

    /// <summary>Unicode control (Cc), line and paragraph separators (Zl, Zp), format characters (Cf) and unpaired surrogates.</summary>
    public static bool IsForbidden(Rune rune) => Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.LineSeparator
        or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Format;

    private static (Rune Rune, int Index)? FirstForbidden(string value)
    {
        for (var i = 0; i < value.Length;)
        {
            if (Rune.DecodeFromUtf16(value.AsSpan(i), out var rune, out var used) != System.Buffers.OperationStatus.Done)
            {
                return (new Rune(0xFFFD), i);
            }

            if (IsForbidden(rune))
            {
                return (rune, i);
            }

            i += used;
        }

        return null;
    }

    private static string Describe(Rune rune) => rune.Value switch
    {
        0xFFFD => "an unpaired surrogate (not Unicode text)",
        0 => "a NUL character (U+0000)",
        '\t' => "a tab (U+0009)",
        '\n' => "a line feed (U+000A)",
        '\r' => "a carriage return (U+000D)",
        0x2028 => "a line separator (U+2028)",
        0x2029 => "a paragraph separator (U+2029)",
        _ => $"the {(Rune.GetUnicodeCategory(rune) == UnicodeCategory.Format ? "format" : "control")} character U+{rune.Value:X4}",
    };

    /// <summary>Every string of a spec with the path of its field, as findings name it.</summary>
    public static IEnumerable<(string Path, string Value)> Strings(SiteSpec s)
    {
        var all = new List<(string, string?)> { ("apiVersion", s.ApiVersion), ("kind", s.Kind), ("metadata.name", s.Name), ("spec.cloudServiceCidr", s.CloudServiceCidr) };
        if (s.HostNetwork is { } host)
        {
            Network(all, "spec.hostNetwork", host);
        }

        for (var i = 0; i < s.ClusterNetworks.Count; i++)
        {
            Network(all, $"spec.clusterNetworks[{i}]", s.ClusterNetworks[i]);
        }

        if (s.LogicalNetwork is { } l)
        {
            const string p = "spec.logicalNetwork";
            all.AddRange([($"{p}.name", l.Name), ($"{p}.vmSwitchName", l.VmSwitchName), ($"{p}.gateway", l.Gateway), ($"{p}.ipPoolStart", l.IpPoolStart), ($"{p}.ipPoolEnd", l.IpPoolEnd)]);
            List(all, $"{p}.addressPrefixes", l.AddressPrefixes);
            List(all, $"{p}.dnsServers", l.DnsServers);
        }

        for (var i = 0; i < s.LoadBalancerSettings.Count; i++)
        {
            var lb = s.LoadBalancerSettings[i];
            all.AddRange([($"spec.loadBalancerSettings[{i}].name", lb.Name), ($"spec.loadBalancerSettings[{i}].vmSize", lb.VmSize)]);
        }

        for (var i = 0; i < s.Clusters.Count; i++)
        {
            Cluster(all, $"spec.clusters[{i}]", s.Clusters[i]);
        }

        return all.Where(x => x.Item2 is not null).Select(x => (x.Item1, x.Item2!));
    }

    private static void Network(List<(string, string?)> all, string p, NetworkSpec n)
    {
        all.AddRange([($"{p}.name", n.Name), ($"{p}.vswitchName", n.VswitchName), ($"{p}.ipAddressPrefix", n.IpAddressPrefix), ($"{p}.gateway", n.Gateway),
            ($"{p}.k8sNodeIpPoolStart", n.K8sNodeIpPoolStart), ($"{p}.k8sNodeIpPoolEnd", n.K8sNodeIpPoolEnd), ($"{p}.vipPoolStart", n.VipPoolStart), ($"{p}.vipPoolEnd", n.VipPoolEnd)]);
        List(all, $"{p}.dnsServers", n.DnsServers);
        if (n.DhcpScope is { } d)
        {
            var dp = $"{p}.dhcpScope";
            all.AddRange([($"{dp}.subnet", d.Subnet), ($"{dp}.start", d.Start), ($"{dp}.end", d.End), ($"{dp}.leaseDuration", d.LeaseDuration)]);
            for (var i = 0; i < d.Reservations.Count; i++)
            {
                var r = d.Reservations[i];
                all.AddRange([($"{dp}.reservations[{i}].name", r.Name), ($"{dp}.reservations[{i}].ipAddress", r.IpAddress), ($"{dp}.reservations[{i}].macAddress", r.MacAddress)]);
            }
        }
    }

    private static void Cluster(List<(string, string?)> all, string p, ClusterSpec c)
    {
        all.AddRange([($"{p}.name", c.Name), ($"{p}.vnet", c.Vnet), ($"{p}.kubernetesVersion", c.KubernetesVersion), ($"{p}.controlPlaneVmSize", c.ControlPlaneVmSize),
            ($"{p}.loadBalancerSettings", c.LoadBalancerSettings), ($"{p}.podCidr", c.PodCidr), ($"{p}.serviceCidr", c.ServiceCidr), ($"{p}.controlPlaneIp", c.ControlPlaneIp)]);
        for (var i = 0; i < c.LoadBalancers.Count; i++)
        {
            var lb = c.LoadBalancers[i];
            all.AddRange([($"{p}.loadBalancers[{i}].name", lb.Name), ($"{p}.loadBalancers[{i}].advertiseMode", lb.AdvertiseMode)]);
            List(all, $"{p}.loadBalancers[{i}].addresses", lb.Addresses);
        }

        for (var i = 0; i < c.BgpPeers.Count; i++)
        {
            all.AddRange([($"{p}.bgpPeers[{i}].name", c.BgpPeers[i].Name), ($"{p}.bgpPeers[{i}].peerAddress", c.BgpPeers[i].PeerAddress)]);
        }

        for (var i = 0; i < c.NodePools.Count; i++)
        {
            var np = c.NodePools[i];
            all.AddRange([($"{p}.nodePools[{i}].name", np.Name), ($"{p}.nodePools[{i}].osSku", np.OsSku), ($"{p}.nodePools[{i}].vmSize", np.VmSize)]);
        }

        for (var i = 0; i < c.Services.Count; i++)
        {
            var s = c.Services[i];
            all.AddRange([($"{p}.services[{i}].namespace", s.Namespace), ($"{p}.services[{i}].name", s.Name), ($"{p}.services[{i}].protocol", s.Protocol),
                ($"{p}.services[{i}].sharedIpKey", s.SharedIpKey)]);
        }
    }

    private static void List(List<(string, string?)> all, string path, IReadOnlyList<string> values)
    {
        for (var i = 0; i < values.Count; i++)
        {
            all.Add(($"{path}[{i}]", values[i]));
        }
    }
}
