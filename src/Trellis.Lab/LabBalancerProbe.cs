using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Trellis.Engine.Contracts;

namespace Trellis.Lab;

/// <summary>One connection from the outside client to a VIP port, through whichever load balancer VM holds the VIP.</summary>
/// <param name="Holder">The load balancer VM whose <c>eth0</c> holds the VIP (keepalived's VRRP master), or null when none does.</param>
/// <param name="Outcome"><c>answered</c>, <c>open</c>, <c>closed</c>, <c>refused</c> or <c>unreachable</c> (<see cref="LabScripts.Client"/>).</param>
/// <param name="Detail">What answered: the control plane node's name behind the API server VIP; else the first bytes, or the error.</param>
/// <param name="Reached">
/// Whether the path ended somewhere: for the API server VIP, a control plane node's listener answered through HAProxy; for a
/// LoadBalancer service, HAProxy accepted the connection on the VIP; with the manifests' workloads running (<see cref="LabVip.Workloads"/>),
/// the answer must be the id of a workload the service selects, said by its pod's listener behind the NodePort (else
/// <paramref name="Detail"/> says what answered instead).
/// </param>
public sealed record LabVipProbe(string Cluster, string Vip, int Port, string Service, int TargetPort, string? Holder, string Outcome, string Detail, bool Reached);

/// <summary>What <see cref="LabBalancerProbe.RunAsync"/> saw: every VIP port, or the findings that say why nothing was probed.</summary>
public sealed record LabVipProbeResult(string Lab, IReadOnlyList<LabVipProbe> Vips, IReadOnlyList<Finding> Findings)
{
    public IReadOnlyList<LabVipProbe> Unreached => [.. Vips.Where(v => !v.Reached)];
}

/// <summary>One of the client's connections during a failover, <paramref name="At"/> seconds after the first.</summary>
public sealed record LabVipConnection(double At, string Outcome, string Detail);

/// <summary>
/// What <see cref="LabBalancerProbe.FailoverAsync"/> did and saw: whose HAProxy it killed, where the VIP went and how long it
/// took, and the client's connections through the VIP meanwhile (one every 100 ms).
/// </summary>
/// <param name="From">The load balancer VM that held the VIP, whose HAProxy was killed.</param>
/// <param name="To">The load balancer VM that held it afterwards; null when none took it within the bound.</param>
/// <param name="MovedAfter">Seconds from killing HAProxy until the VIP was on <paramref name="To"/>.</param>
/// <param name="AnsweredAfterMove">Connections answered once the VIP had moved: the service continued.</param>
/// <param name="Restarted">Whether HAProxy was started again on <paramref name="From"/> (it rejoins as BACKUP; the VIP stays, nopreempt).</param>
public sealed record LabFailoverResult(string Lab, string? Cluster, string? Vip, int Port, string? From, string? To, double? MovedAfter,
    IReadOnlyList<LabVipConnection> Connections, int Answered, int Failed, int AnsweredAfterMove, bool Restarted, IReadOnlyList<Finding> Findings);

/// <summary>
/// Probes a running lab's load balancer VMs from its outside client: a connection to every VIP port (the API server's over
/// TLS to the control plane nodes' stand-ins, each service's over TCP), and the failover of a cluster's VIPs when its VRRP
/// master's HAProxy dies. What runs is read from the kernel (who holds each VIP) and from what <c>lab up</c> recorded.
/// </summary>
public sealed class LabBalancerProbe(LabNames names, LabCommands? commands = null)
{
    /// <summary>How long the probe waits for keepalived's first election, after <c>lab up</c>: a VRRP master needs HAProxy's check to pass twice (2 s apart) and 3 adverts' silence.</summary>
    public static readonly TimeSpan ElectionBound = TimeSpan.FromSeconds(20);

    /// <summary>How long the VIP may take to appear on another load balancer VM once the master's HAProxy is dead.</summary>
    public static readonly TimeSpan FailoverBound = TimeSpan.FromSeconds(10);

    private readonly LabCommands ip = commands ?? new LabCommands();

