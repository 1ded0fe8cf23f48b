using System.Net;
using Trellis.Policy.Manifests;

namespace Trellis.Policy.Evaluation;

/// <summary>One end of a flow: a workload (at its first address unless told another), or an address outside the cluster.</summary>
public sealed record Endpoint
{
    private Endpoint(Workload? workload, IPAddress? address)
    {
        Workload = workload;
        Address = address;
    }

    public Workload? Workload { get; }
    public IPAddress? Address { get; }

    public bool IsExternal => Workload is null;

    /// <summary><c>namespace/name[Kind]</c> for a workload, the address for anything else.</summary>
    public string Name => Workload?.Id ?? Address?.ToString() ?? "(unknown)";

    public static Endpoint Of(Workload workload) => new(workload, workload.Address);

    /// <summary>One replica of a workload, by its address.</summary>
    public static Endpoint Of(Workload workload, IPAddress address) => new(workload, address);

    /// <summary>An address; when it belongs to a known workload the engine evaluates that workload, as the packet would carry its address.</summary>
    public static Endpoint External(IPAddress address) => new(null, address);

    public static Endpoint External(string address) => External(IPAddress.Parse(address));

    public override string ToString() => Name;
}

/// <summary>
/// A packet's identity as policy sees it: source, destination, protocol and destination port (0 for protocols without
/// ports). The source port, when unknown, is an ephemeral port that no <c>source.ports</c> rule names; ICMP type and code,
/// when unknown, match only rules that do not ask for them.
/// </summary>
public sealed record Flow(Endpoint Source, Endpoint Destination, Protocol Protocol, int Port)
{
    public int? SourcePort { get; init; }
    public int? IcmpType { get; init; }
    public int? IcmpCode { get; init; }

    public static Flow Tcp(Endpoint source, Endpoint destination, int port) => new(source, destination, Protocol.Tcp, port);

    public static Flow Udp(Endpoint source, Endpoint destination, int port) => new(source, destination, Protocol.Udp, port);

    public override string ToString()
    {
        var what = Protocol.HasPorts ? $"{Protocol} {Port}"
            : Protocol.IsIcmp && IcmpType is { } t ? $"{Protocol} type {t}{(IcmpCode is { } c ? $" code {c}" : "")}"
            : Protocol.ToString();
        return $"{Source.Name} => {Destination.Name} : {what}";
    }
}
