using System.Net;
using System.Net.Sockets;

namespace Trellis.Core.Addressing;

/// <summary>A network prefix such as 172.16.0.0/24 or fd00::/64, with the operations IP planning needs.</summary>
public readonly record struct Prefix
{
    public Prefix(IPAddress network, int length)
    {
        var bits = IpNumber.Bits(network.AddressFamily);
        if (length < 0 || length > bits)
        {
            throw new ArgumentOutOfRangeException(nameof(length), $"Prefix length must be 0-{bits}.");
        }

        Family = network.AddressFamily;
        Length = length;
        var mask = Mask(Family, length);
        First = IpNumber.ToNumber(network) & mask;
    }

    private Prefix(UInt128 first, int length, AddressFamily family)
    {
        First = first;
        Length = length;
        Family = family;
    }

    public UInt128 First { get; }
    public int Length { get; }
    public AddressFamily Family { get; }

    public int HostBits => IpNumber.Bits(Family) - Length;
    public UInt128 Last => First | ~Mask(Family, Length) & IpNumber.MaxValue(Family);
    public AddressRange Range => new(First, Last, Family);
    public UInt128 Size => HostBits >= 128 ? UInt128.MaxValue : UInt128.One << HostBits;
    public IPAddress NetworkAddress => IpNumber.ToAddress(First, Family);
    public IPAddress LastAddress => IpNumber.ToAddress(Last, Family);
    public IPNetwork ToIPNetwork() => new(NetworkAddress, Length);

    /// <summary>
    /// Parses "address/length". When the address has host bits set (as in a cloud agent "172.16.0.10/24"),
    /// <paramref name="hostBitsSet"/> is true and the prefix is the enclosing network.
    /// </summary>
    public static bool TryParse(string? text, out Prefix prefix, out IPAddress address, out bool hostBitsSet)
    {
        prefix = default;
        address = IPAddress.None;
        hostBitsSet = false;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == text.Length - 1 || !IpNumber.TryParse(text[..slash], out address))
        {
            return false;
        }

        var lengthText = text[(slash + 1)..];
        if (lengthText.Length > 3 || !lengthText.All(char.IsAsciiDigit) || !int.TryParse(lengthText, out var length)
            || length > IpNumber.Bits(address.AddressFamily))
        {
            return false;
        }

        prefix = new Prefix(address, length);
        hostBitsSet = IpNumber.ToNumber(address) != prefix.First;
        return true;
    }

    public static Prefix Parse(string text) =>
        TryParse(text, out var prefix, out _, out var hostBitsSet) && !hostBitsSet
            ? prefix
            : throw new FormatException($"'{text}' is not a network prefix.");

    public bool Contains(UInt128 number) => number >= First && number <= Last;

    public bool Contains(IPAddress address) =>
        address.AddressFamily == Family && Contains(IpNumber.ToNumber(address));

    public bool Contains(AddressRange range) => Range.Contains(range);

    public bool Contains(Prefix other) => other.Family == Family && other.Length >= Length && Contains(other.First);

    public bool Overlaps(Prefix other) => Range.Overlaps(other.Range);

    public bool Overlaps(AddressRange range) => Range.Overlaps(range);

    /// <summary>How many subnets of length <paramref name="subnetLength"/> fit; saturates for huge IPv6 counts.</summary>
    public UInt128 SubnetCount(int subnetLength)
    {
        var shift = subnetLength - Length;
        return shift < 0 ? UInt128.Zero : shift >= 128 ? UInt128.MaxValue : UInt128.One << shift;
    }

    /// <summary>The <paramref name="index"/>th subnet of length <paramref name="subnetLength"/> (0-based, in address order).</summary>
    public Prefix Subnet(int subnetLength, UInt128 index)
    {
        if (subnetLength < Length || subnetLength > IpNumber.Bits(Family) || index >= SubnetCount(subnetLength))
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"{this} has no subnet /{subnetLength} number {index}.");
        }

        var hostBits = IpNumber.Bits(Family) - subnetLength;
        return new Prefix(First + (hostBits >= 128 ? 0 : index << hostBits), subnetLength, Family);
    }

    /// <summary>The index of the subnet of length <paramref name="subnetLength"/> that holds <paramref name="subnet"/>.</summary>
    public UInt128 SubnetIndex(Prefix subnet, int subnetLength) =>
        (subnet.First - First) >> (IpNumber.Bits(Family) - subnetLength);

    /// <summary>The smallest IPv4 prefix length whose block holds <paramref name="addresses"/> addresses.</summary>
    public static int SmallestLengthFor(UInt128 addresses, AddressFamily family)
    {
        var bits = IpNumber.Bits(family);
        for (var length = bits; length >= 0; length--)
        {
            var size = bits - length >= 128 ? UInt128.MaxValue : UInt128.One << (bits - length);
            if (size >= addresses)
            {
                return length;
            }
        }

        return 0;
    }

    private static UInt128 Mask(AddressFamily family, int length)
    {
        var bits = IpNumber.Bits(family);
        if (length == 0)
        {
            return UInt128.Zero;
        }

        var ones = UInt128.MaxValue << (128 - length);
        return bits == 32 ? (ones >> 96) & uint.MaxValue : ones;
    }

    public override string ToString() => $"{NetworkAddress}/{Length}";
}
