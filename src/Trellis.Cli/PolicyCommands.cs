using System.CommandLine;
using Spectre.Console;
using Trellis.Engine;
using Trellis.Engine.Contracts;
using Trellis.Presentation;

namespace Trellis.Cli;

/// <summary>trellis netpol check|matrix|diff|lint and trellis trace: parse, ask the Engine, format.</summary>
public sealed partial class TrellisCli
{
    private static Option<string[]> ManifestOption() => new("--file", "-f")
    {
        Description = "Manifest file or folder (kubectl apply -f style); repeat for several",
        Required = true,
        AllowMultipleArgumentsPerToken = true,
    };

    private readonly Option<string?> _site = new("--site") { Description = "Site spec whose planned overlay gives pods their addresses (else the stored site when --cluster is given)" };
    private readonly Option<string?> _cluster = new("--cluster") { Description = "The cluster of the site the manifests run in" };

    private readonly Option<string> _by = NewChoice("--by", "owner", "owner: a controller's pods as one workload (ns/name[Deployment]); pod: every pod on its own", "owner", "pod");

    private readonly Option<string> _hostNetwork = NewChoice("--host-network", "calico",
        "calico: no policy applies to hostNetwork pods (Calico's behaviour); policed: police them like any pod", "calico", "policed");

    private static Option<string> NewChoice(string name, string fallback, string description, params string[] values)
    {
        var option = new Option<string>(name) { DefaultValueFactory = _ => fallback, Description = description };
        option.AcceptOnlyFromAmong(values);
        return option;
    }

    /// <summary>The options of netpol and trace that the model's fields in their findings stand for (the Engine speaks for every front end).</summary>
    private static readonly Dictionary<string, string> PolicyFlags = new(StringComparer.Ordinal)
    {
        ["from"] = "--from",
        ["to"] = "--to",
        ["port"] = "--port",
        ["cluster"] = "--cluster",
        ["manifests"] = "--file",
    };

    /// <summary>netpol diff reads its manifests from its two arguments: only the cluster is an option.</summary>
    private static readonly Dictionary<string, string> DiffFlags = new(StringComparer.Ordinal) { ["cluster"] = "--cluster" };

    /// <summary>The site the manifests run in: a spec given with --site, or the stored one (--state).</summary>
    private static readonly Dictionary<string, string> SiteFileFlags = new(StringComparer.Ordinal) { ["site"] = "--site", ["cluster"] = "--cluster" };

    private PolicyChoices Choices(ParseResult p) => new()
    {
        By = p.GetValue(_by) == "pod" ? WorkloadGrouping.Pod : WorkloadGrouping.Owner,
        HostNetworkPoliced = p.GetValue(_hostNetwork) == "policed",
    };

    /// <summary>The manifests given with -f loaded in the context, and the findings of reading and loading them.</summary>
    private (ManifestSet Set, IReadOnlyList<Finding> Findings) Load(ParseResult p, Option<string[]> files, PolicyContext? context)
    {
        var (manifests, problems) = ManifestFiles.Read(p.GetValue(files)!);
        var set = NetworkPolicyService.Load(manifests, context, Choices(p));
        return (set, [.. problems, .. set.Findings]);
    }

    /// <summary>
    /// The one summary line of skipped kinds on standard error, and NothingToAnalyse when there is nothing to ask the
    /// question of.
    /// </summary>
    private async Task<IReadOnlyList<Finding>> ReadAsync(bool needsWorkloads, params ManifestSet[] sets)
    {
        if (ManifestSet.NotAnalysedSummary(sets) is { } summary)
        {
            await stderr.WriteLineAsync($"note: {summary}").ConfigureAwait(false);
        }

        return NetworkPolicyService.NothingToAnalyse(needsWorkloads, sets);
    }

    /// <summary>The planned cluster the manifests run in: from --site, from the stored state with --cluster, or none.</summary>
    private async Task<(PolicyContext? Context, IReadOnlyList<Finding> Findings, bool Failed)> ContextAsync(ParseResult p, bool required, CancellationToken ct)
    {
        if (p.GetValue(_site) is { } sitePath)
        {
            var read = SiteSpecs.ReadFile(sitePath, "site");
            if (read.Document is not { } spec)
            {
                return (null, InOptionWords(read.Findings, SiteFileFlags), true);
            }

            var (context, findings) = NetworkPolicyService.ContextFromSpec(spec, p.GetValue(_cluster), TimeProvider.System.GetUtcNow());
            return (context, InOptionWords(findings, SiteFileFlags), context is null);
        }

        if (p.GetValue(_cluster) is not null || required)
        {
            await using var store = OpenStore(p, write: false);
            var (context, findings) = await store.Engine.PolicyContextAsync(p.GetValue(_cluster), ct).ConfigureAwait(false);
            return (context, InOptionWords(findings, ReadFlags), context is null);
        }

        return (null, [], false);
    }

