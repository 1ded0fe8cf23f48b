using System.Net;
using Trellis.Core.Addressing;
using Trellis.Core.Model;

namespace Trellis.Core.Planning;

/// <summary>A site spec that passed validation, with every address parsed: the planner's only input besides state.</summary>
public sealed record ResolvedSite(
    SiteSpec Spec,
    ResolvedNetwork HostNetwork,
    IReadOnlyList<ResolvedNetwork> ClusterNetworks,
    IPAddress? CloudAgentAddress,
    IReadOnlyList<ResolvedCluster> Clusters)
{
    public SiteModel Model => Spec.Model;
    public PlanningSettings Settings => Spec.Settings;

    public IEnumerable<ResolvedNetwork> Networks => ClusterNetworks.Prepend(HostNetwork);

    public int WorkloadUpdateReserve => Settings.WorkloadUpdateReserve
        ?? (Model == SiteModel.AksArc ? SiteSpecDefaults.AksArcWorkloadUpdateReserve : SiteSpecDefaults.AksHciWorkloadUpdateReserve);

    /// <summary>AKS Arc has no management cluster VM on the logical network; AksHci's lives on the host network.</summary>
    public bool HasManagementCluster => Model == SiteModel.AksHci;
}

/// <summary>
/// A network of the site (host network, cluster network, or AKS Arc logical network).
/// <see cref="Prefix"/> is the IP address prefix for Static networks and the DHCP scope's subnet for Dhcp ones.
/// </summary>
public sealed record ResolvedNetwork(
    string Name,
    string VswitchName,
    int? VlanId,
    IpAllocationMethod Method,
    Prefix Prefix,
    IPAddress? Gateway,
    IReadOnlyList<IPAddress> DnsServers,
    AddressRange? NodePool,
    AddressRange? VipPool,
    ResolvedDhcpScope? Dhcp);

public sealed record ResolvedDhcpScope(
    Prefix Subnet,
    AddressRange Range,
    TimeSpan LeaseDuration,
    IReadOnlyList<AddressRange> Exclusions,
    IReadOnlyList<ResolvedReservation> Reservations);

public sealed record ResolvedReservation(string Name, IPAddress Address, string MacAddress);

public sealed record ResolvedCluster(
    ClusterSpec Spec,
    ResolvedNetwork Network,
    LoadBalancerSettingSpec LoadBalancer,
    Prefix PodCidr,
    Prefix ServiceCidr,
    IPAddress? ControlPlaneIp,
    IReadOnlyList<AddressRange> MetalLbRanges)
{
    public string Name => Spec.Name;

    public int WorkerCount => Spec.NodePools.Sum(p => p.Count);

    /// <summary>HAProxy VMs: the cluster's own count (Set-AksHciLoadBalancer -clusterName), else its setting's.</summary>
    public int LoadBalancerVmCount => LoadBalancer.LoadBalancerSku == LoadBalancerSku.HAProxy ? Spec.LoadBalancerCount ?? LoadBalancer.LoadBalancerCount : 0;

    public bool HasWindowsNodes => Spec.NodePools.Any(p => p.OsType == OsType.Windows && p.Count > 0);
}
