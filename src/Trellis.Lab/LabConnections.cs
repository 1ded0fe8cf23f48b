using System.Text.Json;
using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.Lab;

/// <summary>A workload pod of a running lab, as its namespace says: the workload (from its <c>eth0</c>'s alias), its node and its address.</summary>
public sealed record LabWorkloadProbePod(string Namespace, string Workload, string Cluster, string Node, string NodeOwner, string NodeAddress, string Address);

/// <summary>One real connection from a workload pod to another's port: whether it got through, whether the engine predicts it should, and the packet's path.</summary>
public sealed record LabConnection(string From, string To, string Protocol, int Port, string Address, bool Connected, bool Predicted, string Path)
{
    public bool Agrees => Connected == Predicted;

    /// <summary>The namespace of the pod it was sent from (one replica of <see cref="From"/>).</summary>
    public string FromPod { get; init; } = "";

    /// <summary>The namespace of the pod it was sent to (one replica of <see cref="To"/>).</summary>
    public string ToPod { get; init; } = "";
}

/// <summary>
/// A cell of the matrix (a workload's port seen from another workload) that some pairs of their replicas connect on and
/// others do not: the engine predicts per workload, so replicas that disagree are a finding of their own
/// (LabReplicasDisagree). The pairs are <c>FROM-POD -> TO-POD</c>, by namespace.
/// </summary>
public sealed record LabReplicaSplit(string From, string To, string Protocol, int Port, IReadOnlyList<string> Connected, IReadOnlyList<string> Refused);

/// <summary>
/// The observed matrix of a running lab's workload pods beside the engine's prediction, both as <c>netpol matrix</c> lines
/// (<c>src => dst : TCP 8443</c>) restricted to the probed ports, and every connection where they disagree.
/// </summary>
/// <param name="Enforced">False when the cluster's plugin enforces no policy (the prediction is then all allowed).</param>
public sealed record LabMatrixResult(IReadOnlyList<LabConnection> Connections, IReadOnlyList<string> Observed, IReadOnlyList<string> Predicted, bool Enforced)
{
    public IReadOnlyList<LabConnection> Disagreements => [.. Connections.Where(c => !c.Agrees)];

    /// <summary>The cells whose replicas disagree: neither observed allowed (only a cell every replica pair connects on is) nor wholly blocked.</summary>
    public IReadOnlyList<LabReplicaSplit> ReplicaSplits => [.. Connections.GroupBy(c => (c.From, c.To, c.Protocol, c.Port))
        .Where(g => g.Any(c => c.Connected) && g.Any(c => !c.Connected))
        .Select(g => new LabReplicaSplit(g.Key.From, g.Key.To, g.Key.Protocol, g.Key.Port,
            [.. g.Where(c => c.Connected).Select(c => $"{c.FromPod} -> {c.ToPod}")], [.. g.Where(c => !c.Connected).Select(c => $"{c.FromPod} -> {c.ToPod}")]))];
}

/// <summary>
/// Real connections between a running lab's workload pods: from every pod (every replica) to every pod of the cluster's
/// other workloads, on every port the destination's workload declares (TCP connect, UDP one datagram echoed; SCTP where
/// the kernel has it), each with a 1 s timeout, at most <see cref="Parallel"/> pods sending at once and 8 connections
/// each; then the observed matrix beside <see cref="NetworkPolicyService.Matrix"/>'s, asked with every pod at its lab
/// address (<see cref="ManifestSet.WithAddresses(IReadOnlyDictionary{string, IReadOnlyList{string}})"/>). A cell is
/// observed allowed when every pair of the two workloads' replicas connected; one where only some did is a
/// <see cref="LabReplicaSplit"/> (LabReplicasDisagree, a warning naming the pairs).
/// </summary>
public static class LabConnections
{
    /// <summary>Pods that send at once (each runs up to 8 connections at a time).</summary>
    public const int Parallel = 4;

    /// <summary>Connections one client process makes: at 8 at a time and 1 s each at most, it ends within 8 s.</summary>
    public const int Batch = 64;

