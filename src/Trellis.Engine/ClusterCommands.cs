using Trellis.Core.Model;
using Trellis.Core.Validation;

namespace Trellis.Engine;

/// <summary>
/// Set-AksHciConfig: creates the AksHci site when none is stored (named <paramref name="SiteName"/>, else after the
/// vnet), else replaces its host network and cloud agent address (the immutability rules decide what may change).
/// <paramref name="Settings"/> are planning settings by their spec names (managementClusterVip, calicoBlockSize, …), values
/// as text; the settings left out keep their stored values.
/// </summary>
public sealed record SetHostConfig(NetworkSetting Vnet, string? CloudServiceCidr, string? SiteName = null, IReadOnlyDictionary<string, string>? Settings = null) : SpecCommand
{
    public override string CommandName => "set config";

    internal override (SiteSpec?, IReadOnlyList<Finding>) Change(SiteSpec? stored) =>
        SpecMutations.SetHostConfig(stored, Vnet, CloudServiceCidr, SiteName, Settings);
}

/// <summary>Changes planning settings by their spec names; the settings left out keep their stored values.</summary>
public sealed record SetPlanningSettings(IReadOnlyDictionary<string, string> Settings) : SpecCommand
{
    public override string CommandName => "set settings";

    internal override (SiteSpec?, IReadOnlyList<Finding>) Change(SiteSpec? stored) =>
        stored is null ? SpecMutations.NoSite() : SpecMutations.WithSettings(stored, Settings);
}

/// <summary>New-AksHciClusterNetwork: a network workload clusters can be created on.</summary>
public sealed record AddClusterNetwork(NetworkSetting Network) : SpecCommand
{
    public override string CommandName => "add network";

    internal override (SiteSpec?, IReadOnlyList<Finding>) Change(SiteSpec? stored) => SpecMutations.AddClusterNetwork(stored, Network);
}

/// <summary>Remove-AksHciClusterNetwork: refused while a cluster uses the network.</summary>
public sealed record RemoveClusterNetwork(string Name) : SpecCommand
{
    public override string CommandName => "remove network";

    internal override (SiteSpec?, IReadOnlyList<Finding>) Change(SiteSpec? stored) => SpecMutations.RemoveClusterNetwork(stored, Name);
}

/// <summary>New-AksHciCluster; its load balancer setting joins the site's unless an equal one is stored.</summary>
public sealed record AddCluster(ClusterSetting Cluster) : SpecCommand
{
    public override string CommandName => "add cluster";

    internal override (SiteSpec?, IReadOnlyList<Finding>) Change(SiteSpec? stored) => SpecMutations.AddCluster(stored, Cluster);
}

/// <summary>Set-AksHciCluster -controlPlaneNodeCount -controlPlaneVmSize: what is given changes, the rest stays.</summary>
public sealed record SetCluster(string Cluster, int? ControlPlaneNodeCount = null, string? ControlPlaneVmSize = null) : SpecCommand
{
    public override string CommandName => "set cluster";

    internal override (SiteSpec?, IReadOnlyList<Finding>) Change(SiteSpec? stored) => SpecMutations.SetCluster(stored, Cluster, ControlPlaneNodeCount, ControlPlaneVmSize);
}

/// <summary>Set-AksHciNodePool -count -vmSize: what is given changes, the rest stays.</summary>
public sealed record SetNodePool(string Cluster, string NodePool, int? Count = null, string? VmSize = null) : SpecCommand
{
    public override string CommandName => "set nodepool";

    internal override (SiteSpec?, IReadOnlyList<Finding>) Change(SiteSpec? stored) =>
        SpecMutations.WithNodePool(stored, Cluster, NodePool, p => p with { Count = Count ?? p.Count, VmSize = VmSize ?? p.VmSize });
}

/// <summary>A MetalLB load balancer (az k8s-runtime load-balancer create): <paramref name="AdvertiseMode"/> ARP, BGP or Both.</summary>
public sealed record AddLoadBalancerPool(string Cluster, string Name, IReadOnlyList<string> Addresses, string AdvertiseMode = "ARP") : SpecCommand
{
    public override string CommandName => "add loadbalancer";

    internal override (SiteSpec?, IReadOnlyList<Finding>) Change(SiteSpec? stored) => SpecMutations.AddLoadBalancerPool(stored, Cluster, Name, Addresses, AdvertiseMode);
}

/// <summary>A BGP router the cluster's MetalLB speakers peer with (az k8s-runtime bgp-peer create).</summary>
public sealed record AddBgpPeer(string Cluster, string Name, long MyAsn, long PeerAsn, string PeerAddress, int? PeerPort = null) : SpecCommand
{
    public override string CommandName => "add bgppeer";

    internal override (SiteSpec?, IReadOnlyList<Finding>) Change(SiteSpec? stored) => SpecMutations.AddBgpPeer(stored, Cluster, Name, MyAsn, PeerAsn, PeerAddress, PeerPort);
}
