using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Trellis.Lab;

/// <summary>What <c>lab up</c> started for the load balancer VMs, kept in the lab's run directory so that probe and failover read what runs.</summary>
public sealed record LabBalancerState(IReadOnlyList<LabBalancer> Balancers, IReadOnlyList<LabVip> Vips, IReadOnlyList<LabApiListener> ApiListeners, LabClient? Client);

[JsonSerializable(typeof(LabBalancerState))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class LabBalancerJson : JsonSerializerContext;

/// <summary>
/// The load balancer VMs of a lab: a namespace each, plugged into its vSwitch as a node VM is, running real HAProxy and
/// keepalived on the files the Engine rendered for it (unchanged: only where the programs keep their pid files is given on
/// their command lines); a stand-in API server on 6443 in every control plane node behind an API server VIP; and the outside
/// client, on a network of its own routed by the fabric. Every program is started with <c>ip netns exec</c>
/// (<see cref="LabCommands.StartAsync"/>), so that <c>lab down</c> kills it with its namespace.
/// </summary>
public sealed class LabBalancers(LabNames names, LabCommands? commands = null, TimeProvider? time = null)
{
    /// <summary>The file in the run directory that records what was started (<see cref="LabBalancerState"/>).</summary>
    public const string StateFile = "balancers.json";

    /// <summary>HAProxy's file descriptor need for the rendered <c>maxconn 10000</c>: about twice that, which it sets itself at start.</summary>
    private const long HaProxyDescriptors = 20_100;

    private readonly LabCommands ip = commands ?? new LabCommands();

    private readonly TimeProvider clock = time ?? TimeProvider.System;

    /// <summary>The namespaces the load balancer part of <paramref name="plan"/> makes: one per load balancer VM, and the client.</summary>
    public static IEnumerable<string> Namespaces(LabNames names, LabPlan plan)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(plan);
        return plan.Balancers.Select(b => names.Balancer(b.Index)).Concat(plan.Client is null ? [] : [names.Client]);
    }

    /// <summary>The directory of load balancer VM number <paramref name="index"/>'s files in <paramref name="run"/>.</summary>
    public static string BalancerDirectory(string run, int index) => Path.Combine(run, $"lb{index.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>
    /// HAProxy's command line for <paramref name="config"/>: <c>haproxy -db -f FILE</c> (in the foreground, its log on
    /// stdout as rendered), plus <c>-n 4000</c> where the descriptor hard limit is below what the rendered <c>maxconn 10000</c>
    /// needs (HAProxy refuses to start there without CAP_SYS_RESOURCE); the file itself runs as rendered.
    /// </summary>
    public static IReadOnlyList<string> HaProxyArguments(string config)
    {
        var hard = File.Exists("/proc/self/limits")
            ? File.ReadLines("/proc/self/limits").Where(l => l.StartsWith("Max open files", StringComparison.Ordinal))
                .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[4]).FirstOrDefault()
            : null;
        return long.TryParse(hard, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit < HaProxyDescriptors
            ? ["-n", "4000", "-f", config, "-db"]
            : ["-f", config, "-db"];
    }

    /// <summary>
    /// keepalived's command line for <paramref name="config"/>: in the foreground (<c>-n</c>), logging to its console
    /// (<c>-l -D</c>), VRRP only (<c>-P</c>: the rendered file has no virtual servers), with its pid files in
    /// <paramref name="dir"/> (<c>-p -r -c</c>) instead of /run/keepalived.pid, which several VMs on one machine would share.
    /// </summary>
    public static IReadOnlyList<string> KeepalivedArguments(string config, string dir) =>
        ["-n", "-l", "-D", "-P", "-f", config, "-p", Path.Combine(dir, "keepalived.pid"), "-r", Path.Combine(dir, "vrrp.pid"), "-c", Path.Combine(dir, "checkers.pid")];

    /// <summary>
    /// Makes the load balancer VMs, the client and the listeners of <paramref name="plan"/> and starts their programs; nothing
    /// when the plan has no load balancer VM. A program that refuses its file (<c>haproxy -c</c>, <c>keepalived -t</c>) or
    /// dies at once fails the step with its output, as a failing command does.
    /// </summary>
    internal async Task<IReadOnlyList<LabLease>> BuildAsync(LabPlan plan, LabNetwork network, List<string> made, CancellationToken ct)
    {
        if (plan.Balancers.Count == 0)
        {
            return [];
        }

        // The lab's run directory, which the DHCP servers may share: lab down and a failing lab up remove it.
        var run = names.RunDirectory;
        Directory.CreateDirectory(run);
        await File.WriteAllTextAsync(Path.Combine(run, StateFile),
            JsonSerializer.Serialize(new LabBalancerState(plan.Balancers, plan.VipsWithWorkloads(), plan.ApiListeners, plan.Client), LabBalancerJson.Default.LabBalancerState), ct).ConfigureAwait(false);

        var leases = new List<LabLease>();
        foreach (var b in plan.Balancers)
        {
            await network.VmAsync(names.Balancer(b.Index), LabNames.BalancerPort(b.Index), LabNetwork.BridgeOfVSwitch(plan, b.VSwitch), b.Vlan, b.Owner,
                b.Dhcp ? null : $"{b.Address}/{b.PrefixLength.ToString(CultureInfo.InvariantCulture)}", b.Gateway, made, ct, b.MacAddress).ConfigureAwait(false);
            if (b.Dhcp)
            {
                // After the node VMs: a load balancer VM boots with its cluster, and asks Kea as they did.
                leases.Add(await LabDhcp.LeaseAsync(ip, names.Balancer(b.Index), $"lb{b.Index.ToString(CultureInfo.InvariantCulture)}",
                    new LabLease(b.Index, b.Owner, b.Address, b.PrefixLength, b.Gateway, b.Address), b.Network, run, ct).ConfigureAwait(false));
            }
        }

        if (plan.Client is { } client)
        {
            await ClientAsync(client, made, ct).ConfigureAwait(false);
        }

        var started = new List<(string Ns, int Pid, string Command, string Log)>();
        if (plan.ApiListeners.Count > 0)
        {
            var (cert, key) = WriteCertificate(run, clock.GetUtcNow());
            foreach (var listener in plan.ApiListeners)
            {
                var ns = names.Node(listener.NodeIndex);
                var log = Path.Combine(run, $"n{listener.NodeIndex.ToString(CultureInfo.InvariantCulture)}-api-listener.log");
                var pid = await ip.StartAsync(ns, log, LabScripts.Python, ["-c", LabScripts.ApiListener, listener.Node, cert, key], ct).ConfigureAwait(false);
                started.Add((ns, pid, $"python3 API server stand-in of {listener.Node}", log));
            }
        }

        foreach (var b in plan.Balancers)
        {
            var (ns, dir) = (names.Balancer(b.Index), BalancerDirectory(run, b.Index));
            Directory.CreateDirectory(dir);
            var (haproxy, keepalived) = (Path.Combine(dir, "haproxy.cfg"), Path.Combine(dir, "keepalived.conf"));
            await File.WriteAllTextAsync(haproxy, b.HaProxyConfig, ct).ConfigureAwait(false);
            await File.WriteAllTextAsync(keepalived, b.KeepalivedConfig, ct).ConfigureAwait(false);
            await CheckAsync(await ip.ExecAsync(ns, "haproxy", ["-c", "-q", "-f", haproxy], ct).ConfigureAwait(false)).ConfigureAwait(false);
            await CheckAsync(await ip.ExecAsync(ns, "keepalived", ["-t", "-f", keepalived], ct).ConfigureAwait(false)).ConfigureAwait(false);
            var haproxyLog = Path.Combine(dir, "haproxy.log");
            started.Add((ns, await ip.StartAsync(ns, haproxyLog, "haproxy", HaProxyArguments(haproxy), ct).ConfigureAwait(false), $"haproxy of {b.Vm}", haproxyLog));
            var keepalivedLog = Path.Combine(dir, "keepalived.log");
            started.Add((ns, await ip.StartAsync(ns, keepalivedLog, "keepalived", KeepalivedArguments(keepalived, dir), ct).ConfigureAwait(false), $"keepalived of {b.Vm}", keepalivedLog));
        }

        // A program that refuses to run dies within a moment of starting: say which, with what it wrote.
        await Task.Delay(TimeSpan.FromMilliseconds(500), ct).ConfigureAwait(false);
        foreach (var (ns, pid, command, log) in started)
        {
            if (!(await ip.PidsAsync(ns, ct).ConfigureAwait(false)).Contains(pid))
            {
                var said = File.Exists(log) ? File.ReadAllText(log).Trim() : "";
                throw new LabCommandException(new CommandRun($"{command} in {ns}", 1, "", $"it exited at once: {(said.Length > 600 ? said[^600..] : said)}"));
            }
        }

        return leases;
    }

    /// <summary>
    /// The client: <c>eth0</c> with the client network's second address, a default route via its first, which the fabric holds
    /// on <c>cl0</c> (the veth is made in the fabric, its peer moved straight into the client): the fabric routes it to the
    /// node networks as it routes between them, and no further.
    /// </summary>
    private async Task ClientAsync(LabClient client, List<string> made, CancellationToken ct)
    {
        var (fabric, ns) = (names.Fabric, names.Client);
        var length = System.Net.IPNetwork.Parse(client.Prefix).PrefixLength.ToString(CultureInfo.InvariantCulture);
        await ip.AddNamespaceAsync(ns, ct).ConfigureAwait(false);
        made.Add(ns);
        await ip.IpAsync(ns, ["link", "set", "lo", "up"], ct).ConfigureAwait(false);
        await ip.IpAsync(fabric, ["link", "add", LabNames.ClientRouter, "type", "veth", "peer", "name", LabNames.ClientInterface, "netns", ns], ct).ConfigureAwait(false);
        await ip.IpAsync(fabric, ["addr", "add", $"{client.Router}/{length}", "dev", LabNames.ClientRouter], ct).ConfigureAwait(false);
        await ip.IpAsync(fabric, ["link", "set", LabNames.ClientRouter, "alias", "gateway of the outside client"], ct).ConfigureAwait(false);
        await ip.IpAsync(fabric, ["link", "set", LabNames.ClientRouter, "up"], ct).ConfigureAwait(false);
        await ip.IpAsync(ns, ["link", "set", LabNames.ClientInterface, "alias", "outside client"], ct).ConfigureAwait(false);
        await ip.IpAsync(ns, ["addr", "add", $"{client.Address}/{length}", "dev", LabNames.ClientInterface], ct).ConfigureAwait(false);
        await ip.IpAsync(ns, ["link", "set", LabNames.ClientInterface, "up"], ct).ConfigureAwait(false);
        await ip.IpAsync(ns, ["route", "add", "default", "via", client.Router, "dev", LabNames.ClientInterface], ct).ConfigureAwait(false);
    }

    /// <summary>A self-signed certificate for the API server stand-ins (HAProxy checks them over TLS without verifying), as PEM files in <paramref name="run"/>.</summary>
    private static (string Cert, string Key) WriteCertificate(string run, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=trellis-lab-apiserver", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(30));
        var (certPath, keyPath) = (Path.Combine(run, "apiserver.crt"), Path.Combine(run, "apiserver.key"));
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return (certPath, keyPath);
    }

    private static Task CheckAsync(CommandRun run) => run.Succeeded ? Task.CompletedTask : throw new LabCommandException(run with { Error = run.Error + run.Output });

    /// <summary>What <c>lab up</c> started in this lab, or null when it started nothing (no load balancer VM, or no such lab).</summary>
    public static LabBalancerState? ReadState(LabNames names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var path = Path.Combine(names.RunDirectory, StateFile);
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllText(path), LabBalancerJson.Default.LabBalancerState) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
