using Trellis.Core.Model;
using Trellis.Rendering.Emit;

namespace Trellis.Rendering.Spec;

/// <summary>
/// A site spec as the YAML document <see cref="SiteSpecReader"/> reads: the same field names, every value the spec holds
/// written out (defaults too, so that a later release with other defaults reads the same site), through the YAML emitter.
/// Reading the text back gives an equal spec.
/// </summary>
public static class SiteSpecYaml
{
    public static string Write(SiteSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return YamlText.Document(new YamlMap
        {
            ["apiVersion"] = spec.ApiVersion,
            ["kind"] = spec.Kind,
            ["metadata"] = new YamlMap { ["name"] = spec.Name },
            ["spec"] = new YamlMap
            {
                ["model"] = spec.Model.ToString(),
                ["hostNetwork"] = Network(spec.HostNetwork),
                ["cloudServiceCidr"] = spec.CloudServiceCidr,
                ["clusterNetworks"] = List(spec.ClusterNetworks.Select(Network)),
                ["logicalNetwork"] = LogicalNetwork(spec.LogicalNetwork),
                ["loadBalancerSettings"] = List(spec.LoadBalancerSettings.Select(LoadBalancer)),
                ["clusters"] = List(spec.Clusters.Select(Cluster)),
                ["settings"] = Settings(spec.Settings),
            },
        });
    }

    /// <summary>An empty list is left out, as the reader reads a missing list as empty.</summary>
    private static List<T>? List<T>(IEnumerable<T> items) => items.ToList() is { Count: > 0 } list ? list : null;

    private static string Method(IpAllocationMethod method) => method == IpAllocationMethod.Dhcp ? "Dhcp" : "Static";

    private static YamlMap? Network(NetworkSpec? n) => n is null ? null : new YamlMap
    {
        ["name"] = n.Name,
        ["vswitchName"] = n.VswitchName,
        ["ipAllocationMethod"] = Method(n.IpAllocationMethod),
        ["ipAddressPrefix"] = n.IpAddressPrefix,
        ["gateway"] = n.Gateway,
        ["dnsServers"] = List(n.DnsServers),
        ["vlanID"] = n.VlanId,
        ["k8sNodeIpPoolStart"] = n.K8sNodeIpPoolStart,
        ["k8sNodeIpPoolEnd"] = n.K8sNodeIpPoolEnd,
        ["vipPoolStart"] = n.VipPoolStart,
        ["vipPoolEnd"] = n.VipPoolEnd,
        ["dhcpScope"] = n.DhcpScope is not { } d ? null : new YamlMap
        {
            ["subnet"] = d.Subnet,
            ["start"] = d.Start,
            ["end"] = d.End,
            ["leaseDuration"] = d.LeaseDuration,
            ["reservations"] = List(d.Reservations.Select(r => new YamlMap { ["name"] = r.Name, ["ipAddress"] = r.IpAddress, ["macAddress"] = r.MacAddress })),
        },
    };

    private static YamlMap? LogicalNetwork(LogicalNetworkSpec? n) => n is null ? null : new YamlMap
    {
        ["name"] = n.Name,
        ["vmSwitchName"] = n.VmSwitchName,
        ["ipAllocationMethod"] = n.IpAllocationMethod == IpAllocationMethod.Dhcp ? "Dynamic" : "Static",
        ["addressPrefixes"] = List(n.AddressPrefixes),
        ["gateway"] = n.Gateway,
        ["dnsServers"] = List(n.DnsServers),
        ["vlan"] = n.Vlan,
        ["ipPoolStart"] = n.IpPoolStart,
        ["ipPoolEnd"] = n.IpPoolEnd,
    };

    private static YamlMap LoadBalancer(LoadBalancerSettingSpec lb) => new()
    {
        ["name"] = lb.Name,
        ["loadBalancerSku"] = lb.LoadBalancerSku == LoadBalancerSku.None ? "none" : "HAProxy",
        ["vmSize"] = lb.VmSize,
        ["loadBalancerCount"] = lb.LoadBalancerCount,
    };

    private static YamlMap Cluster(ClusterSpec c) => new()
    {
        ["name"] = c.Name,
        ["vnet"] = c.Vnet,
        ["primaryNetworkPlugin"] = c.PrimaryNetworkPlugin.ToString().ToLowerInvariant(),
        ["kubernetesVersion"] = c.KubernetesVersion,
        ["controlPlaneNodeCount"] = c.ControlPlaneNodeCount,
        ["controlPlaneVmSize"] = c.ControlPlaneVmSize,
        ["loadBalancerSettings"] = c.LoadBalancerSettings,
        ["loadBalancerCount"] = c.LoadBalancerCount,
        ["podCidr"] = c.PodCidr,
        ["serviceCidr"] = c.ServiceCidr,
        ["controlPlaneIp"] = c.ControlPlaneIp,
        ["vxlanVni"] = c.VxlanVni,
        ["vxlanPort"] = c.VxlanPort,
        ["virtualRouterId"] = c.VirtualRouterId,
        ["loadBalancers"] = List(c.LoadBalancers.Select(p => new YamlMap { ["name"] = p.Name, ["addresses"] = List(p.Addresses), ["advertiseMode"] = p.AdvertiseMode })),
        ["bgpPeers"] = List(c.BgpPeers.Select(p => new YamlMap
        {
            ["name"] = p.Name, ["myAsn"] = p.MyAsn, ["peerAsn"] = p.PeerAsn, ["peerAddress"] = p.PeerAddress, ["peerPort"] = p.PeerPort,
        })),
        ["nodePools"] = List(c.NodePools.Select(p => new YamlMap
        {
            ["name"] = p.Name, ["osType"] = p.OsType.ToString(), ["osSku"] = p.OsSku, ["count"] = p.Count, ["vmSize"] = p.VmSize, ["maxPodCount"] = p.MaxPodCount,
        })),
        ["services"] = List(c.Services.Select(s => new YamlMap
        {
            ["namespace"] = s.Namespace, ["name"] = s.Name, ["ports"] = List(s.Ports), ["protocol"] = s.Protocol, ["sharedIpKey"] = s.SharedIpKey,
        })),
    };

    private static YamlMap Settings(PlanningSettings s) => new()
    {
        ["managementClusterVip"] = s.ManagementClusterVip,
        ["managementUpdateReserve"] = s.ManagementUpdateReserve,
        ["workloadUpdateReserve"] = s.WorkloadUpdateReserve,
        ["calicoBlockSize"] = s.CalicoBlockSize,
        ["flannelSubnetLen"] = s.FlannelSubnetLen,
        ["underlayMtu"] = s.UnderlayMtu,
        ["virtualRouterIdBase"] = s.VirtualRouterIdBase,
        ["kubeVipControlPlane"] = s.KubeVipControlPlane,
    };
}
