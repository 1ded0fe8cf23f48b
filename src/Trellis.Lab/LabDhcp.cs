using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Trellis.Engine;
using Finding = Trellis.Engine.Contracts.Finding;

namespace Trellis.Lab;

/// <summary>
/// The DHCP server of one DHCP network in the lab: real kea-dhcp4 on the file Trellis renders for the network
/// (<c>trellis render kea</c>), in a namespace of its own plugged into the network's vSwitch.
/// </summary>
/// <param name="Index">The server's number: its namespace is <c>PREFIX LAB-dhcpINDEX</c>.</param>
/// <param name="Address">The server's own address: the highest of the network's prefix outside the DHCP scope that no pool, gateway or allocation holds.</param>
/// <param name="Scope">The DHCP scope, e.g. <c>10.12.0.10-10.12.0.250</c>.</param>
/// <param name="VipPool">The network's VIP pool (never leased), e.g. <c>10.12.0.200-10.12.0.239</c>; null when it has none.</param>
/// <param name="KeaConfig">The rendered <c>kea-dhcp4.json</c>, as Trellis renders it.</param>
public sealed record LabDhcpServer(int Index, string Network, string VSwitch, int? Vlan, string Address, int PrefixLength, string Scope, string? VipPool, string KeaConfig);

/// <summary>The address node VM <paramref name="Owner"/> leased from its network's Kea: what dhclient was granted.</summary>
/// <param name="Router">The lease's router option (the node's default route); null when it has none.</param>
/// <param name="Planned">The address the site's plan expects the node to lease (<c>net/NETWORK/dhcp</c>), which real Kea need not grant.</param>
public sealed record LabLease(int Index, string Owner, string Address, int PrefixLength, string? Router, string Planned);

/// <summary>Kea and dhclient in the lab: planning the servers, starting Kea, and leasing the node VMs' addresses from it.</summary>
public static partial class LabDhcp
{
    /// <summary>The rendered Kea file of network N, as <c>trellis render kea</c> writes it.</summary>
    public static string KeaPath(string network) => $"networks/{network}/kea-dhcp4.json";

    /// <summary>How long Kea may take to start, and a node to lease: dhclient's own timeout is a little shorter.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);

    /// <summary>dhclient's configuration: ask at once, give up after 10 s (the lab's server is on the same bridge).</summary>
    private const string DhclientConfig = "timeout 10;\nretry 1;\ninitial-interval 1;\n";

    /// <summary>
    /// A Kea server for each DHCP network among <paramref name="segments"/>, with the network's rendered file. Refused: the
    /// render's own errors, or no address in the prefix outside the scope for the server (LabDhcpNoServerAddress).
    /// </summary>
    internal static (IReadOnlyList<LabDhcpServer> Servers, IReadOnlyList<Finding> Findings) Plan(SiteState state, string? cluster, IReadOnlyList<LabSegment> segments,
        IReadOnlyDictionary<string, NetworkRow> networks)
    {
        var dhcp = segments.Where(s => s.Dhcp).ToList();
        if (dhcp.Count == 0)
        {
            return ([], []);
        }

        var rendered = SiteViews.Render(state, ["kea"], cluster, null);
        if (rendered.Findings.Any(f => f.Severity == Engine.Contracts.Severity.Error))
        {
            return ([], rendered.Findings);
        }

        var servers = new List<LabDhcpServer>();
        var findings = new List<Finding>();
        var held = SiteViews.Allocations(state, null).Select(a => a.Address).ToHashSet(StringComparer.Ordinal);
        foreach (var segment in dhcp)
        {
            var row = networks[segment.Network];
            // A stored Dhcp network has a scope (DhcpScopeMissing is an error), and Kea is rendered for every such network.
            var file = rendered.Files.Single(f => f.Path == KeaPath(segment.Network));
            var scope = row.DhcpScope ?? throw new InvalidOperationException($"Stored DHCP network '{segment.Network}' has no scope.");
            var prefix = IPNetwork.Parse(segment.Prefix);
            var address = ServerAddress(prefix, Range(scope), segment.Gateway, held);
            if (address is null)
            {
                findings.Add(Finding.Error("LabDhcpNoServerAddress", "network", $"DHCP network '{segment.Network}' ({segment.Prefix}) has no address outside its scope {scope} that nothing holds: the lab's Kea needs one of its own.",
                    "Leave at least one address of the prefix outside the dhcpScope (e.g. end the scope a few addresses before the broadcast address)."));
                continue;
            }

            servers.Add(new LabDhcpServer(servers.Count + 1, segment.Network, segment.VSwitch, segment.Vlan, address, prefix.PrefixLength, scope, row.VipPool, file.Content));
        }

        return (servers, findings);
    }