    /// <summary>Exit code of an answered question: 1 when the input had errors (the rest was still analysed), else 0.</summary>
    private static int ExitFor(IReadOnlyList<Finding> findings) => findings.HasErrors() ? ExitCodes.Findings : ExitCodes.Ok;

    /// <summary>A question that cannot be answered: its findings, as a table or as a validate-style document.</summary>
    private int Refused(Output output, IReadOnlyList<Finding> findings)
    {
        findings = InOptionWords(findings, PolicyFlags);
        if (output.Format == OutputFormat.Table)
        {
            output.Findings(findings);
        }
        else
        {
            output.Document(new ValidateOutput(false, Ordered(findings)), CliJsonContext.Default.ValidateOutput);
        }

        return ExitCodes.Findings;
    }

    /// <summary>Findings in the order the findings table shows them: errors, then warnings, then the rest.</summary>
    private static IReadOnlyList<Finding> Ordered(IReadOnlyList<Finding> findings) => findings.OrderByDescending(f => f.Severity).ToList();

    /// <summary>
    /// Findings beside an output that is data (matrix, diff): on standard error, one line each, so that standard output
    /// stays the CSV, JSON, HTML or text asked for.
    /// </summary>
    private async Task<int> FindingsToStderrAsync(IReadOnlyList<Finding> findings, IReadOnlyDictionary<string, string>? flags = null)
    {
        foreach (var f in Ordered(InOptionWords(findings, flags ?? PolicyFlags)))
        {
            await stderr.WriteLineAsync($"{f.Severity.ToString().ToLowerInvariant()} {f.Code} at {f.Path}: {f.Message} (hint: {f.Hint})").ConfigureAwait(false);
        }

        return ExitFor(findings);
    }

