using System.CommandLine;
using Spectre.Console;
using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.Cli;

/// <summary>The <c>trellis</c> command line: parses, calls the Engine, formats. No networking is computed here.</summary>
public sealed partial class TrellisCli(TextWriter stdout, TextWriter stderr, CliHost? host = null)
{
    private readonly CliHost _host = host ?? CliHost.Process;

    private readonly Option<string?> _state = new("--state")
    {
        Description = "State file (embedded SQLite). Default: $TRELLIS_STATE, else .trellis/state.db",
        Recursive = true,
    };

    private readonly Option<string?> _store = new("--store")
    {
        Description = "Where the state is: a state file, sqlite:PATH, or etcd://HOST:PORT[,HOST:PORT…]/SITE (etcds:// for TLS; docs/etcd.md). Default: $TRELLIS_STORE, else --state",
        Recursive = true,
    };

    private readonly Option<string> _output = new("--output", "-o")
    {
        Description = "Output format: table, json or yaml",
        DefaultValueFactory = _ => "table",
    };

    private readonly Option<bool> _dryRun = new("--dry-run") { Description = "Show the plan without writing anything" };

    /// <summary>Runs one command line to its exit code; <paramref name="cancellationToken"/> is Ctrl-C (Program wires it).</summary>
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        _output.AcceptOnlyFromAmong("table", "json", "yaml");
        var root = new RootCommand("Trellis: plans, allocates and configures the networking of AKS-hybrid-style Kubernetes sites.");
        root.Options.Add(_state);
        root.Options.Add(_store);
        root.Subcommands.Add(ValidateCommand());
        root.Subcommands.Add(ApplyCommand());
        root.Subcommands.Add(CapacityCommand());
        root.Subcommands.Add(GetCommand());
        root.Subcommands.Add(ScaleCommand());
        root.Subcommands.Add(UpgradeCommand());
        root.Subcommands.Add(DeleteCommand());
        root.Subcommands.Add(AddCommand());
        root.Subcommands.Add(RenderCommand());
        root.Subcommands.Add(NetpolCommand());
        root.Subcommands.Add(TraceCommand());
        root.Subcommands.Add(GovernanceCommand());
        root.Subcommands.Add(MigrateCommand());
        root.Subcommands.Add(LabCommand());
        foreach (var command in root.Subcommands.SelectMany(c => c.Subcommands.Count > 0 ? c.Subcommands : [c])
                     .Where(c => c.Name is not ("render" or "deploy-script" or "matrix" or "diff")))
        {
            command.Options.Add(_output);
        }

