using System.Diagnostics;
using System.Text.Json;
using Trellis.Engine.Contracts;

namespace Trellis.Lab.Tests;

/// <summary>
/// The worked example's cluster b as a live network: real namespaces, veths, a bridge and pings, under the tests' own
/// prefix and a lab name of each test's own. Every test removes its lab whatever happens.
/// </summary>
public sealed class LabNetworkTests(StoredSite site) : IClassFixture<StoredSite>, IAsyncLifetime
{
    /// <summary>A lab name no other run on this machine uses.</summary>
    private readonly LabNames names = new(LabNames.TestPrefix, $"t{Guid.NewGuid():N}"[..9]);

    /// <summary>A prefix of this test's own, for <c>down --all</c>: it must not remove another run's labs.</summary>
    private readonly string allPrefix = $"{LabNames.TestPrefix}{Guid.NewGuid():N}"[..(LabNames.TestPrefix.Length + 6)] + "-";

    private LabPlan PlanB => LabPlan.From(site.State, "b").Plan!;

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
            await LabNetwork.DownAllAsync(allPrefix);
        }
    }

    [Fact]
    public void Tests_RunAsRoot() => Assert.True(LabCommands.IsRoot, Kernel.RootNeeded);

    [Fact]
    public async Task Up_ClusterB_EveryNodeHasItsPlannedAddressAndReachesEveryOtherNodeAndTheGateway()
    {
        var (links, routes) = (Kernel.HostLinks(), Kernel.HostRoutes());

        var up = await new LabNetwork(names).UpAsync(PlanB);

        Assert.Empty(up.Findings);
        var namespaces = Kernel.Namespaces();
        Assert.Contains(names.Fabric, namespaces);
        foreach (var node in PlanB.Nodes)
        {
            Assert.Contains(names.Node(node.Index), namespaces);
            Assert.Equal([$"{node.Address}/24"], Kernel.Addresses(names.Node(node.Index), LabNames.NodeInterface));
        }

        // Other test projects make veths in the host namespace for a moment: only links named as the lab names its own would be the lab's.
        Assert.DoesNotContain(Kernel.HostLinks().Except(links), l => System.Text.RegularExpressions.Regex.IsMatch(l, "^(p|br|gw|r)[0-9]+$") || l == LabNames.NodeInterface);
        Assert.Equal(routes, Kernel.HostRoutes());

        var probe = await LabProbe.RunAsync(names);

        Assert.Empty(probe.Findings);
        Assert.Equal(PlanB.Nodes.Select(n => n.Owner), probe.Nodes.Select(n => n.Owner));
        Assert.Equal(4 * 3 + 4 + 4 * 3, probe.Pairs.Count);
        Assert.Empty(probe.Unreachable);
        Assert.Equal(PlanB.Pods.Select(p => p.Address), probe.Pods.Select(p => p.Address));
        Assert.Equal(4 * 3, probe.Pairs.Count(p => p.Overlay));
        Assert.Equal(4, probe.Pairs.Count(p => p.To == "gateway" && p.Address == "172.16.0.1"));
    }

    [Fact]
    public async Task Up_ClusterB_VxlanDevicesAreAsPlannedAndTraceSeesThePlannedEncapsulation()
    {
        Assert.Empty((await new LabNetwork(names).UpAsync(PlanB)).Findings);
        var overlay = Assert.Single(PlanB.Overlays);

        foreach (var pod in PlanB.Pods)
        {
            var node = names.Node(pod.Index);
            using var link = JsonDocument.Parse(Kernel.Run("ip", "-n", node, "-j", "-d", "link", "show", "dev", LabNames.Vxlan));
            var device = link.RootElement[0];
            var data = device.GetProperty("linkinfo").GetProperty("info_data");
            Assert.Equal("vxlan", device.GetProperty("linkinfo").GetProperty("info_kind").GetString());
            Assert.Equal(overlay.Vni, data.GetProperty("id").GetInt32());
            Assert.Equal(overlay.Port, data.GetProperty("port").GetInt32());
            Assert.Equal(pod.NodeAddress, data.GetProperty("local").GetString());
            Assert.False(data.GetProperty("learning").GetBoolean());
            Assert.Equal(overlay.Mtu, device.GetProperty("mtu").GetInt32());
            Assert.Equal(LabPlan.VxlanMac(names.Lab, pod.Index), device.GetProperty("address").GetString());
            Assert.Equal([$"{pod.Vtep}/32"], Kernel.Addresses(node, LabNames.Vxlan));
            Assert.Equal([$"{pod.Address}/{overlay.SubnetLength}"], Kernel.Addresses(names.Pod(pod.Index), LabNames.NodeInterface));
            var fdb = Kernel.Run("bridge", "-n", node, "fdb", "show", "dev", LabNames.Vxlan);
            Assert.All(PlanB.Pods.Where(p => p.Index != pod.Index), other =>
            {
                Assert.Contains($"{LabPlan.VxlanMac(names.Lab, other.Index)} dst {other.NodeAddress}", fdb, StringComparison.Ordinal);
                Assert.Contains($"{other.Block} via {other.Vtep} dev {LabNames.Vxlan} onlink", Kernel.Run("ip", "-n", node, "route", "show"), StringComparison.Ordinal);
            });
        }

        var trace = await LabTrace.RunAsync(names, PlanB, "n1-p0", "n3-p0");

        Assert.Empty(trace.Findings);
        var (from, to) = (PlanB.Pods.Single(p => p.Index == 1), PlanB.Pods.Single(p => p.Index == 3));
        Assert.Equal(new LabEncapsulation(from.NodeAddress, to.NodeAddress, overlay.Port, overlay.Vni, from.Address, to.Address), trace.Captured);
        Assert.Equal(trace.Planned, trace.Captured);
    }

    [Fact]
    public async Task Trace_VniChangedUnderThePlan_IsAFinding()
    {
        Assert.Empty((await new LabNetwork(names).UpAsync(PlanB)).Findings);
        var other = PlanB with { Overlays = [.. PlanB.Overlays.Select(o => o with { Vni = o.Vni + 1 })] };

        var trace = await LabTrace.RunAsync(names, other, "n2-p0", "n1-p0");

        Assert.Equal("LabTraceMismatch", Assert.Single(trace.Findings).Code);
        Assert.Contains("VNI", trace.Findings[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probe_NodeCutOff_ListsEveryPairItCannotReach()
    {
        Assert.Empty((await new LabNetwork(names).UpAsync(PlanB)).Findings);
        Kernel.Run("ip", "-n", names.Fabric, "link", "set", LabNames.NodePort(2), "down");

        var probe = await LabProbe.RunAsync(names);

        var cut = PlanB.Nodes.Single(n => n.Index == 2);
        // Its node's pings, and its pod's across the overlay (which runs over the node's cut link).
        Assert.Equal(3 + 3 + 1 + 3 + 3, probe.Unreachable.Count);
        Assert.All(probe.Unreachable, p => Assert.True(p.From == cut.Owner || p.To == cut.Owner || p.From == "n2-p0" || p.To == "n2-p0", $"{p.From} -> {p.To}"));
        Assert.Equal(probe.Pairs.Count - 13, probe.Pairs.Count(p => p.Reachable));
    }

    [Fact]
    public async Task Up_SameNameTwice_IsRefusedAndChangesNothing()
    {
        Assert.Empty((await new LabNetwork(names).UpAsync(PlanB)).Findings);
        // Only this lab's namespaces: other test classes make and remove labs of their own meanwhile.
        var before = (Kernel.Namespaces().Where(names.Owns).ToList(), PlanB.Nodes.Select(n => Kernel.Addresses(names.Node(n.Index), LabNames.NodeInterface)).ToList(), Kernel.Run("ip", "-n", names.Fabric, "-br", "link"));

        var again = await new LabNetwork(names).UpAsync(PlanB);

        Assert.Equal("LabNameTaken", Assert.Single(again.Findings).Code);
        Assert.Empty(again.Namespaces);
        Assert.Equal(before.Item1.Order(StringComparer.Ordinal), Kernel.Namespaces().Where(names.Owns).Order(StringComparer.Ordinal));
        Assert.Equal(before.Item2, PlanB.Nodes.Select(n => Kernel.Addresses(names.Node(n.Index), LabNames.NodeInterface)).ToList());
        Assert.Equal(before.Item3, Kernel.Run("ip", "-n", names.Fabric, "-br", "link"));
    }

    [Fact]
    public async Task Up_OneNamespaceNameTaken_IsRefusedAndMakesNothing()
    {
        Kernel.Run("ip", "netns", "add", names.Node(3));
        try
        {
            var up = await new LabNetwork(names).UpAsync(PlanB);

            Assert.Equal("LabNameTaken", Assert.Single(up.Findings).Code);
            Assert.Equal([names.Node(3)], Kernel.Namespaces().Where(names.Owns));
        }
        finally
        {
            Kernel.Run("ip", "netns", "delete", names.Node(3));
        }
    }

    [Fact]
    public async Task Down_LeavesNoNamespaceOfTheLabAndNoProcessInIt()
    {
        Assert.Empty((await new LabNetwork(names).UpAsync(PlanB)).Findings);
        using var sleeper = Process.Start("ip", ["netns", "exec", names.Node(2), "sleep", "300"]);
        var fabricSleeper = Process.Start("ip", ["netns", "exec", names.Fabric, "sleep", "300"]);
        await WaitForAsync(() => Kernel.Run("ip", "netns", "pids", names.Node(2)).Trim().Length > 0 && Kernel.Run("ip", "netns", "pids", names.Fabric).Trim().Length > 0);

        var down = await new LabNetwork(names).DownAsync();

        Assert.Equal(PlanB.Nodes.Count + PlanB.Pods.Count + LabBalancers.Namespaces(names, PlanB).Count() + 1, down.Removed.Count);
        Assert.Contains(names.Pod(1), down.Removed);
        Assert.Contains(sleeper.Id, down.Killed);
        Assert.Contains(fabricSleeper.Id, down.Killed);
        Assert.True(sleeper.WaitForExit(5000), "the process in the node's namespace still runs");
        Assert.True(fabricSleeper.WaitForExit(5000), "the process in the fabric namespace still runs");
        Assert.DoesNotContain(Kernel.Namespaces(), names.Owns);

        var again = await new LabNetwork(names).DownAsync();

        Assert.Empty(again.Removed);
        fabricSleeper.Dispose();
    }

    [Fact]
    public async Task DownAll_AfterACrash_RemovesEveryLeftOverNamespace()
    {
        // A crash midway through up: the fabric and two nodes made, a veth between them, nothing removed.
        var crashed = new LabNames(allPrefix, "crashed");
        var other = new LabNames(allPrefix, "other");
        Kernel.Run("ip", "netns", "add", crashed.Fabric);
        Kernel.Run("ip", "netns", "add", crashed.Node(1));
        Kernel.Run("ip", "netns", "add", crashed.Node(2));
        Kernel.Run("ip", "-n", crashed.Fabric, "link", "add", "p1", "type", "veth", "peer", "name", "eth0", "netns", crashed.Node(1));
        Assert.Empty((await new LabNetwork(other).UpAsync(PlanB)).Findings);

        var down = await LabNetwork.DownAllAsync(allPrefix);

        Assert.Equal(3 + PlanB.Nodes.Count + PlanB.Pods.Count + LabBalancers.Namespaces(other, PlanB).Count() + 1, down.Removed.Count);
        Assert.DoesNotContain(Kernel.Namespaces(), n => n.StartsWith(allPrefix, StringComparison.Ordinal));
        Assert.Empty((await LabNetwork.DownAllAsync(allPrefix)).Removed);
    }

    [Fact]
    public async Task Up_VlanTheKernelCannotFilter_RemovesWhatItMadeOrTagsThePorts()
    {
        var tagged = PlanB with
        {
            Networks = [.. PlanB.Networks.Select(s => s with { Vlan = 12 })],
            Nodes = [.. PlanB.Nodes.Select(n => n with { Vlan = 12 })],
            Balancers = [.. PlanB.Balancers.Select(b => b with { Vlan = 12 })],
        };

        var up = await new LabNetwork(names).UpAsync(tagged);

        if (up.Findings.Count > 0)
        {
            // This kernel has no bridge VLAN filtering: refused with its own code, and nothing left behind.
            Assert.Equal("LabVlanUnsupported", Assert.Single(up.Findings).Code);
            Assert.DoesNotContain(Kernel.Namespaces(), names.Owns);
            return;
        }

        var vlans = Kernel.Run("bridge", "-n", names.Fabric, "-j", "vlan", "show");
        Assert.Contains("\"vlan\":12", vlans.Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Empty((await LabProbe.RunAsync(names)).Unreachable);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(condition(), "timed out waiting");
    }
}
