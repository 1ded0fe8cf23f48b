namespace Trellis.Lab;

/// <summary>
/// What issue 16 asks of the lab that this version does not do yet: said with every lab command, so that nobody takes this
/// network of node VMs for the whole planned site (docs/lab.md).
/// </summary>
public static class LabScope
{
    /// <summary>What the lab does now, in one sentence.</summary>
    public const string Does = "The lab runs the site's node VMs on static networks (a namespace each, its planned address and gateway, its vSwitch and VLAN) and pings between them.";

    public static IReadOnlyList<string> NotYetBuilt { get; } =
    [
        "pods (namespaces on a bridge in each node, with their planned pod addresses)",
        "the VXLAN overlay (VNI, UDP port, MTU, routes and FDB entries for the other nodes' pod ranges)",
        "load balancer VMs running HAProxy and keepalived on the rendered files, and LoadBalancer VIPs",
        "DHCP networks (node addresses leased from Kea)",
        "Services: ClusterIPs and NodePorts in nftables, listeners on the manifests' ports",
        "network policy compiled to nftables and the observed matrix beside the engine's prediction",
        "lab trace (tcpdump on the VXLAN device) and Windows node emulation",
    ];
}
