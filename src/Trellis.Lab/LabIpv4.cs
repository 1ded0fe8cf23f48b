using System.Buffers.Binary;
using System.Net;

namespace Trellis.Lab;

/// <summary>IPv4 addresses as numbers, for the lab's own arithmetic on addresses (the lab's networks are IPv4 only).</summary>
internal static class LabIpv4
{
    public static uint Number(IPAddress address) => BinaryPrimitives.ReadUInt32BigEndian(address.GetAddressBytes());

    public static IPAddress Address(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new IPAddress(bytes);
    }
}