    /// <summary>
    /// The server's address: from the top of <paramref name="prefix"/> down (the broadcast address excluded), the first that
    /// is outside the scope, not the gateway and not held by any allocation of the site. Null when there is none.
    /// </summary>
    public static string? ServerAddress(IPNetwork prefix, (uint First, uint Last) scope, string? gateway, IReadOnlySet<string> held)
    {
        if (prefix.BaseAddress.AddressFamily != AddressFamily.InterNetwork || prefix.PrefixLength > 30)
        {
            return null;
        }

        var first = LabIpv4.Number(prefix.BaseAddress);
        var last = first | (uint)((1UL << (32 - prefix.PrefixLength)) - 1);
        for (var n = last - 1; n > first; n--)
        {
            var text = LabIpv4.Address(n).ToString();
            if ((n < scope.First || n > scope.Last) && text != gateway && !held.Contains(text))
            {
                return text;
            }
        }

        return null;
    }

    /// <summary>An address range as <c>FIRST-LAST</c> (or one address), as numbers.</summary>
    public static (uint First, uint Last) Range(string range)
    {
        var parts = range.Split('-', 2);
        var first = LabIpv4.Number(IPAddress.Parse(parts[0]));
        return (first, parts.Length == 2 ? LabIpv4.Number(IPAddress.Parse(parts[1])) : first);
    }

    /// <summary>Whether <paramref name="address"/> lies in <paramref name="range"/> (<c>FIRST-LAST</c>).</summary>
    public static bool InRange(string address, string range)
    {
        var (first, last) = Range(range);
        var n = LabIpv4.Number(IPAddress.Parse(address));
        return n >= first && n <= last;
    }

    /// <summary>
    /// The rendered Kea file as the lab runs it: the same file with only its lease file moved into the lab's run directory
    /// (the rendered one is Kea's system path, <c>/var/lib/kea/kea-leases4.csv</c>).
    /// </summary>
    public static string RunnableConfig(string rendered, string leaseFile)
    {
        var config = JsonNode.Parse(rendered)!;
        config["Dhcp4"]!["lease-database"]!["name"] = leaseFile;
        return config.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>
    /// Starts kea-dhcp4 in <paramref name="ns"/> on the server's file (its pid and lock files, log and leases in
    /// <paramref name="directory"/>) and waits until it says DHCP4_STARTED. Throws <see cref="LabCommandException"/> when it
    /// does not start within <see cref="StartTimeout"/>, with the end of its log.
    /// </summary>
    internal static async Task StartKeaAsync(LabCommands ip, string ns, LabDhcpServer server, string directory, CancellationToken ct)
    {
        var prefix = Path.Combine(directory, $"kea-{server.Network}");
        var configPath = prefix + ".json";
        var log = prefix + ".log";
        await File.WriteAllTextAsync(configPath, RunnableConfig(server.KeaConfig, prefix + "-leases4.csv"), ct).ConfigureAwait(false);
        await ip.StartAsync(ns, log, "env", [$"KEA_PIDFILE_DIR={directory}", $"KEA_LOCKFILE_DIR={directory}", "kea-dhcp4", "-c", configPath], ct).ConfigureAwait(false);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < StartTimeout)
        {
            var text = File.Exists(log) ? await File.ReadAllTextAsync(log, ct).ConfigureAwait(false) : "";
            if (text.Contains("DHCP4_STARTED", StringComparison.Ordinal))
            {
                return;
            }

            if (text.Contains(" FATAL ", StringComparison.Ordinal) || text.Contains(" ERROR ", StringComparison.Ordinal) || text.Contains("not found", StringComparison.Ordinal))
            {
                break;
            }

            await Task.Delay(100, ct).ConfigureAwait(false);
        }

        var said = File.Exists(log) ? await File.ReadAllTextAsync(log, ct).ConfigureAwait(false) : "(no log)";
        throw new LabDhcpException(new CommandRun($"kea-dhcp4 -c {configPath} (in {ns})", 1, "", Tail(said)), server.Network);
    }

