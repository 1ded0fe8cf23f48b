using System.Diagnostics;
using System.Text.Json;
using Trellis.Cli;
using Trellis.Engine;
using Trellis.TestSupport;

namespace Trellis.Lab.Tests;

/// <summary>
/// The manifests' workloads as pods of a running lab (tests/Trellis.Lab.Tests/Workloads: a small site of one cluster with
/// a Windows worker, and a shop of three workloads and two Services): placement, listeners, Services in nftables, and
/// the observed matrix beside the engine's. Every lab is made under a prefix of this test's own and removed whatever happens.
/// </summary>
public sealed partial class LabWorkloadTests(LabWorkloadTests.Site site) : IClassFixture<LabWorkloadTests.Site>, IAsyncLifetime
{
    private readonly string prefix = $"{LabNames.TestPrefix}{Guid.NewGuid():N}"[..(LabNames.TestPrefix.Length + 6)] + "-";

    private LabNames Names => new(prefix, "labw");

    /// <summary>The workload tests' site, applied into a state file of its own.</summary>
    public sealed class Site : IAsyncLifetime
    {
        public StoredSite Stored { get; private set; } = null!;

        public async Task InitializeAsync() => Stored = await StoredSite.ApplyAsync(File("site.yaml"));

        public Task DisposeAsync()
        {
            Stored.Dispose();
            return Task.CompletedTask;
        }
    }