    /// <summary>
    /// One connection from the client to every VIP port of the lab, after waiting (at most <paramref name="election"/>, by
    /// default <see cref="ElectionBound"/>) for a load balancer VM of each cluster to hold its VIPs. The API server VIP is
    /// asked again for a few seconds while HAProxy's first checks of the control plane run. No VIP held: LabVipNotHeld.
    /// </summary>
    public async Task<LabVipProbeResult> RunAsync(TimeSpan? election = null, CancellationToken cancellationToken = default)
    {
        if (await StateAsync(cancellationToken).ConfigureAwait(false) is not { } state)
        {
            return new(names.Lab, [], []);
        }

        if (state.Error is { } error)
        {
            return new(names.Lab, [], [error]);
        }

        var lab = state.Lab!;
        var findings = new List<Finding>();
        foreach (var cluster in lab.Vips.Select(v => v.Cluster).Distinct(StringComparer.Ordinal))
        {
            var vip = lab.Vips.First(v => v.Cluster == cluster).Address;
            if (await WaitForHolderAsync(lab, cluster, vip, null, election ?? ElectionBound, cancellationToken).ConfigureAwait(false) is null)
            {
                findings.Add(NotHeld(cluster, vip, $"no load balancer VM of cluster '{cluster}' holds it after {(election ?? ElectionBound).TotalSeconds:0} s"));
            }
        }

        var holders = await HoldersAsync(lab, cancellationToken).ConfigureAwait(false);
        var outcomes = await ConnectAsync(lab.Vips, cancellationToken).ConfigureAwait(false);
        bool Again(int i) => lab.Vips[i].ApiServer && holders.ContainsKey(lab.Vips[i].Address) && outcomes[i].Outcome != "answered";
        for (var retry = 0; retry < 6 && Enumerable.Range(0, lab.Vips.Count).Any(Again); retry++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            var again = await ConnectAsync(lab.Vips, cancellationToken).ConfigureAwait(false);
            outcomes = [.. outcomes.Select((o, i) => Again(i) ? again[i] : o)];
        }

        return new(names.Lab, [.. lab.Vips.Select((v, i) =>
        {
            var (outcome, detail) = outcomes[i];
            var reached = v.ApiServer ? outcome == "answered" : outcome is "answered" or "open" or "closed";
            if (!v.ApiServer && outcome == "closed" && detail.Length == 0)
            {
                detail = $"closed without a byte: HAProxy found nothing on NodePort {v.TargetPort.ToString(CultureInfo.InvariantCulture)}, or what answered there closed at once";
            }

            if (v.Workloads.Count > 0 && reached && !Selected(v, outcome, detail))
            {
                // With the manifests' workloads running, only one the service selects may answer: its listener says its id first.
                reached = false;
                detail = $"{(outcome == "answered" ? $"'{detail}' answered" : "no workload answered")}, but {v.Service} selects {string.Join(", ", v.Workloads)}";
            }

            return new LabVipProbe(v.Cluster, v.Address, v.Port, v.Service, v.TargetPort, holders.GetValueOrDefault(v.Address), outcome, detail, reached);
        })], findings);
    }

