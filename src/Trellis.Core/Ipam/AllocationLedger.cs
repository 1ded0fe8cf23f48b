using System.Numerics;

namespace Trellis.Core.Ipam;

/// <summary>
/// Which numbers (addresses, subnet indexes, ports) of a pool are taken, over one or more inclusive ranges.
/// Hands out the lowest free number first. A bitset per range, with a hint to the lowest word that may have
/// a free bit, keeps allocate and release O(1) amortized.
/// </summary>
public sealed class AllocationLedger
{
    /// <summary>Ranges larger than this are refused: IPv4 prefixes up to /4 and any realistic subnet or port pool fit.</summary>
    public const long MaxRangeSize = 1L << 28;

    private readonly Segment[] _segments;

    public AllocationLedger(IEnumerable<(UInt128 First, UInt128 Last)> ranges)
    {
        _segments = ranges.OrderBy(r => r.First).Select(r =>
        {
            if (r.Last < r.First || r.Last - r.First >= MaxRangeSize)
            {
                throw new ArgumentException($"A ledger range must hold 1 to {MaxRangeSize} numbers.", nameof(ranges));
            }

            return new Segment(r.First, (long)(r.Last - r.First) + 1);
        }).ToArray();
        for (var i = 1; i < _segments.Length; i++)
        {
            if (_segments[i].First <= _segments[i - 1].First + (ulong)_segments[i - 1].Size - 1)
            {
                throw new ArgumentException("Ledger ranges overlap.", nameof(ranges));
            }
        }

        Size = _segments.Sum(s => s.Size);
    }

    public AllocationLedger(UInt128 first, UInt128 last)
        : this([(first, last)])
    {
    }

    /// <summary>How many numbers the pool holds in all.</summary>
    public long Size { get; }

    /// <summary>How many numbers are taken, blocked ones included.</summary>
    public long Taken { get; private set; }

    public long Free => Size - Taken;

    public bool Contains(UInt128 number) => Find(number) is not null;

    public bool IsTaken(UInt128 number) => Find(number) is { } s && s.Segment.Get(s.Offset);

    /// <summary>Takes the lowest free number; false when the pool is exhausted.</summary>
    public bool TryAllocateLowest(out UInt128 number)
    {
        foreach (var segment in _segments)
        {
            var offset = segment.LowestFree();
            if (offset >= 0)
            {
                segment.Set(offset);
                Taken++;
                number = segment.First + (ulong)offset;
                return true;
            }
        }

        number = default;
        return false;
    }

    /// <summary>Takes a given number; false when it is outside the pool or already taken.</summary>
    public bool TryAllocate(UInt128 number)
    {
        if (Find(number) is not { } s || s.Segment.Get(s.Offset))
        {
            return false;
        }

        s.Segment.Set(s.Offset);
        Taken++;
        return true;
    }

    /// <summary>Returns a number to the pool; false when it was not taken.</summary>
    public bool Release(UInt128 number)
    {
        if (Find(number) is not { } s || !s.Segment.Get(s.Offset))
        {
            return false;
        }

        s.Segment.Clear(s.Offset);
        Taken--;
        return true;
    }

    /// <summary>Takes every number of a range that lies in the pool (exclusions); returns how many were newly taken.</summary>
    public long Block(UInt128 first, UInt128 last)
    {
        long blocked = 0;
        foreach (var segment in _segments)
        {
            var lo = UInt128.Max(first, segment.First);
            var hi = UInt128.Min(last, segment.First + (ulong)segment.Size - 1);
            for (var n = lo; n <= hi && hi >= lo; n++)
            {
                var offset = (long)(n - segment.First);
                if (!segment.Get(offset))
                {
                    segment.Set(offset);
                    blocked++;
                }

                if (n == UInt128.MaxValue)
                {
                    break;
                }
            }
        }

        Taken += blocked;
        return blocked;
    }

    private (Segment Segment, long Offset)? Find(UInt128 number)
    {
        foreach (var segment in _segments)
        {
            if (number >= segment.First && number - segment.First < (ulong)segment.Size)
            {
                return (segment, (long)(number - segment.First));
            }
        }

        return null;
    }

    private sealed class Segment(UInt128 first, long size)
    {
        private readonly ulong[] _words = new ulong[(size + 63) / 64];
        private long _hint;

        public UInt128 First { get; } = first;
        public long Size { get; } = size;

        public bool Get(long offset) => (_words[offset >> 6] & (1UL << (int)(offset & 63))) != 0;

        public void Set(long offset) => _words[offset >> 6] |= 1UL << (int)(offset & 63);

        public void Clear(long offset)
        {
            _words[offset >> 6] &= ~(1UL << (int)(offset & 63));
            if (offset >> 6 < _hint)
            {
                _hint = offset >> 6;
            }
        }

        public long LowestFree()
        {
            for (var w = _hint; w < _words.Length; w++)
            {
                var free = ~_words[w];
                if (free != 0)
                {
                    _hint = w;
                    var offset = (w << 6) + BitOperations.TrailingZeroCount(free);
                    return offset < Size ? offset : -1;
                }
            }

            _hint = _words.Length;
            return -1;
        }
    }
}
