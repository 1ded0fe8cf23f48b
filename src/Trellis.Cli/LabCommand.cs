using System.CommandLine;
using Spectre.Console;
using Trellis.Engine;
using Trellis.Engine.Contracts;
using Trellis.Lab;

namespace Trellis.Cli;

/// <summary>What a lab command did, as a JSON or YAML document: one of plan, probe or down, and what the lab does not do yet.</summary>
public sealed record LabOutput(string? Lab, string Prefix, LabPlan? Plan, IReadOnlyList<string> Namespaces, LabProbeResult? Probe, LabDownResult? Down,
    IReadOnlyList<Finding> Findings, string Does, IReadOnlyList<string> Limits)
{
    /// <summary>What <c>lab trace</c> captured beside what the plan says.</summary>
    public LabTraceResult? Trace { get; init; }

    /// <summary>The addresses the node VMs on DHCP networks leased from the lab's Kea (<c>lab up</c>).</summary>
    public IReadOnlyList<LabLease> Leases { get; init; } = [];

    /// <summary>What the load balancer VMs on DHCP networks leased, by the VMs' numbers.</summary>
    public IReadOnlyList<LabLease> BalancerLeases { get; init; } = [];

    /// <summary>What <c>lab probe</c> reached through the VIPs of the load balancer VMs, from the outside client.</summary>
    public LabVipProbeResult? Vips { get; init; }

    /// <summary>What <c>lab failover</c> did and saw.</summary>
    public LabFailoverResult? Failover { get; init; }
}

/// <summary>trellis lab: the stored site as a live network of namespaces on this machine (docs/lab.md).</summary>
public sealed partial class TrellisCli
{
    /// <summary>The lab's findings name these options.</summary>
    private static readonly Dictionary<string, string> LabFlags = new(StringComparer.Ordinal)
    {
        ["cluster"] = "--cluster",
        ["name"] = "--name",
        ["site"] = "--state",
        ["prefix"] = "TRELLIS_LAB_PREFIX",
        ["manifests"] = "--file",
    };