    internal static async Task<(LabMatrixResult? Matrix, IReadOnlyList<Finding> Findings)> RunAsync(LabNames names, LabCommands ip, IReadOnlyList<string> namespaces,
        IReadOnlyList<LabProbeNode> nodes, ManifestSet manifests, CancellationToken ct)
    {
        var findings = new List<Finding>();
        var workloads = ManifestWorkloads.Workloads(manifests).ToDictionary(w => w.Id, StringComparer.Ordinal);
        var pods = (await PodsAsync(names, ip, namespaces, nodes, ct).ConfigureAwait(false))
            .Where(p => workloads.ContainsKey(p.Workload) && (manifests.Context is null || p.Cluster == manifests.Context.Cluster)).ToList();
        var sctp = !workloads.Values.Any(w => w.Ports.Any(p => p.Protocol == "SCTP")) || await new LabNetwork(names, ip).SctpAsync(names.Fabric, ct).ConfigureAwait(false);
        if (!sctp)
        {
            findings.AddRange(pods.Select(p => p.Workload).Distinct().SelectMany(w => workloads[w].Ports.Where(x => x.Protocol == "SCTP").Select(x => LabNetwork.SctpUnsupported(w, x.Port))));
        }

        var targets = pods.ToDictionary(p => p.Namespace, p => workloads[p.Workload].Ports.Where(x => sctp || x.Protocol != "SCTP").Select(x => new LabPort(x.Name, x.Port, x.Protocol)).Distinct().ToList(), StringComparer.Ordinal);
        // The prediction with the pods at the addresses the lab gave them (ipBlocks match what the kernel sees).
        var matrix = NetworkPolicyService.Matrix(manifests.WithAddresses(LabPlan.ReplicaAddresses(pods.Select(p => (p.Workload, p.Address)))));
        var index = matrix.Nodes.Select((n, i) => (n.Name, i)).Where(x => !matrix.Nodes[x.i].IsExternal).ToDictionary(x => x.Name, x => x.i, StringComparer.Ordinal);
        using var slots = new SemaphoreSlim(Parallel);
        var connections = (await Task.WhenAll(pods.Select(async from =>
        {
            // Replicas of one workload are one cell of the matrix (its diagonal): they are not probed against each other.
            var wanted = pods.Where(to => to.Workload != from.Workload).SelectMany(to => targets[to.Namespace].Select(port => (To: to, Port: port))).ToList();
            if (wanted.Count == 0)
            {
                return [];
            }

            var ok = new HashSet<string>(StringComparer.Ordinal);
            await slots.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                // Batches of Batch connections, 8 at a time, 1 s each at most: a batch ends well within a command's 20 s.
                foreach (var batch in wanted.Chunk(Batch))
                {
                    var run = await ip.ExecAsync(from.Namespace, LabScripts.Python, ["-c", LabPodProgram.Script, "connect", .. batch.Select(x => Spec(x.Port, x.To.Address))], ct).ConfigureAwait(false);
                    ok.UnionWith(run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        .Where(l => l.EndsWith(" ok", StringComparison.Ordinal)).Select(l => l[..^3]));
                }
            }
            finally
            {
                slots.Release();
            }

            return wanted.Select(x =>
            {
                var cell = index.TryGetValue(from.Workload, out var i) && index.TryGetValue(x.To.Workload, out var j) ? matrix.Cell(i, j) : null;
                return new LabConnection(from.Workload, x.To.Workload, x.Port.Protocol, x.Port.Port, x.To.Address, ok.Contains(Spec(x.Port, x.To.Address)),
                    cell?.Allows(x.Port.Protocol, x.Port.Port) ?? false, Path(from, x.To, x.Port)) { FromPod = from.Namespace, ToPod = x.To.Namespace };
            }).ToArray();
        })).ConfigureAwait(false)).SelectMany(c => c).ToList();

