using System.Globalization;
using Trellis.Core.Model;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Trellis.Engine;

/// <summary>
/// A network as New-AksHciNetworkSetting / New-AksHciClusterNetwork give it (the host network, or a workload cluster's).
/// <paramref name="IpAllocationMethod"/> is "Static" or "DHCP"; values stay text, the Engine checks them as a spec file's.
/// </summary>
public sealed record NetworkSetting(string Name, string? VswitchName, string IpAllocationMethod, string? IpAddressPrefix, string? Gateway,
    IReadOnlyList<string> DnsServers, int? VlanId, string? K8sNodeIpPoolStart, string? K8sNodeIpPoolEnd, string? VipPoolStart, string? VipPoolEnd,
    DhcpScopeSetting? DhcpScope = null)
{
    /// <summary>Equal when every field is, the DNS servers in the same order.</summary>
    public bool Equals(NetworkSetting? other) => other is not null && (Name, VswitchName, IpAllocationMethod, IpAddressPrefix, Gateway, VlanId,
        K8sNodeIpPoolStart, K8sNodeIpPoolEnd, VipPoolStart, VipPoolEnd, DhcpScope) == (other.Name, other.VswitchName, other.IpAllocationMethod,
        other.IpAddressPrefix, other.Gateway, other.VlanId, other.K8sNodeIpPoolStart, other.K8sNodeIpPoolEnd, other.VipPoolStart, other.VipPoolEnd, other.DhcpScope)
        && (DnsServers ?? []).SequenceEqual(other.DnsServers ?? []);

    public override int GetHashCode() => HashCode.Combine(Name, IpAddressPrefix, VipPoolStart, K8sNodeIpPoolStart);
}

/// <summary>The DHCP server's scope of a DHCP network, so that Trellis can check it and render its exclusions.</summary>
public sealed record DhcpScopeSetting(string? Subnet, string? Start, string? End, string? LeaseDuration, IReadOnlyList<DhcpReservationSetting> Reservations)
{
    /// <summary>Equal when every field is, the reservations in the same order.</summary>
    public bool Equals(DhcpScopeSetting? other) => other is not null && (Subnet, Start, End, LeaseDuration) == (other.Subnet, other.Start, other.End, other.LeaseDuration)
        && (Reservations ?? []).SequenceEqual(other.Reservations ?? []);

    public override int GetHashCode() => HashCode.Combine(Subnet, Start, End);
}

public sealed record DhcpReservationSetting(string Name, string? IpAddress, string? MacAddress);

/// <summary>New-AksHciLoadBalancerSetting; without <paramref name="LoadBalancerCount"/>, one HAProxy VM (none with SKU "none").</summary>
public sealed record LoadBalancerSetting(string Name, string LoadBalancerSku = "HAProxy", string? VmSize = null, int? LoadBalancerCount = null);

/// <summary>A node pool of New-AksHciCluster or New-AksHciNodePool; without MaxPodCount it gets its cluster's default.</summary>
public sealed record NodePoolSetting(string Name, string OsType = "Linux", string? OsSku = null, int Count = 1, string? VmSize = null, int? MaxPodCount = null);

/// <summary>
/// New-AksHciCluster, with both of its parameter sets already mapped to <see cref="NodePools"/> by the caller.
/// <see cref="LoadBalancer"/> is added to the site's load balancer settings unless an equal one is stored; a
/// <see cref="LoadBalancerVmSize"/> without it gives the cluster an HAProxy setting of that VM size.
/// </summary>
public sealed record ClusterSetting(string Name)
{
    public string? Vnet { get; init; }
    public string? PrimaryNetworkPlugin { get; init; }
    public string? KubernetesVersion { get; init; }
    public int? ControlPlaneNodeCount { get; init; }
    public string? ControlPlaneVmSize { get; init; }
    public string? LoadBalancerVmSize { get; init; }
    public LoadBalancerSetting? LoadBalancer { get; init; }
    public IReadOnlyList<NodePoolSetting> NodePools { get; init; } = [];
    public string? PodCidr { get; init; }
    public string? ServiceCidr { get; init; }
    public int? VxlanVni { get; init; }
    public int? VxlanPort { get; init; }
    public int? VirtualRouterId { get; init; }
    public string? ControlPlaneIp { get; init; }
}

/// <summary>
/// The stored site's host configuration (Get-AksHciConfig): its name and model ("AksHci" | "AksArc"), the host network
/// (none on an AksArc site), the cloud agent's address, and every planning setting by its spec name, as text.
/// </summary>
public sealed record HostConfig(string SiteName, string Model, NetworkSetting? Vnet, string? CloudServiceCidr, IReadOnlyDictionary<string, string> Settings);

/// <summary>Between the settings front ends give and the spec's objects: to YAML nodes the spec reader checks, and back.</summary>
internal static class SettingNodes
{
    public static YamlMappingNode Network(NetworkSetting n) => Map(
        ("name", Text(n.Name)),
        ("vswitchName", Text(n.VswitchName)),
        ("ipAllocationMethod", Text(n.IpAllocationMethod)),
        ("ipAddressPrefix", Text(n.IpAddressPrefix)),
        ("gateway", Text(n.Gateway)),
        ("dnsServers", n.DnsServers is { Count: > 0 } dns ? Texts(dns) : null),
        ("vlanID", Number(n.VlanId)),
        ("k8sNodeIpPoolStart", Text(n.K8sNodeIpPoolStart)),
        ("k8sNodeIpPoolEnd", Text(n.K8sNodeIpPoolEnd)),
        ("vipPoolStart", Text(n.VipPoolStart)),
        ("vipPoolEnd", Text(n.VipPoolEnd)),
        ("dhcpScope", n.DhcpScope is { } scope ? Map(
            ("subnet", Text(scope.Subnet)),
            ("start", Text(scope.Start)),
            ("end", Text(scope.End)),
            ("leaseDuration", Text(scope.LeaseDuration)),
            ("reservations", scope.Reservations is { Count: > 0 } reservations
                ? new YamlSequenceNode(reservations.Select(r => Map(("name", Text(r.Name)), ("ipAddress", Text(r.IpAddress)), ("macAddress", Text(r.MacAddress))))) : null)) : null));

