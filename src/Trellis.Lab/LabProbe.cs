using System.Text.Json;
using Trellis.Engine.Contracts;

namespace Trellis.Lab;

/// <summary>A node VM of a running lab, as its namespace says: read from the kernel, not from the store.</summary>
public sealed record LabProbeNode(string Namespace, string Owner, string Address, string? Gateway);

/// <summary>A probe pod of a running lab, as its namespace says: its short name (<c>n2-p0</c>), its node's namespace, cluster and address.</summary>
public sealed record LabProbePod(string Namespace, string Pod, string Node, string Cluster, string Address);

/// <summary>One ping from a node VM's namespace to another node's address or to its gateway, or from a probe pod to another.</summary>
/// <param name="From">The node's owner, or the pod's short name (<c>n1-p0</c>).</param>
/// <param name="To">The other node's owner, <c>gateway</c>, or the other pod's short name.</param>
/// <param name="Overlay">Whether the ping crossed the VXLAN overlay: from a pod to a pod on another node.</param>
public sealed record LabProbePair(string From, string To, string Address, bool Reachable, bool Overlay = false);

/// <summary>
/// What <see cref="LabProbe.RunAsync"/> saw: every node, every pair with whether a ping got through, and the unreachable
/// pairs on their own; or the findings that say why nothing was probed.
/// </summary>
public sealed record LabProbeResult(string Lab, IReadOnlyList<LabProbeNode> Nodes, IReadOnlyList<LabProbePair> Pairs, IReadOnlyList<Finding> Findings)
{
    /// <summary>The probe pods, one per node VM of a cluster with an overlay.</summary>
    public IReadOnlyList<LabProbePod> Pods { get; init; } = [];

    /// <summary>The workload pods' connections and the observed matrix beside the engine's, when the probe was given the manifests.</summary>
    public LabMatrixResult? Matrix { get; init; }

    public IReadOnlyList<LabProbePair> Unreachable => [.. Pairs.Where(p => !p.Reachable)];
}

/// <summary>
/// Probes a running lab: from every node VM's namespace, one ping (count 1, timeout 1 s) to every other node's address and
/// to the node's gateway; from every probe pod, one ping to every other probe pod of its cluster (across the VXLAN overlay).
/// The nodes, pods and their addresses are read from the namespaces, so the probe tests what is running.
/// </summary>
public static class LabProbe
{
    /// <summary>Pings at once at most: each waits at most a second, and the machine may be small.</summary>
    public const int Parallel = 8;

    public static Task<LabProbeResult> RunAsync(LabNames names, LabCommands? commands = null, CancellationToken cancellationToken = default) =>
        RunAsync(names, null, commands, cancellationToken);

