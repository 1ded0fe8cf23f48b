using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json.Serialization;

namespace Trellis.Core.Ipam;

/// <summary>
/// Which pool an allocation is of. One canonical text form (<see cref="ToString"/>), read back by <see cref="TryParse"/>;
/// it is also the middle of the allocation's store key, <c>alloc/POOL/ADDRESS</c>.
/// </summary>
[JsonConverter(typeof(TextFormJsonConverter<PoolId>))]
public abstract record PoolId : ITextForm<PoolId>
{
    private protected PoolId()
    {
    }

    public abstract override string ToString();

    public static PoolId Parse(string text) =>
        TryParse(text, out var pool) ? pool : throw new FormatException($"'{text}' is not a pool.");

    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out PoolId? pool)
    {
        pool = text?.Split('/') switch
        {
            ["net", var n, var kind] when n.Length > 0 && NetworkPool.Kinds.FirstOrDefault(k => k.Text == kind) is { Text: not null } k => new NetworkPool(n, k.Kind),
            ["cluster", var c, var kind] when c.Length > 0 && ClusterPool.Kinds.FirstOrDefault(k => k.Text == kind) is { Text: not null } k => new ClusterPool(c, k.Kind),
            ["l2", var vswitch, var vlan, "vrrp"] when vswitch.Length > 0 && (vlan == VrrpPool.Untagged || Owner.Number(vlan) is not null) =>
                new VrrpPool(vswitch, vlan == VrrpPool.Untagged ? null : Owner.Number(vlan)),
            _ => null,
        };
        return pool is not null;
    }
}

public enum NetworkPoolKind
{
    /// <summary>The node IP pool (k8sNodeIpPoolStart–End), or an AKS Arc logical network's IP pool.</summary>
    Nodes,
    /// <summary>The VIP pool.</summary>
    Vips,
    /// <summary>The DHCP scope.</summary>
    Dhcp,
    /// <summary>Infrastructure addresses: the cloud agent.</summary>
    Infra,
    /// <summary>AKS Arc control plane IPs: the prefix outside the IP pool.</summary>
    ControlPlane,
}

public enum ClusterPoolKind
{
    MetalLb,
    Pods,
    ClusterIps,
    NodePorts,
}

/// <summary>A pool of a network (host network, cluster network, or logical network).</summary>
public sealed record NetworkPool(string Network, NetworkPoolKind Kind) : PoolId
{
    internal static readonly (NetworkPoolKind Kind, string Text)[] Kinds =
        [(NetworkPoolKind.Nodes, "nodes"), (NetworkPoolKind.Vips, "vips"), (NetworkPoolKind.Dhcp, "dhcp"), (NetworkPoolKind.Infra, "infra"), (NetworkPoolKind.ControlPlane, "control-plane")];

    public override string ToString() => $"net/{Network}/{Text(Kind)}";

    private static string Text(NetworkPoolKind kind)
    {
        foreach (var (k, text) in Kinds)
        {
            if (k == kind)
            {
                return text;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a kind of network pool.");
    }
}

/// <summary>A pool of a workload cluster.</summary>
public sealed record ClusterPool(string Cluster, ClusterPoolKind Kind) : PoolId
{
    internal static readonly (ClusterPoolKind Kind, string Text)[] Kinds =
        [(ClusterPoolKind.MetalLb, "metallb"), (ClusterPoolKind.Pods, "pods"), (ClusterPoolKind.ClusterIps, "cluster-ips"), (ClusterPoolKind.NodePorts, "node-ports")];

    public override string ToString() => $"cluster/{Cluster}/{Text(Kind)}";

    private static string Text(ClusterPoolKind kind)
    {
        foreach (var (k, text) in Kinds)
        {
            if (k == kind)
            {
                return text;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a kind of cluster pool.");
    }
}

/// <summary>The VRRP virtual_router_ids (1–255) of one L2 segment: a vSwitch and a VLAN, or untagged.</summary>
public sealed record VrrpPool(string VSwitch, int? Vlan) : PoolId
{
    internal const string Untagged = "untagged";

    public override string ToString() => $"l2/{VSwitch}/{(Vlan is { } v ? v.ToString(CultureInfo.InvariantCulture) : Untagged)}/vrrp";
}
