using System.Globalization;
using System.Net;
using Trellis.Engine;
using Finding = Trellis.Engine.Contracts.Finding;

namespace Trellis.Lab;

/// <summary>A port a workload pod listens on: its name (a named port's target), number and protocol (<c>TCP</c>, <c>UDP</c>, <c>SCTP</c>).</summary>
public sealed record LabPort(string? Name, int Port, string Protocol)
{
    public override string ToString() => $"{Protocol.ToLowerInvariant()}/{Port.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>
/// A pod the lab runs for a workload of the manifests (one of its replicas): namespace <c>PREFIX LAB-nNODE-wSLOT</c> on node VM number
/// <paramref name="Node"/>, plugged into its <c>cni0</c> like the probe pod, with a listener on every port its containers declare.
/// </summary>
/// <param name="Workload">The workload as the connectivity matrix names it: <c>namespace/name[Kind]</c>.</param>
/// <param name="Slot">The pod's number on its node (from 1): its namespace's and its veth's (<c>vethwSLOT</c>) suffix.</param>
/// <param name="Gateway">The node's <c>cni0</c> address: the pod's default route.</param>
/// <param name="Os">The OS the workload's nodeSelector asks for: <c>linux</c> or <c>windows</c> (a Windows node is a Linux namespace here).</param>
public sealed record LabWorkloadPod(string Workload, string Cluster, int Node, int Slot, string NodeAddress, string Address, int PrefixLength, string Gateway, string Os, IReadOnlyList<LabPort> Ports)
{
    /// <summary>
    /// The pod's firewall: the manifests' network policy compiled for this pod (<see cref="NetworkPolicyService.PodFirewalls"/>),
    /// an nftables script that <c>lab up</c> loads with <c>nft -f</c> inside the pod's namespace before anything listens;
    /// null for none (no policy was compiled for it).
    /// </summary>
    public string? Firewall { get; init; }

    /// <summary>Which of its workload's pods this is, from 0 (the replicas in the order the scheduler places them).</summary>
    public int Replica { get; init; }
}

/// <summary>One endpoint of a Service port: a workload pod's address and the target port resolved against its container ports.</summary>
public sealed record LabServiceEndpoint(string Workload, string Address, int Port);

/// <summary>A Service port: its protocol and port on the ClusterIP, the NodePort the site pinned (if any), and its endpoints.</summary>
public sealed record LabServicePort(string Protocol, int Port, int? NodePort, IReadOnlyList<LabServiceEndpoint> Endpoints);

/// <summary>A Service of the site's cluster, at the ClusterIP the site allocated it, backed by the manifests' workload pods its selector picks.</summary>
public sealed record LabService(string Cluster, string Namespace, string Name, string ClusterIp, IReadOnlyList<LabServicePort> Ports)
{
    public string Id => $"{Namespace}/{Name}";
}

public sealed partial record LabPlan
{
    /// <summary>The pods of each workload of the manifests <c>lab up -f</c> was given (its replicas, up to the cap), in the order of the workloads' ids.</summary>
    public IReadOnlyList<LabWorkloadPod> Workloads { get; init; } = [];

    /// <summary>The Services of the site's cluster with their ClusterIPs and NodePorts, programmed in every node with nftables.</summary>
    public IReadOnlyList<LabService> Services { get; init; } = [];

    /// <summary>Pods <c>lab up</c> runs of one workload at most unless told otherwise (<c>--max-replicas</c>).</summary>
    public const int DefaultMaxReplicas = 3;