        var order = matrix.Nodes.Select(n => n.Name).ToList();
        var pairs = connections.GroupBy(c => (c.From, c.To)).OrderBy(g => order.IndexOf(g.Key.From)).ThenBy(g => order.IndexOf(g.Key.To)).ToList();
        // A port is in a cell's line when every replica pair's connection on it says so.
        IReadOnlyList<string> Lines(Func<LabConnection, bool> allowed) => [.. pairs
            .Select(g => (g.Key, Connections: Connections.Of(g.GroupBy(c => (c.Protocol, c.Port)).Where(p => p.All(allowed)).Select(p => p.Key))))
            .Where(x => !x.Connections.IsEmpty)
            .Select(x => new MatrixLine(x.Key.From, x.Key.To, x.Connections).ToString())];
        var result = new LabMatrixResult(connections, Lines(c => c.Connected), Lines(c => c.Predicted), matrix.Enforced);
        findings.AddRange(result.ReplicaSplits.Select(ReplicasDisagree));
        return (result, findings);
    }

    private static Finding ReplicasDisagree(LabReplicaSplit split) => Finding.Warning("LabReplicasDisagree", "probe.matrix",
        $"Replicas of {split.From} and {split.To} disagree on {split.Protocol} {split.Port}: connected {string.Join(", ", split.Connected)}; refused {string.Join(", ", split.Refused)}.",
        "The engine predicts per workload, so one decision holds for every replica: look at the refused pods' firewalls (nft list ruleset in their namespaces) and at ipBlocks that hold some replicas' addresses only.");

    /// <summary>The client's PROTO:ADDRESS:PORT, as it prints it back with ok or fail.</summary>
    private static string Spec(LabPort port, string address) => $"{LabNft.Protocol(port.Protocol)}:{LabNft.Address(address)}:{LabNft.Port(port.Port)}";

    /// <summary>The packet's way: the source pod, its node, across the overlay or over the same node's cni0, the destination's node and pod, and the port.</summary>
    private static string Path(LabWorkloadProbePod from, LabWorkloadProbePod to, LabPort port)
    {
        var start = $"{from.Workload} ({from.Namespace} {from.Address}) -> node {from.NodeOwner} ({from.NodeAddress})";
        var end = $"{to.Workload} ({to.Namespace} {to.Address}) {port}";
        return from.Node == to.Node
            ? $"{start} -> cni0 of the same node -> {end}"
            : $"{start} -> VXLAN overlay -> node {to.NodeOwner} ({to.NodeAddress}) -> {end}";
    }

    /// <summary>The workload pods of the lab, read from their namespaces: the workload and cluster from their <c>eth0</c>'s alias, the address on it.</summary>
    internal static async Task<IReadOnlyList<LabWorkloadProbePod>> PodsAsync(LabNames names, LabCommands ip, IReadOnlyList<string> namespaces, IReadOnlyList<LabProbeNode> nodes, CancellationToken ct)
    {
        var pods = new List<LabWorkloadProbePod>();
        foreach (var (ns, index) in namespaces.Select(n => (n, names.WorkloadIndex(n))).Where(x => x.Item2 is not null).OrderBy(x => x.Item2))
        {
            var addresses = LabProbe.First(await ip.IpAsync(ns, ["-j", "-4", "addr", "show", "dev", LabNames.NodeInterface], ct).ConfigureAwait(false));
            var address = addresses.ValueKind == JsonValueKind.Object ? addresses.GetProperty("addr_info").EnumerateArray().Select(a => a.GetProperty("local").GetString()).FirstOrDefault() : null;
            var link = LabProbe.First(await ip.IpAsync(ns, ["-j", "link", "show", "dev", LabNames.NodeInterface], ct).ConfigureAwait(false));
            var alias = link.ValueKind == JsonValueKind.Object && link.TryGetProperty("ifalias", out var a) ? a.GetString() ?? "" : "";
            // "workload shop/web[Deployment] of cluster/C"
            if (address is null || !alias.StartsWith("workload ", StringComparison.Ordinal) || alias.LastIndexOf(" of cluster/", StringComparison.Ordinal) is not (> 0 and var of))
            {
                continue;
            }

            var node = names.Node(index!.Value.Node);
            var owner = nodes.FirstOrDefault(n => n.Namespace == node);
            pods.Add(new LabWorkloadProbePod(ns, alias["workload ".Length..of], alias[(of + " of cluster/".Length)..], node, owner?.Owner ?? node, owner?.Address ?? "", address));
        }

        return pods;
    }
}
