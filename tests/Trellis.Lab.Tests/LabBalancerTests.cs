using System.Text.Json;
using Trellis.Cli;
using Trellis.Engine;

namespace Trellis.Lab.Tests;

/// <summary>The worked example with cluster b's load balancer scaled to two VMs (trellis scale --load-balancer default --count 2) and its workers to two, as stored.</summary>
public sealed class PairedBalancersSite : IAsyncLifetime, IDisposable
{
    private readonly StoredSite site = new();

    public SiteState State { get; private set; } = SiteState.Empty;

    public async Task InitializeAsync()
    {
        await site.InitializeAsync();
        await using var session = EngineSession.OpenSqlite(site.StatePath, write: true);
        // The worked example's node pool is exactly full: a worker of b makes room for the second load balancer VM.
        var fewer = await session.Engine.ExecuteAsync(new ScaleNodePool("b", "linuxpool", 2));
        Assert.True(fewer.Applied, string.Join("\n", fewer.Findings));
        var scaled = await session.Engine.ExecuteAsync(new ScaleLoadBalancer("b", "default", 2));
        Assert.True(scaled.Applied, string.Join("\n", scaled.Findings));
        State = await session.Engine.ReadAsync();
    }

    public Task DisposeAsync()
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => site.Dispose();
}

/// <summary>
/// Load balancer VMs in the lab: real HAProxy and keepalived on the rendered files in namespaces of their own, the outside
/// client's connections through the VIPs, and the VIPs moving when the VRRP master's HAProxy dies. Every test removes its lab.
/// </summary>
public sealed class LabBalancerTests(PairedBalancersSite paired, StoredSite single) : IClassFixture<PairedBalancersSite>, IClassFixture<StoredSite>, IAsyncLifetime
{
    private readonly LabNames names = new(LabNames.TestPrefix, $"t{Guid.NewGuid():N}"[..9]);

    private LabPlan PairB => LabPlan.From(paired.State, "b").Plan!;

    public Task InitializeAsync()
    {
        Assert.True(LabCommands.IsRoot, Kernel.RootNeeded);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (LabCommands.IsRoot)
        {
            await new LabNetwork(names).DownAsync();
        }
    }

    [Fact]
    public void Plan_ClusterA_HasItsLoadBalancerVmWithTheFilesTrellisRenderRendersAndEveryVipPort()
    {
        var plan = LabPlan.From(single.State, "a").Plan!;

        var balancer = Assert.Single(plan.Balancers);
        var rendered = SiteViews.Render(single.State, ["haproxy", "keepalived"], "a", balancer.Vm).Files;
        Assert.Equal(rendered.Single(f => f.Path.EndsWith("/haproxy.cfg", StringComparison.Ordinal)).Content, balancer.HaProxyConfig);
        Assert.Equal(rendered.Single(f => f.Path.EndsWith("/keepalived.conf", StringComparison.Ordinal)).Content, balancer.KeepalivedConfig);
        Assert.Equal("mgmtvnet", balancer.Network);
        Assert.DoesNotContain(plan.Nodes, n => n.Address == balancer.Address);
        // The API server and the services' ports: web1 and db share a VIP (443 and 80), web2 and web3 have their own.
        var api = Assert.Single(plan.Vips, v => v.ApiServer);
        Assert.Equal(["control-plane-1", "control-plane-2", "control-plane-3"], api.Backends);
        Assert.Equal(4, plan.Vips.Count(v => !v.ApiServer));
        Assert.All(plan.Vips.Where(v => !v.ApiServer), v => Assert.True(v.TargetPort >= 30000, $"{v.Service} -> {v.TargetPort}"));
        Assert.Equal(3, plan.ApiListeners.Count);
        Assert.NotNull(plan.Client);
    }

    [Fact]
    public async Task Plan_DhcpSite_ItsLoadBalancerVmLeasesItsAddress_NoReservationPinsIt()
    {
        using var dhcp = await StoredSite.ApplyAsync("dhcp-site.yaml");

        var plan = LabPlan.From(dhcp.State, null).Plan!;

        var row = Assert.Single(Assert.Single(SiteViews.LoadBalancers(dhcp.State)).Vms);
        var balancer = Assert.Single(plan.Balancers);
        Assert.True(balancer.Dhcp);
        Assert.Null(balancer.MacAddress);
        Assert.Equal(row.Address, balancer.Address);
        Assert.Contains(plan.Vips, v => v.ApiServer);
        Assert.NotNull(plan.Client);
    }

