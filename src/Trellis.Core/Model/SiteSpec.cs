namespace Trellis.Core.Model;

/// <summary>
/// A site spec as the operator wrote it: one <c>Site</c> document whose field names are the AksHci
/// parameter names in camelCase. Addresses stay text here; validation parses them into a <see cref="Planning.ResolvedSite"/>.
/// </summary>
public sealed record SiteSpec
{
    public string ApiVersion { get; init; } = SiteSpecDefaults.ApiVersion;
    public string Kind { get; init; } = "Site";
    public required string Name { get; init; }
    public SiteModel Model { get; init; } = SiteModel.AksHci;
    public NetworkSpec? HostNetwork { get; init; }
    public string? CloudServiceCidr { get; init; }
    public IReadOnlyList<NetworkSpec> ClusterNetworks { get; init; } = [];
    public LogicalNetworkSpec? LogicalNetwork { get; init; }
    public IReadOnlyList<LoadBalancerSettingSpec> LoadBalancerSettings { get; init; } = [];
    public IReadOnlyList<ClusterSpec> Clusters { get; init; } = [];
    public PlanningSettings Settings { get; init; } = new();
}

public enum SiteModel
{
    AksHci,
    AksArc,
}

public enum IpAllocationMethod
{
    Static,
    Dhcp,
}

/// <summary>New-AksHciNetworkSetting / New-AksHciClusterNetwork.</summary>
public sealed record NetworkSpec
{
    public required string Name { get; init; }
    public string? VswitchName { get; init; }
    public IpAllocationMethod IpAllocationMethod { get; init; } = IpAllocationMethod.Static;
    public string? IpAddressPrefix { get; init; }
    public string? Gateway { get; init; }
    public IReadOnlyList<string> DnsServers { get; init; } = [];
    public int? VlanId { get; init; }
    public string? K8sNodeIpPoolStart { get; init; }
    public string? K8sNodeIpPoolEnd { get; init; }
    public string? VipPoolStart { get; init; }
    public string? VipPoolEnd { get; init; }
    public DhcpScopeSpec? DhcpScope { get; init; }
}

/// <summary>The DHCP server's scope for a Dhcp network, so that Trellis can check it and render its exclusions.</summary>
public sealed record DhcpScopeSpec
{
    public string? Subnet { get; init; }
    public string? Start { get; init; }
    public string? End { get; init; }
    /// <summary>As Windows DHCP writes it, "d.hh:mm:ss" (e.g. 8.00:00:00), or a TimeSpan text.</summary>
    public string? LeaseDuration { get; init; }
    public IReadOnlyList<DhcpReservationSpec> Reservations { get; init; } = [];
}

public sealed record DhcpReservationSpec
{
    public required string Name { get; init; }
    public string? IpAddress { get; init; }
    public string? MacAddress { get; init; }
}

/// <summary>AKS Arc: an Azure Local logical network (one prefix, one IP pool, Static only).</summary>
public sealed record LogicalNetworkSpec
{
    public required string Name { get; init; }
    public string? VmSwitchName { get; init; }
    public IpAllocationMethod IpAllocationMethod { get; init; } = IpAllocationMethod.Static;
    public IReadOnlyList<string> AddressPrefixes { get; init; } = [];
    public string? Gateway { get; init; }
    public IReadOnlyList<string> DnsServers { get; init; } = [];
    public int? Vlan { get; init; }
    public string? IpPoolStart { get; init; }
    public string? IpPoolEnd { get; init; }
}

/// <summary>New-AksHciLoadBalancerSetting.</summary>
public sealed record LoadBalancerSettingSpec
{
    public required string Name { get; init; }
    public LoadBalancerSku LoadBalancerSku { get; init; } = LoadBalancerSku.HAProxy;
    public string VmSize { get; init; } = SiteSpecDefaults.LoadBalancerVmSize;
    public int LoadBalancerCount { get; init; } = 1;
}

public enum LoadBalancerSku
{
    HAProxy,
    None,
}

public enum NetworkPlugin
{
    Calico,
    Flannel,
}

public enum OsType
{
    Linux,
    Windows,
}

/// <summary>New-AksHciCluster (or az aksarc create).</summary>
public sealed record ClusterSpec
{
    public required string Name { get; init; }
    public string? Vnet { get; init; }
    public NetworkPlugin PrimaryNetworkPlugin { get; init; } = NetworkPlugin.Calico;
    /// <summary>Kept in its canonical form (v1.30.0), however it was written (1.30.0).</summary>
    public string KubernetesVersion { get; init => field = global::Trellis.Core.Model.KubernetesVersion.Normalize(value); } = SiteSpecDefaults.KubernetesVersion;
    public int ControlPlaneNodeCount { get; init; } = 1;
    public string ControlPlaneVmSize { get; init; } = SiteSpecDefaults.ControlPlaneVmSize;
    public string? LoadBalancerSettings { get; init; }
    /// <summary>
    /// This cluster's HAProxy VM count when it differs from its setting's (Set-AksHciLoadBalancer -clusterName -loadBalancerCount
    /// scales one cluster); none means the setting's loadBalancerCount.
    /// </summary>
    public int? LoadBalancerCount { get; init; }
    public string PodCidr { get; init; } = SiteSpecDefaults.PodCidr;
    public string ServiceCidr { get; init; } = SiteSpecDefaults.ServiceCidr;
    /// <summary>AKS Arc: the KubeVIP control plane IP, inside the logical network's prefix and outside its IP pool.</summary>
    public string? ControlPlaneIp { get; init; }
    /// <summary>
    /// Flannel's VXLAN VNI and UDP port, fixed when the cluster is created (they cannot change under running pods). Default
    /// VNI 4096 on UDP 4789, the only VXLAN Windows nodes accept, so that a Windows node pool can be added at any time.
    /// </summary>
    public int? VxlanVni { get; init; }
    public int? VxlanPort { get; init; }
    /// <summary>HAProxy SKU: the keepalived virtual_router_id (1–255), unique on its vSwitch and VLAN; planned when omitted.</summary>
    public int? VirtualRouterId { get; init; }
    /// <summary>AKS Arc: MetalLB address pools for LoadBalancer services.</summary>
    public IReadOnlyList<MetalLbPoolSpec> LoadBalancers { get; init; } = [];
    /// <summary>MetalLB BGP peers (az k8s-runtime bgp-peer create); needed by load balancers that advertise by BGP.</summary>
    public IReadOnlyList<BgpPeerSpec> BgpPeers { get; init; } = [];
    public IReadOnlyList<NodePoolSpec> NodePools { get; init; } = [];
    public IReadOnlyList<ServiceSpec> Services { get; init; } = [];
}

