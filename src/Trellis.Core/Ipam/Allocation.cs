namespace Trellis.Core.Ipam;

/// <summary>
/// One address, prefix or port of a pool held by exactly one owner, e.g. pool <c>net/mgmtvnet/vips</c>,
/// address <c>172.16.0.150</c>, owner <c>cluster/payments/api-server</c>.
/// </summary>
public sealed record Allocation(PoolId Pool, string Address, Owner Owner)
{
    /// <summary>Free text about the holder: a MAC for reservations, reserved addresses of a Windows block, the services on a shared VIP.</summary>
    public string? Detail { get; init; }

    /// <summary>For DHCP leases: when the lease runs out unless renewed.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    public string Key => $"{Pool}/{Address}";
}

public enum PoolKind
{
    /// <summary>Single IP addresses (node IP pool, VIP pool, DHCP scope, ClusterIPs).</summary>
    Address,
    /// <summary>Subnets of one length carved from a parent prefix (Flannel leases, Calico blocks).</summary>
    Subnet,
    /// <summary>Port numbers (NodePorts).</summary>
    Port,
}
