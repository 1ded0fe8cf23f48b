using System.Collections;
using Trellis.Core.Ipam;
using Trellis.Core.Planning;
using Trellis.Engine.Contracts;
using Allocation = Trellis.Core.Ipam.Allocation;
using Trellis.Policy;
using Trellis.Policy.Connectivity;
using Trellis.Policy.Manifests;

namespace Trellis.Engine;

/// <summary>
/// One manifest text as a front end read it: <see cref="Name"/> names it in findings (the CLI gives a file's name, or
/// <c>folder/sub/file.yaml</c> for a file found in a folder given with -f).
/// </summary>
public sealed record ManifestText(string Name, string Text);

/// <summary>How manifests group pods into workloads.</summary>
public enum WorkloadGrouping
{
    /// <summary>A controller's pods as one workload (ns/name[Deployment]).</summary>
    Owner,

    /// <summary>Every pod on its own.</summary>
    Pod,
}

/// <summary>How the manifests are read: workloads by controller owner or pod by pod, and whether hostNetwork pods are policed.</summary>
public sealed record PolicyChoices
{
    public static PolicyChoices Default { get; } = new();

    public WorkloadGrouping By { get; init; } = WorkloadGrouping.Owner;

    /// <summary>False (the default) is Calico's behaviour: no policy applies to hostNetwork pods; true polices them like any pod.</summary>
    public bool HostNetworkPoliced { get; init; }

    internal WorkloadView View => By == WorkloadGrouping.Pod ? WorkloadView.Pod : WorkloadView.Owner;
}

/// <summary>
/// The cluster of a planned site that manifests run in: pods get addresses from its overlay, and its plugin decides
/// enforcement. Made by <see cref="NetworkPolicyService.ContextFromSpec"/> or <see cref="NetworkPolicyService.PolicyContextAsync"/>.
/// </summary>
public sealed class PolicyContext
{
    internal PolicyContext(ResolvedSite site, string cluster, IReadOnlyList<Allocation> allocations)
    {
        Site = site;
        Cluster = cluster;
        Allocations = allocations;
    }

    /// <summary>The name of the cluster the manifests run in.</summary>
    public string Cluster { get; }

    internal ResolvedSite Site { get; }

    internal IReadOnlyList<Allocation> Allocations { get; }

    internal ResolvedCluster ResolvedCluster => Site.Clusters.Single(c => c.Name == Cluster);
}

/// <summary>A question's answer, or null with the findings that say why it has none; the findings come either way.</summary>
public sealed record PolicyResult<T>(T? Answer, IReadOnlyList<Finding> Findings)
    where T : class;

/// <summary>
/// Manifests loaded for policy questions (<see cref="NetworkPolicyService.Load"/>): the workloads, services and policies
/// they hold, placed in the cluster's pod network when a context was given, with the findings of loading them.
/// </summary>
public sealed class ManifestSet
{
    internal ManifestSet(PolicySet set, PolicyContext? context, PolicyChoices choices)
    {
        Set = set;
        Context = context;
        Choices = choices;
        Findings = set.Findings.ToContract();
    }

    internal PolicySet Set { get; }

    /// <summary>
    /// The same manifests with the workloads named in <paramref name="addresses"/> (by matrix id, <c>namespace/name[Kind]</c>)
    /// at the addresses of their pods in a lab, one per replica, instead of their own: how a lab, whose pods take addresses
    /// of its own, asks the questions (ipBlocks then match the pods at the addresses the kernel sees). The others keep theirs.
    /// </summary>
    public ManifestSet WithAddresses(IReadOnlyDictionary<string, IReadOnlyList<string>> addresses)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        var moved = Set with
        {
            Workloads = [.. Set.Workloads.Select(w => addresses.TryGetValue(w.Id, out var a) ? w with { Addresses = [.. a.Select(System.Net.IPAddress.Parse)] } : w)],
        };
        return new ManifestSet(moved, Context, Choices);
    }

    /// <summary>The cluster the manifests were placed in, if any: the questions asked of them are asked there.</summary>
    public PolicyContext? Context { get; }

    /// <summary>How the manifests were read; the questions asked of them read them the same way.</summary>
    public PolicyChoices Choices { get; }

    /// <summary>Broken documents, unknown references, and pods beyond what the cluster's nodes hold.</summary>
    public IReadOnlyList<Finding> Findings { get; }

    public int WorkloadCount => Set.Workloads.Count;

    public int PolicyCount => Set.PolicyCount;

    public int ServiceCount => Set.Services.Count;

    /// <summary>
    /// One line naming the skipped documents of these sets by kind, recognised kinds that carry traffic first
    /// ("not analysed (…): 2 Ingress; skipped (…): 3 ConfigMap"); null when nothing was skipped.
    /// </summary>
    public static string? NotAnalysedSummary(params ManifestSet[] sets) => PolicySet.NotAnalysedSummary(sets.Select(s => s.Set));
}

