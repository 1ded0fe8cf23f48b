namespace Trellis.Engine.Contracts;

/// <summary>
/// One address, prefix or port of a pool held by one owner, in the canonical text forms: pool <c>net/mgmtvnet/vips</c>,
/// address <c>172.16.0.150</c>, owner <c>cluster/payments/api-server</c>.
/// </summary>
/// <param name="Detail">Free text about the holder: a MAC for reservations, reserved addresses of a Windows block, the services on a shared VIP.</param>
/// <param name="ExpiresAt">For DHCP leases: when the lease runs out unless renewed.</param>
public sealed record Allocation(string Pool, string Address, string Owner, string? Detail = null, DateTimeOffset? ExpiresAt = null)
{
    /// <summary>Unique in a site: the pool and the address.</summary>
    public string Key => $"{Pool}/{Address}";
}

/// <summary>What a change allocates and releases, and every allocation of the site after it.</summary>
public sealed record AllocationChanges(IReadOnlyList<Allocation> Added, IReadOnlyList<Allocation> Removed, IReadOnlyList<Allocation> Result)
{
    public bool IsEmpty => Added.Count == 0 && Removed.Count == 0;
}

/// <summary>One VM of a rolling upgrade: the surge address it takes from the update reserve and the one it gives back.</summary>
public sealed record UpgradeStep(string Node, string Description, IReadOnlyList<Allocation> Remove, IReadOnlyList<Allocation> Add);

/// <summary>One configuration file of a real component, by its path under the output folder.</summary>
public sealed record RenderedFile(string Path, string Content);
