using System.Net;
using System.Net.Sockets;

namespace Trellis.Core.Addressing;

/// <summary>An inclusive range of addresses of one family, such as a VIP pool "start - end".</summary>
public readonly record struct AddressRange
{
    public AddressRange(UInt128 first, UInt128 last, AddressFamily family)
    {
        if (first > last)
        {
            throw new ArgumentException($"Range start {IpNumber.Format(first, family)} is after its end {IpNumber.Format(last, family)}.");
        }

        First = first;
        Last = last;
        Family = family;
    }

    public UInt128 First { get; }
    public UInt128 Last { get; }
    public AddressFamily Family { get; }

    public IPAddress Start => IpNumber.ToAddress(First, Family);
    public IPAddress End => IpNumber.ToAddress(Last, Family);

    /// <summary>The number of addresses; a full IPv6 range saturates at UInt128.MaxValue.</summary>
    public UInt128 Count => Last - First == UInt128.MaxValue ? UInt128.MaxValue : Last - First + 1;

    public static AddressRange Of(IPAddress start, IPAddress end)
    {
        if (start.AddressFamily != end.AddressFamily)
        {
            throw new ArgumentException("Range start and end are of different address families.");
        }

        return new AddressRange(IpNumber.ToNumber(start), IpNumber.ToNumber(end), start.AddressFamily);
    }

    public static AddressRange Single(IPAddress address) => Of(address, address);

    public bool Contains(UInt128 number) => number >= First && number <= Last;

    public bool Contains(IPAddress address) =>
        address.AddressFamily == Family && Contains(IpNumber.ToNumber(address));

    public bool Contains(AddressRange other) =>
        other.Family == Family && other.First >= First && other.Last <= Last;

    public bool Overlaps(AddressRange other) =>
        other.Family == Family && other.First <= Last && First <= other.Last;

    /// <summary>The parts of this range left after removing <paramref name="holes"/>, in address order.</summary>
    public IReadOnlyList<AddressRange> Except(IEnumerable<AddressRange> holes)
    {
        var result = new List<AddressRange>();
        var cursor = First;
        var exhausted = false;
        var self = this;
        foreach (var hole in holes.Where(h => h.Overlaps(self)).OrderBy(h => h.First))
        {
            if (hole.First > cursor)
            {
                result.Add(new AddressRange(cursor, hole.First - 1, Family));
            }

            if (hole.Last >= Last)
            {
                exhausted = true;
                break;
            }

            if (hole.Last + 1 > cursor)
            {
                cursor = hole.Last + 1;
            }
        }

        if (!exhausted && cursor <= Last)
        {
            result.Add(new AddressRange(cursor, Last, Family));
        }

        return result;
    }

    public override string ToString() => First == Last ? Start.ToString() : $"{Start}-{End}";
}
