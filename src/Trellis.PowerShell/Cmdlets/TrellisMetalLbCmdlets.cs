using System.Management.Automation;
using Trellis.Engine;

namespace Trellis.PowerShell;

/// <summary>How a MetalLB pool announces its addresses (-AdvertiseMode).</summary>
public enum TrellisAdvertiseMode
{
    ARP,
    BGP,
}

/// <summary>
/// New-TrellisLoadBalancerPool: a MetalLB address pool for a cluster's LoadBalancer services (az k8s-runtime load-balancer create;
/// the Engine's AddLoadBalancerPool). The deployment script calls it for the pools of a site.
/// </summary>
[Cmdlet(VerbsCommon.New, "TrellisLoadBalancerPool", SupportsShouldProcess = true)]
[OutputType(typeof(LoadBalancerPoolRow))]
public sealed class NewTrellisLoadBalancerPoolCommand : TrellisCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string ClusterName { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>Address ranges (10.0.0.100-10.0.0.110) or prefixes (10.0.40.0/28).</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string[] Address { get; set; } = [];

    [Parameter]
    public TrellisAdvertiseMode AdvertiseMode { get; set; } = TrellisAdvertiseMode.ARP;

    protected override void ProcessRecord()
    {
        if (Change(new AddLoadBalancerPool(ClusterName, Name, Address, AdvertiseMode.ToString()), $"{ClusterName}/{Name}", "Add load balancer pool", ServiceWords.Parameters)
            is { Applied: true })
        {
            var state = WithEngine(write: false, (engine, token) => engine.ReadAsync(token));
            WriteObject(SiteViews.LoadBalancerPools(state, ClusterName).Where(p => p.Name == Name), enumerateCollection: true);
        }
    }
}

/// <summary>
/// New-TrellisBgpPeer: a BGP router that a cluster's MetalLB speakers peer with (az k8s-runtime bgp-peer create; the Engine's
/// AddBgpPeer), needed by pools that advertise by BGP. The deployment script calls it for the peers of a site.
/// </summary>
[Cmdlet(VerbsCommon.New, "TrellisBgpPeer", SupportsShouldProcess = true)]
[OutputType(typeof(BgpPeerRow))]
public sealed class NewTrellisBgpPeerCommand : TrellisCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string ClusterName { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>The cluster's own AS number.</summary>
    [Parameter(Mandatory = true)]
    public long MyAsn { get; set; }

    /// <summary>The router's AS number.</summary>
    [Parameter(Mandatory = true)]
    public long PeerAsn { get; set; }

    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string PeerAddress { get; set; } = "";

    /// <summary>The router's BGP port (default 179).</summary>
    [Parameter]
    public int? PeerPort { get; set; }

    protected override void ProcessRecord()
    {
        if (Change(new AddBgpPeer(ClusterName, Name, MyAsn, PeerAsn, PeerAddress, PeerPort), $"{ClusterName}/{Name}", "Add BGP peer", ServiceWords.Parameters) is { Applied: true })
        {
            var state = WithEngine(write: false, (engine, token) => engine.ReadAsync(token));
            WriteObject(SiteViews.BgpPeers(state, ClusterName).Where(p => p.Name == Name), enumerateCollection: true);
        }
    }
}
