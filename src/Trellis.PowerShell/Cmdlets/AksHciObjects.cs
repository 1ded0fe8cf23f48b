using Trellis.Engine;

namespace Trellis.PowerShell;

/// <summary>
/// A virtual network as New-AksHciNetworkSetting, New-AksHciClusterNetwork and Get-AksHciClusterNetwork write it: the AksHci
/// module's VirtualNetwork fields (Name, VswitchName, IpAddressPrefix, Gateway, DnsServers, Vlanid, VipPoolStart/End,
/// K8snodeIPPoolStart/End), and Trellis' IpAllocationMethod and DhcpScope.
/// </summary>
public sealed class AksHciVirtualNetwork
{
    public required string Name { get; init; }
    public string? VswitchName { get; init; }

    /// <summary>Static or DHCP, as the parameter set that made it.</summary>
    public string IpAllocationMethod { get; init; } = AksHciNames.Static;
    public string? IpAddressPrefix { get; init; }
    public string? Gateway { get; init; }
    public string[] DnsServers { get; init; } = [];

    /// <summary>The VLAN the network is tagged with; none when untagged.</summary>
    public int? Vlanid { get; init; }
    public string? VipPoolStart { get; init; }
    public string? VipPoolEnd { get; init; }
    public string? K8snodeIPPoolStart { get; init; }
    public string? K8snodeIPPoolEnd { get; init; }

    /// <summary>DHCP networks: the DHCP server's scope (New-TrellisDhcpScope), so that Trellis can check its exclusions and capacity.</summary>
    public DhcpScopeSetting? DhcpScope { get; init; }

    /// <summary>host (Set-AksHciConfig -vnet) or cluster (New-AksHciClusterNetwork); none for an object not stored yet.</summary>
    public string? Kind { get; init; }

    /// <summary>A reference by name only (a -vnet given as text): the stored network of that name is meant.</summary>
    internal bool NameOnly { get; init; }

    public override string ToString() => Name;
}

/// <summary>New-AksHciLoadBalancerSetting: the module's fields, Name, LoadBalancerSku, VmSize and LoadBalancerCount.</summary>
public sealed class AksHciLoadBalancerSetting
{
    public required string Name { get; init; }
    public string LoadBalancerSku { get; init; } = "HAProxy";
    public string? VmSize { get; init; }
    public int? LoadBalancerCount { get; init; }

    public override string ToString() => Name;
}

/// <summary>
/// Get-AksHciCluster: the module's fields (ProvisioningState, KubernetesVersion, NodePools, WindowsNodeCount, LinuxNodeCount,
/// ControlPlaneNodeCount, ControlPlaneVmSize, AutoScalerEnabled, AutoScalerProfileName, Name) and what Trellis planned for it.
/// </summary>
public sealed class AksHciCluster
{
    public required string Name { get; init; }

    /// <summary>provisioned, or upgrading while a rolling upgrade is under way.</summary>
    public string ProvisioningState { get; init; } = "provisioned";
    public required string KubernetesVersion { get; init; }
    public string[] NodePools { get; init; } = [];

    /// <summary>The nodes of the cluster's Windows and Linux pools (the module's counts of the old parameter set, summed over every pool).</summary>
    public int WindowsNodeCount { get; init; }
    public int LinuxNodeCount { get; init; }
    public int ControlPlaneNodeCount { get; init; }
    public string? ControlPlaneVmSize { get; init; }
    public bool AutoScalerEnabled { get; init; }
    public string? AutoScalerProfileName { get; init; }

    /// <summary>The network the cluster's VMs are on (its -vnet, or the host network).</summary>
    public string? Vnet { get; init; }
    public string? PrimaryNetworkPlugin { get; init; }
    public string? LoadBalancerSku { get; init; }

    /// <summary>The load balancer setting the cluster was created with (New-AksHciLoadBalancerSetting); none for the default of one HAProxy VM.</summary>
    public string? LoadBalancerSettings { get; init; }
    public int LoadBalancerCount { get; init; }

    /// <summary>The VIP of the cluster's API server (AksHci), or its control plane IP (AKS Arc).</summary>
    public string? ApiServerVip { get; init; }
    public string? PodCidr { get; init; }
    public string? ServiceCidr { get; init; }
    public int? VxlanVni { get; init; }
    public int? VxlanPort { get; init; }
    public int Mtu { get; init; }

    /// <summary>The version a rolling upgrade under way goes to.</summary>
    public string? UpgradeTarget { get; init; }

    public override string ToString() => Name;
}

/// <summary>Get-AksHciNodePool: the module's fields (ClusterName, NodePoolName, Version, OsType, NodeCount, VmSize, Phase) and Trellis' OsSku and MaxPodCount.</summary>
public sealed class AksHciNodePool
{
    public required string ClusterName { get; init; }
    public required string NodePoolName { get; init; }
    public string? Version { get; init; }
    public required string OsType { get; init; }
    public string? OsSku { get; init; }
    public int NodeCount { get; init; }
    public string? VmSize { get; init; }
    public int MaxPodCount { get; init; }

    /// <summary>Deployed: a stored node pool is planned in full.</summary>
    public string Phase { get; init; } = "Deployed";

    public override string ToString() => NodePoolName;
}

/// <summary>Get-AksHciConfig: what Trellis records of Set-AksHciConfig, the site and its host network.</summary>
public sealed class AksHciConfig
{
    public required string SiteName { get; init; }
    public string? Model { get; init; }
    public AksHciVirtualNetwork? Vnet { get; init; }
    public string? CloudServiceCidr { get; init; }

    /// <summary>The planning settings (spec.settings) by their spec names.</summary>
    public System.Collections.Hashtable PlanningSetting { get; init; } = [];
}

/// <summary>The words of the AksHci module that Trellis writes in its objects.</summary>
internal static class AksHciNames
{
    public const string Static = "Static";
    public const string Dhcp = "DHCP";
}
