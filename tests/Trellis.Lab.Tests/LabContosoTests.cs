using Trellis.Engine;

namespace Trellis.Lab.Tests;

/// <summary>The contoso example without its VLANs (7 and 17), so that its clusters run on kernels without bridge VLAN filtering, applied once.</summary>
public sealed class ContosoSite : IAsyncLifetime
{
    private StoredSite? site;

    public SiteState State => site!.State;

    public async Task InitializeAsync() => site = await StoredSite.ApplyChangedAsync("contoso-multicluster.yaml", text =>
    {
        var changed = System.Text.RegularExpressions.Regex.Replace(text, @"(?m)^\s*vlanID: \d+\s*$\n", "");
        Assert.Equal(2, text.Split("vlanID:").Length - 1);
        Assert.DoesNotContain("vlanID:", changed, StringComparison.Ordinal);
        return changed;
    });

    public Task DisposeAsync()
    {
        site?.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// The contoso example's clusters as live labs: payments (Calico, three control plane VMs, Linux and Windows workers, a
/// pair of HAProxy VMs on the production network) and legacy (Flannel, Linux and Windows workers, the operator's own load
/// balancer), each brought up, probed and removed; and the machine-wide neighbour table a lab of the whole site outgrows.
/// </summary>
public sealed class LabContosoTests(ContosoSite contoso) : IClassFixture<ContosoSite>, IAsyncLifetime
{
    private readonly LabNames names = new(LabNames.TestPrefix, $"c{Guid.NewGuid():N}"[..9]);

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
    public async Task Payments_Up_EveryNodeAndPodReachable_EveryVipReached_TheVipMovesOnFailover_DownLeavesNothing()
    {
        var plan = LabPlan.From(contoso.State, "payments").Plan!;
        Assert.Equal(13, plan.Nodes.Count);
        Assert.Equal(4, plan.Nodes.Count(n => n.Windows));
        Assert.Equal(2, plan.Balancers.Count);
        Assert.All(plan.Balancers, b => Assert.Contains($"unicast_src_ip {b.Address}", b.KeepalivedConfig, StringComparison.Ordinal));

        var up = await new LabNetwork(names).UpAsync(plan);

        Assert.DoesNotContain(up.Findings, f => f.Code != "LabNeighbourTableSmall");
        var probe = await LabProbe.RunAsync(names);
        Assert.DoesNotContain(probe.Findings, f => f.Code == "LabNeighbourTableFull");
        Assert.Empty(probe.Findings);
        Assert.Empty(probe.Unreachable);
        // Every node VM pings the 12 others and its gateway; every probe pod the 12 others, across the overlay (Windows nodes' VNI 4096 and port 4789 for the whole cluster).
        Assert.Equal((13 * 13) + (13 * 12), probe.Pairs.Count);
        Assert.Equal(13 * 12, probe.Pairs.Count(p => p.Overlay));
        Assert.All(plan.Overlays, o => Assert.Equal((4096, 4789), (o.Vni, o.Port)));

        var vips = await new LabBalancerProbe(names).RunAsync();
        Assert.Empty(vips.Findings);
        Assert.Empty(vips.Unreached);
        var api = Assert.Single(vips.Vips, v => v.Service == LabPlan.ApiServerService);
        Assert.Contains(api.Detail, new[] { "control-plane-1", "control-plane-2", "control-plane-3" });
        Assert.Equal(3, vips.Vips.Count(v => v.Service.StartsWith("shop/", StringComparison.Ordinal)));

        var failover = await new LabBalancerProbe(names).FailoverAsync("payments");
        Assert.Empty(failover.Findings);
        Assert.NotNull(failover.To);
        Assert.NotEqual(failover.From, failover.To);
        Assert.True(failover.AnsweredAfterMove > 0, string.Join("\n", failover.Connections));

        var down = await new LabNetwork(names).DownAsync();
        Assert.Equal(plan.Nodes.Count + plan.Pods.Count + plan.Balancers.Count + 2, down.Removed.Count);
        Assert.DoesNotContain(Kernel.Namespaces(), names.Owns);
        Assert.False(Directory.Exists(names.RunDirectory));
    }

    [Fact]
    public async Task Legacy_FlannelWithWindowsNodes_AndTheOperatorsOwnLoadBalancer_Up_EveryNodeAndPodReachable()
    {
        var plan = LabPlan.From(contoso.State, "legacy").Plan!;
        Assert.Equal(5, plan.Nodes.Count);
        // Its load balancer is the operator's own (SKU none: kube-vip and MetalLB, which the lab does not run): no HAProxy VM.
        Assert.Empty(plan.Balancers);
        var overlay = Assert.Single(plan.Overlays);
        Assert.True(overlay.WindowsNodes);
        Assert.Equal((4096, 4789), (overlay.Vni, overlay.Port));

        var up = await new LabNetwork(names).UpAsync(plan);

        Assert.DoesNotContain(up.Findings, f => f.Code != "LabNeighbourTableSmall");
        var probe = await LabProbe.RunAsync(names);
        Assert.Empty(probe.Findings);
        Assert.Empty(probe.Unreachable);
        Assert.Equal(5 * 4, probe.Pairs.Count(p => p.Overlay));
        var windows = plan.Pods.Where(p => p.SourceVip is not null).ToList();
        Assert.Equal(2, windows.Count);
        Assert.All(windows, p => Assert.Contains($"{p.SourceVip}/32", Kernel.Addresses(names.Node(p.Index), LabNames.PodBridge)));

        await new LabNetwork(names).DownAsync();
        Assert.DoesNotContain(Kernel.Namespaces(), names.Owns);
    }

    [Fact]
    public void Estimate_TheWholeSiteOutgrowsTheDefaultNeighbourTable_OneClusterAtATimeDoesNot()
    {
        var whole = LabPlan.From(contoso.State, null).Plan!;
        var payments = LabPlan.From(contoso.State, "payments").Plan!;

        // The production network alone: 28 node VMs, 4 load balancer VMs and the gateway learn one another.
        Assert.True(LabNeighbours.Estimate(whole) >= 33 * 33, LabNeighbours.Estimate(whole).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var defaults = new LabNeighbourTable(1024, 0, 0);
        Assert.Equal("LabNeighbourTableSmall", LabNeighbours.TooSmall(defaults, LabNeighbours.Estimate(whole))?.Code);
        Assert.Null(LabNeighbours.TooSmall(defaults, LabNeighbours.Estimate(payments)));
        // What other namespaces hold counts too.
        Assert.NotNull(LabNeighbours.TooSmall(defaults with { Entries = 1000 }, LabNeighbours.Estimate(payments)));
        Assert.Contains("gc_thresh3=2048", LabNeighbours.TooSmall(defaults, LabNeighbours.Estimate(whole))!.Hint, StringComparison.Ordinal);

        // The pods of a node share its cni0's segment and learn one another: 100 workload pods over payments' 10 workers
        // (the benchmark's size) need more than the default table, though the nodes alone do not.
        var workers = payments.Nodes.Where(n => !n.Node.StartsWith("control-plane-", StringComparison.Ordinal)).ToList();
        var crowded = payments with
        {
            Workloads = [.. Enumerable.Range(0, 100).Select(i => new LabWorkloadPod($"bench/w{i}[Deployment]", "payments", workers[i % workers.Count].Index, (i / workers.Count) + 1,
                workers[i % workers.Count].Address, $"10.0.{i / 200}.{(i % 200) + 2}", 24, "10.0.0.1", "linux", []))],
        };
        Assert.True(LabNeighbours.Estimate(crowded) >= LabNeighbours.Estimate(payments) + (10 * ((12 * 12) - (2 * 2))), LabNeighbours.Estimate(crowded).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.NotNull(LabNeighbours.TooSmall(defaults, LabNeighbours.Estimate(crowded)));
    }

    [Fact]
    public void Overflowed_OnlyWhenTheTableWasFullDuringTheProbe()
    {
        var before = new LabNeighbourTable(1024, 900, 118);

        Assert.Null(LabNeighbours.Overflowed(before, before with { Entries = 1024 }));
        var full = LabNeighbours.Overflowed(before, before with { TableFulls = 142 });
        Assert.Equal(("LabNeighbourTableFull", Engine.Contracts.Severity.Warning), (full?.Code, full?.Severity));
        Assert.Contains("full 24 time(s)", full!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_InsideALabNamespace_ReadsTheMachinesOneTable_ItsLimitIsTheHostsSetting()
    {
        var plan = LabPlan.From(contoso.State, "legacy").Plan!;
        Assert.DoesNotContain((await new LabNetwork(names).UpAsync(plan)).Findings, f => f.Code != "LabNeighbourTableSmall");

        var table = await LabNeighbours.ReadAsync(new LabCommands(), names.Fabric, CancellationToken.None);

        Assert.NotNull(table);
        var limit = int.Parse((await File.ReadAllTextAsync("/proc/sys/net/ipv4/neigh/default/gc_thresh3")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(limit, table.Limit);
        Assert.True(table.Entries > 0, "the lab's VXLAN devices hold permanent entries");
        Assert.True(table.TableFulls >= 0);
    }
}

/// <summary>
/// The AKS Arc example's cluster a (three control plane VMs and five Linux workers on the logical network, MetalLB in ARP
/// mode for its services) as a live lab, without the logical network's VLAN 32, so that it runs on kernels without bridge
/// VLAN filtering: brought up, probed and removed.
/// </summary>
public sealed class LabAksArcTests : IAsyncLifetime
{
    private readonly LabNames names = new(LabNames.TestPrefix, $"r{Guid.NewGuid():N}"[..9]);
    private StoredSite? site;

    public async Task InitializeAsync()
    {
        Assert.True(LabCommands.IsRoot, Kernel.RootNeeded);
        site = await StoredSite.ApplyChangedAsync("aksarc-site.yaml", text =>
        {
            var changed = System.Text.RegularExpressions.Regex.Replace(text, @"(?m)^\s*vlan: 32\s*$\n", "");
            Assert.NotEqual(text, changed);
            return changed;
        });
    }

    public async Task DisposeAsync()
    {
        if (LabCommands.IsRoot)
        {
            await new LabNetwork(names).DownAsync();
        }

        site?.Dispose();
    }

    [Fact]
    public async Task ClusterA_Up_EveryNodeAndPodReachable_NoHaProxyVm_DownLeavesNothing()
    {
        var plan = LabPlan.From(site!.State, "a").Plan!;
        Assert.Equal(8, plan.Nodes.Count);
        Assert.All(plan.Nodes, n => Assert.Equal(("aks-lnet", "ConvergedSwitch"), (n.Network, n.VSwitch)));
        // MetalLB and the control plane IP (kube-vip) are the cluster's own load balancing: there is no HAProxy VM to run.
        Assert.Empty(plan.Balancers);
        Assert.Null(plan.Client);

        var up = await new LabNetwork(names).UpAsync(plan);

        Assert.DoesNotContain(up.Findings, f => f.Code != "LabNeighbourTableSmall");
        var probe = await LabProbe.RunAsync(names);
        Assert.Empty(probe.Findings);
        Assert.Empty(probe.Unreachable);
        Assert.Equal((8 * 8) + (8 * 7), probe.Pairs.Count);
        Assert.Equal(8, probe.Pairs.Count(p => p.To == "gateway" && p.Address == "10.220.32.1"));

        await new LabNetwork(names).DownAsync();
        Assert.DoesNotContain(Kernel.Namespaces(), names.Owns);
    }
}