    /// <summary>Whether what answered behind <paramref name="vip"/> is a workload its service selects: the listener's first word is that workload's id.</summary>
    public static bool Selected(LabVip vip, string outcome, string detail) =>
        outcome == "answered" && detail.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries) is [var first, ..] && vip.Workloads.Contains(first, StringComparer.Ordinal);

    /// <summary>
    /// Kills HAProxy on the VRRP master of <paramref name="cluster"/> (by default the first cluster with two load balancer
    /// VMs or more), waits at most <see cref="FailoverBound"/> for its VIP to appear on another of its load balancer VMs, and
    /// meanwhile connects from the client through the VIP every 100 ms (the API server VIP, else the cluster's first
    /// service port); then starts HAProxy on the old master again. Refused: LabFailoverNotPossible (no cluster with two load
    /// balancer VMs); LabVipNotHeld (no VM held the VIP before, or none took it within the bound).
    /// </summary>
    public async Task<LabFailoverResult> FailoverAsync(string? cluster = null, CancellationToken cancellationToken = default)
    {
        LabFailoverResult Refused(params Finding[] findings) => new(names.Lab, cluster, null, 0, null, null, null, [], 0, 0, 0, false, findings);
        if (await StateAsync(cancellationToken).ConfigureAwait(false) is not { } state)
        {
            return Refused(NotPossible(cluster, "it has no load balancer VM"));
        }

        if (state.Error is { } error)
        {
            return Refused(error);
        }

        var lab = state.Lab!;
        var pairs = lab.Balancers.GroupBy(b => b.Cluster).Where(g => g.Count() > 1 && (cluster is null || g.Key == cluster)).Select(g => g.Key).ToList();
        if (pairs.Count == 0 || lab.Client is null)
        {
            return Refused(NotPossible(cluster, cluster is null ? "no cluster in it has two load balancer VMs" : $"cluster '{cluster}' has {lab.Balancers.Count(b => b.Cluster == cluster)} load balancer VM(s) in it"));
        }

        var chosen = pairs[0];
        var target = lab.Vips.Where(v => v.Cluster == chosen && v.Protocol == "TCP").OrderBy(v => v.ApiServer ? 0 : 1).FirstOrDefault();
        if (target is null)
        {
            return Refused(NotPossible(chosen, $"cluster '{chosen}' has no TCP VIP port to connect through"));
        }

        if (await WaitForHolderAsync(lab, chosen, target.Address, null, ElectionBound, cancellationToken).ConfigureAwait(false) is not { } master)
        {
            return Refused(NotHeld(chosen, target.Address, $"no load balancer VM of cluster '{chosen}' holds it after {ElectionBound.TotalSeconds:0} s"));
        }

        // The path works before anything is killed: HAProxy's first checks of the nodes may still be running.
        for (var i = 0; i < 10 && (await ConnectAsync([target], cancellationToken).ConfigureAwait(false))[0].Outcome != "answered" && target.ApiServer; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false);
        }

        var stop = Path.Combine(names.RunDirectory, "failover.stop");
        File.Delete(stop);
        var watch = Stopwatch.StartNew();
        var loop = ip.ExecAsync(names.Client, LabScripts.Python, ["-c", LabScripts.Client, "loop", target.Address, target.Port.ToString(CultureInfo.InvariantCulture),
            target.ApiServer ? "tls" : "tcp", stop, "18"], cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);

        var masterNs = names.Balancer(master.Index);
        foreach (var pid in await ProcessesAsync(masterNs, "haproxy", cancellationToken).ConfigureAwait(false))
        {
            Kill(pid);
        }

        var killedAt = watch.Elapsed;
        var successor = await WaitForHolderAsync(lab, chosen, target.Address, master.Index, FailoverBound, cancellationToken).ConfigureAwait(false);
        var movedAt = watch.Elapsed;
        // Connections go on for two seconds on the new master before the loop is told to stop.
        await Task.Delay(TimeSpan.FromSeconds(successor is null ? 0 : 2), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(stop, "", cancellationToken).ConfigureAwait(false);
        var run = await loop.ConfigureAwait(false);
        File.Delete(stop);

        var dir = LabBalancers.BalancerDirectory(names.RunDirectory, master.Index);
        var restarted = false;
        try
        {
            await ip.StartAsync(masterNs, Path.Combine(dir, "haproxy.log"), "haproxy", LabBalancers.HaProxyArguments(Path.Combine(dir, "haproxy.cfg")), cancellationToken).ConfigureAwait(false);
            restarted = true;
        }
        catch (LabCommandException)
        {
            // The result says it was not restarted; lab down and up start it again.
        }

        var connections = Connections(run.Output);
        // The loop's clock starts when python does, a moment after the loop was launched: the move is placed on the watch's clock, which is not later.
        var moved = movedAt.TotalSeconds;
        var findings = successor is null
            ? [NotHeld(chosen, target.Address, $"no other load balancer VM of cluster '{chosen}' took it within {FailoverBound.TotalSeconds:0} s of HAProxy dying on {master.Vm}")]
            : Array.Empty<Finding>();
        return new(names.Lab, chosen, target.Address, target.Port, master.Vm, successor?.Vm, successor is null ? null : Math.Round((movedAt - killedAt).TotalSeconds, 1),
            connections, connections.Count(c => c.Outcome == "answered"), connections.Count(c => c.Outcome != "answered"),
            successor is null ? 0 : connections.Count(c => c.Outcome == "answered" && c.At >= moved), restarted, findings);
    }

    /// <summary>The load balancer VM of <paramref name="cluster"/> whose <c>eth0</c> holds <paramref name="vip"/>, other than <paramref name="except"/>; polled every 200 ms for at most <paramref name="bound"/>.</summary>
    private async Task<LabBalancer?> WaitForHolderAsync(LabBalancerState lab, string cluster, string vip, int? except, TimeSpan bound, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            foreach (var b in lab.Balancers.Where(b => b.Cluster == cluster && b.Index != except))
            {
                if ((await AddressesAsync(names.Balancer(b.Index), ct).ConfigureAwait(false)).Contains(vip))
                {
                    return b;
                }
            }

            if (watch.Elapsed >= bound)
            {
                return null;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), ct).ConfigureAwait(false);
        }
    }

    /// <summary>Which load balancer VM holds each VIP now, by name.</summary>
    private async Task<Dictionary<string, string>> HoldersAsync(LabBalancerState lab, CancellationToken ct)
    {
        var holders = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var b in lab.Balancers)
        {
            foreach (var address in (await AddressesAsync(names.Balancer(b.Index), ct).ConfigureAwait(false)).Where(a => lab.Vips.Any(v => v.Address == a)))
            {
                holders.TryAdd(address, b.Vm);
            }
        }

        return holders;
    }

    /// <summary>The IPv4 addresses on <c>eth0</c> in <paramref name="ns"/> (<c>ip -j addr</c>); none when the namespace is gone.</summary>
    internal async Task<IReadOnlyList<string>> AddressesAsync(string ns, CancellationToken ct)
    {
        string text;
        try
        {
            text = await ip.IpAsync(ns, ["-j", "-4", "addr", "show", "dev", LabNames.NodeInterface], ct).ConfigureAwait(false);
        }
        catch (LabCommandException)
        {
            return [];
        }

        var root = LabNetwork.Json(text);
        return root.ValueKind != JsonValueKind.Array
            ? []
            : [.. root.EnumerateArray().SelectMany(l => l.GetProperty("addr_info").EnumerateArray()).Select(a => a.GetProperty("local").GetString()).OfType<string>()];
    }

    /// <summary>The processes named <paramref name="comm"/> (as /proc/PID/comm says) that run in namespace <paramref name="ns"/>.</summary>
    public async Task<IReadOnlyList<int>> ProcessesAsync(string ns, string comm, CancellationToken ct = default)
    {
        var found = new List<int>();
        foreach (var pid in await ip.PidsAsync(ns, ct).ConfigureAwait(false))
        {
            try
            {
                if (File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/comm").Trim() == comm)
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
                // The process ended between listing and reading.
            }
        }

        return found;
    }

    /// <summary>One connection from the client to each VIP port, in order.</summary>
    private async Task<IReadOnlyList<(string Outcome, string Detail)>> ConnectAsync(IReadOnlyList<LabVip> vips, CancellationToken ct)
    {
        var targets = JsonSerializer.Serialize(vips.Select(v => new[] { v.Address, v.Port.ToString(CultureInfo.InvariantCulture), v.ApiServer ? "tls" : "" }).ToArray(), LabProbeJson.Default.StringArrayArray);
        var run = await ip.ExecAsync(names.Client, LabScripts.Python, ["-c", LabScripts.Client, "probe", targets], ct).ConfigureAwait(false);
        if (!run.Succeeded)
        {
            return [.. vips.Select(_ => ("unreachable", $"the client could not run: {run.Error.Trim()}"))];
        }

        var root = LabNetwork.Json(run.Output);
        return [.. root.EnumerateArray().Select(r => (r[0].GetString() ?? "", r[1].GetString() ?? ""))];
    }

    private static List<LabVipConnection> Connections(string output) =>
        [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line =>
            {
                try
                {
                    var r = LabNetwork.Json(line);
                    return new LabVipConnection(r[0].GetDouble(), r[1].GetString() ?? "", r[2].GetString() ?? "");
                }
                catch (Exception e) when (e is JsonException or InvalidOperationException or IndexOutOfRangeException)
                {
                    return null;
                }
            })
            .OfType<LabVipConnection>()];

    /// <summary>The lab's recorded load balancer part: null when the lab has none; an error when the lab is not up or this is not root.</summary>
    private async Task<(LabBalancerState? Lab, Finding? Error)?> StateAsync(CancellationToken ct)
    {
        if (!LabCommands.IsRoot)
        {
            return (null, LabNetwork.NeedsRoot());
        }

        if (!(await ip.NamespacesAsync(ct).ConfigureAwait(false)).Contains(names.Fabric))
        {
            return (null, LabProbe.NoLab(names));
        }

        return LabBalancers.ReadState(names) is { Balancers.Count: > 0 } state ? (state, null) : null;
    }

    private static void Kill(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
            process.WaitForExit(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Gone already.
        }
    }

    internal static Finding NotHeld(string cluster, string vip, string why) => Finding.Error("LabVipNotHeld", "cluster",
        $"VIP {vip} of cluster '{cluster}' is on no load balancer VM: {why}.",
        "Read the load balancer VMs' keepalived.log and haproxy.log in the lab's run directory (/run/trellis-lab/PREFIX LAB/lbN/); keepalived gives the VIPs up while its check of HAProxy fails.");

    internal static Finding NotPossible(string? cluster, string why) => Finding.Error("LabFailoverNotPossible", "cluster",
        $"The lab has no VIP to fail over{(cluster is null ? "" : $" for cluster '{cluster}'")}: {why}.",
        "Give the cluster two load balancer VMs (trellis scale --cluster C --load-balancer SETTING --count 2), then bring the lab up again.");
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string[][]))]
internal sealed partial class LabProbeJson : System.Text.Json.Serialization.JsonSerializerContext;