    /// <summary>
    /// <paramref name="plan"/> with the pods of each workload of <paramref name="manifests"/> in <paramref name="cluster"/>:
    /// workloads in id order, a Deployment's, StatefulSet's or ReplicaSet's replicas round robin over the worker node VMs of
    /// the OS its nodeSelector asks for (replica k on the (cursor + k)-th, the cursor of each OS moving on by the replicas,
    /// as the scheduler and <c>netpol trace</c> place them), a DaemonSet's pod on each of them, a Pod's or Job's one (any
    /// worker when the cluster has none of that OS, any node VM when it has no workers), at most
    /// <paramref name="maxReplicas"/> per workload (LabReplicasCapped, a warning, says which were cut); each pod at the
    /// next address of its node's pod block after <c>cni0</c>'s and the probe pod's. Then the site's Services of the
    /// cluster, at their ClusterIPs and pinned NodePorts, with every pod of the workloads the manifests' Service of the
    /// same name selects as endpoints. A hostNetwork workload gets no pod, nor one whose node's block is full
    /// (LabWorkloadNotRun, a warning).
    /// </summary>
    public static (LabPlan Plan, IReadOnlyList<Finding> Findings) WithWorkloads(LabPlan plan, SiteState state, ManifestSet manifests, string cluster, int maxReplicas = DefaultMaxReplicas)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(manifests);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxReplicas, 1);
        var findings = new List<Finding>();
        var nodes = plan.Nodes.Where(n => n.Cluster == cluster && plan.Pods.Any(p => p.Index == n.Index)).ToList();
        var workers = nodes.Where(IsWorker).ToList();
        if (workers.Count == 0)
        {
            workers = nodes;
        }

        static string OsOf(LabNode n) => n.Windows ? "windows" : "linux";

        var cursors = new Dictionary<string, int>(StringComparer.Ordinal);
        var slots = new Dictionary<int, int>();
        var pods = new List<LabWorkloadPod>();
        foreach (var w in ManifestWorkloads.Workloads(manifests).OrderBy(w => w.Id, StringComparer.Ordinal))
        {
            if (w.HostNetwork)
            {
                findings.Add(NotRun(w.Id, "it runs in its node's network namespace (hostNetwork), and the lab runs workloads in pods of their own only"));
                continue;
            }

            if (workers.Count == 0)
            {
                continue;
            }

            var eligible = workers.Where(n => OsOf(n) == w.Os).ToList();
            if (eligible.Count == 0)
            {
                eligible = workers;
            }

            var placements = Placements(w.Replicas, eligible, cursors.GetValueOrDefault(w.Os));
            if (w.Replicas is { } replicas)
            {
                cursors[w.Os] = cursors.GetValueOrDefault(w.Os) + replicas;
            }

            if (placements.Count > maxReplicas)
            {
                findings.Add(Capped(w.Id, placements.Count, maxReplicas));
                placements = [.. placements.Take(maxReplicas)];
            }

            for (var replica = 0; replica < placements.Count; replica++)
            {
                var node = placements[replica];
                var block = plan.Pods.Single(p => p.Index == node.Index);
                var network = IPNetwork.Parse(block.Block);
                var slot = slots.GetValueOrDefault(node.Index) + 1;
                // The block's network address, cni0, (on Windows kube-proxy's source VIP,) the probe pod, then the workload pods; never the broadcast address.
                var probe = Offset(block.Address, 0) - Offset(network.BaseAddress.ToString(), 0);
                if (probe + slot >= (1L << (32 - network.PrefixLength)) - 1)
                {
                    findings.Add(NotRun(w.Id, $"node VM {node.Owner}'s pod block {block.Block} has no address left after {slot - 1} workload pods"));
                    continue;
                }

                slots[node.Index] = slot;
                pods.Add(new LabWorkloadPod(w.Id, cluster, node.Index, slot, node.Address, LabIpv4.Address(Offset(block.Address, slot)).ToString(), network.PrefixLength, block.Bridge, w.Os,
                    [.. w.Ports.Select(p => new LabPort(p.Name, p.Port, p.Protocol)).Distinct()]) { Replica = replica });
            }
        }