    private Command LabCommand()
    {
        var lab = new Command("lab", "The stored site as a live network of namespaces on this machine (node VMs, with Kea on DHCP networks, a probe pod each on the VXLAN overlay, with the workloads of -f's manifests, their Services and network policy, and load balancer VMs running HAProxy and keepalived; docs/lab.md)");
        var name = new Option<string?>("--name") { Description = "The lab's name (its namespaces are trellis-lab-NAME-…). Default for up: the site's name; for probe and down: the one lab that is up" };
        var cluster = new Option<string?>("--cluster") { Description = "Only this cluster's node VMs" };
        var all = new Option<bool>("--all") { Description = "Remove every lab's namespaces (trellis-lab-*), also those a crash left behind" };

        var upFiles = LabManifestOption();
        var maxReplicas = LabMaxReplicasOption();
        var up = new Command("up", "Make a namespace per node VM with its planned address and gateway (leased from real Kea on a DHCP network), on a fabric namespace with a bridge per vSwitch, and a probe pod per node on a Flannel-style VXLAN overlay; with -f, a pod per replica of each workload (up to --max-replicas) and the Services") { cluster, name, upFiles, maxReplicas };
        up.SetAction(async (p, ct) =>
        {
            var output = OutputFor(p);
            var prefix = LabPrefix();
            await using var store = OpenStore(p, write: false);
            var state = await store.Engine.ReadAsync(ct).ConfigureAwait(false);
            var answer = LabPlan.From(state, p.GetValue(cluster));
            if (answer.Plan is not { } plan)
            {
                return LabReport(output, new LabOutput(p.GetValue(name), prefix, null, [], null, null, answer.Findings, LabScope.Does, LabScope.Limits));
            }

            var (withWorkloads, loaded) = await LabWorkloadPlanAsync(p, upFiles, p.GetValue(cluster), p.GetValue(maxReplicas), plan, state, ct).ConfigureAwait(false);
            if (withWorkloads is null)
            {
                return LabReport(output, new LabOutput(p.GetValue(name), prefix, null, [], null, null, loaded, LabScope.Does, LabScope.Limits));
            }

            plan = withWorkloads;
            var labName = p.GetValue(name) ?? plan.Site;
            var result = await new LabNetwork(new LabNames(prefix, labName)).UpAsync(plan, ct).ConfigureAwait(false);
            return LabReport(output, new LabOutput(labName, prefix, plan, result.Namespaces, null, null, [.. loaded, .. result.Findings], LabScope.Does, LabScope.Limits) { Leases = result.Leases, BalancerLeases = result.BalancerLeases });
        });

        var probeFiles = LabManifestOption();
        var probeCluster = new Option<string?>("--cluster") { Description = "The cluster the manifests run in (default: the site's only one)" };
        var probe = new Command("probe", "Ping from every node VM to every other node VM and to its gateway, and from every pod to every other pod of its cluster (count 1, timeout 1 s); list what is unreachable. With -f: connect every workload pod to every other's ports and compare with the engine's matrix; connect from the outside client through every VIP") { name, probeFiles, probeCluster };
        probe.SetAction(async (p, ct) =>
        {
            var output = OutputFor(p);
            var prefix = LabPrefix();
            var (labName, findings) = await LabNameAsync(prefix, p.GetValue(name), ct).ConfigureAwait(false);
            if (labName is null)
            {
                return LabReport(output, new LabOutput(null, prefix, null, [], null, null, findings, LabScope.Does, LabScope.Limits));
            }

            var (manifests, loaded) = await LabManifestsAsync(p, probeFiles, p.GetValue(probeCluster), ct).ConfigureAwait(false);
            if (loaded.HasErrors())
            {
                return LabReport(output, new LabOutput(labName, prefix, null, [], null, null, loaded, LabScope.Does, LabScope.Limits));
            }

            var result = await LabProbe.RunAsync(new LabNames(prefix, labName), manifests, cancellationToken: ct).ConfigureAwait(false);
            var vips = !result.Findings.HasErrors() ? await new LabBalancerProbe(new LabNames(prefix, labName)).RunAsync(cancellationToken: ct).ConfigureAwait(false) : null;
            return LabReport(output, new LabOutput(labName, prefix, null, [], result, null, [.. loaded, .. result.Findings, .. vips?.Findings ?? []], LabScope.Does, LabScope.Limits) { Vips = vips });
        });

        var down = new Command("down", "Remove a lab's namespaces, killing what runs in them first; --all: every lab's") { name, all };
        down.Validators.Add(r =>
        {
            if (r.GetResult(name) is not null && r.GetResult(all) is { Implicit: false })
            {
                r.AddError("--name and --all both say what to remove; give one of them.");
            }
        });
        down.SetAction(async (p, ct) =>
        {
            var output = OutputFor(p);
            var prefix = LabPrefix();
            if (!LabCommands.IsRoot)
            {
                return LabReport(output, new LabOutput(p.GetValue(name), prefix, null, [], null, null, [LabNetwork.NeedsRoot()], LabScope.Does, LabScope.Limits));
            }

            if (p.GetValue(all))
            {
                var everything = await LabNetwork.DownAllAsync(prefix, cancellationToken: ct).ConfigureAwait(false);
                return LabReport(output, new LabOutput(null, prefix, null, [], null, everything, [], LabScope.Does, LabScope.Limits));
            }

            var labs = await LabNetwork.ListAsync(prefix, cancellationToken: ct).ConfigureAwait(false);
            var labName = p.GetValue(name) ?? (labs.Count == 1 ? labs[0] : null);
            if (labName is null && labs.Count > 1)
            {
                return LabReport(output, new LabOutput(null, prefix, null, [], null, null, [SeveralLabs(labs)], LabScope.Does, LabScope.Limits));
            }

            if (labName is not null && LabNames.CheckLab(labName) is { } bad)
            {
                return LabReport(output, new LabOutput(labName, prefix, null, [], null, null, [bad], LabScope.Does, LabScope.Limits));
            }

            var removed = labName is null ? new LabDownResult([], []) : await new LabNetwork(new LabNames(prefix, labName)).DownAsync(ct).ConfigureAwait(false);
            return LabReport(output, new LabOutput(labName, prefix, null, [], null, removed, [], LabScope.Does, LabScope.Limits));
        });

        var fromPod = new Option<string>("--from") { Description = "The probe pod that sends, e.g. n1-p0", Required = true };
        var toPod = new Option<string>("--to") { Description = "The probe pod that answers, on another node, e.g. n2-p0", Required = true };
        var traceCluster = new Option<string?>("--cluster") { Description = "The cluster the lab was brought up with (lab up --cluster); default: the source pod's" };
        var trace = new Command("trace", "Capture one ping between two probe pods on the source node's eth0 (tcpdump, VXLAN's UDP port) and compare the encapsulation with the plan") { fromPod, toPod, name, traceCluster };
        trace.SetAction(async (p, ct) =>
        {
            var output = OutputFor(p);
            var prefix = LabPrefix();
            var (labName, findings) = await LabNameAsync(prefix, p.GetValue(name), ct).ConfigureAwait(false);
            if (labName is null)
            {
                return LabReport(output, new LabOutput(null, prefix, null, [], null, null, findings, LabScope.Does, LabScope.Limits));
            }

            await using var store = OpenStore(p, write: false);
            var state = await store.Engine.ReadAsync(ct).ConfigureAwait(false);
            var names = new LabNames(prefix, labName);
            var plan = await TracePlanAsync(state, names, p.GetValue(traceCluster), p.GetValue(fromPod)!, ct).ConfigureAwait(false);
            if (plan.Plan is null)
            {
                return LabReport(output, new LabOutput(labName, prefix, null, [], null, null, plan.Findings, LabScope.Does, LabScope.Limits));
            }

            var result = await LabTrace.RunAsync(names, plan.Plan, p.GetValue(fromPod)!, p.GetValue(toPod)!, cancellationToken: ct).ConfigureAwait(false);
            return LabReport(output, new LabOutput(labName, prefix, null, [], null, null, result.Findings, LabScope.Does, LabScope.Limits) { Trace = result });
        });

        lab.Subcommands.Add(up);
        lab.Subcommands.Add(probe);
        lab.Subcommands.Add(down);
        lab.Subcommands.Add(trace);
        lab.Subcommands.Add(LabFailoverCommand(name));
        return lab;
    }

