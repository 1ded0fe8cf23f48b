using System.Globalization;
using System.Net.Sockets;
using Trellis.Core.Addressing;
using Trellis.Core.Ipam;

namespace Trellis.Core.Planning;

/// <summary>
/// A pool of the plan: its numbers (addresses, subnet indexes of <see cref="Parent"/>, or ports) and the numbers
/// kept out of it (DHCP exclusions, the network address of a service CIDR).
/// </summary>
public sealed record PoolDefinition(PoolId Id, PoolKind Kind, string Description, IReadOnlyList<(UInt128 First, UInt128 Last)> Ranges)
{
    public IReadOnlyList<(UInt128 First, UInt128 Last)> Blocked { get; init; } = [];

    public AddressFamily Family { get; init; } = AddressFamily.InterNetwork;

    /// <summary>For <see cref="PoolKind.Subnet"/> pools: the prefix the subnets are carved from.</summary>
    public Prefix? Parent { get; init; }

    public int SubnetLength { get; init; }

    public long Size
    {
        get
        {
            long size = 0;
            foreach (var (first, last) in Ranges)
            {
                size += (long)(last - first) + 1;
            }

            return size;
        }
    }

    /// <summary>The numbers that can be handed out: <see cref="Size"/> less the blocked ones, computed without building a ledger.</summary>
    public long UsableSize
    {
        get
        {
            var size = Size;
            if (Blocked.Count == 0)
            {
                return size;
            }

            var merged = new List<(UInt128 First, UInt128 Last)>(Blocked.Count);
            foreach (var b in Blocked.Count == 1 ? Blocked : (IEnumerable<(UInt128 First, UInt128 Last)>)Blocked.OrderBy(b => b.First))
            {
                if (merged.Count > 0 && b.First <= merged[^1].Last + 1 && merged[^1].Last != UInt128.MaxValue)
                {
                    merged[^1] = (merged[^1].First, UInt128.Max(merged[^1].Last, b.Last));
                }
                else
                {
                    merged.Add(b);
                }
            }

            long blocked = 0;
            foreach (var (first, last) in Ranges)
            {
                foreach (var b in merged)
                {
                    var lo = UInt128.Max(first, b.First);
                    var hi = UInt128.Min(last, b.Last);
                    if (lo <= hi)
                    {
                        blocked += (long)(hi - lo) + 1;
                    }
                }
            }

            return size - blocked;
        }
    }

    public AllocationLedger NewLedger()
    {
        var ledger = new AllocationLedger(Ranges);
        foreach (var (first, last) in Blocked)
        {
            ledger.Block(first, last);
        }

        return ledger;
    }

    public string Format(UInt128 number) => Kind switch
    {
        PoolKind.Address => IpNumber.Format(number, Family),
        PoolKind.Subnet => Parent!.Value.Subnet(SubnetLength, number).ToString(),
        _ => ((ulong)number).ToString(CultureInfo.InvariantCulture),
    };

    public bool TryParse(string text, out UInt128 number)
    {
        number = default;
        switch (Kind)
        {
            case PoolKind.Address when IpNumber.TryParse(text, out var address) && address.AddressFamily == Family:
                number = IpNumber.ToNumber(address);
                return true;
            case PoolKind.Subnet when Prefix.TryParse(text, out var prefix, out _, out var hostBits) && !hostBits
                                      && prefix.Length == SubnetLength && Parent!.Value.Contains(prefix):
                number = Parent.Value.SubnetIndex(prefix, SubnetLength);
                return true;
            case PoolKind.Port when ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port):
                number = port;
                return true;
            default:
                return false;
        }
    }

    public static PoolDefinition ForAddresses(PoolId id, string description, params AddressRange[] ranges) =>
        new(id, PoolKind.Address, description, ranges.Select(r => (r.First, r.Last)).ToList()) { Family = ranges[0].Family };

    public static PoolDefinition ForSubnets(PoolId id, string description, Prefix parent, int subnetLength) =>
        new(id, PoolKind.Subnet, description, [(UInt128.Zero, parent.SubnetCount(subnetLength) - 1)])
        {
            Parent = parent,
            SubnetLength = subnetLength,
            Family = parent.Family,
        };
}

/// <summary>
/// One owner that the plan needs in a pool; <see cref="Fixed"/> pins its number (reservations, kube-dns, a given IP);
/// <see cref="From"/> makes a new owner take the lowest free number at or above it (VRRP ids above the base).
/// </summary>
public sealed record Claim(PoolId Pool, Owner Owner, UInt128? Fixed = null, string? Detail = null, TimeSpan? Lease = null, UInt128? From = null);
