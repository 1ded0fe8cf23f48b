using System.Globalization;
using System.Text.RegularExpressions;
using Trellis.Engine.Contracts;

namespace Trellis.Lab;

/// <summary>One VXLAN packet as tcpdump saw it on a node's <c>eth0</c>, or as the plan says it should be.</summary>
public sealed record LabEncapsulation(string OuterSource, string OuterDestination, int Port, int Vni, string InnerSource, string InnerDestination);

/// <summary>
/// What <see cref="LabTrace.RunAsync"/> saw: the packet captured and the one the plan expects, each difference between them
/// as a finding (LabTraceMismatch), or the findings that say why nothing was traced.
/// </summary>
public sealed record LabTraceResult(string Lab, string From, string To, LabEncapsulation? Planned, LabEncapsulation? Captured, string Capture, bool WindowsNodes, IReadOnlyList<Finding> Findings);

/// <summary>
/// Traces one ping between two probe pods across the overlay: tcpdump (<c>-c 1</c>, bounded) on the source node's <c>eth0</c>
/// for UDP on the cluster's VXLAN port, one ping between the pods, and the captured encapsulation beside the plan's.
/// </summary>
public static partial class LabTrace
{
    /// <summary>How long tcpdump waits for the packet.</summary>
    public const int CaptureSeconds = 5;

    public static async Task<LabTraceResult> RunAsync(LabNames names, LabPlan plan, string from, string to, LabCommands? commands = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(plan);
        LabTraceResult Refuse(Finding f) => new(names.Lab, from, to, null, null, "", false, [f]);
        if (!LabCommands.IsRoot)
        {
            return Refuse(LabNetwork.NeedsRoot());
        }

        var ip = commands ?? new LabCommands();
        var namespaces = await ip.NamespacesAsync(cancellationToken).ConfigureAwait(false);
        if (!namespaces.Contains(names.Fabric))
        {
            return Refuse(LabProbe.NoLab(names));
        }

        var (source, target) = (Pod(plan, from), Pod(plan, to));
        if (source is null || target is null || source.Cluster != target.Cluster || source.Index == target.Index
            || !namespaces.Contains(names.Pod(source.Index)) || !namespaces.Contains(names.Pod(target.Index)))
        {
            return Refuse(Finding.Error("LabTracePodUnknown", "lab", $"'{from}' → '{to}' is not a pair of probe pods of lab '{names.Lab}' on two nodes of one cluster.",
                $"Name two pods as the probe lists them, e.g. --from {LabNames.PodLabel(1)} --to {LabNames.PodLabel(2)}."));
        }

        var overlay = plan.Overlays.Single(o => o.Cluster == source.Cluster);
        // A node on a DHCP network holds the address Kea leased it, which the plan only expects: its outer address is the leased one.
        async Task<string> OuterAsync(LabPod pod) => plan.Nodes.Single(n => n.Index == pod.Index).Dhcp
            ? await LabProbe.AddressAsync(ip, names.Node(pod.Index), cancellationToken).ConfigureAwait(false) ?? pod.NodeAddress
            : pod.NodeAddress;
        var planned = new LabEncapsulation(await OuterAsync(source).ConfigureAwait(false), await OuterAsync(target).ConfigureAwait(false), overlay.Port, overlay.Vni, source.Address, target.Address);
        var port = overlay.Port.ToString(CultureInfo.InvariantCulture);
        var capture = ip.ExecAsync(names.Node(source.Index), "timeout", [CaptureSeconds.ToString(CultureInfo.InvariantCulture), "tcpdump", "-nn", "-l", "-c", "1", "-T", "vxlan", "-i", LabNames.NodeInterface, "udp", "port", port], cancellationToken);
        // tcpdump says nothing when it is ready: ping until it has its packet or gives up.
        for (var i = 0; i < CaptureSeconds * 2 && !capture.IsCompleted; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false);
            await ip.ExecAsync(names.Pod(source.Index), "ping", ["-c", "1", "-W", "1", "-n", "-q", target.Address], cancellationToken).ConfigureAwait(false);
        }

        var run = await capture.ConfigureAwait(false);
        var captured = Parse(run.Output);
        if (captured is null)
        {
            return new(names.Lab, from, to, planned, null, run.Output, overlay.WindowsNodes, [Finding.Error("LabTraceNothingCaptured", "lab",
                $"tcpdump on {names.Node(source.Index)}'s {LabNames.NodeInterface} saw no VXLAN packet on UDP {port} within {CaptureSeconds} s ({run.Error.Trim()}).",
                "Probe the lab (trellis lab probe): a pod that cannot reach the other sends nothing across the overlay.")]);
        }

        var findings = new List<Finding>();
        void Compare(string what, object seen, object wanted)
        {
            if (!Equals(seen, wanted))
            {
                findings.Add(Finding.Error("LabTraceMismatch", "lab", $"The captured packet's {what} is {seen}; the plan says {wanted}.",
                    "The running overlay differs from the plan: take the lab down and bring it up again from the stored site."));
            }
        }

        Compare("outer source", captured.OuterSource, planned.OuterSource);
        Compare("outer destination", captured.OuterDestination, planned.OuterDestination);
        Compare("UDP port", captured.Port, planned.Port);
        Compare("VNI", captured.Vni, planned.Vni);
        Compare("inner source", captured.InnerSource, planned.InnerSource);
        Compare("inner destination", captured.InnerDestination, planned.InnerDestination);
        return new(names.Lab, from, to, planned, captured, run.Output, overlay.WindowsNodes, findings);
    }

    /// <summary>
    /// The encapsulation in tcpdump's lines: <c>IP A.SPORT &gt; B.PORT: VXLAN, flags [I] (0x08), vni 4096</c> followed by the
    /// inner packet's <c>IP C &gt; D: ICMP …</c>; null when they are not there.
    /// </summary>
    public static LabEncapsulation? Parse(string tcpdump)
    {
        ArgumentNullException.ThrowIfNull(tcpdump);
        var outer = Outer().Match(tcpdump);
        if (!outer.Success)
        {
            return null;
        }

        var inner = Inner().Match(tcpdump, outer.Index + outer.Length);
        return inner.Success
            ? new LabEncapsulation(outer.Groups["src"].Value, outer.Groups["dst"].Value, int.Parse(outer.Groups["port"].Value, CultureInfo.InvariantCulture),
                int.Parse(outer.Groups["vni"].Value, CultureInfo.InvariantCulture), inner.Groups["src"].Value, inner.Groups["dst"].Value)
            : null;
    }

    private static LabPod? Pod(LabPlan plan, string label) => LabNames.PodOfLabel(label) is { } index ? plan.Pods.FirstOrDefault(p => p.Index == index) : null;

    [GeneratedRegex(@"IP (?<src>\d+\.\d+\.\d+\.\d+)\.\d+ > (?<dst>\d+\.\d+\.\d+\.\d+)\.(?<port>\d+): VXLAN, flags \[[^\]]*\] \([^)]*\), vni (?<vni>\d+)")]
    private static partial Regex Outer();

    [GeneratedRegex(@"IP (?<src>\d+\.\d+\.\d+\.\d+) > (?<dst>\d+\.\d+\.\d+\.\d+):")]
    private static partial Regex Inner();
}
