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
/// The one pod the lab runs for a workload of the manifests: namespace <c>PREFIX LAB-nNODE-wSLOT</c> on node VM number
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
    /// <summary>One pod per workload of the manifests <c>lab up -f</c> was given, in the order of the workloads' ids.</summary>
    public IReadOnlyList<LabWorkloadPod> Workloads { get; init; } = [];

    /// <summary>The Services of the site's cluster with their ClusterIPs and NodePorts, programmed in every node with nftables.</summary>
    public IReadOnlyList<LabService> Services { get; init; } = [];

    /// <summary>
    /// <paramref name="plan"/> with a pod for each workload of <paramref name="manifests"/> in <paramref name="cluster"/>:
    /// workloads in id order, each pod on the next worker node VM of the OS its nodeSelector asks for (round robin per OS, a
    /// workload's replicas counted as the scheduler would place them, a DaemonSet on the first such node; any worker when the
    /// cluster has none of that OS, any node VM when it has no workers: as <c>netpol trace</c> places them), at the next
    /// address of the node's pod block after <c>cni0</c>'s and the probe pod's. Then the site's Services of the cluster, at
    /// their ClusterIPs and pinned NodePorts, with the pods the manifests' Service of the same name selects as endpoints.
    /// A hostNetwork workload, or one whose node's block is full, gets no pod (LabWorkloadNotRun, a warning).
    /// </summary>
    public static (LabPlan Plan, IReadOnlyList<Finding> Findings) WithWorkloads(LabPlan plan, SiteState state, ManifestSet manifests, string cluster)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(manifests);
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

            var cursor = cursors.GetValueOrDefault(w.Os);
            var node = w.Replicas is null ? eligible[0] : eligible[cursor % eligible.Count];
            if (w.Replicas is { } replicas)
            {
                cursors[w.Os] = cursor + replicas;
            }

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
                [.. w.Ports.Select(p => new LabPort(p.Name, p.Port, p.Protocol)).Distinct()]));
        }

        var byWorkload = pods.ToDictionary(p => p.Workload, StringComparer.Ordinal);
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
                var endpoints = (manifest?.Workloads ?? []).Select(id => byWorkload.GetValueOrDefault(id)).OfType<LabWorkloadPod>()
                    .Select(pod => Target(pod, target, row.Protocol) is { } t ? new LabServiceEndpoint(pod.Workload, pod.Address, t) : null)
                    .OfType<LabServiceEndpoint>().ToList();
                return new LabServicePort(row.Protocol.ToUpperInvariant(), port, row.NodePorts.Count == row.Ports.Count ? row.NodePorts[i] : null, endpoints);
            }).ToList();
            services.Add(new LabService(cluster, row.Namespace, row.Name, clusterIp, ports));
        }

        // The manifests' network policy, compiled per pod at the addresses the lab gives the pods: the kernel enforces it.
        var (firewalls, notCompiled) = NetworkPolicyService.PodFirewalls(manifests, pods.ToDictionary(p => p.Workload, p => p.Address, StringComparer.Ordinal));
        findings.AddRange(notCompiled);
        pods = [.. pods.Select(p => p with { Firewall = firewalls.GetValueOrDefault(p.Workload) })];
        return (plan with { Workloads = pods, Services = services }, findings);
    }

    private static bool IsWorker(LabNode node) => node.Owner.Contains("/node/", StringComparison.Ordinal);

    /// <summary>A Service's targetPort on one pod: a number as it is, a name resolved against the pod's container ports of the protocol.</summary>
    private static int? Target(LabWorkloadPod pod, string target, string protocol) =>
        int.TryParse(target, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? number
            : pod.Ports.FirstOrDefault(p => p.Name == target && string.Equals(p.Protocol, protocol, StringComparison.OrdinalIgnoreCase))?.Port;

    private static Finding NotRun(string workload, string why) => Finding.Warning("LabWorkloadNotRun", "manifests",
        $"Workload {workload} gets no pod in the lab: {why}.", "The lab probes the other workloads; this one is left out of the observed matrix.");

    /// <summary>The IPv4 address <paramref name="offset"/> after <paramref name="address"/>, as a number.</summary>
    private static uint Offset(string address, int offset) => LabIpv4.Number(IPAddress.Parse(address)) + (uint)offset;
}
