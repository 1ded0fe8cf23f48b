using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Trellis.Core.Addressing;

namespace Trellis.Policy.Nftables;

/// <summary>
/// The only way a value reaches an nftables script: names are checked against what nft accepts, free text (policy names in
/// comments and log prefixes) keeps only characters that cannot end a quoted string or start a statement, and addresses,
/// ports and protocols are printed from numbers. A name that fails its check is a bug in the compiler, not bad input.
/// </summary>
internal static class NftText
{
    /// <summary>nft keeps comments up to 128 bytes and log prefixes up to 127; both stay well inside.</summary>
    public const int MaxComment = 120;

    public const int MaxLogPrefix = 100;

    /// <summary>Protocols whose packets carry ports, as the engine counts them (TCP, UDP, SCTP, UDPLite).</summary>
    public static readonly byte[] PortProtocols = [6, 17, 132, 136];

    /// <summary>A chain or table name: lower-case letters, digits, '-' and '_', starting with a letter.</summary>
    public static string Name(string name)
    {
        if (name.Length is 0 or > 64 || !char.IsAsciiLetterLower(name[0]) || !name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_'))
        {
            throw new ArgumentException($"'{name}' is not an nftables name the compiler makes.", nameof(name));
        }

        return name;
    }

    /// <summary>An interface name, quoted: what Linux accepts (1–15 characters) without quotes or separators.</summary>
    public static string Interface(string name)
    {
        if (name.Length is 0 or > 15 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
        {
            throw new ArgumentException($"'{name}' is not an interface name.", nameof(name));
        }

        return $"\"{name}\"";
    }

    /// <summary>Free text made safe for a quoted nft string: anything but letters, digits and a few marks becomes '_'.</summary>
    public static string Clean(string text, int max)
    {
        var b = new StringBuilder(Math.Min(text.Length, max));
        foreach (var c in text)
        {
            if (b.Length == max)
            {
                break;
            }

            b.Append(char.IsAsciiLetterOrDigit(c) || c is ' ' or '.' or '_' or '-' or '/' or ':' or '[' or ']' or '(' or ')' or '=' or ',' ? c : '_');
        }

        return b.ToString();
    }

    public static string Comment(string text) => $"comment \"{Clean(text, MaxComment)}\"";

    public static string Log(string text) => $"log prefix \"{Clean(text, MaxLogPrefix)}: \"";

    /// <summary>A script comment line (<c># …</c>).</summary>
    public static string Remark(string text) => "# " + Clean(text, 200);

    public static string Number(int value, int min, int max) =>
        value >= min && value <= max ? value.ToString(CultureInfo.InvariantCulture) : throw new ArgumentOutOfRangeException(nameof(value), value, $"not in {min}..{max}");

    public static string Protocol(byte number) => Number(number, 0, 255);

    public static string Port(int port) => Number(port, 0, 65535);

    /// <summary><c>meta l4proto N</c> or <c>meta l4proto { N, M }</c>.</summary>
    public static string ProtocolIn(IReadOnlyCollection<byte> protocols) =>
        protocols.Count == 1 ? $"meta l4proto {Protocol(protocols.First())}" : $"meta l4proto {Set(protocols.Distinct().Order().Select(Protocol))}";

    public static string Address(UInt128 number) => IpNumber.ToAddress(number, AddressFamily.InterNetwork).ToString();

    public static string Address(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetwork ? address.ToString() : throw new ArgumentException($"{address} is not IPv4.", nameof(address));

    /// <summary>IPv4 ranges, merged and printed as prefixes where they are one and as first-last otherwise.</summary>
    public static string AddressSet(IEnumerable<(UInt128 First, UInt128 Last)> ranges) =>
        Set(Merge(ranges).Select(r => AddressRange(r.First, r.Last)));

    /// <summary>Port ranges, merged: <c>{ 80, 1000-2000 }</c>.</summary>
    public static string PortSet(IEnumerable<(int First, int Last)> ranges) =>
        Set(Merge(ranges.Select(r => ((UInt128)(uint)r.First, (UInt128)(uint)r.Last)))
            .Select(r => r.First == r.Last ? Port((int)r.First) : $"{Port((int)r.First)}-{Port((int)r.Last)}"));

    /// <summary><c>{ a, b }</c> of elements the callers built from numbers; duplicates dropped, order kept.</summary>
    public static string Set(IEnumerable<string> elements)
    {
        var list = elements.Distinct(StringComparer.Ordinal).ToList();
        return list.Count == 0 ? throw new ArgumentException("An nft set needs an element.", nameof(elements)) : "{ " + string.Join(", ", list) + " }";
    }

    private static string AddressRange(UInt128 first, UInt128 last)
    {
        var size = last - first + 1;
        if (UInt128.IsPow2(size) && (first & (size - 1)) == 0)
        {
            var length = 32 - (int)UInt128.Log2(size);
            return length == 32 ? Address(first) : $"{Address(first)}/{length.ToString(CultureInfo.InvariantCulture)}";
        }

        return $"{Address(first)}-{Address(last)}";
    }

    private static List<(UInt128 First, UInt128 Last)> Merge(IEnumerable<(UInt128 First, UInt128 Last)> ranges)
    {
        var merged = new List<(UInt128 First, UInt128 Last)>();
        foreach (var r in ranges.OrderBy(r => r.First))
        {
            if (merged.Count > 0 && merged[^1].Last != UInt128.MaxValue && r.First <= merged[^1].Last + 1)
            {
                merged[^1] = (merged[^1].First, UInt128.Max(merged[^1].Last, r.Last));
            }
            else
            {
                merged.Add(r);
            }
        }

        return merged;
    }
}
