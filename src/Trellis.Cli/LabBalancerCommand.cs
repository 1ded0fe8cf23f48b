using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Trellis.Lab;

namespace Trellis.Cli;

/// <summary>trellis lab failover, and the load balancer VMs' part of lab up's and lab probe's tables (docs/lab.md).</summary>
public sealed partial class TrellisCli
{
    private Command LabFailoverCommand(Option<string?> name)
    {
        var cluster = new Option<string?>("--cluster") { Description = "The cluster whose VIPs move; default: the first with two load balancer VMs or more" };
        var failover = new Command("failover", "Kill HAProxy on the load balancer VM that holds a cluster's VIPs, wait (at most 10 s) for the VIPs to move to another, connecting through the VIP from the outside client meanwhile; then start HAProxy again") { name, cluster };
        failover.SetAction(async (p, ct) =>
        {
            var output = OutputFor(p);
            var prefix = LabPrefix();
            var (labName, findings) = await LabNameAsync(prefix, p.GetValue(name), ct).ConfigureAwait(false);
            if (labName is null)
            {
                return LabReport(output, new LabOutput(null, prefix, null, [], null, null, findings, LabScope.Does, LabScope.Limits));
            }

            var result = await new LabBalancerProbe(new LabNames(prefix, labName)).FailoverAsync(p.GetValue(cluster), ct).ConfigureAwait(false);
            return LabReport(output, new LabOutput(labName, prefix, null, [], null, null, result.Findings, LabScope.Does, LabScope.Limits) { Failover = result });
        });
        return failover;
    }

    private static void LabBalancerTables(Output output, LabOutput result)
    {
        if (result.Plan is { Balancers.Count: > 0 } plan && result.Namespaces.Count > 0)
        {
            var names = new LabNames(result.Prefix, result.Lab!);
            output.Console.MarkupLine($"Load balancer VMs: HAProxy and keepalived on their rendered files (in {Markup.Escape(names.RunDirectory)}):");
            var leased = result.BalancerLeases.ToDictionary(l => l.Index);
            output.Rows(["Namespace", "Load balancer VM", "Address", "Gateway", "vSwitch"], plan.Balancers.Select(b => new[]
            {
                names.Balancer(b.Index), b.Owner,
                leased.TryGetValue(b.Index, out var lease) ? $"{lease.Address}/{lease.PrefixLength} (leased; planned {b.Address}{(b.MacAddress is null ? "" : $", reserved for {b.MacAddress}")})" : $"{b.Address}/{b.PrefixLength}",
                leased.TryGetValue(b.Index, out var l) ? l.Router : b.Gateway, b.VSwitch,
            }));
            output.Rows(["Cluster", "VIP", "Port", "Service", "To"], plan.Vips.Select(v => new[]
            {
                v.Cluster, v.Address, LabNumber(v.Port), v.Service, $"{string.Join(", ", v.Backends)} :{LabNumber(v.TargetPort)}",
            }));
            if (plan.Client is { } client)
            {
                output.Console.MarkupLine($"Outside client {Markup.Escape(names.Client)}: {Markup.Escape(client.Address)} on {Markup.Escape(client.Prefix)}, routed by the fabric ({Markup.Escape(client.Router)}). API server stand-ins (HTTPS, answering with the node's name) on 6443 of {plan.ApiListeners.Count} control plane node(s).");
            }
        }

        if (result.Vips is { Vips.Count: > 0 } vips)
        {
            output.Rows(["VIP", "Port", "Service", "Held by", "Outcome", "Answer", "Result"], vips.Vips.Select(v => new[]
            {
                v.Vip, LabNumber(v.Port), $"{v.Cluster}: {v.Service}", v.Holder ?? "-", v.Outcome, v.Detail, v.Reached ? "reached" : "NOT REACHED",
            }));
            output.Console.MarkupLine(vips.Unreached.Count == 0
                ? $"[green]Every VIP port reached[/] from the outside client ({vips.Vips.Count}): the API server VIP through HAProxy to a control plane node; each service's VIP accepted by HAProxy (the NodePorts behind it are the Services' part of the lab)."
                : $"[red]{vips.Unreached.Count} of {vips.Vips.Count} VIP ports not reached[/].");
        }

        if (result.Failover is { From: not null } f)
        {
            output.Console.MarkupLine($"Failover of cluster {Markup.Escape(f.Cluster ?? "")}'s VIP {Markup.Escape(f.Vip ?? "")}:{f.Port}: HAProxy killed on {Markup.Escape(f.From)}; "
                + (f.To is { } to ? $"the VIP moved to {Markup.Escape(to)} after {f.MovedAfter?.ToString("0.0", CultureInfo.InvariantCulture)} s." : "the VIP did not move."));
            output.Console.MarkupLine($"Client connections through the VIP meanwhile: {f.Connections.Count}, {f.Answered} answered, {f.Failed} not; {f.AnsweredAfterMove} answered after the move"
                + $"{(f.Connections.LastOrDefault(c => c.Outcome == "answered") is { } last ? $" (last by {Markup.Escape(last.Detail)})" : "")}. "
                + (f.Restarted ? $"HAProxy runs again on {Markup.Escape(f.From)} (a BACKUP now: nopreempt keeps the VIP where it is)." : $"HAProxy was not started again on {Markup.Escape(f.From)}."));
            output.Console.MarkupLine(f.AnsweredAfterMove > 0 ? "[green]Connections continued after the move.[/]" : "[red]No connection was answered after the move.[/]");
        }
    }

    private static string LabNumber(int value) => value.ToString(CultureInfo.InvariantCulture);
}
