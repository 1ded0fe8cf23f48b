using System.Buffers;
using System.Text;

namespace Trellis.Storage;

/// <summary>
/// Keys as the stores compare them: UTF-8 bytes, which is Unicode code point order (SQLite's BINARY collation, etcd's
/// byte order), and the prefix rules of a read. Every <see cref="IStateStore"/> shares them.
/// </summary>
internal static class StoreKeys
{
    /// <summary>
    /// The least key above every key that starts with <paramref name="prefix"/>, so that
    /// <c>key &gt;= prefix AND key &lt; bound</c> is a range scan on the primary key; null when no bound exists.
    /// </summary>
    public static string? UpperBound(string prefix)
    {
        var end = prefix.Length;
        while (end > 0)
        {
            if (Rune.DecodeLastFromUtf16(prefix.AsSpan(0, end), out var last, out var consumed) != OperationStatus.Done)
            {
                throw new ArgumentException("The prefix is not well-formed UTF-16.", nameof(prefix));
            }

            end -= consumed;
            if (last.Value == 0x10FFFF)
            {
                continue;
            }

            // Surrogate code points are not characters: after U+D7FF comes U+E000.
            var next = new Rune(last.Value == 0xD7FF ? 0xE000 : last.Value + 1);
            return string.Concat(prefix.AsSpan(0, end), next.ToString());
        }

        return null;
    }

    /// <summary>
    /// Whether <paramref name="key"/> can be stored as itself: non-empty and well-formed UTF-16
    /// (a lone surrogate would be stored as U+FFFD and alias another key).
    /// </summary>
    public static bool IsValid(string key)
    {
        if (key.Length == 0)
        {
            return false;
        }

        var rest = key.AsSpan();
        var surrogate = rest.IndexOfAnyInRange('\uD800', '\uDFFF');
        if (surrogate < 0)
        {
            return true;
        }

        rest = rest[surrogate..];
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(rest, out _, out var consumed) != OperationStatus.Done)
            {
                return false;
            }

            rest = rest[consumed..];
        }

        return true;
    }

    /// <summary>Whether a prefix starts with another of the list (or repeats it), so that one key may be in two ranges.</summary>
    public static bool Overlap(IReadOnlyList<string> prefixes)
    {
        for (var i = 0; i < prefixes.Count; i++)
        {
            for (var j = 0; j < prefixes.Count; j++)
            {
                if (i != j && prefixes[j].StartsWith(prefixes[i], StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <exception cref="ArgumentException">A prefix is null, or starts with another.</exception>
    public static void ThrowIfOverlapping(IReadOnlyList<string> prefixes)
    {
        ArgumentNullException.ThrowIfNull(prefixes);
        foreach (var prefix in prefixes)
        {
            ArgumentNullException.ThrowIfNull(prefix, nameof(prefixes));
        }

        if (Overlap(prefixes))
        {
            throw new ArgumentException("A streamed read takes prefixes of which none starts with another.", nameof(prefixes));
        }
    }

    /// <summary>Keys in the stores' order (code points, as UTF-8 bytes compare), not UTF-16 ordinal: they differ beyond U+FFFF.</summary>
    public static int CompareCodePoints(string a, string b)
    {
        var length = Math.Min(a.Length, b.Length);
        for (var i = 0; i < length; i++)
        {
            if (a[i] != b[i])
            {
                // Surrogates (U+D800–U+DFFF) stand for code points above every UTF-16 unit, U+E000–U+FFFF included.
                return Rank(a[i]).CompareTo(Rank(b[i]));
            }
        }

        return a.Length.CompareTo(b.Length);
    }

    private static int Rank(char c) => char.IsSurrogate(c) ? c + 0x10000 : c;
}
