using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Trellis.Core.Addressing;

namespace Trellis.Core.Validation;

/// <summary>Collects findings and parses addresses, reporting each problem with its field path.</summary>
internal sealed class ValidationContext
{
    private readonly List<Finding> _findings = [];

    public IReadOnlyList<Finding> Findings => _findings;

    public int ErrorCount => _findings.Count(f => f.Severity == Severity.Error);

    public void Add(Finding finding) => _findings.Add(finding);

    public void Error(string code, string path, string message, string hint) => Add(Finding.Error(code, path, message, hint));

    public void Warning(string code, string path, string message, string hint) => Add(Finding.Warning(code, path, message, hint));

    public void Info(string code, string path, string message, string hint) => Add(new Finding(code, path, message, hint, Severity.Info));

    public IPAddress? Address(string? text, string path, bool required, string example)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            if (required)
            {
                Error("RequiredFieldMissing", path, $"Field '{Leaf(path)}' is required.", $"Give an IPv4 address, e.g. {example}.");
            }

            return null;
        }

        if (!IpNumber.TryParse(text, out var address))
        {
            Error("InvalidAddress", path, $"'{text}' is not an IP address.", $"Write an IPv4 address in dotted form, e.g. {example}.");
            return null;
        }

        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            Error("IPv6NotSupported", path, $"'{text}' is an IPv6 address; AKS hybrid networks are IPv4 (IPv6 must be disabled on the hosts).",
                $"Use an IPv4 address, e.g. {example}.");
            return null;
        }

        return address;
    }

    /// <summary>Parses a network prefix; host bits must be zero.</summary>
    public Prefix? NetworkPrefix(string? text, string path, bool required, string example, int minLength = 8, int maxLength = 30)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            if (required)
            {
                Error("RequiredFieldMissing", path, $"Field '{Leaf(path)}' is required.", $"Give a prefix in CIDR form, e.g. {example}.");
            }

            return null;
        }

        if (!Prefix.TryParse(text, out var prefix, out var address, out var hostBitsSet))
        {
            Error("InvalidPrefix", path, $"'{text}' is not a network prefix.", $"Write it in CIDR form, e.g. {example}.");
            return null;
        }

        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            Error("IPv6NotSupported", path, $"'{text}' is an IPv6 prefix; this network is IPv4 only.", $"Use an IPv4 prefix, e.g. {example}.");
            return null;
        }

        if (hostBitsSet)
        {
            Error("PrefixHostBitsSet", path, $"'{text}' has host bits set; the network address of that prefix is {prefix}.",
                $"Write '{prefix}'.");
            return null;
        }

        if (prefix.Length < minLength || prefix.Length > maxLength)
        {
            Error("PrefixLengthOutOfRange", path, $"A /{prefix.Length} prefix is not supported here.",
                $"Use a prefix length from /{minLength} to /{maxLength}.");
            return null;
        }

        return prefix;
    }

    public AddressRange? Range(string? startText, string? endText, string startPath, string endPath, bool required, string exampleStart, string exampleEnd)
    {
        var start = Address(startText, startPath, required, exampleStart);
        var end = Address(endText, endPath, required, exampleEnd);
        if (start is null || end is null)
        {
            if (!required && (start is null) != (end is null) && (startText is null) != (endText is null))
            {
                var missing = start is null ? startPath : endPath;
                Error("RequiredFieldMissing", missing, $"Field '{Leaf(missing)}' is required when '{Leaf(start is null ? endPath : startPath)}' is given.",
                    "Give both ends of the range.");
            }

            return null;
        }

        if (IpNumber.ToNumber(start) > IpNumber.ToNumber(end))
        {
            Error("PoolStartAfterEnd", startPath, $"The range starts at {start}, after its end {end}.", $"Swap them: start {end}, end {start}.");
            return null;
        }

        return AddressRange.Of(start, end);
    }

    /// <summary>
    /// The pool must lie inside the prefix, hold neither the network nor the broadcast address, and avoid
    /// network+1 / broadcast−1, which crash the MOC cloud agent (AksHci known issue).
    /// </summary>
    public void PoolInsidePrefix(AddressRange pool, Prefix prefix, string poolName, string startPath, string endPath, string outsideCode)
    {
        if (!prefix.Contains(pool))
        {
            Error(outsideCode, prefix.Contains(pool.First) ? endPath : startPath,
                $"The {poolName} {pool} is not inside the prefix {prefix}.",
                $"Choose start and end inside {prefix.NetworkAddress}–{prefix.LastAddress}.");
            return;
        }

        if (prefix.Length > 30)
        {
            return;
        }

        if (pool.First == prefix.First || pool.Last == prefix.Last)
        {
            var atStart = pool.First == prefix.First;
            Error("PoolIncludesNetworkOrBroadcast", atStart ? startPath : endPath,
                $"The {poolName} {pool} includes the {(atStart ? "network" : "broadcast")} address of {prefix}.",
                $"Start at {IpNumber.Format(prefix.First + 2, prefix.Family)} or later and end at {IpNumber.Format(prefix.Last - 2, prefix.Family)} or earlier.");
            return;
        }

        if (pool.First == prefix.First + 1)
        {
            Error("PoolEdgeAddress", startPath,
                $"The {poolName} starts at {pool.Start}, the first address after the network address of {prefix}; this off-by-one edge crashes the MOC cloud agent.",
                $"Start the pool at {IpNumber.Format(prefix.First + 2, prefix.Family)} or later.");
        }

        if (pool.Last == prefix.Last - 1)
        {
            Error("PoolEdgeAddress", endPath,
                $"The {poolName} ends at {pool.End}, the last address before the broadcast address of {prefix}; this off-by-one edge crashes the MOC cloud agent.",
                $"End the pool at {IpNumber.Format(prefix.Last - 2, prefix.Family)} or earlier.");
        }
    }

    public TimeSpan? Duration(string? text, string path, TimeSpan defaultValue)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return defaultValue;
        }

        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value) && value > TimeSpan.Zero && value <= TimeSpan.FromDays(3650))
        {
            return value;
        }

        Error("InvalidLeaseDuration", path, $"'{text}' is not a lease duration.", "Write days.hours:minutes:seconds as Windows DHCP does, e.g. 8.00:00:00 for eight days.");
        return null;
    }

    public static string Leaf(string path)
    {
        var dot = path.LastIndexOf('.');
        return dot < 0 ? path : path[(dot + 1)..];
    }
}
