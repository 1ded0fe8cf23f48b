using System.Diagnostics;

namespace Trellis.Lab.Tests;

/// <summary>
/// The DHCP example as a live lab: real kea-dhcp4 on the file Trellis renders for the network, and every node VM leasing
/// its address from it with the real ISC dhclient. The example without its VLAN, so that it runs on kernels without
/// bridge VLAN filtering; the VLAN's own path is LabNetworkTests'.
/// </summary>
public sealed class LabDhcpTests : IAsyncLifetime
{
    private readonly LabNames names = new(LabNames.TestPrefix, $"d{Guid.NewGuid():N}"[..9]);
    private StoredSite? site;

    private StoredSite Site => site!;

    public async Task InitializeAsync()
    {
        Assert.True(LabCommands.IsRoot, Kernel.RootNeeded);
        site = await StoredSite.DhcpWithoutVlanAsync();
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
    public async Task Up_DhcpSite_EveryNodeLeasesFromKeaInTheScopeNeverFromTheVipPool_AndEveryPairIsReachable()
    {
        var plan = LabPlan.From(Site.State, null).Plan!;
        var server = Assert.Single(plan.DhcpServers);

        var up = await new LabNetwork(names).UpAsync(plan);

        // No reservation pins the example's VMs: where Kea leased one another address than the plan expects, and the rendered
        // haproxy.cfg names it, the lab says so (and says nothing else).
        Assert.DoesNotContain(up.Findings, f => f.Code != "LabLeaseNotPlanned");
        Assert.Equal(
            up.Leases.Where(l => l.Address != l.Planned).Select(l => l.Owner).Order(StringComparer.Ordinal),
            up.Findings.Select(f => f.Message.Split(' ')[0]).Order(StringComparer.Ordinal));
        Assert.Contains(names.Dhcp(1), up.Namespaces);
        Assert.Equal(plan.Nodes.Select(n => n.Owner), up.Leases.Select(l => l.Owner));
        Assert.Equal(up.Leases.Count, up.Leases.Select(l => l.Address).Distinct().Count());
        var vips = Engine.SiteViews.Allocations(Site.State, null).Where(a => a.Pool.EndsWith("/vips", StringComparison.Ordinal)).Select(a => a.Address).ToHashSet();
        Assert.NotEmpty(vips);
        foreach (var lease in up.Leases)
        {
            Assert.True(LabDhcp.InRange(lease.Address, server.Scope), $"{lease.Owner} leased {lease.Address}, outside the scope {server.Scope}");
            Assert.False(LabDhcp.InRange(lease.Address, server.VipPool!), $"{lease.Owner} leased {lease.Address} from the VIP pool {server.VipPool}");
            Assert.DoesNotContain(lease.Address, vips);
            Assert.NotEqual("10.12.0.12", lease.Address); // the jumphost's reservation
            Assert.Equal(("10.12.0.1", 24), (lease.Router, lease.PrefixLength));
            // The kernel holds what Kea granted, and Kea's own lease file says it granted it.
            Assert.Equal([$"{lease.Address}/24"], Kernel.Addresses(names.Node(lease.Index), LabNames.NodeInterface));
        }

        // The load balancer VM leases too, after the nodes, and never an address a node holds.
        var balancer = Assert.Single(up.BalancerLeases);
        Assert.True(LabDhcp.InRange(balancer.Address, server.Scope), balancer.Address);
        Assert.DoesNotContain(balancer.Address, vips);
        Assert.DoesNotContain(balancer.Address, up.Leases.Select(l => l.Address));
        Assert.Equal([$"{balancer.Address}/24"], Kernel.Addresses(names.Balancer(1), LabNames.NodeInterface));

        var keaLeases = await File.ReadAllTextAsync(Path.Combine(names.RunDirectory, "kea-branchvnet-leases4.csv"));
        Assert.All(up.Leases, l => Assert.Contains($"{l.Address},", keaLeases, StringComparison.Ordinal));
        Assert.NotEmpty(Pids(names.Dhcp(1), "kea-dhcp4"));

        // The Windows pool's nodes keep Windows' block layout: kube-proxy's source VIP on cni0, the pod after it.
        var windowsPods = plan.Pods.Where(p => p.SourceVip is not null).ToList();
        Assert.Equal(2, windowsPods.Count);
        Assert.All(windowsPods, p =>
        {
            Assert.Contains($"{p.SourceVip}/32", Kernel.Addresses(names.Node(p.Index), LabNames.PodBridge));
            Assert.Equal([$"{p.Address}/26"], Kernel.Addresses(names.Pod(p.Index), LabNames.NodeInterface));
        });

        var probe = await LabProbe.RunAsync(names);

        Assert.Empty(probe.Findings);
        Assert.Empty(probe.Unreachable);
        Assert.Equal(up.Leases.Select(l => l.Address), probe.Nodes.Select(n => n.Address));
        Assert.Equal(6 * 5, probe.Pairs.Count(p => probe.Pods.Any(x => x.Pod == p.From)));
        Assert.Equal(6, probe.Pairs.Count(p => p.To == "gateway" && p.Address == "10.12.0.1"));

        // The trace's outer addresses are the leased ones the nodes hold.
        var trace = await LabTrace.RunAsync(names, plan, LabNames.PodLabel(1), LabNames.PodLabel(2));
        Assert.Empty(trace.Findings);
        Assert.Equal((up.Leases[0].Address, up.Leases[1].Address), (trace.Captured!.OuterSource, trace.Captured.OuterDestination));

        var down = await new LabNetwork(names).DownAsync();

        Assert.Contains(names.Dhcp(1), down.Removed);
        Assert.DoesNotContain(Kernel.Namespaces(), names.Owns);
        Assert.False(Directory.Exists(names.RunDirectory));
        Assert.All(down.Killed, pid => Assert.Throws<ArgumentException>(() => Process.GetProcessById(pid)));
    }

    [Fact]
    public async Task Up_EveryVmReservedByName_LeasesTheAddressesTheRenderedFilesName_AndTheVipsAreReachedThroughHaProxy()
    {
        // A reservation named after each VM (CLUSTER-VMNAME, with the MAC the lab gives its eth0) pins it: the plan, the
        // rendered haproxy.cfg and Kea all agree on its address.
        string[] vms = ["control-plane-1", "linux-1", "linux-2", "linux-3", "win-1", "win-2", "load-balancer-1"];
        var reservations = string.Concat(vms.Select((vm, i) =>
            $"\n        - {{ name: edge-{vm}, ipAddress: 10.12.0.{(100 + i).ToString(System.Globalization.CultureInfo.InvariantCulture)}, macAddress: 02-1E-2B-78-01-{(i + 1).ToString("X2", System.Globalization.CultureInfo.InvariantCulture)} }}"));
        using var reserved = await StoredSite.ApplyChangedAsync("dhcp-site.yaml", text => System.Text.RegularExpressions.Regex.Replace(
            text.Replace("macAddress: 02-1E-2B-78-00-01 }", "macAddress: 02-1E-2B-78-00-01 }" + reservations, StringComparison.Ordinal),
            @"(?m)^\s*vlanID: 12\s*$\n", ""));
        var plan = LabPlan.From(reserved.State, null).Plan!;
        Assert.All(plan.Nodes, n => Assert.NotNull(n.MacAddress));
        var balancerVm = Assert.Single(plan.Balancers);
        Assert.Equal(("10.12.0.106", "02:1E:2B:78:01:07"), (balancerVm.Address, balancerVm.MacAddress));
        Assert.True(balancerVm.Dhcp);

        var up = await new LabNetwork(names).UpAsync(plan);

        Assert.DoesNotContain(up.Findings, f => f.Code != "LabNeighbourTableSmall");
        Assert.All(up.Leases.Concat(up.BalancerLeases), l => Assert.Equal(l.Planned, l.Address));
        Assert.Equal(Enumerable.Range(100, 6).Select(i => $"10.12.0.{i.ToString(System.Globalization.CultureInfo.InvariantCulture)}").Order(StringComparer.Ordinal),
            up.Leases.Select(l => l.Address).Order(StringComparer.Ordinal));
        Assert.Equal("10.12.0.106", Assert.Single(up.BalancerLeases).Address);

        var vips = await new LabBalancerProbe(names).RunAsync();

        Assert.Empty(vips.Findings);
        Assert.Empty(vips.Unreached);
        Assert.Equal("control-plane-1", Assert.Single(vips.Vips, v => v.Service == LabPlan.ApiServerService).Detail);
        Assert.Equal(balancerVm.Vm, vips.Vips[0].Holder);
    }

    [Fact]
    public void NotPlanned_ABackendLeasedElsewhere_IsLabLeaseNotPlanned_ALoneLoadBalancerVmIsNot_OneOfAPairIs()
    {
        var plan = LabPlan.From(Site.State, null).Plan!;
        var cp = plan.Nodes.Single(n => n.Node == "control-plane-1");
        var moved = new LabLease(cp.Index, cp.Owner, "10.12.0.77", 24, "10.12.0.1", cp.Address);
        var kept = plan.Nodes.Where(n => n != cp).Select(n => new LabLease(n.Index, n.Owner, n.Address, 24, "10.12.0.1", n.Address)).ToList();
        var b = Assert.Single(plan.Balancers);
        var balancer = new LabLease(b.Index, b.Owner, "10.12.0.78", 24, "10.12.0.1", b.Address);

        var finding = Assert.Single(LabLeases.NotPlanned(plan, [moved, .. kept], [balancer]));

        Assert.Equal(("LabLeaseNotPlanned", Engine.Contracts.Severity.Warning), (finding.Code, finding.Severity));
        Assert.StartsWith($"{cp.Owner} leased 10.12.0.77 from the lab's Kea, but the plan expects it at {cp.Address}", finding.Message, StringComparison.Ordinal);
        Assert.Contains("'edge-control-plane-1'", finding.Hint, StringComparison.Ordinal);
        Assert.Empty(LabLeases.NotPlanned(plan, kept, []));

        // With a second VM, keepalived names each one's address as a unicast peer: a VM leased elsewhere breaks VRRP.
        var pair = plan with { Balancers = [b, b with { Index = 2, Vm = "load-balancer-2" }] };
        var peer = Assert.Single(LabLeases.NotPlanned(pair, kept, [balancer]));
        Assert.Contains("unicast_peer", peer.Message, StringComparison.Ordinal);
        Assert.Contains("'edge-load-balancer-1'", peer.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_KeaThatCannotStart_IsLabDhcpFailedWithWhatKeaSaid_AndLeavesNothing()
    {
        var plan = LabPlan.From(Site.State, null).Plan!;
        var broken = plan with { DhcpServers = [plan.DhcpServers[0] with { KeaConfig = plan.DhcpServers[0].KeaConfig.Replace("\"subnet4\"", "\"subnet4-typo\"", StringComparison.Ordinal) }] };

        var up = await new LabNetwork(names).UpAsync(broken);

        var finding = Assert.Single(up.Findings);
        Assert.Equal("LabDhcpFailed", finding.Code);
        Assert.Contains("subnet4-typo", finding.Message, StringComparison.Ordinal);
        Assert.Empty(up.Namespaces);
        Assert.DoesNotContain(Kernel.Namespaces(), names.Owns);
        Assert.False(Directory.Exists(names.RunDirectory));
    }

    /// <summary>The pids of <paramref name="comm"/> processes in namespace <paramref name="ns"/>.</summary>
    private static IReadOnlyList<int> Pids(string ns, string comm) =>
        [.. Kernel.Run("ip", "netns", "pids", ns).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(int.Parse).Where(pid => File.Exists($"/proc/{pid}/comm") && File.ReadAllText($"/proc/{pid}/comm").Trim() == comm)];
}
