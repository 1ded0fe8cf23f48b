using System.Net;
using System.Net.Sockets;
using CsCheck;
using Trellis.Core.Addressing;

namespace Trellis.Core.Tests.Addressing;

public class PrefixTests
{
    private static AddressRange Range(string start, string end) => AddressRange.Of(IPAddress.Parse(start), IPAddress.Parse(end));

    [Fact]
    public void Parse_ReadsANetworkPrefix()
    {
        var prefix = Prefix.Parse("172.16.0.0/24");

        Assert.Equal(24, prefix.Length);
        Assert.Equal(8, prefix.HostBits);
        Assert.Equal(AddressFamily.InterNetwork, prefix.Family);
        Assert.Equal("172.16.0.0", prefix.NetworkAddress.ToString());
        Assert.Equal("172.16.0.255", prefix.LastAddress.ToString());
        Assert.Equal((UInt128)256, prefix.Size);
        Assert.Equal("172.16.0.0/24", prefix.ToString());
        Assert.Equal(new IPNetwork(IPAddress.Parse("172.16.0.0"), 24), prefix.ToIPNetwork());
    }

    [Fact]
    public void TryParse_ReportsHostBits_AndYieldsTheEnclosingNetwork()
    {
        Assert.True(Prefix.TryParse("172.16.0.10/24", out var prefix, out var address, out var hostBitsSet));

        Assert.True(hostBitsSet);
        Assert.Equal("172.16.0.10", address.ToString());
        Assert.Equal("172.16.0.0/24", prefix.ToString());
    }

    [Fact]
    public void TryParse_ReportsNoHostBits_ForANetworkAddress()
    {
        Assert.True(Prefix.TryParse("10.96.0.0/12", out var prefix, out _, out var hostBitsSet));
        Assert.False(hostBitsSet);
        Assert.Equal(12, prefix.Length);
    }

    [Fact]
    public void Parse_RejectsAnAddressWithHostBits()
    {
        Assert.Throws<FormatException>(() => Prefix.Parse("172.16.0.10/24"));
    }

    [Theory]
    [InlineData("172.16.0.0")]
    [InlineData("172.16.0.0/")]
    [InlineData("/24")]
    [InlineData("172.16.0.0/33")]
    [InlineData("172.16.0.0/-1")]
    [InlineData("172.16.0.0/+4")]
    [InlineData("172.16.0.0/2 4")]
    [InlineData("172.16.0.0/1000")]
    [InlineData("172.16.0.0/99999999999999999999")]
    [InlineData("172.16/16")]
    [InlineData("010.0.0.0/8")]
    [InlineData("fd00::/129")]
    [InlineData("")]
    [InlineData(null)]
    public void TryParse_RejectsMalformedPrefixes(string? text)
    {
        Assert.False(Prefix.TryParse(text, out _, out _, out _));
    }

    [Fact]
    public void Parse_HandlesIPv6()
    {
        var prefix = Prefix.Parse("fd00:1::/64");

        Assert.Equal(AddressFamily.InterNetworkV6, prefix.Family);
        Assert.Equal(64, prefix.HostBits);
        Assert.Equal("fd00:1::ffff:ffff:ffff:ffff", prefix.LastAddress.ToString());
        Assert.Equal(UInt128.One << 64, prefix.Size);
        Assert.True(prefix.Contains(IPAddress.Parse("fd00:1::1234")));
        Assert.False(prefix.Contains(IPAddress.Parse("fd00:2::1")));
    }

    [Fact]
    public void Size_SaturatesForTheWholeIPv6Space_AndIsExactForIPv4()
    {
        Assert.Equal(UInt128.MaxValue, Prefix.Parse("::/0").Size);
        Assert.Equal((UInt128)1 << 32, Prefix.Parse("0.0.0.0/0").Size);
        Assert.Equal((UInt128)1, Prefix.Parse("10.0.0.1/32").Size);
        Assert.Equal((UInt128)1, Prefix.Parse("fd00::1/128").Size);
    }

