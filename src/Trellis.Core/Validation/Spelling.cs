namespace Trellis.Core.Validation;

/// <summary>The known name a mistyped one most likely meant, for "Did you mean …?" hints.</summary>
public static class Spelling
{
    /// <summary>The known name closest to <paramref name="name"/> (case aside), when it is at most 3 edits away.</summary>
    public static string? Closest(string name, IEnumerable<string> known)
    {
        var lower = name.ToLowerInvariant();
        var best = known.MinBy(k => Distance(k.ToLowerInvariant(), lower));
        return best is not null && Distance(best.ToLowerInvariant(), lower) <= 3 ? best : null;
    }

    /// <summary>Levenshtein distance.</summary>
    public static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