    /// <summary>
    /// The plan a running lab was brought up from: the named cluster's, else the one in which the node behind the source pod
    /// is the node VM its namespace's alias names (the source pod's cluster first, then the whole site).
    /// </summary>
    private static async Task<LabPlanAnswer> TracePlanAsync(SiteState state, LabNames names, string? cluster, string from, CancellationToken ct)
    {
        if (cluster is not null || LabNames.PodOfLabel(from) is not { } index)
        {
            return LabPlan.From(state, cluster);
        }

        var alias = await LabNetwork.NodeOwnerAsync(names, index, cancellationToken: ct).ConfigureAwait(false) ?? "";

        var candidates = new List<string?>();
        if (alias.Split('/') is [_, var c, ..])
        {
            candidates.Add(c);
        }

        candidates.Add(null);
        var answers = candidates.Select(c => LabPlan.From(state, c)).ToList();
        return answers.FirstOrDefault(a => a.Plan?.Nodes.Any(n => n.Index == index && n.Owner == alias) == true) ?? answers[^1];
    }

    private static Finding SeveralLabs(IReadOnlyList<string> labs) =>
        Finding.Error("LabNameNeeded", "name", $"Several labs are up: {string.Join(", ", labs)}.", "Name one with --name (or remove every lab with trellis lab down --all).");

