using System.Globalization;
using System.Text;

namespace Trellis.Policy.Connectivity;

/// <summary>An immutable set of integers as sorted, disjoint, non-adjacent inclusive ranges (ports, ICMP type/code pairs).</summary>
public sealed class IntervalSet : IEquatable<IntervalSet>
{
    private readonly (int First, int Last)[] _ranges;

    private IntervalSet((int First, int Last)[] ranges) => _ranges = ranges;

    public static IntervalSet Empty { get; } = new([]);

    public static IntervalSet Of(int first, int last) => first > last ? Empty : new([(first, last)]);

    public IReadOnlyList<(int First, int Last)> Ranges => _ranges;

    public bool IsEmpty => _ranges.Length == 0;

    public bool Contains(int value)
    {
        foreach (var (f, l) in _ranges)
        {
            if (value >= f && value <= l)
            {
                return true;
            }
        }

        return false;
    }

    public static IntervalSet FromRanges(IEnumerable<(int First, int Last)> ranges)
    {
        var sorted = ranges.Where(r => r.First <= r.Last).OrderBy(r => r.First).ToList();
        var merged = new List<(int First, int Last)>();
        foreach (var r in sorted)
        {
            if (merged.Count > 0 && r.First <= merged[^1].Last + 1L)
            {
                merged[^1] = (merged[^1].First, Math.Max(merged[^1].Last, r.Last));
            }
            else
            {
                merged.Add(r);
            }
        }

        return merged.Count == 0 ? Empty : new IntervalSet(merged.ToArray());
    }

    public IntervalSet Union(IntervalSet other) => other.IsEmpty ? this : IsEmpty ? other : FromRanges(_ranges.Concat(other._ranges));

    public IntervalSet Except(IntervalSet other)
    {
        if (IsEmpty || other.IsEmpty)
        {
            return this;
        }

        var result = new List<(int, int)>();
        foreach (var (first, last) in _ranges)
        {
            long cursor = first;
            foreach (var (hf, hl) in other._ranges)
            {
                if (hl < cursor || hf > last)
                {
                    continue;
                }

                if (hf > cursor)
                {
                    result.Add(((int)cursor, hf - 1));
                }

                cursor = Math.Max(cursor, hl + 1L);
            }

            if (cursor <= last)
            {
                result.Add(((int)cursor, last));
            }
        }

        return FromRanges(result);
    }

    public IntervalSet Intersect(IntervalSet other) => Except(Except(other));

    public bool Equals(IntervalSet? other) => other is not null && _ranges.AsSpan().SequenceEqual(other._ranges);

    public override bool Equals(object? obj) => Equals(obj as IntervalSet);

    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var r in _ranges)
        {
            h.Add(r);
        }

        return h.ToHashCode();
    }

    /// <summary>"80,443,8000-8080".</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var (f, l) in _ranges)
        {
            if (sb.Length > 0)
            {
                sb.Append(',');
            }

            sb.Append(f.ToString(CultureInfo.InvariantCulture));
            if (l != f)
            {
                sb.Append('-').Append(l.ToString(CultureInfo.InvariantCulture));
            }
        }

        return sb.ToString();
    }
}
