namespace Trellis.Lab;

/// <summary>
/// What the lab does, and where it stops short of the site it stands for: said with every lab command, so that nobody takes
/// a lab for more than it is (docs/lab.md, "Limits").
/// </summary>
public static class LabScope
{
    /// <summary>What the lab does now, in one sentence.</summary>
    public const string Does = "The lab runs the site's node VMs (a namespace each, its planned address and gateway or one leased from real Kea on the network's rendered file, its vSwitch and VLAN), one probe pod per node on a Flannel-style VXLAN overlay (Windows nodes emulated with Windows' VNI, port and pod block layout), pings between nodes and between pods, and traces a ping's encapsulation; with -f, a pod per replica of each workload (up to --max-replicas) with listeners on its ports and the manifests' network policy compiled to nftables in its namespace, the Services' ClusterIPs and NodePorts in nftables, and real connections between the workloads beside the engine's matrix; its load balancer VMs run real HAProxy and keepalived on the rendered files, an outside client connects through every VIP, and lab failover moves a cluster's VIPs by killing its master's HAProxy.";

    public static IReadOnlyList<string> Limits { get; } =
    [
        "Windows nodes are Linux namespaces that keep Windows' overlay constraints (VNI 4096, UDP 4789, the pod block layout); no HNS runs",
        "a cluster with the operator's own load balancer (loadBalancerSku none) runs no kube-vip or MetalLB: only HAProxy VMs' VIPs are probed",
        "at most --max-replicas pods per workload (3 unless told)",
        "a network with a vlanID needs a kernel with bridge VLAN filtering (LabVlanUnsupported), and SCTP ports a kernel with SCTP (LabSctpUnsupported)",
        "the machine's one neighbour (ARP) table bounds the lab's size (LabNeighbourTableSmall)",
    ];
}
