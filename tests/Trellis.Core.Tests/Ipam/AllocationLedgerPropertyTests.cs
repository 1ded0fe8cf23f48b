using CsCheck;
using Trellis.Core.Ipam;

namespace Trellis.Core.Tests.Ipam;

/// <summary>The ledger against a SortedSet model: same answers to every operation, in any order.</summary>
public class AllocationLedgerPropertyTests
{
    private enum Op
    {
        AllocateLowest,
        Allocate,
        Release,
        Block,
    }

    /// <summary>1–3 disjoint ranges crossing 64-bit word boundaries, placed low or high in the UInt128 space.</summary>
    private static readonly Gen<List<(UInt128 First, UInt128 Last)>> Ranges =
        Gen.Select(Gen.Int[0, 130], Gen.Select(Gen.Int[1, 70], Gen.Int[1, 140]).Array[1, 3], Gen.Bool)
            .Select((start, parts, high) =>
            {
                var offset = high ? (UInt128.One << 100) : UInt128.Zero;
                var ranges = new List<(UInt128, UInt128)>();
                var cursor = (UInt128)start + offset;
                foreach (var (gap, length) in parts)
                {
                    ranges.Add((cursor, cursor + (UInt128)length - 1));
                    cursor += (UInt128)(length + gap);
                }

                return ranges;
            });

    private static readonly Gen<(Op Op, int A, int B)> Operation =
        Gen.Select(Gen.Frequency((4, Gen.Const(Op.AllocateLowest)), (2, Gen.Const(Op.Allocate)), (3, Gen.Const(Op.Release)), (1, Gen.Const(Op.Block))),
            Gen.Int[-5, 600], Gen.Int[0, 40]);

    private sealed class Model(IEnumerable<(UInt128 First, UInt128 Last)> ranges)
    {
        public SortedSet<UInt128> Universe { get; } = new(ranges.SelectMany(r => Enumerable.Range(0, (int)(r.Last - r.First) + 1).Select(i => r.First + (UInt128)i)));
        public SortedSet<UInt128> Taken { get; } = [];
    }

    [Fact]
    public void Ledger_BehavesLikeASortedSet_UnderAnySequenceOfOperations()
    {
        Gen.Select(Ranges, Operation.Array[0, 300]).Sample((ranges, ops) =>
        {
            var ledger = new AllocationLedger(ranges);
            var model = new Model(ranges);
            var origin = ranges[0].First;

            foreach (var (op, a, b) in ops)
            {
                // Numbers from a little below the first range to past the last one.
                var number = (origin >= 5 ? origin - 5 : UInt128.Zero) + (UInt128)(a + 5);
                switch (op)
                {
                    case Op.AllocateLowest:
                        var free = model.Universe.Where(n => !model.Taken.Contains(n)).Take(1).ToList();
                        Assert.Equal(free.Count == 1, ledger.TryAllocateLowest(out var got));
                        if (free.Count == 1)
                        {
                            Assert.Equal(free[0], got);
                            Assert.Contains(got, model.Universe);
                            model.Taken.Add(got);
                        }

                        break;
                    case Op.Allocate:
                        var expected = model.Universe.Contains(number) && !model.Taken.Contains(number);
                        Assert.Equal(expected, ledger.TryAllocate(number));
                        if (expected)
                        {
                            model.Taken.Add(number);
                        }

                        break;
                    case Op.Release:
                        // Release a number known to be taken most of the time, an arbitrary one otherwise.
                        var target = model.Taken.Count > 0 && b % 4 != 0 ? model.Taken.ElementAt(b % model.Taken.Count) : number;
                        Assert.Equal(model.Taken.Remove(target), ledger.Release(target));
                        break;
                    case Op.Block:
                        var last = number + (UInt128)b;
                        var newly = model.Universe.GetViewBetween(number, last).Count(n => model.Taken.Add(n));
                        Assert.Equal(newly, ledger.Block(number, last));
                        break;
                }

                Assert.Equal(model.Taken.Count, ledger.Taken);
                Assert.Equal(model.Universe.Count - model.Taken.Count, ledger.Free);
            }

            Assert.Equal(model.Universe.Count, ledger.Size);
            foreach (var n in model.Universe)
            {
                Assert.True(ledger.Contains(n));
                Assert.Equal(model.Taken.Contains(n), ledger.IsTaken(n));
            }

            Assert.False(ledger.Contains(ranges[^1].Last + 1));
        }, iter: 300);
    }

    [Fact]
    public void Ledger_NeverHandsOutANumberTwice_AndOnlyNumbersOfItsRanges()
    {
        Gen.Select(Ranges, Gen.Int[0, 400].Array[0, 40]).Sample((ranges, releases) =>
        {
            var ledger = new AllocationLedger(ranges);
            var held = new HashSet<UInt128>();
            var rounds = 0;
            while (ledger.TryAllocateLowest(out var n))
            {
                Assert.True(held.Add(n), $"{n} handed out twice");
                Assert.Contains(ranges, r => n >= r.First && n <= r.Last);
                if (rounds < releases.Length)
                {
                    var victim = held.ElementAt(releases[rounds++] % held.Count);
                    Assert.True(ledger.Release(victim));
                    held.Remove(victim);
                }
            }

            Assert.Equal(ledger.Size, held.Count);
            Assert.Equal(0, ledger.Free);
        }, iter: 300);
    }

    [Fact]
    public void ReleaseThenAllocate_RoundTrips_WhenNothingLowerIsFree()
    {
        Gen.Select(Ranges, Gen.Int[0, int.MaxValue]).Sample((ranges, pick) =>
        {
            var ledger = new AllocationLedger(ranges);
            var all = new List<UInt128>();
            while (ledger.TryAllocateLowest(out var n))
            {
                all.Add(n);
            }

            var victim = all[pick % all.Count];
            Assert.True(ledger.Release(victim));
            Assert.True(ledger.TryAllocateLowest(out var again));
            Assert.Equal(victim, again);
            Assert.False(ledger.TryAllocateLowest(out _));
        }, iter: 300);
    }
}
