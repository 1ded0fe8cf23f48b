using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Trellis.Core.Addressing;

/// <summary>Addresses as unsigned numbers, so that ranges and prefixes of both families share one arithmetic.</summary>
public static class IpNumber
{
    public static int Bits(AddressFamily family) => family == AddressFamily.InterNetwork ? 32 : 128;

    public static UInt128 MaxValue(AddressFamily family) =>
        family == AddressFamily.InterNetwork ? uint.MaxValue : UInt128.MaxValue;

    public static UInt128 ToNumber(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        return written == 4
            ? BinaryPrimitives.ReadUInt32BigEndian(bytes)
            : BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    public static IPAddress ToAddress(UInt128 number, AddressFamily family)
    {
        if (family == AddressFamily.InterNetwork)
        {
            return new IPAddress(BinaryPrimitives.ReverseEndianness((uint)number));
        }

        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, number);
        return new IPAddress(bytes);
    }

    /// <summary>Parses an address in its canonical text form only (no "10.1" shorthands, no leading zeros).</summary>
    public static bool TryParse(string? text, out IPAddress address)
    {
        address = IPAddress.None;
        if (string.IsNullOrWhiteSpace(text) || text.Contains('%', StringComparison.Ordinal) || !IPAddress.TryParse(text, out var parsed))
        {
            return false;
        }

        if (parsed.AddressFamily == AddressFamily.InterNetwork && parsed.ToString() != text.Trim())
        {
            return false;
        }

        address = parsed.IsIPv4MappedToIPv6 ? parsed.MapToIPv4() : parsed;
        return true;
    }

    /// <summary>The canonical text of an address, used as its key in the store.</summary>
    public static string Format(UInt128 number, AddressFamily family) => ToAddress(number, family).ToString();
}
