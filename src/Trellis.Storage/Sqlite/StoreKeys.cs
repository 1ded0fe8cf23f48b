using System.Buffers;
using System.Text;

namespace Trellis.Storage.Sqlite;

/// <summary>Keys as SQLite compares them: UTF-8 bytes under the BINARY collation, which is Unicode code point order.</summary>
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
}
