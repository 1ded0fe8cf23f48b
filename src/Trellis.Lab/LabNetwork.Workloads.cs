using System.Globalization;
using Trellis.Engine.Contracts;

namespace Trellis.Lab;

public sealed partial class LabNetwork
{
    /// <summary>
    /// The workload pods, every replica (each on its node's <c>cni0</c> like the probe pod), their firewalls (<see cref="LabWorkloadPod.Firewall"/>,
    /// loaded with <c>nft -f</c> in the pod), a listener in each on the ports it declares, and the Services in every node VM
    /// of their cluster (<see cref="LabNft.Services"/>). SCTP ports where the kernel has no SCTP: LabSctpUnsupported, a warning each.
    /// </summary>
    /// <param name="addresses">The address each node VM holds, by its number: planned, or leased on a DHCP network.</param>
    private async Task WorkloadsAsync(LabPlan plan, IReadOnlyDictionary<int, string> addresses, List<string> made, List<Finding> warnings, CancellationToken ct)
    {
        if (plan.Workloads.Count == 0 && plan.Services.Count == 0)
        {
            return;
        }

        foreach (var pod in plan.Workloads)
        {
            var ns = names.WorkloadPod(pod.Node, pod.Slot);
            var mtu = plan.Overlays.Single(o => o.Cluster == pod.Cluster).Mtu.ToString(CultureInfo.InvariantCulture);
            await PlugPodAsync(names.Node(pod.Node), ns, LabNames.WorkloadPort(pod.Slot), $"{pod.Address}/{pod.PrefixLength.ToString(CultureInfo.InvariantCulture)}", mtu, pod.Gateway,
                $"workload {pod.Workload} of cluster/{pod.Cluster}", made, ct).ConfigureAwait(false);
            // The hook of the policy compiler: the pod's own ruleset, loaded in its namespace before anything listens.
            if (pod.Firewall is { } firewall)
            {
                await NftAsync(ns, firewall, ct).ConfigureAwait(false);
            }
        }

        var needsSctp = plan.Workloads.Any(w => w.Ports.Any(IsSctp)) || plan.Services.Any(s => s.Ports.Any(p => IsSctp(p.Protocol)));
        var sctp = !needsSctp || await SctpAsync(names.Fabric, ct).ConfigureAwait(false);
        foreach (var pod in plan.Workloads.Where(p => p.Ports.Count > 0))
        {
            var ports = pod.Ports.Where(p => sctp || !IsSctp(p)).ToList();
            // One warning per workload, not per replica.
            warnings.AddRange(pod.Ports.Where(p => !sctp && IsSctp(p) && pod.Replica == 0).Select(p => SctpUnsupported(pod.Workload, p.Port)));
            if (ports.Count == 0)
            {
                continue;
            }

            var run = await ip.StartUntilReadyAsync(names.WorkloadPod(pod.Node, pod.Slot), LabScripts.Python, ["-c", LabPodProgram.Script, "listen", "--name", pod.Workload, .. ports.Select(Spec)], "ready", ct).ConfigureAwait(false);
            await CheckAsync(run).ConfigureAwait(false);
            warnings.AddRange(run.Output.Split('\n').Where(l => pod.Replica == 0 && l.StartsWith("nosctp ", StringComparison.Ordinal))
                .Select(l => SctpUnsupported(pod.Workload, int.Parse(l["nosctp ".Length..], NumberStyles.None, CultureInfo.InvariantCulture))));
        }

        foreach (var node in plan.Nodes.Where(n => plan.Services.Any(s => s.Cluster == n.Cluster) && plan.Pods.Any(p => p.Index == n.Index)))
        {
            var ns = names.Node(node.Index);
            // Same-node answers of a DNATed connection cross cni0 as a bridge: its netfilter hooks un-DNAT them (where br_netfilter is loaded).
            await ip.ExecAsync(ns, "sysctl", ["-q", "-w", "net.bridge.bridge-nf-call-iptables=1"], ct).ConfigureAwait(false);
            await NftAsync(ns, LabNft.Services(plan.Services.Where(s => s.Cluster == node.Cluster), addresses[node.Index], sctp), ct).ConfigureAwait(false);
        }
    }

    /// <summary><c>nft -f</c> of <paramref name="script"/> inside namespace <paramref name="ns"/>, from a file of its own that is removed afterwards.</summary>
    private async Task NftAsync(string ns, string script, CancellationToken ct)
    {
        var path = Path.Combine(Path.GetTempPath(), $"trellis-lab-{Guid.NewGuid():N}.nft");
        await File.WriteAllTextAsync(path, script, ct).ConfigureAwait(false);
        try
        {
            await CheckAsync(await ip.ExecAsync(ns, "nft", ["-f", path], ct).ConfigureAwait(false)).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Whether the kernel opens SCTP sockets (asked inside a lab namespace).</summary>
    internal async Task<bool> SctpAsync(string ns, CancellationToken ct) =>
        (await ip.ExecAsync(ns, LabScripts.Python, ["-c", "import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132).close()"], ct).ConfigureAwait(false)).Succeeded;

    private static bool IsSctp(LabPort port) => IsSctp(port.Protocol);

    private static bool IsSctp(string protocol) => string.Equals(protocol, "SCTP", StringComparison.OrdinalIgnoreCase);

    /// <summary>The listener's and the client's PROTO:PORT.</summary>
    internal static string Spec(LabPort port) => $"{LabNft.Protocol(port.Protocol)}:{LabNft.Port(port.Port)}";

    internal static Finding SctpUnsupported(string workload, int port) => Finding.Warning("LabSctpUnsupported", "manifests",
        $"Workload {workload} declares SCTP port {port.ToString(CultureInfo.InvariantCulture)}, and this kernel has no SCTP: nothing listens on it, no Service forwards to it, and the probe skips it.",
        "Run the lab on a kernel with SCTP (the sctp module) to probe SCTP ports; the other ports are probed as usual.");
}

/// <summary>The workload pods' program (Resources/lab-pod.py): the listener of <c>lab up</c> and the client of <c>lab probe</c>, run with <c>python3 -c</c>.</summary>
internal static class LabPodProgram
{
    private static readonly Lazy<string> Text = new(() =>
    {
        using var stream = typeof(LabPodProgram).Assembly.GetManifestResourceStream("Trellis.Lab.lab-pod.py")
            ?? throw new InvalidOperationException("The lab's pod program is missing from Trellis.Lab.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    public static string Script => Text.Value;
}