    private Command NetpolCommand()
    {
        var netpol = new Command("netpol", "Kubernetes and Calico network policy: which traffic the manifests allow, and why");

        var checkFiles = ManifestOption();
        var from = new Option<string>("--from") { Required = true, Description = "ns/workload, ns/workload[Kind] or an IP address" };
        var to = new Option<string>("--to") { Required = true, Description = "ns/workload, ns/workload[Kind] or an IP address" };
        var port = new Option<string>("--port") { Required = true, Description = "tcp/80, udp/53, sctp/9 or icmp" };
        var check = new Command("check", "May A talk to B on this protocol and port, and which policy and rule decide it in each direction?")
        {
            checkFiles, from, to, port, _site, _cluster, _by, _hostNetwork,
        };
        check.SetAction(async (p, ct) =>
        {
            var output = OutputFor(p);
            var (context, contextFindings, failed) = await ContextAsync(p, required: false, ct).ConfigureAwait(false);
            if (failed)
            {
                return Refused(output, contextFindings);
            }

            var (set, loaded) = Load(p, checkFiles, context);
            if (await ReadAsync(false, set).ConfigureAwait(false) is { Count: > 0 } nothing)
            {
                return Refused(output, [.. loaded, .. nothing]);
            }

            var (answer, findings) = NetworkPolicyService.Check(set, p.GetValue(from)!, p.GetValue(to)!, p.GetValue(port)!);
            var all = InOptionWords([.. loaded, .. findings], PolicyFlags);
            if (answer is null)
            {
                return Refused(output, all);
            }

            if (output.Format == OutputFormat.Table)
            {
                output.Findings(all.Where(f => f.Severity != Severity.Info).ToList());
                output.Console.MarkupLine($"{Markup.Escape(answer.Flow)}: {(answer.Allowed ? "[green bold]allowed[/]" : "[red bold]denied[/]")}{(answer.Enforced ? "" : " [yellow](not enforced)[/]")}");
                foreach (var d in new[] { answer.Egress, answer.Ingress })
                {
                    output.Console.MarkupLine($"  {Markup.Escape(d.Direction.ToLowerInvariant())} of {Markup.Escape(d.Endpoint)}: {(d.Allowed ? "[green]allow[/]" : "[red]deny[/]")} — {Markup.Escape(d.Explanation)}");
                }

                if (answer.Note is { } note)
                {
                    output.Console.MarkupLine($"[yellow]{Markup.Escape(note)}[/]");
                }
            }
            else
            {
                output.Document(new CheckOutput(answer, Ordered(all)), CliJsonContext.Default.CheckOutput);
            }

            return ExitFor(all);
        });

        var matrixFiles = ManifestOption();
        var format = new Option<string>("--output", "-o") { DefaultValueFactory = _ => "table", Description = "table (src => dst : conns lines), json, csv, or html (a heatmap page)" };
        format.AcceptOnlyFromAmong("table", "text", "json", "csv", "html");
        var outFile = new Option<string?>("--out") { Description = "Write to this file instead of standard output" };
        var matrix = new Command("matrix", "Allowed connections between every pair of workloads and the outside world") { matrixFiles, format, outFile, _site, _cluster, _by, _hostNetwork };
        matrix.SetAction(async (p, ct) =>
        {
            var (context, contextFindings, failed) = await ContextAsync(p, required: false, ct).ConfigureAwait(false);
            if (failed)
            {
                await FindingsToStderrAsync(contextFindings).ConfigureAwait(false);
                return ExitCodes.Findings;
            }

            var (set, loaded) = Load(p, matrixFiles, context);
            // Nothing to analyse is an error (exit 1): empty output with exit 0 would read as "no connection at all".
            var nothing = await ReadAsync(true, set).ConfigureAwait(false);
            if (p.GetValue(format) == "html")
            {
                await WriteResultAsync(p.GetValue(outFile), ConnectivityHeatmap.Write(NetworkPolicyService.Matrix(set)), ct).ConfigureAwait(false);
            }
            else
            {
                // Lines are written as they are computed: a matrix of millions of lines is never held whole.
                var connectivity = ConnectivityFormatOf(p.GetValue(format));
                await WriteResultAsync(p.GetValue(outFile), w => NetworkPolicyService.WriteMatrix(set, connectivity, w), ct).ConfigureAwait(false);
            }

            return await FindingsToStderrAsync([.. loaded, .. nothing, .. NetworkPolicyService.NotEnforced(context)]).ConfigureAwait(false);
        });

        var before = new Argument<string>("before") { Description = "Manifests before the change (file or folder)" };
        var after = new Argument<string>("after") { Description = "Manifests after the change (file or folder)" };
        var diffFormat = new Option<string>("--output", "-o") { DefaultValueFactory = _ => "table", Description = "table, json or csv" };
        diffFormat.AcceptOnlyFromAmong("table", "text", "json", "csv");
        var diff = new Command("diff", "Which connections a policy change opens and which it closes") { before, after, diffFormat, _site, _cluster, _by, _hostNetwork };
        diff.SetAction(async (p, ct) =>
        {
            var (context, contextFindings, failed) = await ContextAsync(p, required: false, ct).ConfigureAwait(false);
            if (failed)
            {
                await FindingsToStderrAsync(contextFindings).ConfigureAwait(false);
                return ExitCodes.Findings;
            }

            var (beforeTexts, beforeProblems) = ManifestFiles.Read([p.GetValue(before)!]);
            var (afterTexts, afterProblems) = ManifestFiles.Read([p.GetValue(after)!]);
            var pair = NetworkPolicyService.LoadPair(beforeTexts, afterTexts, context, Choices(p));
            IReadOnlyList<Finding> loaded =
            [
                .. beforeProblems, .. pair.Before.Findings, .. afterProblems, .. pair.After.Findings,
                .. await ReadAsync(true, pair.Before, pair.After).ConfigureAwait(false),
            ];
            if (loaded.Any(f => f.Code is "ManifestNotFound" or "NothingToAnalyse"))
            {
                // A side that is not there would read as every workload added or removed.
                await FindingsToStderrAsync(loaded, DiffFlags).ConfigureAwait(false);
                return ExitCodes.Findings;
            }

            var result = NetworkPolicyService.Diff(pair);
            var note = string.Concat(NetworkPolicyService.NotEnforced(context).Select(f => $"# {f.Message}\n"));
            var connectivity = ConnectivityFormatOf(p.GetValue(diffFormat));
            var text = connectivity != ConnectivityFormat.Text ? result.Format(connectivity)
                : note + (result.IsEmpty ? "No connection changes.\n" : result.Format(connectivity));
            await stdout.WriteAsync(text).ConfigureAwait(false);
            return await FindingsToStderrAsync([.. loaded, .. NetworkPolicyService.NotEnforced(context)], DiffFlags).ConfigureAwait(false);
        });

        var lintFiles = ManifestOption();
        var lint = new Command("lint", "Policies that select nothing, shadowed rules, named ports that resolve nowhere, ipBlocks over pod CIDRs, Flannel and Windows limits")
        {
            lintFiles, _site, _cluster, _by, _hostNetwork,
        };
        lint.SetAction(async (p, ct) =>
        {
            var output = OutputFor(p);
            var (context, contextFindings, failed) = await ContextAsync(p, required: false, ct).ConfigureAwait(false);
            if (failed)
            {
                return Refused(output, contextFindings);
            }

            var (set, loaded) = Load(p, lintFiles, context);
            var nothing = await ReadAsync(false, set).ConfigureAwait(false);
            var all = InOptionWords([.. loaded, .. nothing, .. NetworkPolicyService.Lint(set)], PolicyFlags);
            if (output.Format == OutputFormat.Table)
            {
                output.Findings(all);
                output.Console.MarkupLine(all.Count == 0 ? "[green]No findings.[/]" : $"{all.Count} findings.");
            }
            else
            {
                output.Document(new ValidateOutput(!all.HasErrors(), Ordered(all)), CliJsonContext.Default.ValidateOutput);
            }

            return all.HasErrors() ? ExitCodes.Findings : ExitCodes.Ok;
        });

        netpol.Subcommands.Add(check);
        netpol.Subcommands.Add(matrix);
        netpol.Subcommands.Add(diff);
        netpol.Subcommands.Add(lint);
        return netpol;
    }