    [Fact]
    public async Task Plan_WithWorkloads_EachServiceVipPortNamesTheWorkloadsItsServiceSelects_TheProbeAcceptsOnlyThoseAnswers()
    {
        await using var session = EngineSession.OpenSqlite(single.StatePath, write: false);
        var context = (await session.Engine.PolicyContextAsync("a")).Answer!;
        var manifests = NetworkPolicyService.Load([new ManifestText("shop.yaml", Shop)], context);
        var (plan, _) = LabPlan.WithWorkloads(LabPlan.From(single.State, "a").Plan!, single.State, manifests, "a");

        var vips = plan.VipsWithWorkloads();

        var web1 = Assert.Single(vips, v => v.Service == "shop/web1");
        Assert.Equal(["shop/web1[Deployment]"], web1.Workloads);
        // No manifest runs db, web2 or web3, and the API server's path ends at the control plane's stand-ins.
        Assert.All(vips.Where(v => v.Service != "shop/web1"), v => Assert.Empty(v.Workloads));
        Assert.True(LabBalancerProbe.Selected(web1, "answered", "shop/web1[Deployment]"));
        Assert.True(LabBalancerProbe.Selected(web1, "answered", "shop/web1[Deployment] pod 2"));
        Assert.False(LabBalancerProbe.Selected(web1, "answered", "shop/web2[Deployment]"));
        Assert.False(LabBalancerProbe.Selected(web1, "answered", "shop/web1[Deployment]x"));
        Assert.False(LabBalancerProbe.Selected(web1, "open", ""));
    }

    private const string Shop = """
            apiVersion: v1
            kind: Namespace
            metadata: { name: shop }
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: { name: web1, namespace: shop }
            spec:
              replicas: 1
              selector: { matchLabels: { app: web1 } }
              template:
                metadata: { labels: { app: web1 } }
                spec:
                  containers: [{ name: web, image: web, ports: [{ name: https, containerPort: 8443 }] }]
            ---
            apiVersion: v1
            kind: Service
            metadata: { name: web1, namespace: shop }
            spec:
              type: LoadBalancer
              selector: { app: web1 }
              ports: [{ port: 443, targetPort: https }]
            """;

    [Fact]
    public async Task Probe_ServiceVip_TheOutsideClientReachesTheServicesPod_ThroughKeepalivedHaProxyAndTheNodePort()
    {
        await using var session = EngineSession.OpenSqlite(single.StatePath, write: false);
        var context = (await session.Engine.PolicyContextAsync("a")).Answer!;
        var manifests = NetworkPolicyService.Load([new ManifestText("shop.yaml", Shop)], context);
        var (plan, findings) = LabPlan.WithWorkloads(LabPlan.From(single.State, "a").Plan!, single.State, manifests, "a");
        Assert.Empty(findings);
        var web1 = Assert.Single(plan.Workloads);
        Assert.Single(plan.Balancers);
        Assert.Empty((await new LabNetwork(names).UpAsync(plan)).Findings);

        // What lab up recorded: the probe's verdict requires web1's workload behind web1's VIP port.
        Assert.Equal([web1.Workload], Assert.Single(LabBalancers.ReadState(names)!.Vips, v => v.Service == "shop/web1").Workloads);

        var vips = await new LabBalancerProbe(names).RunAsync();

        // The client -> the VIP on the load balancer VM keepalived gave it -> HAProxy -> a node's NodePort -> the Services
        // table's DNAT -> web1's pod, whose listener says which workload it is.
        var vip = Assert.Single(vips.Vips, v => v.Service.Contains("web1", StringComparison.Ordinal));
        Assert.True(vip.Reached, $"{vip.Outcome}: {vip.Detail}");
        Assert.Equal(("answered", web1.Workload), (vip.Outcome, vip.Detail));
        Assert.Equal(plan.Balancers[0].Vm, vip.Holder);
    }

    [Fact]
    public async Task Up_TwoLoadBalancerVms_RunHaProxyAndKeepalived_TheApiVipReachesTheControlPlane_DownLeavesNothing()
    {
        var plan = PairB;
        Assert.Equal(2, plan.Balancers.Count);

        var up = await new LabNetwork(names).UpAsync(plan);

        Assert.Empty(up.Findings);
        var probe = new LabBalancerProbe(names);
        var pids = new List<int>();
        foreach (var b in plan.Balancers)
        {
            var ns = names.Balancer(b.Index);
            Assert.Contains($"{b.Address}/24", Kernel.Addresses(ns, LabNames.NodeInterface));
            var haproxy = await probe.ProcessesAsync(ns, "haproxy");
            var keepalived = await probe.ProcessesAsync(ns, "keepalived");
            Assert.Single(haproxy);
            Assert.NotEmpty(keepalived);
            pids.AddRange([.. haproxy, .. keepalived]);
            Assert.Equal(b.HaProxyConfig, await File.ReadAllTextAsync(Path.Combine(LabBalancers.BalancerDirectory(names.RunDirectory, b.Index), "haproxy.cfg")));
            Assert.Equal(b.KeepalivedConfig, await File.ReadAllTextAsync(Path.Combine(LabBalancers.BalancerDirectory(names.RunDirectory, b.Index), "keepalived.conf")));
        }

        var listener = Assert.Single(plan.ApiListeners);
        pids.AddRange(Kernel.Run("ip", "netns", "pids", names.Node(listener.NodeIndex)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse));
        Assert.Equal(pids.Count, pids.Distinct().Count());

        var vips = await probe.RunAsync();

        Assert.Empty(vips.Findings);
        var api = Assert.Single(vips.Vips);
        Assert.True(api.Reached, $"{api.Outcome}: {api.Detail}");
        Assert.Equal("control-plane-1", api.Detail);
        Assert.Contains(api.Holder, plan.Balancers.Select(b => b.Vm));
        Assert.Single(plan.Balancers, b => Kernel.Addresses(names.Balancer(b.Index), LabNames.NodeInterface).Contains($"{api.Vip}/24"));

        var down = await new LabNetwork(names).DownAsync();

        Assert.Equal(plan.Nodes.Count + plan.Pods.Count + plan.Balancers.Count + 2, down.Removed.Count);
        Assert.DoesNotContain(Kernel.Namespaces(), names.Owns);
        Assert.All(pids, pid => Assert.False(Runs(pid), $"process {pid} of the lab still runs"));
        Assert.False(Directory.Exists(names.RunDirectory));
    }

