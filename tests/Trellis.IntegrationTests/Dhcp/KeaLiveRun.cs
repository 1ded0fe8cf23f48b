using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Trellis.Core.Addressing;
using Trellis.IntegrationTests.Infrastructure;
using Trellis.Rendering.Dhcp;

namespace Trellis.IntegrationTests.Dhcp;

/// <summary>One lease a DHCP client was granted: the client's MAC, the address, and dhclient's lease text (options included).</summary>
public sealed record GrantedLease(string Mac, IPAddress Address, string LeaseText);

/// <summary>
/// Serves the tiny site's rendered Kea configuration with the real kea-dhcp4 in a namespace of its own, and leases from it
/// with the real ISC dhclient in a second namespace, one new MAC after another, until the scope is exhausted; then the two
/// reserved MACs ask. Everything runs once; the tests read what happened. Both namespaces are gone before any test asserts.
/// </summary>
public sealed partial class KeaLiveRun
{
    public const string ServerInterface = "dhcp-srv";
    public const string ClientInterface = "dhcp-cli";

    /// <summary>Attempts beyond the expected capacity, so that a server leasing more than it should is caught.</summary>
    private const int ExtraAttempts = 4;

    public KeaLiveRun()
    {
        var kea = Tools.Require("kea-dhcp4", "kea-dhcp4-server");
        var dhclient = Tools.Require("dhclient", "isc-dhcp-client");
        var noScript = Tools.Require("true", "coreutils");
        var state = TinyDhcpSite.State;
        var network = state.Site.HostNetwork;
        var scope = network.Dhcp!;
        Capacity = (int)KeaConfigRenderer.Pools(state.Site, network).Aggregate(UInt128.Zero, (n, p) => n + p.Count)
            - scope.Reservations.Count(r => KeaConfigRenderer.Pools(state.Site, network).Any(p => p.Contains(r.Address)));

        var dir = Directory.CreateTempSubdirectory("trellis-kea-live-");
        try
        {
            // The rendered file as it is, except that its leases go to this run's directory instead of /var/lib/kea.
            var config = JsonNode.Parse(KeaConfigRenderer.Render(state.Site, network, ServerInterface))!;
            var leaseFile = Path.Combine(dir.FullName, "kea-leases4.csv");
            config["Dhcp4"]!["lease-database"]!["name"] = leaseFile;
            var configPath = Path.Combine(dir.FullName, "kea-dhcp4.conf");
            File.WriteAllText(configPath, config.ToJsonString());
            var clientConf = Path.Combine(dir.FullName, "dhclient.conf");
            File.WriteAllText(clientConf, "timeout 8;\nretry 1;\ninitial-interval 1;\n");
            var log = Path.Combine(dir.FullName, "kea.log");

            using var server = new NetworkNamespace("dhcp-srv");
            using var client = new NetworkNamespace("dhcp-cli");
            server.Link(client, ServerInterface, ClientInterface);
            // The server takes the cloud agent's address: inside the subnet (so Kea selects the subnet) and excluded from every pool.
            server.Exec("ip", "addr", "add", $"{state.Site.CloudAgentAddress}/{scope.Subnet.Length}", "dev", ServerInterface);

            var process = server.Start("sh", "-c",
                $"exec env KEA_PIDFILE_DIR={dir.FullName} KEA_LOCKFILE_DIR={dir.FullName} {kea} -c {configPath} >{log} 2>&1");
            WaitForStart(process, log);

            var attempt = 0;
            GrantedLease? Ask(string mac)
            {
                attempt++;
                client.Exec("ip", "link", "set", "dev", ClientInterface, "address", mac);
                var lf = Path.Combine(dir.FullName, $"dhclient-{attempt}.leases");
                var pf = Path.Combine(dir.FullName, $"dhclient-{attempt}.pid");
                File.WriteAllText(lf, "");
                // -1: try once; -sf true: learn the lease without configuring the interface, so the next MAC starts afresh.
                var result = client.TryExec(dhclient, "-1", "-v", "-cf", clientConf, "-sf", noScript, "-lf", lf, "-pf", pf, ClientInterface);
                if (File.Exists(pf) && int.TryParse(File.ReadAllText(pf).Trim(), CultureInfo.InvariantCulture, out var pid))
                {
                    Tools.Run("/bin/kill", pid.ToString(CultureInfo.InvariantCulture));
                }

                var text = File.ReadAllText(lf);
                var match = FixedAddress().Match(text);
                Attempts.Add($"{mac}: exit {result.ExitCode}{(match.Success ? $", {match.Groups[1].Value}" : "")}");
                return result.ExitCode == 0 && match.Success ? new GrantedLease(mac, IPAddress.Parse(match.Groups[1].Value), text) : null;
            }

            for (var i = 1; i <= Capacity + ExtraAttempts; i++)
            {
                if (Ask($"02:00:00:77:00:{i:x2}") is not { } lease)
                {
                    break;
                }

                Dynamic.Add(lease);
            }

            for (var i = 0; i < 2; i++)
            {
                if (Ask($"02:00:00:77:01:{i:x2}") is { } late)
                {
                    GrantedAfterExhaustion.Add(late);
                }
            }

            foreach (var r in scope.Reservations)
            {
                Reserved[r.Name] = Ask(KeaConfigRenderer.HwAddress(r.MacAddress));
            }

            KeaLeases = File.ReadAllLines(leaseFile).Skip(1).Select(l => l.Split(','))
                .Select(f => (IPAddress.Parse(f[0]), f[1])).ToList();
            KeaLog = File.ReadAllText(log);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>How many addresses the rendered pools may lease dynamically: the pools less the reservations inside them.</summary>
    public int Capacity { get; }

    public List<GrantedLease> Dynamic { get; } = [];

    public List<GrantedLease> GrantedAfterExhaustion { get; } = [];

    public Dictionary<string, GrantedLease?> Reserved { get; } = new(StringComparer.Ordinal);

    public IReadOnlyList<(IPAddress Address, string HwAddress)> KeaLeases { get; } = [];

    public string KeaLog { get; } = "";

    public List<string> Attempts { get; } = [];

    public string Report => $"attempts:\n{string.Join('\n', Attempts)}\nkea log:\n{KeaLog}";

    private static void WaitForStart(System.Diagnostics.Process process, string log)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            var text = File.Exists(log) ? File.ReadAllText(log) : "";
            if (text.Contains("DHCP4_STARTED", StringComparison.Ordinal))
            {
                return;
            }

            if (process.HasExited)
            {
                Assert.Fail($"kea-dhcp4 exited with {process.ExitCode}:\n{text}");
            }

            Thread.Sleep(100);
        }

        Assert.Fail($"kea-dhcp4 did not start within 20 s:\n{(File.Exists(log) ? File.ReadAllText(log) : "(no log)")}");
    }

    [GeneratedRegex(@"fixed-address ([0-9.]+);")]
    private static partial Regex FixedAddress();
}