    [Fact]
    public void Constructor_MasksHostBits_AndChecksTheLength()
    {
        Assert.Equal("10.1.0.0/16", new Prefix(IPAddress.Parse("10.1.2.3"), 16).ToString());
        Assert.Equal("fd00::/16", new Prefix(IPAddress.Parse("fd00::1"), 16).ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => new Prefix(IPAddress.Parse("10.0.0.0"), 33));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Prefix(IPAddress.Parse("fd00::"), 129));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Prefix(IPAddress.Parse("10.0.0.0"), -1));
    }

    [Fact]
    public void Contains_AddressesAtBothEdges_AndNothingOutside()
    {
        var prefix = Prefix.Parse("172.16.0.0/24");

        Assert.True(prefix.Contains(IPAddress.Parse("172.16.0.0")));
        Assert.True(prefix.Contains(IPAddress.Parse("172.16.0.255")));
        Assert.False(prefix.Contains(IPAddress.Parse("172.15.255.255")));
        Assert.False(prefix.Contains(IPAddress.Parse("172.16.1.0")));
    }

    [Fact]
    public void Contains_IsFalseAcrossFamilies()
    {
        Assert.False(Prefix.Parse("0.0.0.0/0").Contains(IPAddress.Parse("::1")));
        Assert.False(Prefix.Parse("::/0").Contains(IPAddress.Parse("10.0.0.1")));
        Assert.False(Prefix.Parse("::/0").Contains(Prefix.Parse("10.0.0.0/8")));
        Assert.False(Prefix.Parse("::/0").Overlaps(Prefix.Parse("0.0.0.0/0")));
    }

    [Fact]
    public void Contains_Prefix_NeedsALongerOrEqualPrefixInside()
    {
        var prefix = Prefix.Parse("10.0.0.0/8");

        Assert.True(prefix.Contains(Prefix.Parse("10.244.0.0/16")));
        Assert.True(prefix.Contains(prefix));
        Assert.False(prefix.Contains(Prefix.Parse("0.0.0.0/0")));
        Assert.False(prefix.Contains(Prefix.Parse("11.0.0.0/16")));
        Assert.False(Prefix.Parse("10.244.0.0/16").Contains(prefix));
    }

    [Fact]
    public void Contains_Range_NeedsBothEnds()
    {
        var prefix = Prefix.Parse("172.16.0.0/24");

        Assert.True(prefix.Contains(Range("172.16.0.0", "172.16.0.255")));
        Assert.False(prefix.Contains(Range("172.16.0.200", "172.16.1.5")));
        Assert.False(prefix.Contains(Range("172.15.255.255", "172.16.0.5")));
    }

    [Fact]
    public void Overlaps_IsSymmetric_AndTouchingIsNotOverlapping()
    {
        var a = Prefix.Parse("10.244.0.0/16");
        var b = Prefix.Parse("10.244.128.0/17");
        var c = Prefix.Parse("10.245.0.0/16");

        Assert.True(a.Overlaps(b));
        Assert.True(b.Overlaps(a));
        Assert.False(a.Overlaps(c));
        Assert.False(c.Overlaps(a));
        Assert.True(a.Overlaps(Range("10.243.255.255", "10.244.0.0")));
        Assert.False(a.Overlaps(Range("10.243.0.0", "10.243.255.255")));
    }

    [Fact]
    public void Subnet_CarvesInAddressOrder()
    {
        var pods = Prefix.Parse("10.244.0.0/16");

        Assert.Equal((UInt128)256, pods.SubnetCount(24));
        Assert.Equal((UInt128)1024, pods.SubnetCount(26));
        Assert.Equal((UInt128)1, pods.SubnetCount(16));
        Assert.Equal(UInt128.Zero, pods.SubnetCount(15));
        Assert.Equal("10.244.0.0/24", pods.Subnet(24, 0).ToString());
        Assert.Equal("10.244.2.0/24", pods.Subnet(24, 2).ToString());
        Assert.Equal("10.244.255.0/24", pods.Subnet(24, 255).ToString());
        Assert.Equal("10.244.0.192/26", pods.Subnet(26, 3).ToString());
        Assert.Equal("10.244.0.0/16", pods.Subnet(16, 0).ToString());
    }

    [Fact]
    public void Subnet_RejectsAnIndexPastTheEnd_AndAShorterLength()
    {
        var pods = Prefix.Parse("10.244.0.0/16");

        Assert.Throws<ArgumentOutOfRangeException>(() => pods.Subnet(24, 256));
        Assert.Throws<ArgumentOutOfRangeException>(() => pods.Subnet(15, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => pods.Subnet(33, 0));
    }

    [Fact]
    public void SubnetIndex_InvertsSubnet()
    {
        var pods = Prefix.Parse("10.244.0.0/16");

        Assert.Equal((UInt128)2, pods.SubnetIndex(Prefix.Parse("10.244.2.0/24"), 24));
        Assert.Equal((UInt128)1023, pods.SubnetIndex(Prefix.Parse("10.244.255.192/26"), 26));
        Gen.Select(Gen.Int[16, 32], Gen.Int[0, int.MaxValue]).Sample((length, seed) =>
        {
            var count = pods.SubnetCount(length);
            var index = (UInt128)seed % count;
            var subnet = pods.Subnet(length, index);
            Assert.True(pods.Contains(subnet));
            Assert.Equal(length, subnet.Length);
            Assert.Equal(index, pods.SubnetIndex(subnet, length));
        }, iter: 500);
    }

    [Fact]
    public void Subnet_WorksForIPv6()
    {
        var site = Prefix.Parse("fd00::/48");

        Assert.Equal((UInt128)65536, site.SubnetCount(64));
        Assert.Equal("fd00:0:0:ff::/64", site.Subnet(64, 255).ToString());
        Assert.Equal((UInt128)255, site.SubnetIndex(Prefix.Parse("fd00:0:0:ff::/64"), 64));
        Assert.Equal(UInt128.One << 80, site.SubnetCount(128));
    }

    [Fact]
    public void SubnetCount_IsExactUpTo2To127_AndSaturatesOnlyBeyond()
    {
        var all = Prefix.Parse("::/0");

        Assert.Equal(UInt128.One << 127, all.SubnetCount(127));
        Assert.Equal(UInt128.MaxValue, all.SubnetCount(128));
        Assert.Equal("8000::/1", all.Subnet(1, 1).ToString());
    }

    [Theory]
    [InlineData(0, 32)]
    [InlineData(1, 32)]
    [InlineData(2, 31)]
    [InlineData(3, 30)]
    [InlineData(4, 30)]
    [InlineData(36, 26)]
    [InlineData(64, 26)]
    [InlineData(65, 25)]
    [InlineData(256, 24)]
    [InlineData(257, 23)]
    [InlineData(4294967296, 0)]
    public void SmallestLengthFor_IPv4_IsTheSmallestBlockHoldingTheCount(long addresses, int length)
    {
        Assert.Equal(length, Prefix.SmallestLengthFor((UInt128)addresses, AddressFamily.InterNetwork));
    }

    [Fact]
    public void SmallestLengthFor_IPv6_UsesAll128Bits()
    {
        Assert.Equal(128, Prefix.SmallestLengthFor(1, AddressFamily.InterNetworkV6));
        Assert.Equal(64, Prefix.SmallestLengthFor(UInt128.One << 64, AddressFamily.InterNetworkV6));
        Assert.Equal(63, Prefix.SmallestLengthFor((UInt128.One << 64) + 1, AddressFamily.InterNetworkV6));
        Assert.Equal(0, Prefix.SmallestLengthFor(UInt128.MaxValue, AddressFamily.InterNetworkV6));
    }

    [Fact]
    public void SmallestLengthFor_AlwaysFits_AndOneLongerDoesNot()
    {
        Gen.Int[1, int.MaxValue].Sample(n =>
        {
            var length = Prefix.SmallestLengthFor((UInt128)n, AddressFamily.InterNetwork);
            Assert.True((UInt128)1 << (32 - length) >= (UInt128)n);
            Assert.True(length == 32 || (UInt128)1 << (32 - length - 1) < (UInt128)n);
        }, iter: 1000);
    }

    [Fact]
    public void Range_OfAPrefix_SpansItExactly()
    {
        var range = Prefix.Parse("10.96.0.0/12").Range;

        Assert.Equal("10.96.0.0", range.Start.ToString());
        Assert.Equal("10.111.255.255", range.End.ToString());
        Assert.Equal((UInt128)(1 << 20), range.Count);
    }

    [Fact]
    public void Equality_IsByValue()
    {
        Assert.Equal(Prefix.Parse("10.0.0.0/8"), new Prefix(IPAddress.Parse("10.20.30.40"), 8));
        Assert.NotEqual(Prefix.Parse("10.0.0.0/8"), Prefix.Parse("10.0.0.0/9"));
    }
}
