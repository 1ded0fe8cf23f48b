using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Trellis.Lab;

/// <summary>
/// Writes the lab's nftables scripts from typed values only: addresses are parsed and printed back, ports are checked
/// numbers, protocols one of tcp, udp, sctp, names and comments must match a strict pattern. No text of a manifest reaches
/// a script unchecked, so a script can say nothing but what the lab means.
/// </summary>
public static partial class LabNft
{
    /// <summary>The table of each node VM's Services, kube-proxy's nftables mode in small.</summary>
    public const string ServicesTable = "trellis_services";

    /// <summary>The mark of a NodePort connection: it is masqueraded as it leaves, so that the answer comes back through the node it was sent to.</summary>
    public const int NodePortMark = 0x4000;

    /// <summary>
    /// The Services of one node VM: a <c>table ip trellis_services</c> whose <c>services</c> chain DNATs each ClusterIP:port
    /// and NODE-ADDRESS:nodePort to the port's endpoints (one: straight to it; several: <c>numgen random</c> over them),
    /// jumped to from prerouting (pods, other nodes) and output (the node itself). NodePort connections are marked and
    /// masqueraded in postrouting (kube-proxy's externalTrafficPolicy: Cluster); ClusterIP connections keep their source,
    /// the answer returning through the client's node (same-node answers through the bridge's netfilter hooks, br_netfilter).
    /// Ports without endpoints get no rule; SCTP ports only when <paramref name="sctp"/>.
    /// </summary>
    public static string Services(IEnumerable<LabService> services, string nodeAddress, bool sctp)
    {
        ArgumentNullException.ThrowIfNull(services);
        var node = Address(nodeAddress);
        var w = new Writer();
        w.Open($"table ip {Name(ServicesTable)}");
        w.Open("chain services");
        foreach (var service in services)
        {
            foreach (var port in service.Ports.Where(p => p.Endpoints.Count > 0 && (sctp || Protocol(p.Protocol) != "sctp")))
            {
                var comment = Comment($"{service.Namespace}/{service.Name} {Protocol(port.Protocol)}/{Port(port.Port)}");
                w.Line($"ip daddr {Address(service.ClusterIp)} {Protocol(port.Protocol)} dport {Port(port.Port)} {Dnat(port.Endpoints)} comment {comment}");
                if (port.NodePort is { } nodePort)
                {
                    w.Line($"ip daddr {node} {Protocol(port.Protocol)} dport {Port(nodePort)} meta mark set {Mark()} {Dnat(port.Endpoints)} comment {comment}");
                }
            }
        }

        w.Close();
        w.Open("chain prerouting");
        w.Line("type nat hook prerouting priority dstnat; policy accept;");
        w.Line("jump services");
        w.Close();
        w.Open("chain output");
        w.Line("type nat hook output priority -100; policy accept;");
        w.Line("jump services");
        w.Close();
        w.Open("chain postrouting");
        w.Line("type nat hook postrouting priority srcnat; policy accept;");
        w.Line($"meta mark {Mark()} masquerade");
        w.Close();
        w.Close();
        return w.ToString();
    }

    private static string Dnat(IReadOnlyList<LabServiceEndpoint> endpoints) => endpoints.Count == 1
        ? $"dnat ip to {Address(endpoints[0].Address)}:{Port(endpoints[0].Port)}"
        : $"dnat ip to numgen random mod {endpoints.Count.ToString(CultureInfo.InvariantCulture)} map {{ {string.Join(", ", endpoints.Select((e, i) => $"{i.ToString(CultureInfo.InvariantCulture)} : {Address(e.Address)} . {Port(e.Port)}"))} }}";

    private static string Mark() => $"0x{NodePortMark.ToString("x", CultureInfo.InvariantCulture)}";

    /// <summary>An IPv4 address, parsed and printed back.</summary>
    public static string Address(string text) => IPAddress.TryParse(text, out var a) && a.AddressFamily == AddressFamily.InterNetwork && a.ToString() == text
        ? a.ToString()
        : throw new ArgumentException($"'{text}' is not an IPv4 address.", nameof(text));

    /// <summary>A port number 1–65535.</summary>
    public static string Port(int port) => port is >= 1 and <= 65535 ? port.ToString(CultureInfo.InvariantCulture) : throw new ArgumentOutOfRangeException(nameof(port), port, "A port is 1–65535.");

    /// <summary>tcp, udp or sctp.</summary>
    public static string Protocol(string protocol) => protocol.ToLowerInvariant() switch
    {
        "tcp" => "tcp",
        "udp" => "udp",
        "sctp" => "sctp",
        _ => throw new ArgumentException($"'{protocol}' is not TCP, UDP or SCTP.", nameof(protocol)),
    };

    /// <summary>A table or chain name.</summary>
    public static string Name(string name) => NamePattern().IsMatch(name) ? name : throw new ArgumentException($"'{name}' cannot name an nftables object.", nameof(name));

    /// <summary>A quoted comment of Kubernetes names, ports and spaces only.</summary>
    public static string Comment(string text) => CommentPattern().IsMatch(text) ? $"\"{text}\"" : throw new ArgumentException($"'{text}' cannot be an nftables comment.", nameof(text));

    [GeneratedRegex("^[a-z][a-z0-9_]{0,30}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9./ -]{0,120}$")]
    private static partial Regex CommentPattern();

    /// <summary>Indented blocks and lines.</summary>
    private sealed class Writer
    {
        private readonly StringBuilder text = new();
        private int depth;

        public void Open(string head)
        {
            Line($"{head} {{");
            depth++;
        }

        public void Close()
        {
            depth--;
            Line("}");
        }

        public void Line(string line) => text.Append(' ', depth * 2).Append(line).Append('\n');

        public override string ToString() => text.ToString();
    }
}
