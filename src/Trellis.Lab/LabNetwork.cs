using System.Globalization;
using System.Text.Json;
using Trellis.Engine.Contracts;

namespace Trellis.Lab;

/// <summary>What <see cref="LabNetwork.UpAsync"/> did: the namespaces it made, or the findings that say why it made none.</summary>
public sealed record LabUpResult(string Lab, IReadOnlyList<string> Namespaces, IReadOnlyList<Finding> Findings)
{
    /// <summary>The addresses the node VMs on DHCP networks leased from the lab's Kea, in the nodes' order.</summary>
    public IReadOnlyList<LabLease> Leases { get; init; } = [];

    /// <summary>The addresses the load balancer VMs on DHCP networks leased from the lab's Kea, in the VMs' order (<see cref="LabLease.Index"/> is the VM's number).</summary>
    public IReadOnlyList<LabLease> BalancerLeases { get; init; } = [];
}

/// <summary>What <see cref="LabNetwork.DownAsync"/> removed: the namespaces, and the processes it killed in them first.</summary>
public sealed record LabDownResult(IReadOnlyList<string> Removed, IReadOnlyList<int> Killed);

/// <summary>
/// One lab as a live network: a fabric namespace with a bridge per vSwitch and the networks' gateways, and a namespace per
/// node VM plugged into its vSwitch. Everything it makes is named by <see cref="LabNames"/>; it makes nothing in the host's
/// own namespace (<see cref="LabCommands"/>).
/// </summary>
public sealed partial class LabNetwork(LabNames names, LabCommands? commands = null)
{
    private readonly LabCommands ip = commands ?? new LabCommands();

    public LabNames Names => names;

