using System.Globalization;

namespace Trellis.Policy;

/// <summary>An IP protocol by its number (1–255), named as Calico names them: TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite.</summary>
public readonly record struct Protocol(byte Number)
{
    public static Protocol Icmp => new(1);
    public static Protocol Tcp => new(6);
    public static Protocol Udp => new(17);
    public static Protocol IcmpV6 => new(58);
    public static Protocol Sctp => new(132);
    public static Protocol UdpLite => new(136);

    /// <summary>Whether packets of the protocol carry ports (TCP, UDP, SCTP, UDPLite).</summary>
    public bool HasPorts => Number is 6 or 17 or 132 or 136;

    /// <summary>Whether a rule may match ports of the protocol: Calico accepts ports only with TCP, UDP or SCTP.</summary>
    public bool SupportsPortMatch => Number is 6 or 17 or 132;

    public bool IsIcmp => Number is 1 or 58;

    public string Name => Number switch
    {
        1 => "ICMP",
        6 => "TCP",
        17 => "UDP",
        58 => "ICMPv6",
        132 => "SCTP",
        136 => "UDPLite",
        _ => Number.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Calico's protocol field: a name (any case) or a number 1–255.</summary>
    public static bool TryParse(string? text, out Protocol protocol)
    {
        protocol = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var t = text.Trim();
        if (int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            if (number is < 1 or > 255)
            {
                return false;
            }

            protocol = new Protocol((byte)number);
            return true;
        }

        switch (t.ToUpperInvariant())
        {
            case "TCP": protocol = Tcp; return true;
            case "UDP": protocol = Udp; return true;
            case "ICMP": protocol = Icmp; return true;
            case "ICMPV6": protocol = IcmpV6; return true;
            case "SCTP": protocol = Sctp; return true;
            case "UDPLITE": protocol = UdpLite; return true;
            default: return false;
        }
    }

    public static Protocol Parse(string text) =>
        TryParse(text, out var p) ? p : throw new FormatException($"'{text}' is not a protocol.");

    public override string ToString() => Name;
}