    /// <summary>
    /// Leases the address of the VM in namespace <paramref name="ns"/> (<paramref name="node"/>: its number, owner and the
    /// planned address, the lease the plan expects) with the real ISC dhclient on its <c>eth0</c> (which stays running and
    /// renews, as on a VM; its files in <paramref name="directory"/> named by <paramref name="tag"/>): <c>-sf /bin/true</c>
    /// learns the lease without dhclient configuring anything, then the lab puts the granted address, with the lease's mask,
    /// and a default route via its router on <c>eth0</c>. The answer is <paramref name="node"/> with what was granted.
    /// </summary>
    internal static async Task<LabLease> LeaseAsync(LabCommands ip, string ns, string tag, LabLease node, string network, string directory, CancellationToken ct)
    {
        var prefix = Path.Combine(directory, $"dhclient-{tag}");
        var (conf, leases, pid) = (prefix + ".conf", prefix + ".leases", prefix + ".pid");
        await File.WriteAllTextAsync(conf, DhclientConfig, ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(leases, "", ct).ConfigureAwait(false);
        var run = await ip.ExecAsync(ns, "dhclient", ["-1", "-4", "-cf", conf, "-sf", "/bin/true", "-lf", leases, "-pf", pid, LabNames.NodeInterface], ct).ConfigureAwait(false);
        var granted = ParseLease(await File.ReadAllTextAsync(leases, ct).ConfigureAwait(false));
        if (!run.Succeeded || granted is null)
        {
            throw new LabDhcpException(run with { Error = $"{node.Owner} got no lease: {run.Error.Trim()}" }, network);
        }

        var length = granted.Value.Mask is { } mask ? MaskLength(mask) : node.PrefixLength;
        await ip.IpAsync(ns, ["addr", "add", $"{granted.Value.Address}/{length.ToString(CultureInfo.InvariantCulture)}", "dev", LabNames.NodeInterface], ct).ConfigureAwait(false);
        if (granted.Value.Router is { } router)
        {
            await ip.IpAsync(ns, ["route", "add", "default", "via", router, "dev", LabNames.NodeInterface], ct).ConfigureAwait(false);
        }

        return node with { Address = granted.Value.Address, PrefixLength = length, Router = granted.Value.Router };
    }

    /// <summary>The last lease of a dhclient lease file: its fixed address, subnet mask and first router; null when it holds none.</summary>
    public static (string Address, string? Mask, string? Router)? ParseLease(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var start = text.LastIndexOf("lease {", StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        var lease = text[start..];
        var address = FixedAddress().Match(lease);
        if (!address.Success)
        {
            return null;
        }

        var mask = SubnetMask().Match(lease);
        var router = Routers().Match(lease);
        return (address.Groups[1].Value, mask.Success ? mask.Groups[1].Value : null, router.Success ? router.Groups[1].Value : null);
    }

    private static int MaskLength(string mask) => System.Numerics.BitOperations.PopCount(LabIpv4.Number(IPAddress.Parse(mask)));

    private static string Tail(string text) => text.Length <= 2000 ? text : text[^2000..];

    [GeneratedRegex(@"fixed-address ([0-9.]+);")]
    private static partial Regex FixedAddress();

    [GeneratedRegex(@"option subnet-mask ([0-9.]+);")]
    private static partial Regex SubnetMask();

    [GeneratedRegex(@"option routers ([0-9.]+)")]
    private static partial Regex Routers();
}

/// <summary>Kea did not start, or a node VM got no lease from it.</summary>
public sealed class LabDhcpException(CommandRun run, string network) : LabCommandException(run)
{
    public string Network { get; } = network;
}
