using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Trellis.Engine;
using Finding = Trellis.Engine.Contracts.Finding;

namespace Trellis.Lab;

/// <summary>A cluster's Flannel-style VXLAN overlay in the lab, as the site resolves it.</summary>
/// <param name="PodCidr">The cluster's pod CIDR (the spec's, or the site's default).</param>
/// <param name="SubnetLength">Each node's pod block length (Flannel's SubnetLen).</param>
/// <param name="Mtu">The VXLAN devices' MTU: the node network's less the 50-byte VXLAN header.</param>
/// <param name="WindowsNodes">Whether the cluster has Windows node pools: the lab runs them as Linux namespaces, on VNI 4096 and UDP 4789.</param>
public sealed record LabOverlay(string Cluster, string PodCidr, int SubnetLength, int Vni, int Port, int Mtu, bool WindowsNodes);

/// <summary>Node VM number <paramref name="Index"/>'s pod block and the one probe pod in it.</summary>
/// <param name="Block">The node's pod subnet, e.g. <c>10.244.1.0/24</c>.</param>
/// <param name="Bridge">The address of the node's <c>cni0</c>: the block's first address, the pod's gateway.</param>
/// <param name="Vtep">The address of the node's <c>flannel.1</c>: the block's network address (/32).</param>
/// <param name="Address">The probe pod's address: the block's first pod address (the second address on Linux, the third on Windows).</param>
public sealed record LabPod(int Index, string Cluster, string NodeAddress, string Block, string Bridge, string Address, string Vtep)
{
    /// <summary>
    /// On an emulated Windows node, kube-proxy's source VIP (the block's second address), which the lab puts on <c>cni0</c>
    /// as HNS holds it on the node, so that the block keeps Windows' layout; null on Linux.
    /// </summary>
    public string? SourceVip { get; init; }
}

public sealed partial record LabPlan
{
    /// <summary>The VXLAN overlay of each cluster in the plan.</summary>
    public IReadOnlyList<LabOverlay> Overlays { get; init; } = [];

    /// <summary>One probe pod per node VM, in the nodes' order.</summary>
    public IReadOnlyList<LabPod> Pods { get; init; } = [];

    /// <summary>
    /// The MAC address of node VM number <paramref name="index"/>'s <c>flannel.1</c> in lab <paramref name="lab"/>: locally
    /// administered (<c>0e:</c>), then three bytes of the lab name's FNV-1a hash and the node number, so that every node knows every other's.
    /// </summary>
    public static string VxlanMac(string lab, int index)
    {
        ArgumentNullException.ThrowIfNull(lab);
        var hash = 2166136261u;
        foreach (var c in lab)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return string.Create(CultureInfo.InvariantCulture, $"0e:{(hash >> 16) & 0xff:x2}:{(hash >> 8) & 0xff:x2}:{hash & 0xff:x2}:{(index >> 8) & 0xff:x2}:{index & 0xff:x2}");
    }

    /// <summary>
    /// Each cluster's overlay and one pod per node, in the pod subnet the site's plan gave the node (<paramref name="planned"/>,
    /// by owner): <c>cni0</c> on its gateway, the probe pod on the first pod address (on a Windows node after kube-proxy's
    /// source VIP, as the Engine lays the block out), the VTEP on its network address.
    /// Refused: a node VM the state gives no pod subnet (LabNoPodSubnet), or a pod subnet that is not IPv4 (LabOverlayNotIpv4).
    /// </summary>
    private static (IReadOnlyList<LabOverlay>, IReadOnlyList<LabPod>, IReadOnlyList<Finding>) PlanOverlay(
        IReadOnlyList<ClusterOverlayRow> rows, IReadOnlyList<LabNode> nodes, IReadOnlyDictionary<string, NodeAddressRow> planned)
    {
        var overlays = new List<LabOverlay>();
        var pods = new List<LabPod>();
        var refused = new List<Finding>();
        foreach (var row in rows)
        {
            var members = nodes.Where(n => n.Cluster == row.Cluster).ToList();
            if (members.Count == 0)
            {
                continue;
            }

            if (members.Where(n => planned[n.Owner].PodSubnet is null).Select(n => n.Owner).ToList() is { Count: > 0 } none)
            {
                refused.Add(Finding.Error("LabNoPodSubnet", "cluster", $"The stored plan gives node VM{(none.Count > 1 ? "s" : "")} {string.Join(", ", none)} of cluster '{row.Cluster}' no pod subnet: the lab would have to invent the overlay's routes.",
                    "Apply the site again (trellis apply) so that every node VM holds its pod subnet, then bring the lab up."));
                continue;
            }

            if (members.Select(n => planned[n.Owner]).FirstOrDefault(r => IPNetwork.Parse(r.PodSubnet!).BaseAddress.AddressFamily != AddressFamily.InterNetwork) is { } v6)
            {
                refused.Add(Finding.Error("LabOverlayNotIpv4", "cluster", $"Cluster '{row.Cluster}''s pod subnet {v6.PodSubnet} of node VM {v6.Owner} is not IPv4.",
                    "The lab's overlay is Flannel's IPv4 VXLAN: bring up a cluster with an IPv4 pod CIDR."));
                continue;
            }

            overlays.Add(new LabOverlay(row.Cluster, row.PodCidr, row.PodSubnetLength, row.Vni, row.Port, row.Mtu, row.WindowsNodes));
            pods.AddRange(members.Select(n => planned[n.Owner]).Select((r, i) => new LabPod(members[i].Index, members[i].Cluster, members[i].Address, r.PodSubnet!,
                r.PodGateway!, r.FirstPodAddress!, IPNetwork.Parse(r.PodSubnet!).BaseAddress.ToString()) { SourceVip = r.SourceVip }));
        }

        return (overlays, [.. pods.OrderBy(p => p.Index)], refused);
    }
}