    [Fact]
    public async Task Failover_MastersHaProxyKilled_TheVipMovesWithinTheBoundAndConnectionsContinue()
    {
        var plan = PairB;
        Assert.Empty((await new LabNetwork(names).UpAsync(plan)).Findings);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var host = new CliHost { Environment = v => v == "TRELLIS_LAB_PREFIX" ? names.Prefix : null, InputIsTerminal = () => false, ReadLine = () => null };

        var code = await new TrellisCli(stdout, stderr, host).RunAsync(["lab", "failover", "--name", names.Lab, "-o", "json"]);

        Assert.True(code == ExitCodes.Ok, stdout.ToString() + stderr);
        using var document = JsonDocument.Parse(stdout.ToString());
        var failover = document.RootElement.GetProperty("failover");
        Assert.Equal(0, failover.GetProperty("findings").GetArrayLength());
        Assert.Equal("b", failover.GetProperty("cluster").GetString());
        var (fromVm, toVm) = (failover.GetProperty("from").GetString(), failover.GetProperty("to").GetString());
        Assert.NotNull(toVm);
        Assert.NotEqual(fromVm, toVm);
        Assert.InRange(failover.GetProperty("movedAfter").GetDouble(), 0, LabBalancerProbe.FailoverBound.TotalSeconds);
        var connections = failover.GetProperty("connections").EnumerateArray().Select(c => (Outcome: c.GetProperty("outcome").GetString(), Detail: c.GetProperty("detail").GetString())).ToList();
        Assert.True(failover.GetProperty("answeredAfterMove").GetInt32() > 0, string.Join("\n", connections));
        Assert.Equal(("answered", "control-plane-1"), connections[^1]);
        var vip = failover.GetProperty("vip").GetString();
        var to = plan.Balancers.Single(b => b.Vm == toVm);
        var from = plan.Balancers.Single(b => b.Vm == fromVm);
        Assert.Contains($"{vip}/24", Kernel.Addresses(names.Balancer(to.Index), LabNames.NodeInterface));
        Assert.DoesNotContain($"{vip}/24", Kernel.Addresses(names.Balancer(from.Index), LabNames.NodeInterface));
        Assert.True(failover.GetProperty("restarted").GetBoolean());
        Assert.Single(await new LabBalancerProbe(names).ProcessesAsync(names.Balancer(from.Index), "haproxy"));
    }

    [Fact]
    public async Task Failover_OneLoadBalancerVm_IsNotPossible_AndAVipNobodyHolds_IsAFinding()
    {
        var plan = LabPlan.From(single.State, "b").Plan!;
        var balancer = Assert.Single(plan.Balancers);
        Assert.Empty((await new LabNetwork(names).UpAsync(plan)).Findings);
        var probe = new LabBalancerProbe(names);

        var failover = await probe.FailoverAsync();

        Assert.Equal("LabFailoverNotPossible", Assert.Single(failover.Findings).Code);

        // Its HAProxy killed, the one VM's keepalived gives the VIP up (its check fails: FAULT), and no other VM takes it.
        var vip = Assert.Single(plan.Vips).Address;
        var ns = names.Balancer(balancer.Index);
        Assert.NotNull(await WaitAsync(() => Kernel.Addresses(ns, LabNames.NodeInterface).Contains($"{vip}/24"), TimeSpan.FromSeconds(20)));
        foreach (var pid in await probe.ProcessesAsync(ns, "haproxy"))
        {
            Kernel.Run("kill", "-9", pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.NotNull(await WaitAsync(() => !Kernel.Addresses(ns, LabNames.NodeInterface).Contains($"{vip}/24"), TimeSpan.FromSeconds(10)));

        var vips = await probe.RunAsync(TimeSpan.FromSeconds(1));

        Assert.Equal("LabVipNotHeld", Assert.Single(vips.Findings).Code);
        var api = Assert.Single(vips.Unreached);
        Assert.Null(api.Holder);
    }

    /// <summary>Whether process <paramref name="pid"/> runs: it exists and is not a zombie (killed, not yet reaped by whoever adopted it).</summary>
    private static bool Runs(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault() != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static async Task<TimeSpan?> WaitAsync(Func<bool> condition, TimeSpan bound)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (watch.Elapsed < bound)
        {
            if (condition())
            {
                return watch.Elapsed;
            }

            await Task.Delay(200);
        }

        return null;
    }
}