/// <summary>New-AksHciNodePool.</summary>
public sealed record NodePoolSpec
{
    public required string Name { get; init; }
    public OsType OsType { get; init; } = OsType.Linux;
    public string? OsSku { get; init; }
    public int Count { get; init; } = 1;
    public string VmSize { get; init; } = SiteSpecDefaults.NodeVmSize;
    public int MaxPodCount { get; init; } = SiteSpecDefaults.MaxPodCount;
    /// <summary>
    /// Whether the operator gave <see cref="MaxPodCount"/> (in the spec, or to add nodepool / New-AksHciNodePool) rather than
    /// leaving it to a default. Governance reads it (windows-node-pools-set-max-pod-count); a state stored before it was recorded
    /// reads as not given (docs/decisions.md).
    /// </summary>
    public bool MaxPodCountGiven { get; init; }
}

/// <summary>A Kubernetes Service of type LoadBalancer.</summary>
public sealed record ServiceSpec
{
    public required string Namespace { get; init; }
    public required string Name { get; init; }
    public IReadOnlyList<int> Ports { get; init; } = [];
    public string Protocol { get; init; } = "TCP";
    /// <summary>Services of one cluster with the same key share one VIP, on distinct ports.</summary>
    public string? SharedIpKey { get; init; }
}

/// <summary>AKS Arc MetalLB load balancer (az k8s-runtime load-balancer create).</summary>
public sealed record MetalLbPoolSpec
{
    public required string Name { get; init; }
    public IReadOnlyList<string> Addresses { get; init; } = [];
    public string AdvertiseMode { get; init; } = "ARP";
}

/// <summary>A BGP router MetalLB speakers peer with (ToR switch), as in az k8s-runtime bgp-peer create.</summary>
public sealed record BgpPeerSpec
{
    public required string Name { get; init; }
    public long MyAsn { get; init; }
    public long PeerAsn { get; init; }
    public string? PeerAddress { get; init; }
    public int? PeerPort { get; init; }
}

/// <summary>Where the AksHci documentation disagrees with itself, the choice is a setting (see docs/decisions.md).</summary>
public sealed record PlanningSettings
{
    /// <summary>Count a VIP for the management cluster's API server (architecture guide); the product's worked example does not.</summary>
    public bool ManagementClusterVip { get; init; } = true;
    /// <summary>Node IP pool addresses kept for the management cluster's updates (AksHci table: 2).</summary>
    public int ManagementUpdateReserve { get; init; } = 2;
    /// <summary>Node IP pool addresses kept per workload cluster for rolling upgrades (AksHci table: 5; AKS Arc: 1).</summary>
    public int? WorkloadUpdateReserve { get; init; }
    /// <summary>Calico IPAM block size (IPPool.spec.blockSize, default 26).</summary>
    public int CalicoBlockSize { get; init; } = 26;
    /// <summary>Flannel SubnetLen (default 24).</summary>
    public int FlannelSubnetLen { get; init; } = 24;
    /// <summary>Underlay MTU; the overlay MTU is this minus the 50-byte VXLAN header.</summary>
    public int UnderlayMtu { get; init; } = 1500;
    /// <summary>
    /// The lowest keepalived virtual_router_id Trellis plans (an explicit cluster virtualRouterId may be lower): above
    /// the ids routers' VRRP commonly uses (1–10) and the 51 of keepalived's sample configuration.
    /// </summary>
    public int VirtualRouterIdBase { get; init; } = SiteSpecDefaults.VirtualRouterIdBase;
    /// <summary>Render kube-vip static pods for the API server VIP, for a control plane brought up without the product (AKS Arc and SKU none run their own).</summary>
    public bool KubeVipControlPlane { get; init; }
}

public static class SiteSpecDefaults
{
    public const string ApiVersion = "trellis/v1";
    public const string PodCidr = "10.244.0.0/16";
    public const string ServiceCidr = "10.96.0.0/12";
    public const string KubernetesVersion = "v1.29.4";
    public const string ControlPlaneVmSize = "Standard_A4_V2";
    public const string LoadBalancerVmSize = "Standard_A4_V2";
    public const string NodeVmSize = "Standard_K8S3_v1";
    public const int MaxPodCount = 110;
    public const int AksHciWorkloadUpdateReserve = 5;
    public const int AksArcWorkloadUpdateReserve = 1;
    public const int VirtualRouterIdBase = 100;

    /// <summary>The name of the load balancer a cluster created without a setting gets (one HAProxy VM): Set-AksHciLoadBalancer scales it by this name.</summary>
    public const string DefaultLoadBalancerSetting = "default";
}
