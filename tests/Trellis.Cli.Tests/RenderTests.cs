using Trellis.Cli.Tests.Infrastructure;

namespace Trellis.Cli.Tests;

/// <summary>trellis render: the files of every component from the stored plan, the same bytes every time.</summary>
public sealed class RenderTests
{
    private static async Task<CliResult> Ok(Task<CliResult> run)
    {
        var r = await run;
        Assert.True(r.ExitCode == 0, r.ToString());
        return r;
    }

    private static Dictionary<string, byte[]> Tree(string root) =>
        Directory.GetFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f).Replace('\\', '/'), File.ReadAllBytes, StringComparer.Ordinal);

    [Fact]
    public async Task RenderAll_WritesATreePerClusterAndNode_ByteForByteTheSameEveryRun()
    {
        using var ws = new Workspace();
        await Ok(ws.Run("apply", "-f", Specs.Contoso));

        await Ok(ws.Run("render", "all", "-o", ws.PathOf("first")));
        await Ok(ws.Run("render", "all", "-o", ws.PathOf("second")));

        var first = Tree(ws.PathOf("first"));
        var second = Tree(ws.PathOf("second"));
        Assert.Equal(first.Keys.Order(StringComparer.Ordinal), second.Keys.Order(StringComparer.Ordinal));
        Assert.All(first, kv => Assert.Equal(kv.Value, second[kv.Key]));
        Assert.Contains("clusters/payments/load-balancers/load-balancer-1/haproxy.cfg", first.Keys);
        Assert.Contains("clusters/payments/load-balancers/load-balancer-2/keepalived.conf", first.Keys);
        Assert.Contains("clusters/payments/calico/installation.yaml", first.Keys);
        Assert.Contains("clusters/payments/nodes/winpool-1/hns-network.json", first.Keys);
        Assert.Contains("clusters/legacy/flannel/net-conf.json", first.Keys);
        Assert.Contains("clusters/legacy/nodes/linux-1/subnet.env", first.Keys);
        Assert.DoesNotContain(first.Keys, k => k.StartsWith("clusters/legacy/kube-vip/", StringComparison.Ordinal)); // the product runs it; MetalLB serves the services
        Assert.Contains("clusters/legacy/metallb/metallb.yaml", first.Keys);
        Assert.Contains("clusters/analytics/load-balancer.json", first.Keys);
        Assert.DoesNotContain(first.Keys, k => k.StartsWith("clusters/legacy/load-balancers/", StringComparison.Ordinal));
        Assert.All(first.Values, bytes => Assert.DoesNotContain((byte)'\r', bytes));
    }

    [Fact]
    public async Task RenderOneComponent_ForOneClusterAndVm_PrintsThatFile()
    {
        using var ws = new Workspace();
        await Ok(ws.Run("apply", "-f", Specs.Contoso));
        var allocations = await ws.Allocations();
        var vip = allocations.Single(a => a.Owner == "cluster/payments/api-server").Address;
        var lb2 = allocations.Single(a => a.Owner == "cluster/payments/load-balancer-2").Address;

        var haproxy = await Ok(ws.Run("render", "haproxy", "--cluster", "payments", "--node", "load-balancer-2"));
        var keepalived = await Ok(ws.Run("render", "keepalived", "--cluster", "payments", "--node", "load-balancer-2"));

        Assert.Contains($"bind {vip}:6443", haproxy.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("# ==>", haproxy.Stdout, StringComparison.Ordinal);
        Assert.Contains("state BACKUP", keepalived.Stdout, StringComparison.Ordinal);
        Assert.Contains($"unicast_src_ip {lb2}", keepalived.Stdout, StringComparison.Ordinal);
        var vrrp = allocations.Single(a => a.Owner == "cluster/payments/vrrp").Address;
        Assert.Contains($"virtual_router_id {vrrp}", keepalived.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderKea_OnTheDhcpSite_PrintsPoolsAroundTheExclusions()
    {
        using var ws = new Workspace();
        await Ok(ws.Run("apply", "-f", Specs.Example("dhcp-site.yaml")));

        var kea = await Ok(ws.Run("render", "kea"));
        var windows = await Ok(ws.Run("render", "windows-dhcp"));

        using var json = System.Text.Json.JsonDocument.Parse(kea.Stdout);
        var pools = json.RootElement.GetProperty("Dhcp4").GetProperty("subnet4")[0].GetProperty("pools").EnumerateArray()
            .Select(p => p.GetProperty("pool").GetString()).ToList();
        Assert.Contains("10.12.0.10 - 10.12.0.199", pools);
        Assert.Contains("10.12.0.240 - 10.12.0.250", pools);
        Assert.Contains("Add-DhcpServerv4ExclusionRange", windows.Stdout, StringComparison.Ordinal);
        Assert.Contains("10.12.0.200", windows.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderSomethingTheSiteDoesNotHave_ExitsOneWithAFinding()
    {
        using var ws = new Workspace();
        await Ok(ws.Run("apply", "-f", Specs.WorkedExample));

        var r = await ws.Run("render", "kea", "-o", ws.PathOf("out"));

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("NothingToRender", r.Stdout + r.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(ws.PathOf("out")));
    }

    [Fact]
    public async Task RenderDhcpScopesWithARouterAndDns_NetworkWithoutGateway_ExitsOneWithDhcpRouterMissingAndWritesNothing()
    {
        using var ws = new Workspace();
        var spec = Specs.Edit(Specs.Read(Specs.Example("dhcp-site.yaml")), "    gateway: 10.12.0.1", "");
        await Ok(ws.Run("apply", "-f", ws.WriteText("site.yaml", spec)));

        var r = await ws.Run("render", "all", "-o", ws.PathOf("out"));

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("DhcpRouterMissing", r.Stdout + r.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(ws.PathOf("out")));
        await Ok(ws.Run("render", "calico", "-o", ws.PathOf("calico")));
    }

    [Fact]
    public async Task RenderWithoutAStoredSite_ExitsOne()
    {
        using var ws = new Workspace();
        var r = await ws.Run("render", "all");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("NoSite", r.Stdout + r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderOfAnUnknownComponent_IsAUsageError()
    {
        using var ws = new Workspace();
        var r = await ws.Run("render", "nginx");
        Assert.Equal(2, r.ExitCode);
    }
}