        RefuseEmptyValues(root);
        ParseResult parse;
        try
        {
            parse = root.Parse(args);
        }
        catch (Exception e)
        {
            return await FailAsync(e).ConfigureAwait(false);
        }

        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await stderr.WriteLineAsync($"trellis: {error.Message}").ConfigureAwait(false);
            }

            await stderr.WriteLineAsync("Run 'trellis --help' for usage.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        // Without this, System.CommandLine's default handler turns every exception into exit code 1 and a stack trace,
        // so store errors and exhausted conflict retries would never reach exit code 3. Ctrl-C is the caller's token, so that
        // a command that already committed still reports what it wrote instead of being cut off after a timeout.
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration
            {
                Output = stdout,
                Error = stderr,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            return await FailAsync(e).ConfigureAwait(false);
        }
    }

    private async Task<int> FailAsync(Exception e)
    {
        var (message, code) = Failure(e);
        await stderr.WriteLineAsync($"trellis: {message}").ConfigureAwait(false);
        return code;
    }

    /// <summary>
    /// The one place an exception becomes a message and an exit code (docs/cli.md). Never a stack trace or a type name:
    /// what is not an expected failure is an internal error to report.
    /// </summary>
    private static (string Message, int ExitCode) Failure(Exception e) => (e, EngineFailures.Classify(e)) switch
    {
        (UsageException, _) => (e.Message, ExitCodes.Usage),
        (_, FailureKind.Store) => ($"store error: {e.Message}", ExitCodes.ConflictOrStore),
        (_, FailureKind.Conflict) => ($"conflict: {e.Message}", ExitCodes.ConflictOrStore),
        (OperationCanceledException, _) => ("interrupted; nothing was written.", ExitCodes.Interrupted),
        (UnauthorizedAccessException, _) => ($"file system error: permission denied ({e.Message}). Nothing was written.", ExitCodes.ConflictOrStore),
        (IOException, _) => ($"file system error: {e.Message} Nothing was written.", ExitCodes.ConflictOrStore),
        _ => ($"internal error, please report it: {e.Message}", ExitCodes.ConflictOrStore),
    };

    /// <summary>
    /// An empty or blank value is never meant (an empty path would mean the current directory, an empty name nothing), and a
    /// NUL character fits no name or path.
    /// </summary>
    private static void RefuseEmptyValues(Command command, HashSet<Symbol>? seen = null)
    {
        seen ??= [];
        foreach (var option in command.Options.Where(o => (o.ValueType == typeof(string) || o.ValueType == typeof(string[])) && seen.Add(o)))
        {
            option.Validators.Add(r => Refuse(r, r.Tokens, option.Name));
        }

        foreach (var argument in command.Arguments.Where(a => (a.ValueType == typeof(string) || a.ValueType == typeof(string[])) && seen.Add(a)))
        {
            argument.Validators.Add(r => Refuse(r, r.Tokens, argument.Name));
        }

        foreach (var sub in command.Subcommands)
        {
            RefuseEmptyValues(sub, seen);
        }

        static void Refuse(System.CommandLine.Parsing.SymbolResult result, IReadOnlyList<System.CommandLine.Parsing.Token> tokens, string name)
        {
            if (tokens.Any(t => string.IsNullOrWhiteSpace(t.Value)))
            {
                result.AddError($"{name} needs a value; an empty one is not allowed.");
            }
            else if (tokens.Any(t => t.Value.Contains('\0', StringComparison.Ordinal)))
            {
                result.AddError($"{name} contains a NUL character, which no name or path can hold.");
            }
        }
    }

    private Output OutputFor(ParseResult p)
    {
        var format = p.GetValue(_output) switch { "json" => OutputFormat.Json, "yaml" => OutputFormat.Yaml, _ => OutputFormat.Table };
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stdout),
            Ansi = stdout == Console.Out && !Console.IsOutputRedirected ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = stdout == Console.Out && !Console.IsOutputRedirected ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = stdout == Console.Out && !Console.IsOutputRedirected ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (stdout != Console.Out || Console.IsOutputRedirected)
        {
            console.Profile.Width = 200;
        }

        return new Output(console, stdout, format, _host.Utf8Stdout);
    }

    /// <summary>
    /// The site's state: for writing (created when missing), or for reading only (reads and dry runs: nothing is created,
    /// a read-only file serves them).
    /// </summary>
    private EngineSession OpenStore(ParseResult p, bool write) => _host.Open(StoreOf(p), write);

    /// <summary>
    /// Where the state is: --store or --state (not both), else TRELLIS_STORE, else TRELLIS_STATE, else .trellis/state.db.
    /// A location on etcd must name the site.
    /// </summary>
    /// <summary>What named the store this command opened (<c>--store</c>, <c>--state</c>, an environment variable); null: the default.</summary>
    private string? _storeSource;

    private StoreLocation StoreOf(ParseResult p)
    {
        var (text, source) = (p.GetValue(_store), p.GetValue(_state)) switch
        {
            ({ }, { }) => throw new UsageException("--store and --state both say where the state is; give one of them."),
            ({ } store, null) => (store, "--store"),
            (null, { } state) => ("sqlite:" + state, "--state"),
            _ when _host.Environment("TRELLIS_STORE") is { } variable => (variable, "TRELLIS_STORE"),
            _ when _host.Environment("TRELLIS_STATE") is { } variable => string.IsNullOrWhiteSpace(variable)
                ? throw new UsageException("TRELLIS_STATE is set but empty; set it to the path of a state file, or unset it to use .trellis/state.db.")
                : ("sqlite:" + variable, "TRELLIS_STATE"),
            _ => ("sqlite:" + Path.Combine(".trellis", "state.db"), "the default"),
        };
        _storeSource = source == "the default" ? null : source;
        return Location(text, source);
    }

    /// <summary>A change's options; the audit log records the operating-system user who ran the command.</summary>
    private static CommandOptions Options(IProgress<string>? progress = null) => new(progress, Actor: Environment.UserName);

    private static Option<string> FileOption(bool required = true) => new("--file", "-f") { Description = "Site spec (YAML)", Required = required };

    private Command ValidateCommand()
    {
        var file = FileOption();
        var command = new Command("validate", "Check a site spec against every rule; report every finding at once") { file };
        command.SetAction(async (p, _) =>
        {
            var output = OutputFor(p);
            var read = SiteSpecs.ReadFile(p.GetValue(file)!);
            var all = read.Document is { } spec ? [.. read.Findings, .. SiteSpecs.Validate(spec)] : read.Findings;
            var valid = !all.HasErrors();
            if (output.Format == OutputFormat.Table)
            {
                output.Findings(all);
                output.Console.MarkupLine(valid ? "[green]The site spec is valid.[/]" : "[red]The site spec has errors.[/]");
            }
            else
            {
                output.Document(new ValidateOutput(valid, all), CliJsonContext.Default.ValidateOutput);
            }

            return valid ? ExitCodes.Ok : ExitCodes.Findings;
        });
        return command;
    }

    private Command ApplyCommand()
    {
        var file = FileOption();
        var command = new Command("apply", "Plan a site spec, show the plan as a diff, and apply it in one transaction") { file, _dryRun };
        command.SetAction(async (p, ct) =>
        {
            var output = OutputFor(p);
            var read = SiteSpecs.ReadFile(p.GetValue(file)!);
            if (read.Document is not { } spec)
            {
                return Report(output, CommandOutcome.Refused(read.Findings), null);
            }

            await using var store = OpenStore(p, write: !p.GetValue(_dryRun));
            var engine = store.Engine;
            if (p.GetValue(_dryRun))
            {
                var plan = await engine.PlanAsync(new ApplySpec(spec), ct).ConfigureAwait(false);
                var planned = plan.Outcome();
                return Report(output, planned with { Findings = [.. read.Findings, .. planned.Findings] }, planned.HasErrors ? null : SiteSpecs.CapacityAfter(spec, plan));
            }

            var result = await WithProgressAsync(output, "Applying", progress =>
                engine.ExecuteAsync(new ApplySpec(spec), Options(progress), ct)).ConfigureAwait(false);

            // Once applied, Ctrl-C no longer stops the report of what was written.
            var outcome = result.Outcome();
            var capacity = outcome.HasErrors ? null : SiteViews.Capacity(await engine.ReadAsync(CancellationToken.None).ConfigureAwait(false));
            return Report(output, outcome with { Findings = [.. read.Findings, .. outcome.Findings] }, capacity);
        });
        return command;
    }

    private static async Task<CommandResult> WithProgressAsync(Output output, string title, Func<IProgress<string>?, Task<CommandResult>> run)
    {
        if (output.Format != OutputFormat.Table || !output.Console.Profile.Capabilities.Interactive)
        {
            return await run(null).ConfigureAwait(false);
        }

        return await output.Console.Status().StartAsync(title, async ctx =>
            await run(new Progress<string>(message => ctx.Status(Markup.Escape(message)))).ConfigureAwait(false)).ConfigureAwait(false);
    }

    private int Report(Output output, CommandOutcome result, CapacityReport? capacity)
    {
        result = result with { Findings = InOptionWords(result.Findings, ReadFlags) };
        if (output.Format == OutputFormat.Table)
        {
            output.Findings(result.Findings);
            // A rolling upgrade that stopped partway wrote its first steps: they are shown beside the error that stopped it.
            if (!result.HasErrors || result.Applied)
            {
                output.Changes(result.Changes, result.Allocations, result.DryRun);
                foreach (var step in result.UpgradeSteps)
                {
                    output.Console.MarkupLine($"  [yellow]↻[/] {Markup.Escape(step.Description)}");
                }

                if (result.Allocations is { } plan && (result.Applied || result.DryRun))
                {
                    output.Console.Write(new Rule("[bold]Allocations[/]").LeftJustified());
                    output.Allocations(plan.Result);
                }

                if (capacity is not null)
                {
                    output.Capacity(capacity);
                }

                output.Console.MarkupLine(result.DryRun ? "[grey]Dry run: nothing was written.[/]"
                    : result.HasErrors ? $"[yellow]Stopped[/] after store revision {result.Revision}: what is listed above was written."
                    : $"[green]Applied[/] at store revision {result.Revision}.");
            }
        }
        else
        {
            output.Document(new ApplyOutput(result.Applied, result.DryRun, result.Revision, result.Changes, result.Allocations?.Added ?? [], result.Allocations?.Removed ?? [],
                result.UpgradeSteps, result.Findings, capacity), CliJsonContext.Default.ApplyOutput);
        }

        return result.Findings.Any(f => f.Code == "UpgradeInterrupted") ? ExitCodes.ConflictOrStore
            : result.HasErrors ? ExitCodes.Findings
            : result.Findings.Any(f => f.Code == "Interrupted") ? ExitCodes.Interrupted
            : ExitCodes.Ok;
    }

    private Command CapacityCommand()
    {
        var file = FileOption(required: false);
        var whatIf = new Option<string[]>("--what-if")
        {
            Description = "A change to test, e.g. \"add-nodepool cluster=b name=win osType=Windows count=10\" (also scale-nodepool, add-cluster, add-service)",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("capacity", "Required addresses per pool side by side with what each pool holds; what-if questions") { file, whatIf };
        command.SetAction(async (p, ct) =>
        {
            var output = OutputFor(p);
            var questions = p.GetValue(whatIf) ?? [];
            var parsed = questions.Select(WhatIfParser.Parse).ToList();
            if (parsed.Where(q => q.Problem is not null).Select(q => q.Problem!).ToList() is { Count: > 0 } problems)
            {
                return Report(output, CommandOutcome.Refused(problems), null);
            }

            var question = string.Join("; ", questions);
            var changes = parsed.Select(q => q.Change!).ToList();
            if (p.GetValue(file) is { } path)
            {
                // A file is judged by today's rules.
                var read = SiteSpecs.ReadFile(path);
                if (read.Document is not { } spec)
                {
                    return Report(output, CommandOutcome.Refused(read.Findings), null);
                }

                return questions.Length > 0
                    ? WhatIf(output, question, SiteSpecs.WhatIf(spec, question, changes))
                    : Capacity(output, SiteSpecs.Capacity(spec), read.Findings);
            }

            // A stored site stays readable under rules added after it was applied.
            await using var store = OpenStore(p, write: false);
            var state = await store.Engine.ReadAsync(ct).ConfigureAwait(false);
            return questions.Length > 0
                ? WhatIf(output, question, SiteViews.WhatIf(state, question, changes))
                : Capacity(output, SiteViews.StoredCapacity(state), []);
        });
        return command;
    }

    private int Capacity(Output output, CapacityAnswer answer, IReadOnlyList<Finding> read)
    {
        if (answer.Report is not { } report)
        {
            return Report(output, CommandOutcome.Refused([.. read, .. answer.Findings]), null);
        }

        if (output.Format == OutputFormat.Table)
        {
            output.Findings(answer.Findings);
            output.Capacity(report);
        }
        else
        {
            output.Document(report, CliJsonContext.Default.CapacityReport);
        }

        return ExitCodes.Ok;
    }

    private int WhatIf(Output output, string question, (WhatIfAnswer? Answer, IReadOnlyList<Finding> Findings) asked)
    {
        if (asked.Answer is not { } result)
        {
            return Report(output, CommandOutcome.Refused(asked.Findings), null);
        }

        if (output.Format == OutputFormat.Table)
        {
            output.Console.MarkupLine($"[bold]What if:[/] {Markup.Escape(question)}");
            output.Console.MarkupLine(result.Fits ? "[green bold]Yes[/], the site can take it." : "[red bold]No[/], the site cannot take it.");
            if (result.FirstToRunOut is { } first)
            {
                output.Console.MarkupLine($"{(result.Fits ? "Tightest after the change" : "Runs out first")}: [bold]{Markup.Escape(first)}[/]");
            }

            output.Findings(result.Findings.Where(f => f.Severity != Severity.Info).ToList());
            if (result.After is not null)
            {
                output.Capacity(result.After);
            }
        }
        else
        {
            output.Document(result, CliJsonContext.Default.WhatIfAnswer);
        }

        return ExitCodes.Ok;
    }

    private Command GetCommand()
    {
        var resource = new Argument<string>("resource") { Description = "networks | clusters | nodepools | pools | allocations | services | capacity | audit" };
        resource.AcceptOnlyFromAmong("networks", "clusters", "nodepools", "pools", "allocations", "services", "capacity", "audit");
        var cluster = new Option<string?>("--cluster") { Description = "Only this cluster's objects, pools and allocations" };
        var last = new Option<int?>("--last") { Description = "get audit: only the newest N entries" };
        var command = new Command("get", "Show stored objects and allocations, or the audit log of changes") { resource, cluster, last };
        command.Validators.Add(r =>
        {
            var what = r.GetResult(resource)?.Tokens is [{ Value: var v }] ? v : null;
            if (what is "capacity" or "audit" && r.GetResult(cluster) is not null)
            {
                r.AddError(what == "capacity"
                    ? "get capacity reports the whole site (every cluster draws on its shared pools); --cluster does not apply to it."
                    : "get audit lists every change to the site; --cluster does not apply to it.");
            }

            // A value that is not a number is the parser's own error; reading it here would throw.
            if (r.GetResult(last) is { } l && (what != "audit"
                || l.Tokens is [{ Value: var n }] && int.TryParse(n, System.Globalization.CultureInfo.InvariantCulture, out var count) && count < 1))
            {
                r.AddError(what != "audit" ? "--last applies to get audit only." : "--last takes a number of entries of 1 or more.");
            }
        });
        command.SetAction(async (p, ct) =>
        {
            var output = OutputFor(p);
            await using var store = OpenStore(p, write: false);
            if (p.GetValue(resource) == "audit")
            {
                // The log outlives a deleted site: no stored spec is needed to read it.
                var entries = await store.Engine.ReadAuditAsync(p.GetValue(last), ct).ConfigureAwait(false);
                if (output.Format == OutputFormat.Table)
                {
                    output.Rows(["Revision", "Time (UTC)", "Who", "Command", "Added", "Released", "Plan"], entries.Select(e => new[]
                    {
                        $"{e.Revision}", e.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), e.Actor, e.Command, $"{e.Added}", $"{e.Removed}", e.Summary,
                    }));
                }
                else
                {
                    output.Document(entries, CliJsonContext.Default.IReadOnlyListAuditEntry);
                }

                return ExitCodes.Ok;
            }

            var only = p.GetValue(cluster);
            if (p.GetValue(resource) == "allocations")
            {
                // Read in one pass without the rest of the state: a site holds tens of thousands.
                var list = await store.Engine.ReadAllocationsAsync(only, ct).ConfigureAwait(false);
                if (list.Findings.Count > 0)
                {
                    return Report(output, CommandOutcome.Refused(list.Findings, list.Revision), null);
                }

                if (output.Format == OutputFormat.Table) { output.Allocations(list.Allocations); }
                else { output.AllocationDocument(list.Allocations); }
                return ExitCodes.Ok;
            }

            var state = await store.Engine.ReadAsync(ct).ConfigureAwait(false);
            if (SiteViews.RequireSite(state) is not { Count: > 0 } missing)
            {
                missing = SiteViews.CheckCluster(state, only);
            }

            if (missing.Count > 0)
            {
                return Report(output, CommandOutcome.Refused(missing, state.Revision), null);
            }

            var table = output.Format == OutputFormat.Table;
            var kind = p.GetValue(resource);
            if (kind is "networks" or "clusters" or "pools" or "capacity")
            {
                // Rules added after the site was applied: said on standard error, so that the document on standard output stays whole.
                if (SiteViews.Findings(state) is { Count: > 0 } stored && await FindingsToStderrAsync(stored).ConfigureAwait(false) is var exit and not ExitCodes.Ok)
                {
                    return exit;
                }
            }

            switch (kind)
            {
                case "networks":
                    var networks = SiteViews.Networks(state, only);
                    if (table) { output.Rows(["Name", "Kind", "Method", "Prefix", "Gateway", "vSwitch", "VLAN", "Node IP pool", "VIP pool", "DHCP scope", "DHCP exclusions"], networks.Select(n => new[] { n.Name, n.Kind, n.Method, n.Prefix, n.Gateway, n.VSwitch, n.Vlan?.ToString(System.Globalization.CultureInfo.InvariantCulture), n.NodeIpPool, n.VipPool, n.DhcpScope, string.Join(" ", n.DhcpExclusions) })); }
                    else { output.Document(networks, CliJsonContext.Default.IReadOnlyListNetworkRow); }
                    break;
                case "clusters":
                    var clusters = SiteViews.Clusters(state, only);
                    if (table) { output.Rows(["Name", "Network", "Version", "Plugin", "Control plane", "Workers", "LB", "Pod CIDR", "Service CIDR", "API server", "VXLAN", "Upgrading to"], clusters.Select(c => new[] { c.Name, c.Network, c.KubernetesVersion, c.NetworkPlugin, $"{c.ControlPlaneNodeCount}", $"{c.WorkerCount}", $"{c.LoadBalancerSku} x{c.LoadBalancerCount}", c.PodCidr, c.ServiceCidr, c.ApiServerVip, $"VNI {c.Vni} UDP {c.VxlanPort} MTU {c.Mtu}", c.UpgradeTarget })); }
                    else { output.Document(clusters, CliJsonContext.Default.IReadOnlyListClusterRow); }
                    break;
                case "nodepools":
                    var pools = SiteViews.NodePools(state, only);
                    if (table) { output.Rows(["Cluster", "Name", "OS", "OS SKU", "Count", "VM size", "Max pods"], pools.Select(n => new[] { n.Cluster, n.Name, n.OsType, n.OsSku, $"{n.Count}", n.VmSize, $"{n.MaxPodCount}" })); }
                    else { output.Document(pools, CliJsonContext.Default.IReadOnlyListNodePoolRow); }
                    break;
                case "pools":
                    var rows = SiteViews.Pools(state, only);
                    if (table) { output.Rows(["Pool", "Description", "Size", "Allocated", "Free"], rows.Select(r => new[] { r.Pool, r.Description, $"{r.Size}", $"{r.Allocated}", $"{r.Free}" })); }
                    else { output.Document(rows, CliJsonContext.Default.IReadOnlyListPoolRow); }
                    break;
                case "services":
                    var services = SiteViews.Services(state, only);
                    if (table) { output.Rows(["Cluster", "Namespace", "Name", "Ports", "Shared key", "VIP", "ClusterIP", "NodePorts"], services.Select(s => new[] { s.Cluster, s.Namespace, s.Name, $"{s.Protocol} {string.Join(",", s.Ports)}", s.SharedIpKey, s.Vip, s.ClusterIp, string.Join(",", s.NodePorts) })); }
                    else { output.Document(services, CliJsonContext.Default.IReadOnlyListServiceRow); }
                    break;
                default:
                    var report = SiteViews.Capacity(state)!;
                    if (table) { output.Capacity(report); }
                    else { output.Document(report, CliJsonContext.Default.CapacityReport); }
                    break;
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private Command ScaleCommand()
    {
        var cluster = new Option<string?>("--cluster") { Description = "Cluster to scale" };
        var nodePool = new Option<string?>("--nodepool") { Description = "Node pool to scale (Set-AksHciNodePool -count)" };
        var controlPlane = new Option<bool>("--control-plane") { Description = "Scale the control plane (Set-AksHciCluster -controlPlaneNodeCount)" };
        var loadBalancer = new Option<string?>("--load-balancer") { Description = "Load balancer setting to scale (Set-AksHciLoadBalancer -loadBalancerCount)" };
        var count = new Option<int>("--count") { Description = "New count", Required = true };
        var command = new Command("scale", "Change a node pool's, control plane's or load balancer's count") { cluster, nodePool, controlPlane, loadBalancer, count, _dryRun };
        command.Validators.Add(r =>
        {
            // Presence only: a value with its own error (an option given without one) is reported by the parser, not read here.
            var targets = (r.GetResult(nodePool) is not null ? 1 : 0) + (r.GetResult(controlPlane) is not null ? 1 : 0) + (r.GetResult(loadBalancer) is not null ? 1 : 0);
            if (targets != 1)
            {
                r.AddError("Give exactly one of --nodepool, --control-plane or --load-balancer.");
            }
            else if (r.GetResult(cluster) is null)
            {
                r.AddError("--cluster is required: each scale changes one cluster (Set-AksHciLoadBalancer -clusterName, too).");
            }
        });
        command.SetAction((p, ct) => ChangeAsync(p, "Scaling",
            p.GetValue(loadBalancer) is { } lb ? new ScaleLoadBalancer(p.GetValue(cluster)!, lb, p.GetValue(count))
            : p.GetValue(controlPlane) ? new ScaleControlPlane(p.GetValue(cluster)!, p.GetValue(count))
            : new ScaleNodePool(p.GetValue(cluster)!, p.GetValue(nodePool)!, p.GetValue(count)), ct));
        return command;
    }

    private Command UpgradeCommand()
    {
        var cluster = new Option<string>("--cluster") { Description = "Cluster to upgrade", Required = true };
        var version = new Option<string>("--version") { Description = "Target Kubernetes version, e.g. v1.30.1", Required = true };
        var command = new Command("upgrade", "Rolling upgrade: surge addresses come from the update reserve and go back to it") { cluster, version, _dryRun };
        command.SetAction((p, ct) => ChangeAsync(p, "Upgrading", new Upgrade(p.GetValue(cluster)!, p.GetValue(version)!), ct));
        return command;
    }

    private Command DeleteCommand()
    {
        var kind = new Argument<string>("kind") { Description = "cluster | nodepool | service | site" };
        kind.AcceptOnlyFromAmong("cluster", "nodepool", "service", "site");
        var name = new Argument<string?>("name") { Description = "site NAME | cluster NAME | nodepool CLUSTER/POOL | service CLUSTER/NAMESPACE/NAME", Arity = ArgumentArity.ZeroOrOne };
        var yes = new Option<bool>("--yes", "-y") { Description = "Delete without asking (required when standard input is not a terminal)" };
        var command = new Command("delete", "Delete a cluster, node pool, service or the whole site, releasing its addresses; asks first") { kind, name, yes, _dryRun };
        command.SetAction(async (p, ct) =>
        {
            var what = $"{p.GetValue(kind)} {p.GetValue(name)}";
            SiteCommand? delete = (p.GetValue(kind), (p.GetValue(name) ?? "").Split('/')) switch
            {
                ("site", [{ Length: > 0 } site]) => new DeleteSite(site),
                ("cluster", [{ Length: > 0 } c]) => new DeleteCluster(c),
                ("nodepool", [var c, var pool]) => new DeleteNodePool(c, pool),
                ("service", [var c, var ns, var svc]) => new DeleteService(c, ns, svc),
                _ => null,
            };
            if (delete is null)
            {
                await stderr.WriteLineAsync("trellis: delete needs a name: site NAME, cluster NAME, nodepool CLUSTER/POOL, or service CLUSTER/NAMESPACE/NAME.").ConfigureAwait(false);
                return ExitCodes.Usage;
            }

            return await ConfirmedAsync(p, delete, what, p.GetValue(yes), ct).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>
    /// A destructive command, asked first: the plan is made on a read-only look and named in the question (what it removes and
    /// releases); with --dry-run shown only; with --yes, or once confirmed, written exactly as shown, or not at all when the
    /// state moved since (StateChanged). Without a terminal to ask on and without --yes, nothing is done.
    /// </summary>
    private async Task<int> ConfirmedAsync(ParseResult p, SiteCommand delete, string what, bool yes, CancellationToken ct)
    {
        var output = OutputFor(p);
        ChangePlan? confirmed = null;
        if (p.GetValue(_dryRun) || !yes)
        {
            ChangePlan preview;
            await using (var reader = OpenStore(p, write: false))
            {
                preview = await reader.Engine.PlanAsync(delete, ct).ConfigureAwait(false);
            }

            if (p.GetValue(_dryRun) || preview.HasErrors)
            {
                return Report(output, preview.Outcome(), null);
            }

            if (!_host.InputIsTerminal())
            {
                await stderr.WriteLineAsync($"trellis: 'delete {what}' {Destroys(preview)}; standard input is not a terminal to confirm on, so nothing was deleted. Add --yes to delete without asking.").ConfigureAwait(false);
                return ExitCodes.Usage;
            }

            await stderr.WriteAsync($"Delete {what}: {Destroys(preview)}. This cannot be undone.\nType 'yes' to delete: ").ConfigureAwait(false);
            if (_host.ReadLine()?.Trim() is not ("yes" or "y"))
            {
                await stderr.WriteLineAsync("trellis: not confirmed; nothing was deleted.").ConfigureAwait(false);
                return ExitCodes.Findings;
            }

            confirmed = preview;
        }

        await using var store = OpenStore(p, write: true);
        var result = confirmed is null
            ? await store.Engine.ExecuteAsync(delete, Options(), ct).ConfigureAwait(false)
            : await store.Engine.CommitAsync(confirmed, Options(), ct).ConfigureAwait(false);
        return Report(output, result.Outcome(), null);
    }

    /// <summary>What a delete destroys, in words: the objects it removes and the addresses it releases.</summary>
    private static string Destroys(ChangePlan plan)
    {
        var preview = plan.Outcome();
        var objects = preview.Changes.Where(c => c.Kind == ChangeKind.Remove).GroupBy(c => c.Type)
            .Select(g => $"{g.Count()} {g.Key}{(g.Count() == 1 ? "" : "s")} ({string.Join(", ", g.Take(5).Select(c => c.Name))}{(g.Count() > 5 ? ", …" : "")})");
        var released = preview.Allocations?.Removed.Count ?? 0;
        return $"it removes {string.Join(", ", objects.DefaultIfEmpty("no objects"))} and releases {released} allocated address{(released == 1 ? "" : "es")}";
    }

    private Command AddCommand()
    {
        var add = new Command("add", "Add a node pool or a LoadBalancer service to a stored cluster");
        var cluster = new Option<string>("--cluster") { Required = true, Description = "Cluster" };
        var name = new Option<string>("--name") { Required = true, Description = "Name" };
        var os = new Option<string>("--os-type") { DefaultValueFactory = _ => "Linux", Description = "Linux or Windows" };
        os.AcceptOnlyFromAmong("Linux", "Windows");
        var count = new Option<int>("--count") { DefaultValueFactory = _ => 1, Description = "Nodes" };
        var maxPods = new Option<int?>("--max-pod-count") { Description = "Max pods per node (default 110; on Windows what one Calico IPAM block holds)" };
        var nodePool = new Command("nodepool", "New-AksHciNodePool") { cluster, name, os, count, maxPods, _dryRun };
        nodePool.SetAction((p, ct) => ChangeAsync(p, "Adding",
            new AddNodePool(p.GetValue(cluster)!, p.GetValue(name)!, p.GetValue(os)!, p.GetValue(count), p.GetValue(maxPods)), ct));

        var ns = new Option<string>("--namespace") { DefaultValueFactory = _ => "default", Description = "Namespace" };
        var ports = new Option<int[]>("--port") { Required = true, Description = "Port (repeat for several)", AllowMultipleArgumentsPerToken = true };
        var key = new Option<string?>("--shared-ip-key") { Description = "Share one VIP with the services of this key (distinct ports)" };
        var service = new Command("service", "A Service of type LoadBalancer") { cluster, name, ns, ports, key, _dryRun };
        service.SetAction((p, ct) => ChangeAsync(p, "Adding",
            new AddService(p.GetValue(cluster)!, p.GetValue(ns)!, p.GetValue(name)!, p.GetValue(ports)!, p.GetValue(key)), ct));
        add.Subcommands.Add(nodePool);
        add.Subcommands.Add(service);
        return add;
    }

    private Command RenderCommand()
    {
        var component = new Argument<string>("component") { Description = "all | " + string.Join(" | ", SiteViews.Components) };
        component.AcceptOnlyFromAmong(["all", .. SiteViews.Components]);
        var cluster = new Option<string?>("--cluster") { Description = "Only this cluster (and its network's DHCP files)" };
        var node = new Option<string?>("--node") { Description = "Only this node or load balancer VM" };
        var directory = new Option<string?>("--output-dir", "-o") { Description = "Write the files as a tree under this directory instead of printing them" };
        var command = new Command("render", "Configuration for HAProxy, keepalived, Kea, Windows DHCP, Flannel, Calico, HNS, MetalLB, kube-vip, and the Service manifests that pin NodePorts, from the stored plan")
        {
            component, cluster, node, directory,
        };
        command.SetAction(async (p, ct) =>
        {
            await using var store = OpenStore(p, write: false);
            var state = await store.Engine.ReadAsync(ct).ConfigureAwait(false);
            var which = p.GetValue(component) is "all" or null ? [] : new[] { p.GetValue(component)! };
            var (files, findings) = SiteViews.Render(state, which, p.GetValue(cluster), p.GetValue(node));
            if (files.Count == 0)
            {
                // Nothing stored, a component the site lacks, or a value a file's format cannot hold: said like any finding, and nothing is written.
                return Report(OutputFor(p), CommandOutcome.Refused(findings, state.Revision), null);
            }

            if (p.GetValue(directory) is { } dir)
            {
                if (await RenderedTree.WriteAsync(dir, files, _host.WriteFile, ct).ConfigureAwait(false) is { Count: > 0 } refused)
                {
                    return Report(OutputFor(p), CommandOutcome.Refused(refused, state.Revision), null);
                }

                foreach (var file in files)
                {
                    await stdout.WriteLineAsync(Path.Combine(dir, file.Path)).ConfigureAwait(false);
                }
            }
            else if (files.Count == 1)
            {
                await stdout.WriteAsync(files[0].Content).ConfigureAwait(false);
            }
            else
            {
                foreach (var file in files)
                {
                    await stdout.WriteAsync($"# ==> {file.Path} <==\n{file.Content}").ConfigureAwait(false);
                }
            }

            return ExitCodes.Ok;
        });
        command.Subcommands.Add(DeployScriptCommand());
        return command;
    }

    /// <summary>render deploy-script: the AksHci (PowerShell) or AksArc (az, POSIX shell) script that deploys the stored site.</summary>
    private Command DeployScriptCommand()
    {
        var file = new Option<string?>("--output", "-o") { Description = "Write the script to this file (atomically) instead of printing it" };
        var command = new Command("deploy-script",
            "The script that deploys the stored site: AksHci cmdlets (deploy-akshci.ps1; rehearsed in Trellis' PowerShell module it plans the same addresses) or, for AksArc, az commands (deploy-aksarc.sh)")
        {
            file,
        };
        command.SetAction(async (p, ct) =>
        {
            await using var store = OpenStore(p, write: false);
            var state = await store.Engine.ReadAsync(ct).ConfigureAwait(false);
            var (files, findings) = SiteViews.DeploymentScript(state);
            if (files.Count == 0)
            {
                return Report(OutputFor(p), CommandOutcome.Refused(InOptionWords(findings, ReadFlags), state.Revision), null);
            }

            // Rules added after the site was applied: said on standard error, so that the script on standard output stays whole.
            if (findings.Count > 0 && await FindingsToStderrAsync(findings, ReadFlags).ConfigureAwait(false) is var exit and not ExitCodes.Ok)
            {
                return exit;
            }

            if (p.GetValue(file) is { } path)
            {
                await OutputFiles.WriteAsync(path, files[0].Content, ct).ConfigureAwait(false);
                await stdout.WriteLineAsync(path).ConfigureAwait(false);
            }
            else
            {
                await stdout.WriteAsync(files[0].Content).ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>A change command: its plan with --dry-run (from a read-only store), else planned and committed.</summary>
    private async Task<int> ChangeAsync(ParseResult p, string title, SiteCommand command, CancellationToken ct)
    {
        var output = OutputFor(p);
        await using var store = OpenStore(p, write: !p.GetValue(_dryRun));
        var engine = store.Engine;
        var outcome = p.GetValue(_dryRun)
            ? (await engine.PlanAsync(command, ct).ConfigureAwait(false)).Outcome()
            : (await WithProgressAsync(output, title, progress => engine.ExecuteAsync(command, Options(progress), ct)).ConfigureAwait(false)).Outcome();
        return Report(output, outcome with { Findings = InOptionWords(outcome.Findings, Flags) }, null);
    }

    /// <summary>Findings with the model's field names the CLI has options for named by those options (the Engine speaks for every front end).</summary>
    /// <remarks>The site's state is named by what said where it is (<c>--store</c>, <c>--state</c>, <c>TRELLIS_STORE</c>, …).</remarks>
    private IReadOnlyList<Finding> InOptionWords(IReadOnlyList<Finding> findings, IReadOnlyDictionary<string, string> flags) =>
        [.. findings.Select(f => f.Path == "site" && flags.ContainsKey("site") && _storeSource is { } source ? f with { Path = source }
            : flags.TryGetValue(f.Path, out var flag) ? f with { Path = flag } : f)];

    /// <summary>The options every reading command shares: the state file and the cluster filter.</summary>
    private static readonly Dictionary<string, string> ReadFlags = new(StringComparer.Ordinal)
    {
        ["cluster"] = "--cluster",
        ["site"] = "--state",
    };

    /// <summary>The options of scale, upgrade and add that the model's fields in their findings stand for.</summary>
    private static readonly Dictionary<string, string> Flags = new(StringComparer.Ordinal)
    {
        ["cluster"] = "--cluster",
        ["nodePool"] = "--nodepool",
        ["loadBalancer"] = "--load-balancer",
        ["version"] = "--version",
        ["osType"] = "--os-type",
        ["name"] = "--name",
        ["site"] = "--state",
    };
}