    /// <summary>The namespaces' prefix: trellis-lab- unless TRELLIS_LAB_PREFIX names another trellis-… one (the tests' trellis-test-lab-).</summary>
    private string LabPrefix()
    {
        var prefix = _host.Environment("TRELLIS_LAB_PREFIX") is { Length: > 0 } set ? set : LabNames.DefaultPrefix;
        return LabNames.CheckPrefix(prefix) is { } bad ? throw new UsageException($"TRELLIS_LAB_PREFIX: {bad.Message} {bad.Hint}") : prefix;
    }

    /// <summary>The lab a probe is about: the one named, else the one lab that is up under <paramref name="prefix"/>.</summary>
    private static async Task<(string? Lab, IReadOnlyList<Finding> Findings)> LabNameAsync(string prefix, string? named, CancellationToken ct)
    {
        if (named is not null)
        {
            return LabNames.CheckLab(named) is { } bad ? (null, [bad]) : (named, []);
        }

        if (!LabCommands.IsRoot)
        {
            return (null, [LabNetwork.NeedsRoot()]);
        }

        var labs = await LabNetwork.ListAsync(prefix, cancellationToken: ct).ConfigureAwait(false);
        return labs.Count switch
        {
            1 => (labs[0], []),
            0 => (null, [Finding.Error("LabNotUp", "name", "No lab is up.", "Bring one up with trellis lab up.")]),
            _ => (null, [SeveralLabs(labs)]),
        };
    }

    private int LabReport(Output output, LabOutput result)
    {
        result = result with { Findings = InOptionWords(result.Findings, LabFlags) };
        var unreachable = result.Probe?.Unreachable ?? [];
        var failed = (result.Vips?.Unreached.Count ?? 0) + (result.Failover is { Findings.Count: 0, AnsweredAfterMove: 0 } ? 1 : 0);
        if (output.Format != OutputFormat.Table)
        {
            output.Document(result, CliJsonContext.Default.LabOutput);
        }
        else
        {
            output.Findings(result.Findings);
            LabTables(output, result, unreachable);
            output.Console.MarkupLine($"[grey]{Markup.Escape(LabScope.Does)} Limits:[/]");
            foreach (var missing in LabScope.Limits)
            {
                output.Console.MarkupLine($"[grey]  - {Markup.Escape(missing)}[/]");
            }
        }

        return result.Findings.HasErrors() || unreachable.Count > 0 || result.Probe?.Matrix?.Disagreements.Count > 0 || failed > 0 ? ExitCodes.Findings : ExitCodes.Ok;
    }

    private static void LabTables(Output output, LabOutput result, IReadOnlyList<LabProbePair> unreachable)
    {
        if (result.Plan is { } plan && result.Namespaces.Count > 0)
        {
            output.Console.MarkupLine($"[green]Lab '{Markup.Escape(result.Lab ?? "")}' is up[/]: {plan.Nodes.Count} node VMs of site {Markup.Escape(plan.Site)}{(plan.Cluster is { } c ? $", cluster {Markup.Escape(c)}" : "")}; fabric namespace {Markup.Escape(new LabNames(result.Prefix, result.Lab!).Fabric)}.");
            var names = new LabNames(result.Prefix, result.Lab!);
            foreach (var d in plan.DhcpServers)
            {
                output.Console.MarkupLine($"DHCP network {Markup.Escape(d.Network)}: Kea (kea-dhcp4 on the rendered file) in {Markup.Escape(names.Dhcp(d.Index))} at {Markup.Escape(d.Address)}, scope {Markup.Escape(d.Scope)}{(d.VipPool is { } v ? $", VIP pool {Markup.Escape(v)} excluded" : "")}.");
            }

            var leased = result.Leases.ToDictionary(l => l.Index);
            output.Rows(["Namespace", "Node VM", "Address", "Gateway", "VLAN", "vSwitch"], plan.Nodes.Select(n => new[]
            {
                names.Node(n.Index), n.Owner,
                leased.TryGetValue(n.Index, out var l) ? $"{l.Address}/{l.PrefixLength} (leased; plan expects {l.Planned})" : $"{n.Address}/{n.PrefixLength}",
                leased.TryGetValue(n.Index, out var r) ? r.Router : n.Gateway, n.Vlan?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "untagged", n.VSwitch,
            }));
            foreach (var o in plan.Overlays)
            {
                output.Console.MarkupLine($"Overlay of cluster {Markup.Escape(o.Cluster)}: pod CIDR {Markup.Escape(o.PodCidr)} in /{o.SubnetLength} blocks, flannel.1 VNI {o.Vni} on UDP {o.Port}, MTU {o.Mtu}.{(o.WindowsNodes ? " Its Windows nodes are emulated by Linux namespaces that keep Windows' overlay constraints: VNI 4096, UDP 4789, and the pod block layout (gateway, kube-proxy's source VIP on cni0, pods after it)." : "")}");
            }

            output.Rows(["Pod", "Node VM", "Pod block", "cni0", "Pod address", "flannel.1", "flannel.1 MAC"], plan.Pods.Select(p => new[]
            {
                LabNames.PodLabel(p.Index), plan.Nodes.Single(n => n.Index == p.Index).Owner, p.Block, p.SourceVip is { } vip ? $"{p.Bridge} + source VIP {vip}" : p.Bridge, p.Address, $"{p.Vtep}/32", LabPlan.VxlanMac(result.Lab!, p.Index),
            }));
        }