    public static YamlMappingNode LoadBalancer(LoadBalancerSetting l) => Map(
        ("name", Text(l.Name)), ("loadBalancerSku", Text(l.LoadBalancerSku)), ("vmSize", Text(l.VmSize)), ("loadBalancerCount", Number(l.LoadBalancerCount)));

    public static YamlMappingNode Cluster(ClusterSetting c, string? loadBalancer) => Map(
        ("name", Text(c.Name)),
        ("vnet", Text(c.Vnet)),
        ("primaryNetworkPlugin", Text(c.PrimaryNetworkPlugin)),
        ("kubernetesVersion", Text(c.KubernetesVersion)),
        ("controlPlaneNodeCount", Number(c.ControlPlaneNodeCount)),
        ("controlPlaneVmSize", Text(c.ControlPlaneVmSize)),
        ("loadBalancerSettings", Text(loadBalancer)),
        ("podCidr", Text(c.PodCidr)),
        ("serviceCidr", Text(c.ServiceCidr)),
        ("controlPlaneIp", Text(c.ControlPlaneIp)),
        ("vxlanVni", Number(c.VxlanVni)),
        ("vxlanPort", Number(c.VxlanPort)),
        ("virtualRouterId", Number(c.VirtualRouterId)),
        ("nodePools", c.NodePools is { Count: > 0 } pools ? new YamlSequenceNode(pools.Select(NodePool)) : null));

    public static YamlMappingNode NodePool(NodePoolSetting p) => Map(
        ("name", Text(p.Name)), ("osType", Text(p.OsType)), ("osSku", Text(p.OsSku)), ("count", Number(p.Count)), ("vmSize", Text(p.VmSize)), ("maxPodCount", Number(p.MaxPodCount)));

    public static YamlMappingNode MetalLbPool(string name, IReadOnlyList<string> addresses, string advertiseMode) => Map(
        ("name", Text(name)), ("addresses", Texts(addresses ?? [])), ("advertiseMode", Text(advertiseMode)));

    public static YamlMappingNode BgpPeer(string name, long myAsn, long peerAsn, string peerAddress, int? peerPort) => Map(
        ("name", Text(name)), ("myAsn", Number(myAsn)), ("peerAsn", Number(peerAsn)), ("peerAddress", Text(peerAddress)), ("peerPort", Number(peerPort)));

    public static NetworkSetting ToSetting(NetworkSpec n) => new(n.Name, n.VswitchName, n.IpAllocationMethod == IpAllocationMethod.Dhcp ? "DHCP" : "Static",
        n.IpAddressPrefix, n.Gateway, [.. n.DnsServers], n.VlanId, n.K8sNodeIpPoolStart, n.K8sNodeIpPoolEnd, n.VipPoolStart, n.VipPoolEnd,
        n.DhcpScope is { } s ? new DhcpScopeSetting(s.Subnet, s.Start, s.End, s.LeaseDuration, [.. s.Reservations.Select(r => new DhcpReservationSetting(r.Name, r.IpAddress, r.MacAddress))]) : null);

    public static LoadBalancerSetting ToSetting(LoadBalancerSettingSpec l) =>
        new(l.Name, l.LoadBalancerSku == LoadBalancerSku.None ? "none" : "HAProxy", l.VmSize, l.LoadBalancerCount);

    /// <summary>Every planning setting by its spec name, as the spec reader reads it back; workloadUpdateReserve only when set.</summary>
    public static IReadOnlyDictionary<string, string> Settings(PlanningSettings s)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["managementClusterVip"] = Bool(s.ManagementClusterVip),
            ["managementUpdateReserve"] = Int(s.ManagementUpdateReserve),
            ["calicoBlockSize"] = Int(s.CalicoBlockSize),
            ["flannelSubnetLen"] = Int(s.FlannelSubnetLen),
            ["underlayMtu"] = Int(s.UnderlayMtu),
            ["virtualRouterIdBase"] = Int(s.VirtualRouterIdBase),
            ["kubeVipControlPlane"] = Bool(s.KubeVipControlPlane),
        };
        if (s.WorkloadUpdateReserve is { } reserve)
        {
            fields["workloadUpdateReserve"] = Int(reserve);
        }

        return fields;
    }

    private static string Bool(bool value) => value ? "true" : "false";

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static YamlMappingNode Map(params (string Key, YamlNode? Value)[] fields)
    {
        var map = new YamlMappingNode();
        foreach (var (key, value) in fields)
        {
            if (value is not null)
            {
                map.Add(new YamlScalarNode(key), value);
            }
        }

        return map;
    }

    /// <summary>Quoted, so that a value such as "null", "~" or "true" stays text and gets the checks of its field.</summary>
    private static YamlScalarNode? Text(string? value) => value is null ? null : new YamlScalarNode(value) { Style = ScalarStyle.DoubleQuoted };

    private static YamlSequenceNode Texts(IEnumerable<string> values) => new(values.Select(v => (YamlNode)new YamlScalarNode(v ?? "") { Style = ScalarStyle.DoubleQuoted }));

    private static YamlScalarNode? Number(long? value) => value is null ? null : new YamlScalarNode(value.Value.ToString(CultureInfo.InvariantCulture));
}