    private Command TraceCommand()
    {
        var files = ManifestOption();
        var from = new Option<string>("--from") { Required = true, Description = "ns/workload, ns/workload[Kind] or an IP address (an external client)" };
        var to = new Option<string>("--to") { Required = true, Description = "ns/workload, svc/ns/name (ClusterIP), a LoadBalancer VIP, or an IP address" };
        var port = new Option<string>("--port") { Required = true, Description = "tcp/80, udp/53, sctp/9 or icmp" };
        var command = new Command("trace", "The path a packet takes through the planned site, with the policy verdict at each hop")
        {
            files, from, to, port, _site, _cluster, _by, _hostNetwork,
        };
        command.SetAction(async (p, ct) =>
        {
            var output = OutputFor(p);
            var (context, contextFindings, failed) = await ContextAsync(p, required: true, ct).ConfigureAwait(false);
            if (failed || context is null)
            {
                return Refused(output, contextFindings);
            }

            var (set, loaded) = Load(p, files, context);
            await ReadAsync(false, set).ConfigureAwait(false);
            var (trace, findings) = NetworkPolicyService.Trace(set, p.GetValue(from)!, p.GetValue(to)!, p.GetValue(port)!);
            var all = InOptionWords([.. loaded, .. findings], PolicyFlags);
            if (trace is null)
            {
                return Refused(output, all);
            }

            if (output.Format == OutputFormat.Table)
            {
                output.Findings(all.Where(f => f.Severity != Severity.Info).ToList());
                output.Console.Write(new Rule($"[bold]{Markup.Escape(trace.Question)}[/]").LeftJustified());
                var i = 1;
                foreach (var hop in trace.Hops)
                {
                    output.Console.MarkupLine($"{i++,2}. [bold]{Markup.Escape(hop.Where)}[/]: {Markup.Escape(hop.What)}");
                    if (hop.Verdict is { } v)
                    {
                        output.Console.MarkupLine($"    {(hop.Dropped ? "[red]" : "[green]")}{Markup.Escape(v)}[/]");
                    }

                    foreach (var fact in hop.Facts)
                    {
                        output.Console.MarkupLine($"    [grey]{Markup.Escape(fact)}[/]");
                    }
                }

                foreach (var note in trace.Notes)
                {
                    output.Console.MarkupLine($"[yellow]{Markup.Escape(note)}[/]");
                }

                output.Console.MarkupLine(trace.Delivered ? "[green bold]Delivered.[/]" : "[red bold]Dropped.[/]");
            }
            else
            {
                output.Document(new TraceOutput(trace.Question, trace.Delivered, trace.Hops, trace.Notes, Ordered(all)), CliJsonContext.Default.TraceOutput);
            }

            return ExitFor(all);
        });
        return command;
    }

    private static ConnectivityFormat ConnectivityFormatOf(string? format) => format switch
    {
        "json" => ConnectivityFormat.Json,
        "csv" => ConnectivityFormat.Csv,
        _ => ConnectivityFormat.Text,
    };

    private async Task WriteResultAsync(string? path, Action<TextWriter> write, CancellationToken ct)
    {
        if (path is null)
        {
            write(stdout);
            await stdout.FlushAsync(ct).ConfigureAwait(false);
            return;
        }

        await OutputFiles.WriteAsync(path, w =>
        {
            write(w);
            return Task.CompletedTask;
        }, ct).ConfigureAwait(false);
        await stdout.WriteLineAsync(path).ConfigureAwait(false);
    }

    private async Task WriteResultAsync(string? path, string text, CancellationToken ct)
    {
        if (path is null)
        {
            await stdout.WriteAsync(text).ConfigureAwait(false);
            return;
        }

        await OutputFiles.WriteAsync(path, text, ct).ConfigureAwait(false);
        await stdout.WriteLineAsync(path).ConfigureAwait(false);
    }
}