        var byWorkload = pods.ToLookup(p => p.Workload, StringComparer.Ordinal);
        var declared = ManifestWorkloads.Services(manifests);
        var services = new List<LabService>();
        foreach (var row in SiteViews.Services(state, cluster))
        {
            if (row.ClusterIp is not { } clusterIp)
            {
                continue;
            }

            var manifest = declared.FirstOrDefault(s => s.Namespace == row.Namespace && s.Name == row.Name);
            var ports = row.Ports.Select((port, i) =>
            {
                var mp = manifest?.Ports.FirstOrDefault(p => p.Port == port && string.Equals(p.Protocol, row.Protocol, StringComparison.OrdinalIgnoreCase));
                var target = mp?.TargetPort ?? port.ToString(CultureInfo.InvariantCulture);
                var endpoints = (manifest?.Workloads ?? []).SelectMany(id => byWorkload[id])
                    .Select(pod => Target(pod, target, row.Protocol) is { } t ? new LabServiceEndpoint(pod.Workload, pod.Address, t) : null)
                    .OfType<LabServiceEndpoint>().ToList();
                return new LabServicePort(row.Protocol.ToUpperInvariant(), port, row.NodePorts.Count == row.Ports.Count ? row.NodePorts[i] : null, endpoints);
            }).ToList();
            services.Add(new LabService(cluster, row.Namespace, row.Name, clusterIp, ports));
        }

        // The manifests' network policy, compiled per pod at the addresses the lab gives every replica: the kernel enforces it.
        var (firewalls, notCompiled) = NetworkPolicyService.PodFirewalls(manifests, Replicas(pods));
        findings.AddRange(notCompiled);
        pods = [.. pods.Select(p => p with { Firewall = firewalls.GetValueOrDefault(p.Address) })];
        return (plan with { Workloads = pods, Services = services }, findings);
    }

    /// <summary>The lab addresses of each workload's pods, in replica order: how the engine is asked about a lab with replicas.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Replicas(IEnumerable<LabWorkloadPod> pods) =>
        ReplicaAddresses(pods.Select(p => (p.Workload, p.Address)));

    internal static IReadOnlyDictionary<string, IReadOnlyList<string>> ReplicaAddresses(IEnumerable<(string Workload, string Address)> pods) =>
        pods.GroupBy(p => p.Workload, StringComparer.Ordinal).ToDictionary(g => g.Key, IReadOnlyList<string> (g) => [.. g.Select(p => p.Address)], StringComparer.Ordinal);

    /// <summary>
    /// The nodes a workload's pods take, as the scheduler spreads them: <paramref name="replicas"/> of them from the
    /// OS's <paramref name="cursor"/> on, or (null: a DaemonSet) one on each eligible node.
    /// </summary>
    private static List<LabNode> Placements(int? replicas, IReadOnlyList<LabNode> eligible, int cursor) => replicas is { } count
        ? [.. Enumerable.Range(0, Math.Max(count, 0)).Select(k => eligible[(cursor + k) % eligible.Count])]
        : [.. eligible];

    private static bool IsWorker(LabNode node) => node.Owner.Contains("/node/", StringComparison.Ordinal);

    /// <summary>A Service's targetPort on one pod: a number as it is, a name resolved against the pod's container ports of the protocol.</summary>
    private static int? Target(LabWorkloadPod pod, string target, string protocol) =>
        int.TryParse(target, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? number
            : pod.Ports.FirstOrDefault(p => p.Name == target && string.Equals(p.Protocol, protocol, StringComparison.OrdinalIgnoreCase))?.Port;

    private static Finding Capped(string workload, int wanted, int max) => Finding.Warning("LabReplicasCapped", "manifests",
        $"Workload {workload} has {wanted.ToString(CultureInfo.InvariantCulture)} pods to run, and the lab runs {max.ToString(CultureInfo.InvariantCulture)} of them (--max-replicas).",
        "The probe connects from and to the pods that run; raise --max-replicas to run more of them.");

    private static Finding NotRun(string workload, string why) => Finding.Warning("LabWorkloadNotRun", "manifests",
        $"Workload {workload} gets no pod in the lab: {why}.", "The lab probes the other workloads; this one is left out of the observed matrix.");

    /// <summary>The IPv4 address <paramref name="offset"/> after <paramref name="address"/>, as a number.</summary>
    private static uint Offset(string address, int offset) => LabIpv4.Number(IPAddress.Parse(address)) + (uint)offset;
}
