using Trellis.Policy.Evaluation;

namespace Trellis.Policy.Trace;

/// <summary>One step of a packet's path: where it is, what happens there, and the policy verdict decided there, if any.</summary>
public sealed record TraceHop(string Where, string What)
{
    public string? Verdict { get; init; }
    public bool Dropped { get; init; }
    public IReadOnlyList<string> Facts { get; init; } = [];
}

/// <summary>What to trace: endpoints as <c>ns/workload</c>, <c>ns/workload[Kind]</c>, <c>svc/ns/name</c> or an IP address.</summary>
public sealed record TraceRequest(string From, string To, Protocol Protocol, int Port)
{
    /// <summary>For ICMP: the message type and code the policies see (none: any).</summary>
    public int? IcmpType { get; init; }

    public int? IcmpCode { get; init; }
}

/// <summary>The path of one packet through the planned site, with the policy verdict at each hop.</summary>
public sealed record PacketTrace(string Question, bool Delivered, IReadOnlyList<TraceHop> Hops)
{
    public Verdict? Policy { get; init; }
    public IReadOnlyList<string> Notes { get; init; } = [];
}
