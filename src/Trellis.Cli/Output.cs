using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Spectre.Console;
using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.Cli;

internal enum OutputFormat
{
    Table,
    Json,
    Yaml,
}

/// <summary>Formats results: Spectre.Console tables for people, stable JSON and YAML for scripts.</summary>
internal sealed class Output(IAnsiConsole console, TextWriter stdout, OutputFormat format, Stream? utf8Stdout = null)
{
    /// <summary>Same shapes as <see cref="CliJsonContext.Default"/>, without escaping '+', quotes and non-ASCII for HTML.</summary>
    private static readonly CliJsonContext RelaxedJson = new(new JsonSerializerOptions(CliJsonContext.Default.Options)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    public OutputFormat Format => format;

    public IAnsiConsole Console => console;

    /// <summary>
    /// Writes one JSON or YAML document and a line end. JSON goes to <c>utf8Stdout</c> when there is one (the process's own
    /// standard output): the same bytes the text writer would write, with no string of the document in between.
    /// </summary>
    public void Document<T>(T value, JsonTypeInfo<T> type)
    {
        var relaxed = (JsonTypeInfo<T>)RelaxedJson.GetTypeInfo(typeof(T))!;
        if (format == OutputFormat.Json && utf8Stdout is not null)
        {
            stdout.Flush();
            JsonSerializer.Serialize(utf8Stdout, value, relaxed);
            utf8Stdout.Write(System.Text.Encoding.UTF8.GetBytes(stdout.NewLine));
            utf8Stdout.Flush();
            return;
        }

        var json = JsonSerializer.Serialize(value, relaxed);
        stdout.WriteLine(format == OutputFormat.Yaml ? YamlEmitter.FromJson(json).TrimEnd('\n') : json);
    }

    /// <summary>
    /// The allocations as a document: to the UTF-8 standard output with <see cref="AllocationJson"/> when the document is
    /// JSON (the bytes <see cref="Document"/> would write, without the serializer's metadata: a site holds tens of thousands),
    /// else as <see cref="Document"/> writes it.
    /// </summary>
    public void AllocationDocument(IReadOnlyList<Allocation> allocations)
    {
        if (format == OutputFormat.Json && utf8Stdout is not null)
        {
            stdout.Flush();
            AllocationJson.Write(utf8Stdout, allocations, RelaxedJson.Options);
            utf8Stdout.Write(System.Text.Encoding.UTF8.GetBytes(stdout.NewLine));
            utf8Stdout.Flush();
            return;
        }

        Document(allocations, CliJsonContext.Default.IReadOnlyListAllocation);
    }

    public void Findings(IReadOnlyList<Finding> findings)
    {
        if (findings.Count == 0)
        {
            return;
        }

        var table = new Table().Border(TableBorder.Rounded).Title("[bold]Findings[/]");
        table.AddColumns("Severity", "Code", "Field", "Problem and fix");
        foreach (var f in findings.OrderByDescending(f => f.Severity))
        {
            var color = f.Severity switch { Severity.Error => "red", Severity.Warning => "yellow", _ => "grey" };
            table.AddRow($"[{color}]{f.Severity.ToString().ToLowerInvariant()}[/]", Markup.Escape(f.Code), Markup.Escape(f.Path),
                $"{Markup.Escape(f.Message)}\n[grey]hint:[/] {Markup.Escape(f.Hint)}");
        }

        console.Write(table);
    }

    public void Changes(IReadOnlyList<ObjectChange> changes, AllocationChanges? plan, bool dryRun)
    {
        console.Write(new Rule(dryRun ? "[bold]Plan (dry run, nothing written)[/]" : "[bold]Plan[/]").LeftJustified());
        if (changes.Count == 0 && (plan?.IsEmpty ?? true))
        {
            console.MarkupLine("[green]No changes: the stored site already matches.[/]");
            return;
        }

        foreach (var c in changes)
        {
            var (sign, color) = c.Kind switch { ChangeKind.Add => ("+", "green"), ChangeKind.Remove => ("-", "red"), _ => ("~", "yellow") };
            console.MarkupLine($"[{color}]{sign} {c.Type} {Markup.Escape(c.Name)}[/]  [grey]{Markup.Escape(c.Detail)}[/]");
        }

        if (plan is null)
        {
            return;
        }

        foreach (var group in plan.Removed.Select(a => ("-", "red", a)).Concat(plan.Added.Select(a => ("+", "green", a))).GroupBy(x => x.a.Pool).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var added = group.Count(x => x.Item1 == "+");
            var removed = group.Count(x => x.Item1 == "-");
            console.MarkupLine($"  [bold]{Markup.Escape(group.Key)}[/]: [green]+{added}[/] [red]-{removed}[/]");
            foreach (var (sign, color, a) in group.Take(12))
            {
                console.MarkupLine($"    [{color}]{sign} {Markup.Escape(a.Address),-18}[/] {Markup.Escape(a.Owner)}");
            }

            if (group.Count() > 12)
            {
                console.MarkupLine($"    [grey]… {group.Count() - 12} more[/]");
            }
        }
    }

    public void Allocations(IReadOnlyList<Allocation> allocations)
    {
        var table = new Table().Border(TableBorder.Simple);
        table.AddColumns("Pool", "Address", "Owner", "Detail", "Lease expires");
        foreach (var a in allocations)
        {
            table.AddRow(Markup.Escape(a.Pool), Markup.Escape(a.Address), Markup.Escape(a.Owner), Markup.Escape(a.Detail ?? ""),
                a.ExpiresAt?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "");
        }

        console.Write(table);
        console.MarkupLine($"[grey]{allocations.Count} allocations[/]");
    }

    public void Capacity(CapacityReport report)
    {
        console.Write(new Rule($"[bold]Capacity of site {Markup.Escape(report.Site)} ({report.Model})[/]").LeftJustified());
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumns("Pool", "Required", "Size", "Allocated", "Free", "Headroom after upgrade", "Utilization");
        foreach (var n in report.Networks)
        {
            foreach (var p in new[] { n.NodeIpPool, n.VipPool, n.DhcpScope, n.ControlPlaneIps }.OfType<PoolCapacity>())
            {
                AddPool(table, p);
            }
        }

        foreach (var c in report.Clusters)
        {
            AddPool(table, c.PodSubnets);
            AddPool(table, c.ClusterIps);
        }

        console.Write(table);
        console.MarkupLine($"Node IP pool: required [bold]{report.NodeIpPool.Required}[/] of {report.NodeIpPool.Size}   VIP pool: required [bold]{report.VipPool.Required}[/] of {report.VipPool.Size}"
            + (report.ControlPlaneIps > 0 ? $"   control plane IPs: [bold]{report.ControlPlaneIps}[/]" : ""));
        foreach (var n in report.Networks)
        {
            console.MarkupLine($"Network {Markup.Escape(n.Name)} ({Markup.Escape(n.Prefix)}): required [bold]{n.Required}[/] addresses → smallest subnet that fits it: [bold]/{n.RecommendedPrefixLength}[/]");
        }

        console.MarkupLine($"Total required: [bold]{report.TotalRequired}[/] addresses" + (report.Networks.Count > 1 ? " in " + report.Networks.Count + " networks (each its own subnet)" : ""));
        foreach (var rule in report.Rules)
        {
            console.MarkupLine($"[grey]• {Markup.Escape(rule)}[/]");
        }
    }

    private static void AddPool(Table table, PoolCapacity p)
    {
        var used = Math.Max(p.Allocated, p.Required);
        var ratio = p.Size == 0 ? 1.0 : Math.Min(1.0, (double)used / p.Size);
        var color = p.Required > p.Size ? "red" : ratio > 0.9 ? "yellow" : "green";
        var bar = new string('█', (int)Math.Round(ratio * 20)) + new string('░', 20 - (int)Math.Round(ratio * 20));
        table.AddRow(Markup.Escape(p.Pool), p.Required.ToString(System.Globalization.CultureInfo.InvariantCulture), p.Size.ToString(System.Globalization.CultureInfo.InvariantCulture),
            p.Allocated.ToString(System.Globalization.CultureInfo.InvariantCulture), p.Free.ToString(System.Globalization.CultureInfo.InvariantCulture),
            p.HeadroomAfterUpgrade.ToString(System.Globalization.CultureInfo.InvariantCulture), $"[{color}]{bar}[/] {ratio:P0}");
    }

    public void Rows(string[] columns, IEnumerable<string?[]> rows)
    {
        var table = new Table().Border(TableBorder.Simple);
        table.AddColumns(columns);
        foreach (var row in rows)
        {
            table.AddRow(row.Select(c => Markup.Escape(c ?? "")).ToArray());
        }

        console.Write(table);
    }
}