    internal static string File(string name) => Path.GetFullPath(Path.Combine(ExampleState.ExamplesDirectory, "..", "tests", "Trellis.Lab.Tests", "Workloads", name));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (LabCommands.IsRoot)
        {
            await LabNetwork.DownAllAsync(prefix);
        }
    }

    private async Task<ManifestSet> LoadAsync(params string[] files)
    {
        await using var session = EngineSession.OpenSqlite(site.Stored.StatePath, write: false);
        var context = (await session.Engine.PolicyContextAsync("w")).Answer!;
        var (texts, problems) = ManifestFiles.Read(files.Select(File));
        Assert.Empty(problems);
        return NetworkPolicyService.Load(texts, context);
    }

    private async Task<LabPlan> PlanAsync(params string[] files)
    {
        var (plan, findings) = LabPlan.WithWorkloads(LabPlan.From(site.Stored.State, "w").Plan!, site.Stored.State, await LoadAsync(files), "w");
        Assert.Empty(findings);
        return plan;
    }

    private async Task<(int Code, string Out, string Err)> CliAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var host = new CliHost { Environment = v => v == "TRELLIS_LAB_PREFIX" ? prefix : null, InputIsTerminal = () => false, ReadLine = () => null };
        var code = await new TrellisCli(stdout, stderr, host).RunAsync([.. args, "--state", site.Stored.StatePath]);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task WithWorkloads_Shop_EachPodOnAWorkerOfItsOsAfterTheProbePod_ServicesAtTheirClusterIpsWithNamedTargetPortsResolved()
    {
        var plan = await PlanAsync("shop.yaml");

        var node = plan.Nodes.ToDictionary(n => n.Index, n => n.Node);
        Assert.Equal(["shop/api[Deployment]", "shop/dns[Deployment]", "shop/web[Deployment]"], plan.Workloads.Select(w => w.Workload));
        var (api, dns, web) = (plan.Workloads[0], plan.Workloads[1], plan.Workloads[2]);
        Assert.Equal(("winpool-1", "windows"), (node[api.Node], api.Os));
        // Round robin over the Linux workers, as the scheduler (and netpol trace) would place them.
        Assert.Equal(["linuxpool-1", "linuxpool-2"], new[] { node[dns.Node], node[web.Node] });
        Assert.All(plan.Workloads, w =>
        {
            var block = plan.Pods.Single(p => p.Index == w.Node);
            Assert.Equal(1, w.Slot);
            Assert.Equal(block.Bridge, w.Gateway);
            // cni0 takes the block's first address and the probe pod the next free one (the second; the third on a Windows
            // node, after kube-proxy's source VIP): the workload pod takes the one after it.
            var first = System.Net.IPNetwork.Parse(block.Block).BaseAddress.GetAddressBytes()[3];
            Assert.Equal(first + (w.Os == "windows" ? 4 : 3), System.Net.IPAddress.Parse(w.Address).GetAddressBytes()[3]);
            Assert.Equal(w.Os == "windows", block.SourceVip is not null);
            // shop.yaml has no policy: each pod's compiled firewall polices nothing.
            Assert.Contains("no policy selects the pod for ingress", w.Firewall, StringComparison.Ordinal);
            Assert.DoesNotContain(" drop", w.Firewall, StringComparison.Ordinal);
        });
        Assert.Equal([new LabPort("dns", 53, "UDP"), new LabPort("assoc", 9899, "SCTP")], dns.Ports);

        var rows = SiteViews.Services(site.Stored.State, "w");
        var webService = plan.Services.Single(s => s.Id == "shop/web");
        Assert.Equal(rows.Single(r => r.Name == "web").ClusterIp, webService.ClusterIp);
        var port = Assert.Single(webService.Ports);
        Assert.Equal(("TCP", 443, rows.Single(r => r.Name == "web").NodePorts[0]), (port.Protocol, port.Port, port.NodePort!.Value));
        Assert.Equal([new LabServiceEndpoint(web.Workload, web.Address, 8443)], port.Endpoints);
        Assert.Equal([new LabServiceEndpoint(dns.Workload, dns.Address, 53)], plan.Services.Single(s => s.Id == "shop/dns").Ports.Single().Endpoints);
    }

    [Fact]
    public async Task WithWorkloads_HostNetworkWorkload_IsLabWorkloadNotRun()
    {
        await using var session = EngineSession.OpenSqlite(site.Stored.StatePath, write: false);
        var context = (await session.Engine.PolicyContextAsync("w")).Answer!;
        var set = NetworkPolicyService.Load([new ManifestText("agent.yaml", """
            apiVersion: v1
            kind: Pod
            metadata: { name: agent, namespace: kube-system }
            spec:
              hostNetwork: true
              containers: [{ name: agent, image: agent, ports: [{ containerPort: 9100 }] }]
            """)], context);

        var (plan, findings) = LabPlan.WithWorkloads(LabPlan.From(site.Stored.State, "w").Plan!, site.Stored.State, set, "w");

        Assert.Empty(plan.Workloads);
        var finding = Assert.Single(findings);
        Assert.Equal(("LabWorkloadNotRun", Trellis.Engine.Contracts.Severity.Warning), (finding.Code, finding.Severity));
        Assert.Contains("kube-system/agent[Pod]", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nft_Services_AreTypedRulesAndRefuseWhatIsNotAnAddressPortOrProtocol()
    {
        var service = new LabService("w", "shop", "web", "10.96.0.20", [new LabServicePort("TCP", 443, 30001,
            [new LabServiceEndpoint("shop/web[Deployment]", "10.244.1.3", 8443), new LabServiceEndpoint("shop/web2[Deployment]", "10.244.2.3", 8443)])]);

        var script = LabNft.Services([service], "172.16.0.21", sctp: false);

        Assert.Contains("ip daddr 10.96.0.20 tcp dport 443 dnat ip to numgen random mod 2 map { 0 : 10.244.1.3 . 8443, 1 : 10.244.2.3 . 8443 } comment \"shop/web tcp/443\"", script, StringComparison.Ordinal);
        Assert.Contains("ip daddr 172.16.0.21 tcp dport 30001 meta mark set 0x4000 dnat ip to numgen random", script, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => LabNft.Services([service with { ClusterIp = "10.96.0.20; flush ruleset" }], "172.16.0.21", false));
        Assert.Throws<ArgumentException>(() => LabNft.Services([service with { Name = "web\" ; drop" }], "172.16.0.21", false));
        Assert.Throws<ArgumentOutOfRangeException>(() => LabNft.Services([service with { Ports = [service.Ports[0] with { Port = 70000 }] }], "172.16.0.21", false));
        Assert.Throws<ArgumentException>(() => LabNft.Services([service with { Ports = [service.Ports[0] with { Protocol = "icmp" }] }], "172.16.0.21", false));
    }

    [Fact]
    public async Task UpProbe_ShopWithoutPolicy_PodsListen_ClusterIpAndNodePortReachThem_ObservedMatrixIsThePredictedOne()
    {
        Assert.True(LabCommands.IsRoot, Kernel.RootNeeded);
        var shop = File("shop.yaml");

        var up = await CliAsync("lab", "up", "--cluster", "w", "-f", shop, "-o", "json");

        Assert.True(up.Code == 0, up.Out + up.Err);
        using var document = JsonDocument.Parse(up.Out);
        var workloads = document.RootElement.GetProperty("plan").GetProperty("workloads");
        Assert.Equal(3, workloads.GetArrayLength());
        // This kernel has no SCTP: dns's SCTP port is a warning, and the rest runs.
        var sctp = document.RootElement.GetProperty("findings").EnumerateArray().Single(f => f.GetProperty("code").GetString() == "LabSctpUnsupported");
        Assert.Contains("shop/dns[Deployment]", sctp.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("9899", sctp.GetProperty("message").GetString(), StringComparison.Ordinal);

        var plan = await PlanAsync("shop.yaml");
        var (api, dns, web) = (plan.Workloads[0], plan.Workloads[1], plan.Workloads[2]);
        var apiPod = Names.WorkloadPod(api.Node, api.Slot);
        Assert.Equal([$"{web.Address}/{web.PrefixLength}"], Kernel.Addresses(Names.WorkloadPod(web.Node, web.Slot), LabNames.NodeInterface));
        var webService = plan.Services.Single(s => s.Id == "shop/web");
        var dnsService = plan.Services.Single(s => s.Id == "shop/dns");
        // A ClusterIP, from a pod on another node: DNATed in the client's node, across the overlay to web's listener.
        Assert.True(Connects(apiPod, "tcp", webService.ClusterIp, 443), "api -> web's ClusterIP:443");
        Assert.True(Connects(apiPod, "udp", dnsService.ClusterIp, 53), "api -> dns's ClusterIP:53/udp (echoed)");
        // A NodePort of a node that runs neither end: DNATed there, masqueraded, and answered back through it.
        var third = plan.Nodes.First(n => n.Index != web.Node && n.Index != api.Node);
        Assert.True(Connects(apiPod, "tcp", third.Address, webService.Ports[0].NodePort!.Value), $"api -> {third.Node}:{webService.Ports[0].NodePort}");
        Assert.False(Connects(apiPod, "tcp", web.Address, 8444), "nothing listens on 8444");

        var probe = await CliAsync("lab", "probe", "--cluster", "w", "-f", shop, "-o", "json");

        Assert.True(probe.Code == 0, probe.Out + probe.Err);
        using var probed = JsonDocument.Parse(probe.Out);
        var matrix = probed.RootElement.GetProperty("probe").GetProperty("matrix");
        Assert.Equal(6, matrix.GetProperty("connections").GetArrayLength());
        Assert.All(matrix.GetProperty("connections").EnumerateArray(), c => Assert.True(c.GetProperty("connected").GetBoolean(), c.GetProperty("path").GetString()));
        Assert.Equal(0, matrix.GetProperty("disagreements").GetArrayLength());
        var observed = matrix.GetProperty("observed").EnumerateArray().Select(l => l.GetString()).ToList();
        Assert.Equal(matrix.GetProperty("predicted").EnumerateArray().Select(l => l.GetString()), observed);
        Assert.Equal(6, observed.Count);
        Assert.Contains("shop/dns[Deployment] => shop/web[Deployment] : TCP 8443", observed);
        Assert.Contains(probed.RootElement.GetProperty("findings").EnumerateArray(), f => f.GetProperty("code").GetString() == "LabSctpUnsupported");

        var down = await new LabNetwork(Names).DownAsync();
        Assert.Equal(3, down.Killed.Count);
    }

    /// <summary>
    /// Until the policy compiler fills <see cref="LabWorkloadPod.Firewall"/>, the lab enforces nothing: web takes dns's
    /// connection that the policy denies, and the probe must say so. When enforcement lands, flip this test: the matrix
    /// must then be the predicted one.
    /// </summary>
    [Fact]
    public async Task Probe_IpBlockNamingAPodsLabAddress_IsPredictedAtTheLabsAddresses_AndAgrees()
    {
        Assert.True(LabCommands.IsRoot, Kernel.RootNeeded);
        var dns = (await PlanAsync("shop.yaml")).Workloads.Single(w => w.Workload == "shop/dns[Deployment]");
        using var folder = new TempFolder();
        // web takes connections only from dns's lab address: the engine must decide the ipBlock where the kernel does.
        var policy = Path.Combine(folder.Path, "web-from-dns-address.yaml");
        await System.IO.File.WriteAllTextAsync(policy, $$"""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: web-from-dns-address, namespace: shop }
            spec:
              podSelector: { matchLabels: { app: web } }
              policyTypes: [Ingress]
              ingress:
                - from: [{ ipBlock: { cidr: {{dns.Address}}/32 } }]
            """);

        var up = await CliAsync(["lab", "up", "--cluster", "w", "-f", File("shop.yaml"), policy]);
        Assert.True(up.Code == 0, up.Out + up.Err);
        var probe = await CliAsync(["lab", "probe", "--cluster", "w", "-f", File("shop.yaml"), policy, "-o", "json"]);

        Assert.True(probe.Code == 0, probe.Out + probe.Err);
        using var json = JsonDocument.Parse(probe.Out);
        var connections = json.RootElement.GetProperty("probe").GetProperty("matrix").GetProperty("connections").EnumerateArray()
            .Where(c => c.GetProperty("to").GetString() == "shop/web[Deployment]" && c.GetProperty("protocol").GetString() == "TCP").ToList();
        Assert.Equal(2, connections.Count);
        Assert.All(connections, c => Assert.Equal(c.GetProperty("from").GetString() == "shop/dns[Deployment]", c.GetProperty("connected").GetBoolean()));
        Assert.All(connections, c => Assert.Equal(c.GetProperty("connected").GetBoolean(), c.GetProperty("predicted").GetBoolean()));
    }

    [Fact]
    public async Task Probe_WithPolicy_TheKernelEnforcesTheCompiledPolicy_AndTheObservedMatrixIsThePredictedOne()
    {
        Assert.True(LabCommands.IsRoot, Kernel.RootNeeded);
        string[] files = [File("shop.yaml"), File("deny-web.yaml")];

        var up = await CliAsync(["lab", "up", "--cluster", "w", "-f", .. files]);

        Assert.True(up.Code == 0, up.Out + up.Err);
        Assert.Contains("3 workload pods", up.Out, StringComparison.Ordinal);
        Assert.Contains("shop/web[Deployment]", up.Out, StringComparison.Ordinal);
        // Every workload pod holds its compiled firewall in its own namespace; only web's input chain polices (drops) anything.
        var pods = Kernel.Namespaces().Where(n => n.StartsWith($"{prefix}labw-n", StringComparison.Ordinal) && n.Contains("-w", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, pods.Count);
        var tables = pods.ToDictionary(n => n, n => Kernel.Run("ip", "netns", "exec", n, "nft", "list", "table", "ip", Trellis.Policy.Nftables.PodFirewall.Table));
        Assert.Single(tables, t => t.Value.Contains("drop", StringComparison.Ordinal));

        var probe = await CliAsync(["lab", "probe", "--cluster", "w", "-f", .. files]);

        Assert.True(probe.Code == 0, probe.Out + probe.Err);
        Assert.Contains("The observed matrix is the predicted one.", probe.Out, StringComparison.Ordinal);
        var observed = probe.Out[probe.Out.IndexOf("Observed", StringComparison.Ordinal)..probe.Out.IndexOf("Predicted", StringComparison.Ordinal)];
        // The kernel dropped dns -> web, as the policy says, and let api -> web through.
        Assert.DoesNotContain("shop/dns[Deployment] => shop/web[Deployment]", observed, StringComparison.Ordinal);
        Assert.Contains("shop/api[Deployment] => shop/web[Deployment] : TCP 8443", observed, StringComparison.Ordinal);
    }

    /// <summary>The policy compiler's hook: a pod's <see cref="LabWorkloadPod.Firewall"/> is loaded in its namespace, and the probe sees what it drops.</summary>
    [Fact]
    public async Task Up_AFirewallOfAPod_IsLoadedInItsNamespace_AndTheProbeReportsWhatItDrops()
    {
        Assert.True(LabCommands.IsRoot, Kernel.RootNeeded);
        var plan = await PlanAsync("shop.yaml");
        const string DropHttps = """
            table inet trellis_pod {
              chain input {
                type filter hook input priority 0; policy accept;
                tcp dport 8443 drop
              }
            }
            """;
        plan = plan with { Workloads = [.. plan.Workloads.Select(w => w.Workload == "shop/web[Deployment]" ? w with { Firewall = DropHttps } : w)] };

        Assert.DoesNotContain((await new LabNetwork(Names).UpAsync(plan)).Findings, f => f.Severity == Trellis.Engine.Contracts.Severity.Error);
        var web = plan.Workloads.Single(w => w.Workload == "shop/web[Deployment]");

        Assert.Contains("tcp dport 8443 drop", Kernel.Run("ip", "netns", "exec", Names.WorkloadPod(web.Node, web.Slot), "nft", "list", "ruleset"), StringComparison.Ordinal);
        var result = await LabProbe.RunAsync(Names, await LoadAsync("shop.yaml"));

        var dropped = result.Matrix!.Disagreements;
        Assert.Equal(2, dropped.Count);
        Assert.All(dropped, c => Assert.Equal(("shop/web[Deployment]", 8443, false, true), (c.To, c.Port, c.Connected, c.Predicted)));
    }

    /// <summary>One TCP connection (or one UDP datagram echoed back) from inside <paramref name="ns"/>, 1 s at most.</summary>
    private static bool Connects(string ns, string protocol, string address, int port)
    {
        const string Client = """
            import socket, sys
            udp = sys.argv[1] == "udp"
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if udp else socket.SOCK_STREAM)
            s.settimeout(1)
            s.connect((sys.argv[2], int(sys.argv[3])))
            if udp:
                s.send(b"x")
                assert s.recv(16) == b"x"
            """;
        var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", ns, "python3", "-c", Client, protocol, address, port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0;
    }
}