        if (result.Trace is { Planned: { } planned } trace)
        {
            var seen = trace.Captured;
            output.Console.MarkupLine($"Trace {Markup.Escape(trace.From)} -> {Markup.Escape(trace.To)} on the source node's eth0:");
            output.Rows(["", "Outer source", "Outer destination", "UDP port", "VNI", "Inner source", "Inner destination"],
            [
                ["planned", planned.OuterSource, planned.OuterDestination, $"{planned.Port}", $"{planned.Vni}", planned.InnerSource, planned.InnerDestination],
                ["captured", seen?.OuterSource ?? "-", seen?.OuterDestination ?? "-", seen is null ? "-" : $"{seen.Port}", seen is null ? "-" : $"{seen.Vni}", seen?.InnerSource ?? "-", seen?.InnerDestination ?? "-"],
            ]);
            if (trace.WindowsNodes)
            {
                output.Console.MarkupLine("The cluster's Windows nodes are emulated by Linux namespaces: the same VNI 4096 and UDP 4789 Windows needs, not Windows' HNS.");
            }

            if (seen is not null && trace.Findings.Count == 0)
            {
                output.Console.MarkupLine("[green]The encapsulation is as planned.[/]");
            }
        }

        if (result.Probe is { } probe && !probe.Findings.HasErrors())
        {
            output.Rows(["From", "To", "Address", "Path", "Result"], probe.Pairs.Select(x => new[] { x.From, x.To, x.Address, x.Overlay ? "VXLAN overlay" : "node network", x.Reachable ? "reachable" : "UNREACHABLE" }));
            output.Console.MarkupLine(unreachable.Count == 0
                ? $"[green]Every pair reachable[/]: {probe.Pairs.Count} pings from {probe.Nodes.Count} node VMs and {probe.Pods.Count} pods ({probe.Pairs.Count(x => x.Overlay)} across the overlay)."
                : $"[red]{unreachable.Count} of {probe.Pairs.Count} pairs unreachable[/]:");
            foreach (var pair in unreachable)
            {
                output.Console.MarkupLine($"  [red]{Markup.Escape(pair.From)} -> {Markup.Escape(pair.To)} ({Markup.Escape(pair.Address)})[/]");
            }
        }

        LabWorkloadTables(output, result);
        LabBalancerTables(output, result);
        if (result.Down is { } down)
        {
            output.Console.MarkupLine(down.Removed.Count == 0
                ? "Nothing to remove: no namespace of that lab exists."
                : $"Removed {down.Removed.Count} namespaces ({string.Join(", ", down.Removed)}){(down.Killed.Count > 0 ? $", after killing {down.Killed.Count} processes in them" : "")}.");
        }
    }
}
