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
/// <param name="Address">The probe pod's address: the block's second address.</param>
/// <param name="Vtep">The address of the node's <c>flannel.1</c>: the block's network address (/32).</param>
public sealed record LabPod(int Index, string Cluster, string NodeAddress, string Block, string Bridge, string Address, string Vtep);

public sealed partial record LabPlan
{
    /// <summary>The VXLAN overlay of each cluster in the plan.</summary>
    public IReadOnlyList<LabOverlay> Overlays { get; init; } = [];

    /// <summary>One probe pod per node VM, in the nodes' order.</summary>
    public IReadOnlyList<LabPod> Pods { get; init; } = [];

    /// <summary>
    /// The pod CIDR split into blocks of <paramref name="subnetLength"/>, Flannel-style: the <paramref name="count"/> first
    /// ones, the K-th node of a cluster taking block K−1 (for a state that holds no node pod subnets; the site's plan's
    /// own are used where it does). LabPodBlocksExhausted when the CIDR holds fewer blocks than nodes;
    /// LabOverlayNotIpv4 for an IPv6 pod CIDR (the lab's overlay is IPv4, as Flannel's VXLAN backend).
    /// </summary>
    public static (IReadOnlyList<IPNetwork> Blocks, Finding? Refusal) PodBlocks(string cluster, string podCidr, int subnetLength, int count)
    {
        var cidr = IPNetwork.Parse(podCidr);
        if (cidr.BaseAddress.AddressFamily != AddressFamily.InterNetwork || subnetLength is < 1 or > 30 || subnetLength < cidr.PrefixLength)
        {
            return ([], Finding.Error("LabOverlayNotIpv4", "cluster", $"Cluster '{cluster}''s pod CIDR {podCidr} cannot be split into /{subnetLength} IPv4 blocks.",
                "The lab's overlay is Flannel's IPv4 VXLAN: use an IPv4 pod CIDR shorter than the pod subnet length."));
        }

        var available = 1L << (subnetLength - cidr.PrefixLength);
        if (count > available)
        {
            return ([], Finding.Error("LabPodBlocksExhausted", "cluster", $"Cluster '{cluster}' has {count} node VMs, but its pod CIDR {podCidr} holds only {available} blocks of /{subnetLength}.",
                "Give the cluster a larger podCidr, or a longer flannelSubnetLen in the site's settings."));
        }

        var first = ToNumber(cidr.BaseAddress);
        var size = 1u << (32 - subnetLength);
        return ([.. Enumerable.Range(0, count).Select(i => new IPNetwork(ToAddress(first + ((uint)i * size)), subnetLength))], null);
    }

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
    /// by owner); a cluster whose nodes the state gives no pod subnet takes the CIDR's blocks in order (<see cref="PodBlocks"/>).
    /// </summary>
    private static (IReadOnlyList<LabOverlay>, IReadOnlyList<LabPod>, IReadOnlyList<Finding>) PlanOverlay(
        IReadOnlyList<ClusterOverlayRow> rows, IReadOnlyList<LabNode> nodes, IReadOnlyDictionary<string, string?> planned)
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

            var (blocks, refusal) = members.All(n => planned.GetValueOrDefault(n.Owner) is not null)
                ? ([.. members.Select(n => IPNetwork.Parse(planned[n.Owner]!))], null)
                : PodBlocks(row.Cluster, row.PodCidr, row.PodSubnetLength, members.Count);
            if (refusal is not null)
            {
                refused.Add(refusal);
                continue;
            }

            overlays.Add(new LabOverlay(row.Cluster, row.PodCidr, row.PodSubnetLength, row.Vni, row.Port, row.Mtu, row.WindowsNodes));
            pods.AddRange(members.Zip(blocks, (n, b) =>
            {
                var first = ToNumber(b.BaseAddress);
                return new LabPod(n.Index, n.Cluster, n.Address, b.ToString(), ToAddress(first + 1).ToString(), ToAddress(first + 2).ToString(), b.BaseAddress.ToString());
            }));
        }

        return (overlays, [.. pods.OrderBy(p => p.Index)], refused);
    }

    private static uint ToNumber(IPAddress address)
    {
        var b = address.GetAddressBytes();
        return ((uint)b[0] << 24) | ((uint)b[1] << 16) | ((uint)b[2] << 8) | b[3];
    }

    private static IPAddress ToAddress(uint value) => new([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);
}
