using Trellis.Policy.Connectivity;

namespace Trellis.Policy.Tests.Connectivity;

public sealed class ConnectionSetTests
{
    private static ConnectionSet Tcp(int first, int last) => ConnectionSet.Create([(Protocol.Tcp, IntervalSet.Of(first, last))], false);

    [Fact]
    public void Text_FollowsNetpolAnalyzer()
    {
        Assert.Equal("All Connections", ConnectionSet.All.ToString());
        Assert.Equal("No Connections", ConnectionSet.None.ToString());
        Assert.Equal("TCP 80", Tcp(80, 80).ToString());
        Assert.Equal("TCP 80,443,UDP 53", Tcp(80, 80).Union(Tcp(443, 443)).Union(ConnectionSet.Create([(Protocol.Udp, IntervalSet.Of(53, 53))], false)).ToString());
        Assert.Equal("TCP 1-65535", Tcp(1, 65535).ToString());
    }

    [Fact]
    public void UnionAndExcept()
    {
        var a = Tcp(1, 100);
        var b = Tcp(50, 200);
        Assert.Equal(Tcp(1, 200), a.Union(b));
        Assert.Equal(Tcp(1, 49), a.Except(b));
        Assert.True(a.Except(a).IsEmpty);
        Assert.Equal("SCTP 1-65535,TCP 1-79,81-65535,UDP 1-65535,other protocols", ConnectionSet.All.Except(Tcp(80, 80)).ToString());
        Assert.True(ConnectionSet.All.Except(Tcp(80, 80)).Union(Tcp(80, 80)).IsAll);
    }

    [Fact]
    public void IntervalSets_MergeAdjacentRanges() =>
        Assert.Equal("1-10,20", IntervalSet.FromRanges([(5, 10), (1, 4), (20, 20)]).ToString());
}