    /// <summary>
    /// Brings <paramref name="plan"/> up. Refused, with nothing made: not root (LabNeedsRoot), a bad lab name or prefix, or a
    /// namespace name the lab would make already exists (LabNameTaken). A command that fails midway (LabCommandFailed, or
    /// LabVlanUnsupported where the kernel has no VLAN filtering) removes every namespace this call made.
    /// </summary>
    public async Task<LabUpResult> UpAsync(LabPlan plan, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var refused = new[] { LabNames.CheckPrefix(names.Prefix), LabNames.CheckLab(names.Lab) }.OfType<Finding>().ToList();
        if (refused.Count > 0)
        {
            return new(names.Lab, [], refused);
        }

        if (!LabCommands.IsRoot)
        {
            return new(names.Lab, [], [NeedsRoot()]);
        }

        var wanted = new[] { names.Fabric }.Concat(plan.DhcpServers.Select(d => names.Dhcp(d.Index))).Concat(plan.Nodes.Select(n => names.Node(n.Index)))
            .Concat(plan.Pods.Select(p => names.Pod(p.Index))).Concat(plan.Workloads.Select(w => names.WorkloadPod(w.Node, w.Slot))).Concat(LabBalancers.Namespaces(names, plan)).ToList();
        var existing = (await ip.NamespacesAsync(cancellationToken).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
        if (wanted.Where(existing.Contains).ToList() is { Count: > 0 } taken)
        {
            return new(names.Lab, [], [Finding.Error("LabNameTaken", "name", $"Namespace{(taken.Count > 1 ? "s" : "")} {string.Join(", ", taken)} already exist{(taken.Count > 1 ? "" : "s")}: lab '{names.Lab}' is up, or was left behind.",
                $"Probe it (trellis lab probe --name {names.Lab}), take it down first (trellis lab down --name {names.Lab}), or choose another name with --name.")]);
        }

        var made = new List<string>();
        var warnings = new List<Finding>();
        try
        {
            var (leases, balancers) = await BuildAsync(plan, made, warnings, cancellationToken).ConfigureAwait(false);
            return new(names.Lab, made, warnings) { Leases = leases, BalancerLeases = balancers };
        }
        catch (Exception e) when (e is LabCommandException or OperationCanceledException)
        {
            await RemoveAsync(made, CancellationToken.None).ConfigureAwait(false);
            RemoveRunDirectories(names.RunDirectory);
            if (e is OperationCanceledException)
            {
                throw;
            }

            var run = ((LabCommandException)e).Run;
            return new(names.Lab, [], [e is LabDhcpException dhcp
                ? Finding.Error("LabDhcpFailed", "network", $"DHCP on network '{dhcp.Network}' failed ('{run.Command}': {run.Error.Trim()}); every namespace this lab had made was removed.",
                    "Check that kea-dhcp4 (Debian kea-dhcp4-server) and dhclient (isc-dhcp-client) are installed, and read what Kea said above; then bring the lab up again.")
                : e is LabVlanException
                ? Finding.Error("LabVlanUnsupported", "vlan", $"The kernel refused VLAN filtering on the lab's vSwitch ('{run.Command}': {run.Error.Trim()}); nothing was left behind.",
                    "Run the lab on a kernel with bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING), or bring up a cluster whose network has no vlanID.")
                : Finding.Error("LabCommandFailed", "lab", $"'{run.Command}' failed: {run.Error.Trim()}; every namespace this lab had made was removed.",
                    "Check that iproute2 is installed and the kernel has veth and bridge support; then bring the lab up again.")]);
        }
    }

    private async Task<(IReadOnlyList<LabLease> Nodes, IReadOnlyList<LabLease> Balancers)> BuildAsync(LabPlan plan, List<string> made, List<Finding> warnings, CancellationToken ct)
    {
        var fabric = names.Fabric;
        await ip.AddNamespaceAsync(fabric, ct).ConfigureAwait(false);
        made.Add(fabric);
        await ip.IpAsync(fabric, ["link", "set", "lo", "up"], ct).ConfigureAwait(false);
        // The fabric routes between the lab's networks as their gateways would; it has no link out of the lab.
        await CheckAsync(await ip.ExecAsync(fabric, "sysctl", ["-q", "-w", "net.ipv4.ip_forward=1"], ct).ConfigureAwait(false)).ConfigureAwait(false);
        if (await LabNeighbours.ReadAsync(ip, fabric, ct).ConfigureAwait(false) is { } table && LabNeighbours.TooSmall(table, LabNeighbours.Estimate(plan)) is { } small)
        {
            warnings.Add(small);
        }

        var vswitches = plan.Networks.Select(s => s.VSwitch).Distinct(StringComparer.Ordinal).ToList();
        for (var i = 0; i < vswitches.Count; i++)
        {
            var bridge = LabNames.Bridge(i);
            await ip.IpAsync(fabric, ["link", "add", bridge, "type", "bridge"], ct).ConfigureAwait(false);
            if (plan.Networks.Any(s => s.VSwitch == vswitches[i] && s.Vlan is not null))
            {
                await VlanStepAsync(ip.IpAsync(fabric, ["link", "set", bridge, "type", "bridge", "vlan_filtering", "1"], ct)).ConfigureAwait(false);
            }

            await ip.IpAsync(fabric, ["link", "set", bridge, "alias", vswitches[i]], ct).ConfigureAwait(false);
            await ip.IpAsync(fabric, ["link", "set", bridge, "up"], ct).ConfigureAwait(false);
        }

        string BridgeOf(string vswitch) => LabNames.Bridge(vswitches.IndexOf(vswitch));

        for (var i = 0; i < plan.Networks.Count; i++)
        {
            var segment = plan.Networks[i];
            if (segment.Gateway is not { } gateway)
            {
                continue;
            }

            // The gateway is a router interface plugged into an access port of its vSwitch, so that each VLAN has its own.
            var (router, port) = (LabNames.Gateway(i), LabNames.GatewayPort(i));
            await ip.IpAsync(fabric, ["link", "add", router, "type", "veth", "peer", "name", port], ct).ConfigureAwait(false);
            await PlugAsync(port, BridgeOf(segment.VSwitch), segment.Vlan, $"gateway of {segment.Network}", ct).ConfigureAwait(false);
            await ip.IpAsync(fabric, ["addr", "add", $"{gateway}/{System.Net.IPNetwork.Parse(segment.Prefix).PrefixLength.ToString(CultureInfo.InvariantCulture)}", "dev", router], ct).ConfigureAwait(false);
            await ip.IpAsync(fabric, ["link", "set", router, "alias", $"gateway {segment.Network}"], ct).ConfigureAwait(false);
            await ip.IpAsync(fabric, ["link", "set", router, "up"], ct).ConfigureAwait(false);
        }

        if (plan.DhcpServers.Count > 0)
        {
            Directory.CreateDirectory(names.RunDirectory);
        }

        foreach (var server in plan.DhcpServers)
        {
            // Kea's own VM on the network: the rendered file's interface is eth0, as in every VM of the lab.
            var ns = names.Dhcp(server.Index);
            await VmAsync(ns, LabNames.DhcpPort(server.Index), BridgeOf(server.VSwitch), server.Vlan, $"dhcp {server.Network}", $"{server.Address}/{server.PrefixLength.ToString(CultureInfo.InvariantCulture)}", null, made, ct).ConfigureAwait(false);
            await LabDhcp.StartKeaAsync(ip, ns, server, names.RunDirectory, ct).ConfigureAwait(false);
        }

        foreach (var node in plan.Nodes)
        {
            await VmAsync(names.Node(node.Index), LabNames.NodePort(node.Index), BridgeOf(node.VSwitch), node.Vlan, node.Owner,
                node.Dhcp ? null : $"{node.Address}/{node.PrefixLength.ToString(CultureInfo.InvariantCulture)}", node.Gateway, made, ct, node.MacAddress).ConfigureAwait(false);
        }

        // Every node on a DHCP network asks at once, as VMs booting together do; each waits for its own answer.
        var leases = await Task.WhenAll(plan.Nodes.Where(n => n.Dhcp).Select(n => LabDhcp.LeaseAsync(ip, names.Node(n.Index), $"n{n.Index.ToString(CultureInfo.InvariantCulture)}",
            new LabLease(n.Index, n.Owner, n.Address, n.PrefixLength, n.Gateway, n.Address), n.Network, names.RunDirectory, ct))).ConfigureAwait(false);
        var addresses = plan.Nodes.ToDictionary(n => n.Index, n => n.Address);
        foreach (var lease in leases)
        {
            addresses[lease.Index] = lease.Address;
        }

        foreach (var pod in plan.Pods)
        {
            await PodAsync(pod, plan.Overlays.Single(o => o.Cluster == pod.Cluster), made, ct).ConfigureAwait(false);
        }

        foreach (var pod in plan.Pods)
        {
            await VxlanAsync(pod, plan.Overlays.Single(o => o.Cluster == pod.Cluster), plan.Pods.Where(p => p.Cluster == pod.Cluster && p.Index != pod.Index), addresses, ct).ConfigureAwait(false);
        }

        await WorkloadsAsync(plan, addresses, made, warnings, ct).ConfigureAwait(false);
        var balancerLeases = await new LabBalancers(names, ip).BuildAsync(plan, this, made, ct).ConfigureAwait(false);
        warnings.AddRange(LabLeases.NotPlanned(plan, leases, balancerLeases));
        return (leases, balancerLeases);
    }

    /// <summary>The fabric's bridge of <paramref name="vswitch"/>: one per vSwitch of the plan, in the order of its networks.</summary>
    internal static string BridgeOfVSwitch(LabPlan plan, string vswitch) =>
        LabNames.Bridge(plan.Networks.Select(s => s.VSwitch).Distinct(StringComparer.Ordinal).ToList().IndexOf(vswitch));

    /// <summary>
    /// A VM's namespace <paramref name="ns"/> plugged into <paramref name="bridge"/> by <paramref name="port"/>: its <c>eth0</c>
    /// with <paramref name="alias"/>, and, unless it leases them, its address and default route. The veth is made inside the
    /// fabric and its peer moved straight into the VM's namespace: the host's namespace never holds either end.
    /// </summary>
    internal async Task VmAsync(string ns, string port, string bridge, int? vlan, string alias, string? address, string? gateway, List<string> made, CancellationToken ct, string? mac = null)
    {
        await ip.AddNamespaceAsync(ns, ct).ConfigureAwait(false);
        made.Add(ns);
        await ip.IpAsync(ns, ["link", "set", "lo", "up"], ct).ConfigureAwait(false);
        await ip.IpAsync(names.Fabric, ["link", "add", port, "type", "veth", "peer", "name", LabNames.NodeInterface, "netns", ns], ct).ConfigureAwait(false);
        await PlugAsync(port, bridge, vlan, alias, ct).ConfigureAwait(false);
        await ip.IpAsync(ns, ["link", "set", LabNames.NodeInterface, "alias", alias], ct).ConfigureAwait(false);
        if (mac is not null)
        {
            // A DHCP reservation's MAC: the VM's DHCP client sends it, and Kea leases the reserved address to it.
            await ip.IpAsync(ns, ["link", "set", LabNames.NodeInterface, "address", mac], ct).ConfigureAwait(false);
        }

        if (address is not null)
        {
            await ip.IpAsync(ns, ["addr", "add", address, "dev", LabNames.NodeInterface], ct).ConfigureAwait(false);
        }

        await ip.IpAsync(ns, ["link", "set", LabNames.NodeInterface, "up"], ct).ConfigureAwait(false);
        if (address is not null && gateway is not null)
        {
            await ip.IpAsync(ns, ["route", "add", "default", "via", gateway, "dev", LabNames.NodeInterface], ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The node's pod bridge <c>cni0</c> with its block's gateway address (and on an emulated Windows node kube-proxy's source
    /// VIP), and one pod namespace on it with the block's first pod address and a default route via <c>cni0</c>; the veth is
    /// made in the node and its peer moved straight into the pod.
    /// </summary>
    private async Task PodAsync(LabPod pod, LabOverlay overlay, List<string> made, CancellationToken ct)
    {
        var (node, ns) = (names.Node(pod.Index), names.Pod(pod.Index));
        var length = overlay.SubnetLength.ToString(CultureInfo.InvariantCulture);
        var mtu = overlay.Mtu.ToString(CultureInfo.InvariantCulture);
        await CheckAsync(await ip.ExecAsync(node, "sysctl", ["-q", "-w", "net.ipv4.ip_forward=1"], ct).ConfigureAwait(false)).ConfigureAwait(false);
        await ip.IpAsync(node, ["link", "add", LabNames.PodBridge, "type", "bridge"], ct).ConfigureAwait(false);
        await ip.IpAsync(node, ["link", "set", LabNames.PodBridge, "mtu", mtu], ct).ConfigureAwait(false);
        await ip.IpAsync(node, ["addr", "add", $"{pod.Bridge}/{length}", "dev", LabNames.PodBridge], ct).ConfigureAwait(false);
        if (pod.SourceVip is { } sourceVip)
        {
            // An emulated Windows node: kube-proxy's source VIP, which HNS holds on the node, keeps the block's second address from the pods.
            await ip.IpAsync(node, ["addr", "add", $"{sourceVip}/32", "dev", LabNames.PodBridge], ct).ConfigureAwait(false);
        }

        await ip.IpAsync(node, ["link", "set", LabNames.PodBridge, "up"], ct).ConfigureAwait(false);

        await PlugPodAsync(node, ns, LabNames.PodPort, $"{pod.Address}/{length}", mtu, pod.Bridge, $"pod {LabNames.PodLabel(pod.Index)} of cluster/{pod.Cluster}", made, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A pod namespace <paramref name="ns"/> on <paramref name="node"/>'s <c>cni0</c>: the veth is made in the node (its end
    /// <paramref name="port"/>, a port of the bridge) and its peer moved straight into the pod as <c>eth0</c>, with the
    /// address, the alias, and a default route via <c>cni0</c>'s address <paramref name="gateway"/>.
    /// </summary>
    private async Task PlugPodAsync(string node, string ns, string port, string address, string mtu, string gateway, string alias, List<string> made, CancellationToken ct)
    {
        await ip.AddNamespaceAsync(ns, ct).ConfigureAwait(false);
        made.Add(ns);
        await ip.IpAsync(ns, ["link", "set", "lo", "up"], ct).ConfigureAwait(false);
        await ip.IpAsync(node, ["link", "add", port, "mtu", mtu, "type", "veth", "peer", "name", LabNames.NodeInterface, "mtu", mtu, "netns", ns], ct).ConfigureAwait(false);
        await ip.IpAsync(node, ["link", "set", port, "master", LabNames.PodBridge], ct).ConfigureAwait(false);
        await ip.IpAsync(node, ["link", "set", port, "up"], ct).ConfigureAwait(false);
        await ip.IpAsync(ns, ["link", "set", LabNames.NodeInterface, "alias", alias], ct).ConfigureAwait(false);
        await ip.IpAsync(ns, ["addr", "add", address, "dev", LabNames.NodeInterface], ct).ConfigureAwait(false);
        await ip.IpAsync(ns, ["link", "set", LabNames.NodeInterface, "up"], ct).ConfigureAwait(false);
        await ip.IpAsync(ns, ["route", "add", "default", "via", gateway, "dev", LabNames.NodeInterface], ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Flannel's VXLAN backend in the node: <c>flannel.1</c> (the cluster's VNI and port, the node's address as its local
    /// end, no learning, the overlay MTU, a MAC the plan derives) with the block's network address /32; for every other
    /// node of the cluster a permanent neighbour (its VTEP address → its MAC), an FDB entry (its MAC → its node address)
    /// and a route to its block via its VTEP address, onlink. Node addresses are the ones the nodes hold: planned, or leased.
    /// </summary>
    private async Task VxlanAsync(LabPod pod, LabOverlay overlay, IEnumerable<LabPod> others, IReadOnlyDictionary<int, string> addresses, CancellationToken ct)
    {
        var node = names.Node(pod.Index);
        await ip.IpAsync(node, ["link", "add", LabNames.Vxlan, "type", "vxlan", "id", overlay.Vni.ToString(CultureInfo.InvariantCulture), "dstport", overlay.Port.ToString(CultureInfo.InvariantCulture),
            "local", addresses[pod.Index], "dev", LabNames.NodeInterface, "nolearning"], ct).ConfigureAwait(false);
        await ip.IpAsync(node, ["link", "set", LabNames.Vxlan, "address", LabPlan.VxlanMac(names.Lab, pod.Index), "mtu", overlay.Mtu.ToString(CultureInfo.InvariantCulture)], ct).ConfigureAwait(false);
        await ip.IpAsync(node, ["addr", "add", $"{pod.Vtep}/32", "dev", LabNames.Vxlan], ct).ConfigureAwait(false);
        await ip.IpAsync(node, ["link", "set", LabNames.Vxlan, "up"], ct).ConfigureAwait(false);
        foreach (var other in others)
        {
            var mac = LabPlan.VxlanMac(names.Lab, other.Index);
            await ip.IpAsync(node, ["neigh", "replace", other.Vtep, "lladdr", mac, "dev", LabNames.Vxlan, "nud", "permanent"], ct).ConfigureAwait(false);
            await ip.BridgeAsync(node, ["fdb", "append", mac, "dev", LabNames.Vxlan, "dst", addresses[other.Index]], ct).ConfigureAwait(false);
            await ip.IpAsync(node, ["route", "add", other.Block, "via", other.Vtep, "dev", LabNames.Vxlan, "onlink"], ct).ConfigureAwait(false);
        }
    }

    /// <summary>Makes <paramref name="port"/> a port of <paramref name="bridge"/>, an access port of <paramref name="vlan"/> when there is one (PVID, untagged).</summary>
    private async Task PlugAsync(string port, string bridge, int? vlan, string alias, CancellationToken ct)
    {
        var fabric = names.Fabric;
        await ip.IpAsync(fabric, ["link", "set", port, "master", bridge], ct).ConfigureAwait(false);
        if (vlan is { } v)
        {
            var id = v.ToString(CultureInfo.InvariantCulture);
            await VlanStepAsync(ip.BridgeAsync(fabric, ["vlan", "add", "dev", port, "vid", id, "pvid", "untagged"], ct)).ConfigureAwait(false);
            if (v != 1)
            {
                await VlanStepAsync(ip.BridgeAsync(fabric, ["vlan", "del", "dev", port, "vid", "1"], ct)).ConfigureAwait(false);
            }
        }

        await ip.IpAsync(fabric, ["link", "set", port, "alias", alias], ct).ConfigureAwait(false);
        await ip.IpAsync(fabric, ["link", "set", port, "up"], ct).ConfigureAwait(false);
    }

    /// <summary>A step of VLAN filtering: its failure is the kernel's missing VLAN support more than anything else.</summary>
    private static async Task VlanStepAsync(Task step)
    {
        try
        {
            await step.ConfigureAwait(false);
        }
        catch (LabCommandException e)
        {
            throw new LabVlanException(e.Run);
        }
    }

    private static Task CheckAsync(CommandRun run) => run.Succeeded ? Task.CompletedTask : throw new LabCommandException(run);

    /// <summary>
    /// Removes every namespace of this lab (its fabric and its nodes), killing the processes in each first. Nothing there:
    /// nothing removed, no error (down is idempotent).
    /// </summary>
    public async Task<LabDownResult> DownAsync(CancellationToken cancellationToken = default)
    {
        var mine = (await ip.NamespacesAsync(cancellationToken).ConfigureAwait(false)).Where(names.Owns).ToList();
        var removed = await RemoveAsync(mine, cancellationToken).ConfigureAwait(false);
        RemoveRunDirectories(names.RunDirectory);
        return removed;
    }

    /// <summary>Removes the run directories (daemons' files) named, once the processes that wrote them are gone.</summary>
    private static void RemoveRunDirectories(params IEnumerable<string> directories)
    {
        foreach (var directory in directories.Where(Directory.Exists))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Removes every namespace whose name starts with <paramref name="prefix"/>: every lab, also those a crash left behind.</summary>
    public static async Task<LabDownResult> DownAllAsync(string prefix, LabCommands? commands = null, CancellationToken cancellationToken = default)
    {
        if (LabNames.CheckPrefix(prefix) is not null)
        {
            throw new ArgumentException($"'{prefix}' is not a lab prefix.", nameof(prefix));
        }

        var ip = commands ?? new LabCommands();
        var all = (await ip.NamespacesAsync(cancellationToken).ConfigureAwait(false)).Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        var removed = await new LabNetwork(new LabNames(prefix, "all"), ip).RemoveAsync(all, cancellationToken).ConfigureAwait(false);
        RemoveRunDirectories(Directory.Exists(LabNames.RunRoot) ? Directory.EnumerateDirectories(LabNames.RunRoot, $"{prefix}*") : []);
        return removed;
    }

    /// <summary>The labs that are up under <paramref name="prefix"/>, by their fabric namespaces.</summary>
    public static async Task<IReadOnlyList<string>> ListAsync(string prefix, LabCommands? commands = null, CancellationToken cancellationToken = default) =>
        [.. (await (commands ?? new LabCommands()).NamespacesAsync(cancellationToken).ConfigureAwait(false))
            .Select(n => LabNames.LabOfFabric(prefix, n)).OfType<string>().Order(StringComparer.Ordinal)];

    /// <summary>Kills the processes in each namespace, then deletes it; the pods and nodes first, the fabric last. One that is gone already is skipped.</summary>
    private async Task<LabDownResult> RemoveAsync(IReadOnlyList<string> namespaces, CancellationToken ct)
    {
        var removed = new List<string>();
        var killed = new List<int>();
        var existing = (await ip.NamespacesAsync(ct).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
        foreach (var ns in namespaces.Where(existing.Contains).OrderBy(n => n.EndsWith("-fabric", StringComparison.Ordinal) ? 1 : 0).ThenBy(n => n, StringComparer.Ordinal))
        {
            foreach (var pid in await ip.PidsAsync(ns, ct).ConfigureAwait(false))
            {
                if (Kill(pid))
                {
                    killed.Add(pid);
                }
            }

            await ip.DeleteNamespaceAsync(ns, ct).ConfigureAwait(false);
            removed.Add(ns);
        }

        return new(removed, killed);
    }

    private static bool Kill(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            process.Kill();
            process.WaitForExit(TimeSpan.FromSeconds(5));
            return true;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>The owner node VM number <paramref name="index"/> of a running lab stands for (its <c>eth0</c>'s alias); null when there is no such node.</summary>
    public static async Task<string?> NodeOwnerAsync(LabNames names, int index, LabCommands? commands = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(names);
        try
        {
            var link = Json(await (commands ?? new LabCommands()).IpAsync(names.Node(index), ["-j", "link", "show", "dev", LabNames.NodeInterface], cancellationToken).ConfigureAwait(false));
            return link.ValueKind == JsonValueKind.Array && link.GetArrayLength() > 0 && link[0].TryGetProperty("ifalias", out var alias) ? alias.GetString() : null;
        }
        catch (LabCommandException)
        {
            return null;
        }
    }

    public static Finding NeedsRoot() => Finding.Error("LabNeedsRoot", "lab", "The lab makes and removes network namespaces, which only root may do.",
        "Run trellis lab as root (sudo trellis lab …).");

    /// <summary>Reads a JSON answer of <c>ip -j</c>.</summary>
    internal static JsonElement Json(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return default;
        }

        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