/// <summary>The two sides of a policy change, each grouped by owner as the other's selectors too can see it.</summary>
public sealed record ManifestPair(ManifestSet Before, ManifestSet After);

/// <summary>How open a pair of workloads is to each other.</summary>
public enum Openness
{
    None,
    Some,
    All,
}

/// <summary>The allowed connections from one end to another, as text (<c>TCP 80,443,UDP 53</c>, <c>All Connections</c>, <c>No Connections</c>).</summary>
public readonly struct Connections : IEquatable<Connections>
{
    private readonly ConnectionSet? _set;

    internal Connections(ConnectionSet set) => _set = set;

    public Openness Openness => _set is null || _set.IsEmpty ? Openness.None : _set.IsAll ? Openness.All : Openness.Some;

    public bool IsAll => Openness == Openness.All;

    public bool IsEmpty => Openness == Openness.None;

    /// <summary>Whether these connections include <paramref name="protocol"/> (TCP, UDP, SCTP) to port <paramref name="port"/>.</summary>
    public bool Allows(string protocol, int port) =>
        Protocol.TryParse(protocol, out var p) && (_set ?? ConnectionSet.None).For(p).Contains(port);

    /// <summary>The connections made of exactly these protocol and port pairs (an observed matrix's cell), printed as the matrix prints its own.</summary>
    public static Connections Of(IEnumerable<(string Protocol, int Port)> ports)
    {
        ArgumentNullException.ThrowIfNull(ports);
        var parsed = ports.Select(x => (Ok: Protocol.TryParse(x.Protocol, out var p), Protocol: p, x.Port)).Where(x => x.Ok).ToList();
        return new(ConnectionSet.Create(parsed.GroupBy(x => x.Protocol).Select(g => (g.Key, IntervalSet.FromRanges(g.Select(x => (x.Port, x.Port))))), false));
    }

    public override string ToString() => (_set ?? ConnectionSet.None).ToString();

    public bool Equals(Connections other) => (_set ?? ConnectionSet.None).Equals(other._set ?? ConnectionSet.None);

    public override bool Equals(object? obj) => obj is Connections other && Equals(other);

    public override int GetHashCode() => (_set ?? ConnectionSet.None).GetHashCode();

    public static bool operator ==(Connections left, Connections right) => left.Equals(right);

    public static bool operator !=(Connections left, Connections right) => !left.Equals(right);
}

/// <summary>A row and column of the matrix: a workload (with its namespace), or outside addresses that every workload treats alike.</summary>
public sealed record MatrixNode(string Name, bool IsExternal, string? Namespace)
{
    public override string ToString() => Name;
}

/// <summary>One line of the connectivity list: <c>src => dst : conns</c>.</summary>
public sealed record MatrixLine(string Source, string Destination, Connections Connections)
{
    public override string ToString() => $"{Source} => {Destination} : {Connections}";
}

/// <summary>
/// Allowed connections between every pair of workloads and between workloads and the outside world
/// (<see cref="NetworkPolicyService.Matrix"/>). For a matrix too large to hold, <see cref="NetworkPolicyService.WriteMatrix"/>
/// writes its lines as they are computed.
/// </summary>
public sealed class PolicyMatrix
{
    private readonly ConnectivityReport _report;