    /// <summary>The pings; with <paramref name="manifests"/>, also the workload pods' connections and the observed matrix beside the prediction (<see cref="LabConnections"/>).</summary>
    public static async Task<LabProbeResult> RunAsync(LabNames names, Engine.ManifestSet? manifests, LabCommands? commands = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (!LabCommands.IsRoot)
        {
            return new(names.Lab, [], [], [LabNetwork.NeedsRoot()]);
        }

        var ip = commands ?? new LabCommands();
        var namespaces = await ip.NamespacesAsync(cancellationToken).ConfigureAwait(false);
        if (!namespaces.Contains(names.Fabric))
        {
            return new(names.Lab, [], [], [NoLab(names)]);
        }

        var nodes = new List<LabProbeNode>();
        foreach (var (ns, _) in namespaces.Select(n => (n, names.NodeIndex(n))).Where(x => x.Item2 is not null).OrderBy(x => x.Item2))
        {
            var link = First(await ip.IpAsync(ns, ["-j", "link", "show", "dev", LabNames.NodeInterface], cancellationToken).ConfigureAwait(false));
            var address = await AddressAsync(ip, ns, cancellationToken).ConfigureAwait(false);
            var route = First(await ip.IpAsync(ns, ["-j", "route", "show", "default"], cancellationToken).ConfigureAwait(false));
            nodes.Add(new LabProbeNode(ns, link.TryGetProperty("ifalias", out var alias) ? alias.GetString() ?? ns : ns, address ?? "",
                route.ValueKind == JsonValueKind.Object && route.TryGetProperty("gateway", out var gw) ? gw.GetString() : null));
        }

        var pods = await PodsAsync(names, ip, namespaces, nodes, cancellationToken).ConfigureAwait(false);
        var pairs = nodes.SelectMany(from => nodes.Where(to => to != from && to.Address.Length > 0).Select(to => (From: from.Namespace, FromName: from.Owner, To: to.Owner, to.Address, Overlay: false))
            .Concat(from.Gateway is { } g ? [(from.Namespace, from.Owner, "gateway", g, false)] : []))
            .Concat(pods.SelectMany(from => pods.Where(to => to != from && to.Cluster == from.Cluster && to.Address.Length > 0)
                .Select(to => (From: from.Namespace, FromName: from.Pod, To: to.Pod, to.Address, Overlay: to.Node != from.Node))))
            .ToList();
        var before = await LabNeighbours.ReadAsync(ip, names.Fabric, cancellationToken).ConfigureAwait(false);
        using var slots = new SemaphoreSlim(Parallel);
        var results = await Task.WhenAll(pairs.Select(async pair =>
        {
            await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var run = await ip.ExecAsync(pair.From, "ping", ["-c", "1", "-W", "1", "-n", "-q", pair.Address], cancellationToken).ConfigureAwait(false);
                return new LabProbePair(pair.FromName, pair.To, pair.Address, run.Succeeded, pair.Overlay);
            }
            finally
            {
                slots.Release();
            }
        })).ConfigureAwait(false);
        var (matrix, connected) = manifests is null ? (null, []) : await LabConnections.RunAsync(names, ip, namespaces, nodes, manifests, cancellationToken).ConfigureAwait(false);
        var after = await LabNeighbours.ReadAsync(ip, names.Fabric, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<Finding> findings = before is not null && after is not null && LabNeighbours.Overflowed(before, after) is { } full ? [.. connected, full] : connected;
        return new(names.Lab, nodes, results, findings) { Pods = pods, Matrix = matrix };
    }

    /// <summary>The probe pods of the lab, read from their namespaces: the address on their <c>eth0</c>, their cluster from their node's alias.</summary>
    internal static async Task<IReadOnlyList<LabProbePod>> PodsAsync(LabNames names, LabCommands ip, IReadOnlyList<string> namespaces, IReadOnlyList<LabProbeNode> nodes, CancellationToken cancellationToken)
    {
        var pods = new List<LabProbePod>();
        foreach (var (ns, index) in namespaces.Select(n => (n, names.PodIndex(n))).Where(x => x.Item2 is not null).OrderBy(x => x.Item2))
        {
            var node = names.Node(index!.Value);
            var address = await AddressAsync(ip, ns, cancellationToken).ConfigureAwait(false);
            var owner = nodes.FirstOrDefault(n => n.Namespace == node)?.Owner ?? "";
            var cluster = owner.Split('/') is [_, var c, ..] ? c : "";
            pods.Add(new LabProbePod(ns, LabNames.PodLabel(index.Value), node, cluster, address ?? ""));
        }

        return pods;
    }

    /// <summary>The first IPv4 address on <c>eth0</c> in namespace <paramref name="ns"/>, as the kernel holds it; null when it has none.</summary>
    internal static async Task<string?> AddressAsync(LabCommands ip, string ns, CancellationToken cancellationToken) =>
        First(await ip.IpAsync(ns, ["-j", "-4", "addr", "show", "dev", LabNames.NodeInterface], cancellationToken).ConfigureAwait(false))
            .GetProperty("addr_info").EnumerateArray().Select(a => a.GetProperty("local").GetString()).FirstOrDefault();

    internal static Finding NoLab(LabNames names) => Finding.Error("LabNotUp", "name", $"No lab '{names.Lab}' is up (no namespace {names.Fabric}).",
        "Bring it up with trellis lab up, or name a lab that is up with --name.");

    internal static JsonElement First(string json)
    {
        var root = LabNetwork.Json(json);
        return root.ValueKind == JsonValueKind.Array && root.GetArrayLength() > 0 ? root[0] : default;
    }
}
