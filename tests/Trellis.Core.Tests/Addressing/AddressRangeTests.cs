using System.Net;
using System.Net.Sockets;
using CsCheck;
using Trellis.Core.Addressing;

namespace Trellis.Core.Tests.Addressing;

public class AddressRangeTests
{
    private static AddressRange Range(string start, string end) => AddressRange.Of(IPAddress.Parse(start), IPAddress.Parse(end));

    private static AddressRange V4(uint first, uint last) => new(first, last, AddressFamily.InterNetwork);

    [Fact]
    public void Of_ReadsStartAndEnd_Inclusively()
    {
        var vips = Range("172.16.0.150", "172.16.0.199");

        Assert.Equal("172.16.0.150", vips.Start.ToString());
        Assert.Equal("172.16.0.199", vips.End.ToString());
        Assert.Equal((UInt128)50, vips.Count);
        Assert.Equal("172.16.0.150-172.16.0.199", vips.ToString());
    }

    [Fact]
    public void Single_HoldsOneAddress_AndPrintsAsIt()
    {
        var one = AddressRange.Single(IPAddress.Parse("172.16.0.10"));

        Assert.Equal((UInt128)1, one.Count);
        Assert.Equal("172.16.0.10", one.ToString());
    }

    [Fact]
    public void Constructor_RejectsStartAfterEnd()
    {
        Assert.Throws<ArgumentException>(() => Range("172.16.0.199", "172.16.0.150"));
        Assert.Throws<ArgumentException>(() => V4(10, 9));
    }

    [Fact]
    public void Of_RejectsMixedFamilies()
    {
        Assert.Throws<ArgumentException>(() => AddressRange.Of(IPAddress.Parse("10.0.0.1"), IPAddress.Parse("fd00::1")));
    }

    [Fact]
    public void Count_SaturatesForTheWholeIPv6Space()
    {
        Assert.Equal(UInt128.MaxValue, new AddressRange(UInt128.Zero, UInt128.MaxValue, AddressFamily.InterNetworkV6).Count);
        Assert.Equal((UInt128)1 << 32, V4(0, uint.MaxValue).Count);
    }

    [Fact]
    public void Contains_IncludesBothEdges()
    {
        var pool = Range("172.16.0.20", "172.16.0.46");

        Assert.True(pool.Contains(IPAddress.Parse("172.16.0.20")));
        Assert.True(pool.Contains(IPAddress.Parse("172.16.0.46")));
        Assert.False(pool.Contains(IPAddress.Parse("172.16.0.19")));
        Assert.False(pool.Contains(IPAddress.Parse("172.16.0.47")));
        Assert.False(pool.Contains(IPAddress.Parse("::ffff:172.16.0.30")));
    }

    [Fact]
    public void Contains_Range_AndOverlaps_RespectEdgesAndFamilies()
    {
        var pool = Range("172.16.0.20", "172.16.0.46");

        Assert.True(pool.Contains(pool));
        Assert.True(pool.Contains(Range("172.16.0.21", "172.16.0.45")));
        Assert.False(pool.Contains(Range("172.16.0.19", "172.16.0.45")));
        Assert.True(pool.Overlaps(Range("172.16.0.46", "172.16.0.99")));
        Assert.True(pool.Overlaps(Range("172.16.0.1", "172.16.0.20")));
        Assert.False(pool.Overlaps(Range("172.16.0.47", "172.16.0.99")));
        Assert.False(pool.Overlaps(new AddressRange(pool.First, pool.Last, AddressFamily.InterNetworkV6)));
    }

    [Fact]
    public void Ipv6Ranges_BehaveLikeIPv4Ones()
    {
        var range = Range("fd00::10", "fd00::ff");

        Assert.Equal((UInt128)240, range.Count);
        Assert.True(range.Contains(IPAddress.Parse("fd00::10")));
        Assert.False(range.Contains(IPAddress.Parse("fd00::100")));
        Assert.True(range.Overlaps(Range("fd00::ff", "fd00::1ff")));
        Assert.Equal("fd00::10-fd00::ff", range.ToString());
    }

    [Fact]
    public void Except_CutsHolesInAddressOrder()
    {
        var scope = Range("10.12.0.10", "10.12.0.250");

        var parts = scope.Except([Range("10.12.0.200", "10.12.0.239"), AddressRange.Single(IPAddress.Parse("10.12.0.50"))]);

        Assert.Equal(["10.12.0.10-10.12.0.49", "10.12.0.51-10.12.0.199", "10.12.0.240-10.12.0.250"], parts.Select(p => p.ToString()));
    }

    [Fact]
    public void Except_HolesAtTheEdges_AndOverlappingHoles()
    {
        var range = V4(10, 20);

        Assert.Equal([V4(11, 20)], range.Except([V4(0, 10)]));
        Assert.Equal([V4(10, 19)], range.Except([V4(20, 30)]));
        Assert.Empty(range.Except([V4(5, 25)]));
        Assert.Empty(range.Except([V4(10, 20)]));
        Assert.Equal([V4(10, 11), V4(19, 20)], range.Except([V4(15, 18), V4(12, 16), V4(14, 14)]));
        Assert.Equal([range], range.Except([]));
        Assert.Equal([range], range.Except([V4(0, 9), V4(21, 30)]));
        Assert.Equal([range], range.Except([new AddressRange(12, 13, AddressFamily.InterNetworkV6)]));
    }

    [Fact]
    public void Except_AtTheTopOfTheAddressSpace_DoesNotOverflow()
    {
        var top = new AddressRange(UInt128.MaxValue - 10, UInt128.MaxValue, AddressFamily.InterNetworkV6);

        Assert.Equal([new AddressRange(UInt128.MaxValue - 10, UInt128.MaxValue - 1, AddressFamily.InterNetworkV6)],
            top.Except([new AddressRange(UInt128.MaxValue, UInt128.MaxValue, AddressFamily.InterNetworkV6)]));
        Assert.Empty(top.Except([top]));
    }

    [Fact]
    public void Except_KeepsExactlyTheNumbersOutsideEveryHole()
    {
        var gen = Gen.Select(Gen.Int[0, 200], Gen.Int[0, 60], Gen.Select(Gen.Int[0, 300], Gen.Int[0, 40]).List[0, 6]);
        gen.Sample((first, length, holes) =>
        {
            var range = V4((uint)first, (uint)(first + length));
            var holeRanges = holes.Select(h => V4((uint)h.Item1, (uint)(h.Item1 + h.Item2))).ToList();

            var parts = range.Except(holeRanges);

            var expected = Enumerable.Range(first, length + 1).Where(n => !holeRanges.Any(h => h.Contains((UInt128)n))).ToList();
            var actual = parts.SelectMany(p => Enumerable.Range((int)p.First, (int)(p.Last - p.First) + 1)).ToList();
            Assert.Equal(expected, actual);
            for (var i = 1; i < parts.Count; i++)
            {
                Assert.True(parts[i].First > parts[i - 1].Last + 1, "parts are sorted, disjoint and not adjacent");
            }
        }, iter: 1000);
    }
}
