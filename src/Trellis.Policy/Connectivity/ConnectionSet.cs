using System.Globalization;

namespace Trellis.Policy.Connectivity;

/// <summary>
/// The connections allowed between two endpoints: per protocol, the destination ports (TCP, UDP, SCTP, UDPLite: 1–65535),
/// the ICMP type/code pairs (type × 256 + code), or the protocol as a whole; plus whether every protocol not listed is
/// allowed. Printed as netpol-analyzer prints it: <c>TCP 80,UDP 53</c>, <c>All Connections</c>, <c>No Connections</c>.
/// </summary>
public sealed class ConnectionSet : IEquatable<ConnectionSet>
{
    private readonly SortedDictionary<byte, IntervalSet> _explicit;

    private ConnectionSet(SortedDictionary<byte, IntervalSet> explicitSets, bool otherProtocols)
    {
        _explicit = explicitSets;
        OtherProtocols = otherProtocols;
    }

    public static ConnectionSet None { get; } = new([], false);

    public static ConnectionSet All { get; } = new([], true);

    /// <summary>Every protocol without its own entry is allowed in full.</summary>
    public bool OtherProtocols { get; }

    /// <summary>Protocols that differ from <see cref="OtherProtocols"/>, with what is allowed of each.</summary>
    public IReadOnlyDictionary<byte, IntervalSet> Protocols => _explicit;

    public bool IsAll => OtherProtocols && _explicit.Count == 0;

    public bool IsEmpty => !OtherProtocols && _explicit.Count == 0;

    public static IntervalSet Domain(Protocol protocol) =>
        protocol.HasPorts ? IntervalSet.Of(1, 65535) : protocol.IsIcmp ? IntervalSet.Of(0, 65535) : IntervalSet.Of(0, 0);

    public IntervalSet For(Protocol protocol) =>
        _explicit.TryGetValue(protocol.Number, out var set) ? set : OtherProtocols ? Domain(protocol) : IntervalSet.Empty;

    public static ConnectionSet Create(IEnumerable<(Protocol Protocol, IntervalSet Allowed)> protocols, bool otherProtocols)
    {
        var map = new SortedDictionary<byte, IntervalSet>();
        foreach (var (p, allowed) in protocols)
        {
            var clipped = allowed.Intersect(Domain(p));
            var implied = otherProtocols ? Domain(p) : IntervalSet.Empty;
            if (!clipped.Equals(implied))
            {
                map[p.Number] = clipped;
            }
        }

        return map.Count == 0 ? (otherProtocols ? All : None) : new ConnectionSet(map, otherProtocols);
    }

    public ConnectionSet Union(ConnectionSet other) => Combine(other, (a, b) => a.Union(b), OtherProtocols || other.OtherProtocols);

    public ConnectionSet Except(ConnectionSet other) => Combine(other, (a, b) => a.Except(b), OtherProtocols && !other.OtherProtocols);

    private ConnectionSet Combine(ConnectionSet other, Func<IntervalSet, IntervalSet, IntervalSet> op, bool others)
    {
        var keys = _explicit.Keys.Union(other._explicit.Keys);
        return Create(keys.Select(k => (new Protocol(k), op(For(new Protocol(k)), other.For(new Protocol(k))))), others);
    }

    public bool Equals(ConnectionSet? other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        if (other is null || OtherProtocols != other.OtherProtocols || _explicit.Count != other._explicit.Count)
        {
            return false;
        }

        foreach (var (protocol, set) in _explicit)
        {
            if (!other._explicit.TryGetValue(protocol, out var o) || !o.Equals(set))
            {
                return false;
            }
        }

        return true;
    }

    public override bool Equals(object? obj) => Equals(obj as ConnectionSet);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(OtherProtocols);
        foreach (var (k, v) in _explicit)
        {
            h.Add(k);
            h.Add(v);
        }

        return h.ToHashCode();
    }

    public override string ToString()
    {
        if (IsAll)
        {
            return "All Connections";
        }

        if (IsEmpty)
        {
            return "No Connections";
        }

        var protocols = new SortedSet<byte>(_explicit.Keys);
        if (OtherProtocols)
        {
            protocols.UnionWith([Protocol.Tcp.Number, Protocol.Udp.Number, Protocol.Sctp.Number]);
        }

        var tokens = new List<string>();
        foreach (var number in protocols)
        {
            var p = new Protocol(number);
            var set = For(p);
            if (set.IsEmpty)
            {
                continue;
            }

            tokens.Add(p.HasPorts ? $"{p.Name} {set}" : p.IsIcmp ? IcmpText(p, set) : Named(p));
        }

        tokens.Sort(StringComparer.Ordinal);
        if (OtherProtocols)
        {
            tokens.Add("other protocols");
        }

        return string.Join(",", tokens);
    }

    private static string Named(Protocol p) =>
        p.Name == p.Number.ToString(CultureInfo.InvariantCulture) ? $"protocol {p.Number}" : p.Name;

    private static string IcmpText(Protocol p, IntervalSet set)
    {
        if (set.Equals(Domain(p)))
        {
            return p.Name;
        }

        var parts = new List<string>();
        foreach (var (first, last) in set.Ranges)
        {
            int t1 = first >> 8, c1 = first & 255, t2 = last >> 8, c2 = last & 255;
            if (c1 == 0 && c2 == 255)
            {
                parts.Add(t1 == t2 ? $"type {t1}" : $"types {t1}-{t2}");
            }
            else if (t1 == t2)
            {
                parts.Add(c1 == c2 ? $"type {t1} code {c1}" : $"type {t1} codes {c1}-{c2}");
            }
            else
            {
                parts.Add($"type {t1} code {c1} to type {t2} code {c2}");
            }
        }

        return $"{p.Name} {string.Join(" ", parts)}";
    }
}
