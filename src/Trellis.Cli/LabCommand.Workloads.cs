using System.CommandLine;
using Spectre.Console;
using Trellis.Engine;
using Trellis.Engine.Contracts;
using Trellis.Lab;

namespace Trellis.Cli;

/// <summary>trellis lab up/probe -f: the manifests' workloads as pods of the lab, their Services, and the observed matrix beside the engine's.</summary>
public sealed partial class TrellisCli
{
    private static Option<string[]> LabManifestOption() => new("--file", "-f")
    {
        Description = "Manifest file or folder (as netpol matrix -f reads them): up runs a pod per replica of each workload with a listener on its ports, and the site's Services; probe connects every pair and compares with the engine's matrix",
        AllowMultipleArgumentsPerToken = true,
    };

    private static Option<int> LabMaxReplicasOption()
    {
        var option = new Option<int>("--max-replicas")
        {
            Description = $"Pods run of one workload at most (its replicas; a DaemonSet's pods, one per worker): more is a LabReplicasCapped warning. Default {LabPlan.DefaultMaxReplicas}",
            DefaultValueFactory = _ => LabPlan.DefaultMaxReplicas,
        };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError("--max-replicas is at least 1.");
            }
        });
        return option;
    }

    /// <summary>
    /// The manifests given with -f, loaded in the stored site's cluster as <c>netpol matrix --cluster</c> loads them (the
    /// named cluster, else the plan's only one); null with no -f. Errors of reading or loading them refuse.
    /// </summary>
    private async Task<(ManifestSet? Set, IReadOnlyList<Finding> Findings)> LabManifestsAsync(ParseResult p, Option<string[]> files, string? cluster, CancellationToken ct)
    {
        if (p.GetValue(files) is not { Length: > 0 } paths)
        {
            return (null, []);
        }

        await using var store = OpenStore(p, write: false);
        var (context, refused) = await store.Engine.PolicyContextAsync(cluster, ct).ConfigureAwait(false);
        if (context is null)
        {
            return (null, refused);
        }

        var (texts, problems) = ManifestFiles.Read(paths);
        var set = NetworkPolicyService.Load(texts, context);
        IReadOnlyList<Finding> findings = [.. problems, .. set.Findings, .. NetworkPolicyService.NothingToAnalyse(true, set)];
        return (findings.HasErrors() ? null : set, findings);
    }

    /// <summary><paramref name="plan"/> with the manifests' workload pods and the cluster's Services, or the findings that refuse them.</summary>
    private async Task<(LabPlan? Plan, IReadOnlyList<Finding> Findings)> LabWorkloadPlanAsync(ParseResult p, Option<string[]> files, string? cluster, int maxReplicas, LabPlan plan, SiteState state, CancellationToken ct)
    {
        var (set, findings) = await LabManifestsAsync(p, files, cluster ?? (plan.Overlays.Count == 1 ? plan.Overlays[0].Cluster : null), ct).ConfigureAwait(false);
        if (set is null)
        {
            return (p.GetValue(files) is { Length: > 0 } ? null : plan, findings);
        }

        var (withWorkloads, placed) = LabPlan.WithWorkloads(plan, state, set, set.Context!.Cluster, maxReplicas);
        return (withWorkloads, [.. findings, .. placed]);
    }

    private static void LabWorkloadTables(Output output, LabOutput result)
    {
        if (result.Plan is { } plan && result.Namespaces.Count > 0 && plan.Workloads.Count > 0)
        {
            var names = new LabNames(result.Prefix, result.Lab!);
            output.Console.MarkupLine($"{plan.Workloads.Count} workload pods ({plan.Workloads.Select(w => w.Workload).Distinct().Count()} workloads, their replicas), each listening on the ports it declares:");
            output.Rows(["Namespace", "Workload", "Node VM", "Address", "Ports"], plan.Workloads.Select(w => new[]
            {
                names.WorkloadPod(w.Node, w.Slot), w.Workload, plan.Nodes.Single(n => n.Index == w.Node).Owner + (w.Os == "windows" ? " (Windows, emulated)" : ""),
                w.Address, string.Join(", ", w.Ports.Select(x => x.ToString())),
            }));
        }

        if (result.Plan is { } services && result.Namespaces.Count > 0 && services.Services.Count > 0)
        {
            output.Console.MarkupLine($"Services in nftables (table ip {LabNft.ServicesTable} in each node VM):");
            output.Rows(["Service", "ClusterIP", "Port", "NodePort", "Endpoints"], services.Services.SelectMany(s => s.Ports.Select(x => new[]
            {
                s.Id, s.ClusterIp, $"{x.Protocol.ToLowerInvariant()}/{x.Port}", x.NodePort?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",
                x.Endpoints.Count == 0 ? "none" : string.Join(", ", x.Endpoints.Select(e => $"{e.Address}:{e.Port}")),
            })));
        }

        if (result.Probe?.Matrix is { Connections.Count: 0 })
        {
            output.Console.MarkupLine("No connection was probed: no two workload pods of the manifests run in the lab (bring it up with lab up -f).");
        }
        else if (result.Probe?.Matrix is { } matrix)
        {
            output.Console.MarkupLine($"Workload connections: {matrix.Connections.Count} probed, {matrix.Connections.Count(c => c.Connected)} connected.");
            output.Console.MarkupLine("Observed (netpol matrix lines, probed ports only):");
            foreach (var line in matrix.Observed)
            {
                output.Console.WriteLine($"  {line}");
            }

            output.Console.MarkupLine($"Predicted by the engine{(matrix.Enforced ? "" : " (the cluster's plugin enforces no policy)")}:");
            foreach (var line in matrix.Predicted)
            {
                output.Console.WriteLine($"  {line}");
            }

            var disagreements = matrix.Disagreements;
            output.Console.MarkupLine(disagreements.Count == 0
                ? "[green]The observed matrix is the predicted one.[/]"
                : $"[red]{disagreements.Count} connection{(disagreements.Count == 1 ? " disagrees" : "s disagree")} with the prediction[/] (the kernel, running the policy compiled for each pod, and the engine decided differently; each is a finding about one or the other):");
            foreach (var c in disagreements)
            {
                output.Console.MarkupLine($"  [red]{(c.Connected ? "connected, predicted denied" : "refused, predicted allowed")}[/]: {Markup.Escape(c.Path)}");
            }

            // A cell is observed allowed only when every replica pair connected: name the pairs of a cell whose replicas disagree.
            foreach (var split in matrix.ReplicaSplits)
            {
                output.Console.MarkupLine($"[yellow]Replicas disagree[/] on {Markup.Escape($"{split.From} => {split.To} : {split.Protocol} {split.Port}")}: connected {Markup.Escape(string.Join(", ", split.Connected))}; refused {Markup.Escape(string.Join(", ", split.Refused))}");
            }
        }
    }
}