    internal PolicyMatrix(ConnectivityReport report)
    {
        _report = report;
        Nodes = [.. report.Nodes.Select(n => new MatrixNode(n.Name, n.IsExternal, n.Namespace))];
        Lines = new Mapped<ConnectivityLine, MatrixLine>(report.Lines, l => new MatrixLine(l.Source, l.Destination, new Connections(l.Connections)));
    }

    public IReadOnlyList<MatrixNode> Nodes { get; }

    /// <summary>The pairs with any connection, in the order of the text, JSON and CSV formats.</summary>
    public IReadOnlyList<MatrixLine> Lines { get; }

    /// <summary>False when the cluster's plugin enforces no policy (everything is then allowed).</summary>
    public bool Enforced => _report.Enforced;

    /// <summary>Why the matrix is not enforced, when it is not.</summary>
    public string? Note => _report.Note;

    /// <summary>The connections from node <paramref name="source"/> to node <paramref name="destination"/> (indexes into <see cref="Nodes"/>); null on the diagonal and between outside groups.</summary>
    public Connections? Cell(int source, int destination) => _report.Cells[source][destination] is { } cell ? new Connections(cell) : null;

    /// <summary>A list mapped on reading, so that a matrix of millions of lines is not held twice.</summary>
    private sealed class Mapped<TIn, TOut>(IReadOnlyList<TIn> items, Func<TIn, TOut> map) : IReadOnlyList<TOut>
    {
        public TOut this[int index] => map(items[index]);

        public int Count => items.Count;

        public IEnumerator<TOut> GetEnumerator() => items.Select(map).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

/// <summary>The formats of the connectivity list and of a diff, byte for byte those of netpol-analyzer.</summary>
public enum ConnectivityFormat
{
    /// <summary><c>src => dst : conns</c> lines (a diff: <c>+ …</c> opened and <c>- …</c> closed).</summary>
    Text,

    /// <summary>An array of {src, dst, conn} (a diff: diff-type, src, dst, before, after, opened, closed, info).</summary>
    Json,

    /// <summary>A src,dst,conn header and a row each (RFC 4180 quoting).</summary>
    Csv,
}

public enum ConnectionChangeKind
{
    Added,
    Removed,
    Changed,
}

/// <summary>A connection that a change opens or closes (or both: changed); <see cref="Info"/> says "workload added" or "workload removed" when an end exists on one side only.</summary>
public sealed record ConnectionChange(ConnectionChangeKind Kind, string Source, string Destination, Connections Before, Connections After, Connections Opened, Connections Closed, string? Info);

/// <summary>Which connections a change of manifests opens and closes (<see cref="NetworkPolicyService.Diff"/>).</summary>
public sealed class PolicyDiff
{
    private readonly ConnectivityDiff _diff;

    internal PolicyDiff(ConnectivityDiff diff)
    {
        _diff = diff;
        Changes = [.. diff.Lines.Select(l => new ConnectionChange((ConnectionChangeKind)(int)l.Kind, l.Source, l.Destination,
            new Connections(l.Before), new Connections(l.After), new Connections(l.Opened), new Connections(l.Closed), l.Info))];
    }

    public IReadOnlyList<ConnectionChange> Changes { get; }

    public bool IsEmpty => Changes.Count == 0;

    /// <summary>The diff in one of the formats; the text format is empty when nothing changed.</summary>
    public string Format(ConnectivityFormat format) => format switch
    {
        ConnectivityFormat.Json => ConnectivityJson.Write(_diff),
        ConnectivityFormat.Csv => ConnectivityCsv.Write(_diff),
        _ => _diff.IsEmpty ? "" : _diff + "\n",
    };

    /// <summary>"+ src => dst : opened" and "- src => dst : closed" lines.</summary>
    public override string ToString() => _diff.ToString();
}

/// <summary>One hop of a traced packet: where it is, what happens there, the policy verdict if one is taken, and the facts behind it.</summary>
public sealed record TracedHop(string Where, string What, string? Verdict, bool Dropped, IReadOnlyList<string> Facts);

/// <summary>The path a packet takes through the planned site (<see cref="NetworkPolicyService.Trace"/>).</summary>
public sealed record TraceAnswer(string Question, bool Delivered, IReadOnlyList<TracedHop> Hops, IReadOnlyList<string> Notes);
