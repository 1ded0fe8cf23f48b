using System.Net;
using System.Net.Sockets;
using CsCheck;
using Trellis.Core.Addressing;

namespace Trellis.Core.Tests.Addressing;

public class IpNumberTests
{
    [Theory]
    [InlineData("10.0.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("255.255.255.255")]
    [InlineData("172.16.0.150")]
    public void TryParse_AcceptsCanonicalIPv4(string text)
    {
        Assert.True(IpNumber.TryParse(text, out var address));
        Assert.Equal(AddressFamily.InterNetwork, address.AddressFamily);
        Assert.Equal(text, address.ToString());
    }

    [Theory]
    [InlineData("10.1")]            // shorthand that IPAddress.Parse expands to 10.0.0.1
    [InlineData("010.0.0.1")]       // leading zero (octal in some parsers)
    [InlineData("10.00.0.1")]
    [InlineData("1")]
    [InlineData("167772161")]       // 10.0.0.1 as one decimal number
    [InlineData("0x0a000001")]
    [InlineData("10.0.0.256")]
    [InlineData("10.0.0")]
    [InlineData("1.2.3.4.5")]
    [InlineData("10.0.0.1/24")]
    [InlineData(" 10.0.0.1")]
    [InlineData("10.0.0.1 ")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    [InlineData("fd00::1%eth0")]    // scoped IPv6
    [InlineData("not an address")]
    public void TryParse_RejectsNonCanonicalOrMalformedText(string? text)
    {
        Assert.False(IpNumber.TryParse(text, out _));
    }

    [Theory]
    [InlineData("fd00::1", "fd00::1")]
    [InlineData("FD00:0:0::1", "fd00::1")]
    [InlineData("::", "::")]
    [InlineData("2001:db8::ffff:ffff", "2001:db8::ffff:ffff")]
    public void TryParse_AcceptsIPv6(string text, string canonical)
    {
        Assert.True(IpNumber.TryParse(text, out var address));
        Assert.Equal(AddressFamily.InterNetworkV6, address.AddressFamily);
        Assert.Equal(canonical, address.ToString());
    }

    [Fact]
    public void TryParse_MapsIPv4MappedIPv6ToIPv4()
    {
        Assert.True(IpNumber.TryParse("::ffff:10.0.0.1", out var address));
        Assert.Equal(AddressFamily.InterNetwork, address.AddressFamily);
        Assert.Equal("10.0.0.1", address.ToString());
    }

    [Fact]
    public void ToNumber_IsBigEndianForBothFamilies()
    {
        Assert.Equal((UInt128)0x0A000001, IpNumber.ToNumber(IPAddress.Parse("10.0.0.1")));
        Assert.Equal((UInt128)uint.MaxValue, IpNumber.ToNumber(IPAddress.Parse("255.255.255.255")));
        Assert.Equal(new UInt128(0xfd00_0000_0000_0000, 1), IpNumber.ToNumber(IPAddress.Parse("fd00::1")));
        Assert.Equal(UInt128.MaxValue, IpNumber.ToNumber(IPAddress.Parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
    }

    [Fact]
    public void Bits_AndMaxValue_FollowTheFamily()
    {
        Assert.Equal(32, IpNumber.Bits(AddressFamily.InterNetwork));
        Assert.Equal(128, IpNumber.Bits(AddressFamily.InterNetworkV6));
        Assert.Equal((UInt128)uint.MaxValue, IpNumber.MaxValue(AddressFamily.InterNetwork));
        Assert.Equal(UInt128.MaxValue, IpNumber.MaxValue(AddressFamily.InterNetworkV6));
    }

    [Fact]
    public void Format_IsTheCanonicalText()
    {
        Assert.Equal("172.16.0.20", IpNumber.Format(0xAC100014, AddressFamily.InterNetwork));
        Assert.Equal("fd00::a", IpNumber.Format(new UInt128(0xfd00_0000_0000_0000, 10), AddressFamily.InterNetworkV6));
    }

    [Fact]
    public void ToAddress_RoundTripsEveryIPv4Number()
    {
        Gen.Int.Select(i => unchecked((uint)i)).Sample(n =>
        {
            var address = IpNumber.ToAddress(n, AddressFamily.InterNetwork);
            Assert.Equal((UInt128)n, IpNumber.ToNumber(address));
            Assert.True(IpNumber.TryParse(address.ToString(), out var parsed));
            Assert.Equal(address, parsed);
        }, iter: 2000);
    }

    [Fact]
    public void ToAddress_RoundTripsIPv6Numbers()
    {
        Gen.Select(Gen.ULong, Gen.ULong).Sample((hi, lo) =>
        {
            var number = new UInt128(hi, lo);
            var address = IpNumber.ToAddress(number, AddressFamily.InterNetworkV6);
            Assert.Equal(number, IpNumber.ToNumber(address));
        }, iter: 2000);
    }
}
