using Trellis.Core.Validation;
using Trellis.Engine;
using Trellis.Policy;

namespace Trellis.Engine.Tests;

/// <summary>The --port text of `netpol check` and `trace`: what each form means, and what is refused and why.</summary>
public class PortTextTests
{
    [Theory]
    [InlineData("tcp/80", 6, 80, null, null)]
    [InlineData(" UDP/53 ", 17, 53, null, null)]
    [InlineData("443", 6, 443, null, null)]
    [InlineData("sctp/9", 132, 9, null, null)]
    [InlineData("17/53", 17, 53, null, null)]
    [InlineData("icmp", 1, 0, null, null)]
    [InlineData("icmp/8", 1, 0, 8, null)]
    [InlineData("icmp/3/4", 1, 0, 3, 4)]
    [InlineData("icmpv6/128", 58, 0, 128, null)]
    [InlineData("47/", 47, 0, null, null)]
    [InlineData("47/0", 47, 0, null, null)]
    public void Port_ReadsEveryForm(string text, int protocol, int port, int? type, int? code)
    {
        var findings = new List<Finding>();

        var parsed = NetworkPolicyService.Port(text, findings);

        Assert.Empty(findings);
        Assert.Equal((new Protocol((byte)protocol), port, type, code), parsed);
    }

    [Theory]
    [InlineData("47", 6, 47)]
    public void Port_ABareNumber_IsATcpPort(string text, int protocol, int port)
    {
        var findings = new List<Finding>();
        Assert.Equal((new Protocol((byte)protocol), port, (int?)null, (int?)null), NetworkPolicyService.Port(text, findings));
        Assert.Empty(findings);
    }

    [Theory]
    [InlineData("47/5", "has no ports")]
    [InlineData("udp/53/1", "give one port")]
    [InlineData("icmp/", "optional type and code")]
    [InlineData("icmp//3", "optional type and code")]
    [InlineData("icmp/256", "optional type and code")]
    [InlineData("tcp/65536", "outside 1-65535")]
    [InlineData("foo/80", "'foo' is not a protocol")]
    [InlineData("0/80", "'0' is not a protocol")]
    public void Port_RefusesWithTheReason(string text, string why)
    {
        var findings = new List<Finding>();

        NetworkPolicyService.Port(text, findings);

        var finding = Assert.Single(findings);
        Assert.Equal(("InvalidPort", "port", Severity.Error), (finding.Code, finding.Path, finding.Severity));
        Assert.Contains(why, finding.Message, StringComparison.Ordinal);
    }
}
