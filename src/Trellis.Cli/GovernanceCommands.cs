using System.CommandLine;
using Spectre.Console;
using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.Cli;

/// <summary>trellis policy: the site's governance (definitions and assignments checked on every change) and its compliance.</summary>
public sealed partial class TrellisCli
{
    private Command GovernanceCommand()
    {
        var policy = new Command("policy", "Governance: policy assignments the Engine checks on every change (Deny refuses, Audit reports), and compliance");

        var file = new Option<string>("--file", "-f") { Description = "PolicyDefinition and PolicyAssignment documents (YAML)", Required = true };
        var apply = new Command("apply", "Store definitions and assignments with the site; each replaces the stored one of its name") { file, _dryRun };
        apply.SetAction(async (p, ct) =>
        {
            var output = OutputFor(p);
            var (document, read) = GovernanceFiles.ReadFile(p.GetValue(file)!);
            if (document is null)
            {
                return Report(output, CommandOutcome.Refused(read), null);
            }

            await using var store = OpenStore(p, write: !p.GetValue(_dryRun));
            var command = new ApplyGovernance(document);
            var outcome = p.GetValue(_dryRun)
                ? (await store.Engine.PlanAsync(command, ct).ConfigureAwait(false)).Outcome()
                : (await store.Engine.ExecuteAsync(command, Options(), ct).ConfigureAwait(false)).Outcome();
            return Report(output, outcome with { Findings = [.. read, .. outcome.Findings] }, null);
        });

        var get = new Command("get", "The definitions and assignments stored with the site");
        get.SetAction(async (p, ct) =>
        {
            var output = OutputFor(p);
            await using var store = OpenStore(p, write: false);
            var set = SiteViews.Governance(await store.Engine.ReadAsync(ct).ConfigureAwait(false));
            if (output.Format != OutputFormat.Table)
            {
                output.Document(set, CliJsonContext.Default.GovernanceView);
                return ExitCodes.Ok;
            }

            output.Rows(["assignment", "definition", "effect", "scope", "parameters", "exemptions"], set.Assignments.Select(a => new string?[]
            {
                a.Name, a.Definition, a.Effect, string.Join(" ", new[] { a.Cluster is { } c ? $"cluster {c}" : null, a.Namespace is { } n ? $"namespace {n}" : null }.OfType<string>().DefaultIfEmpty("site")),
                string.Join("; ", a.Parameters.Select(kv => $"{kv.Key}={kv.Value}")),
                string.Join("; ", a.Exemptions.Select(e => e.ExpiresAt is { } end ? $"{e.Item} (until {end:yyyy-MM-dd})" : e.Item)),
            }));
            if (set.Definitions.Count > 0)
            {
                output.Rows(["definition", "target", "parameters", "description"], set.Definitions.Select(d => new string?[] { d.Name, d.Target, string.Join("; ", d.Parameters), d.Description }));
            }

            return ExitCodes.Ok;
        });

        var definitions = new Command("definitions", "The definitions assignments may name: the built-ins, then the site's own");
        definitions.SetAction(async (p, ct) =>
        {
            var output = OutputFor(p);
            await using var store = OpenStore(p, write: false);
            var rows = SiteViews.Definitions(await store.Engine.ReadAsync(ct).ConfigureAwait(false));
            if (output.Format != OutputFormat.Table)
            {
                output.Document(rows, CliJsonContext.Default.IReadOnlyListDefinitionRow);
            }
            else
            {
                output.Rows(["definition", "target", "parameters", "description"], rows.Select(d => new string?[] { d.Name, d.Target, string.Join("; ", d.Parameters), d.Description }));
            }

            return ExitCodes.Ok;
        });

        var kind = new Argument<string>("kind") { Description = "assignment | definition" };
        kind.AcceptOnlyFromAmong("assignment", "definition");
        var name = new Argument<string>("name") { Description = "The stored assignment's or definition's name" };
        var yes = new Option<bool>("--yes", "-y") { Description = "Delete without asking (required when standard input is not a terminal)" };
        var delete = new Command("delete", "Delete a stored assignment or definition; asks first") { kind, name, yes, _dryRun };
        delete.SetAction(async (p, ct) =>
            await ConfirmedAsync(p, new DeleteGovernance(p.GetValue(kind)!, p.GetValue(name)!), $"policy {p.GetValue(kind)} {p.GetValue(name)}", p.GetValue(yes), ct).ConfigureAwait(false));

        var manifests = new Option<string[]>("--file", "-f") { Description = "Kubernetes manifests (file or folder; repeat for several) for the rules that read them", AllowMultipleArgumentsPerToken = false };
        var compliance = new Command("compliance",
            "Per assignment: the compliant, non-compliant and exempt items of the stored site (and of the manifests given), with the reasons; exit 1 when a Deny assignment is broken") { manifests };
        compliance.SetAction(async (p, ct) =>
        {
            var output = OutputFor(p);
            IReadOnlyList<ManifestText>? texts = null;
            if (p.GetValue(manifests) is { Length: > 0 } paths)
            {
                var (read, problems) = ManifestFiles.Read(paths);
                if (problems.HasErrors())
                {
                    return Report(output, CommandOutcome.Refused(problems), null);
                }

                texts = read;
            }

            await using var store = OpenStore(p, write: false);
            var report = texts is null
                ? await store.Engine.ReadComplianceAsync(ct).ConfigureAwait(false)
                : await store.Engine.ReadComplianceAsync(texts, ct).ConfigureAwait(false);
            var exit = report.Denied ? ExitCodes.Findings : ExitCodes.Ok;
            if (output.Format != OutputFormat.Table)
            {
                output.Document(report, CliJsonContext.Default.ComplianceReport);
                return exit;
            }

            output.Findings(report.Findings);

            output.Rows(["assignment", "effect", "item", "state", "reason"], report.Assignments.SelectMany(a => a.Items.Select(i => new string?[]
            {
                a.Assignment, a.Effect, i.Item, i.State,
                i.State == "Exempt" ? $"exempt: {i.Exemption}{(i.ExemptUntil is { } end ? $" (until {end:yyyy-MM-dd})" : "")}" : i.Reason,
            })));
            output.Console.MarkupLine(report.Assignments.Count == 0
                ? "[grey]No assignments are stored: trellis policy apply -f stores them.[/]"
                : $"{report.Compliant} compliant, {(report.NonCompliant > 0 ? $"[red]{report.NonCompliant} non-compliant[/]" : "0 non-compliant")}, {report.Exempt} exempt"
                    + (report.Denied ? "; a Deny assignment is broken." : "."));
            return exit;
        });

        policy.Subcommands.Add(apply);
        policy.Subcommands.Add(get);
        policy.Subcommands.Add(definitions);
        policy.Subcommands.Add(delete);
        policy.Subcommands.Add(compliance);
        return policy;
    }
}
