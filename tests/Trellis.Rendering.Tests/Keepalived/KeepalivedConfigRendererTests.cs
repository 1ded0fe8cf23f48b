using Trellis.Core.Planning;
using System.Net;
using Trellis.Rendering.Keepalived;
using Trellis.Rendering.Tests.HaProxy;

namespace Trellis.Rendering.Tests.Keepalived;

public class KeepalivedConfigRendererTests
{
    private static string[] Lines(string config) => config.Split('\n').Select(l => l.Trim()).ToArray();

    /// <summary>The entries of a <c>name { ... }</c> block inside the vrrp_instance.</summary>
    private static List<string> Block(string config, string name) =>
        Lines(config).SkipWhile(l => l != $"{name} {{").Skip(1).TakeWhile(l => l != "}").ToList();

    [Fact]
    public void Render_EveryVmStartsAsBackup_WithNopreempt_SoTheVipsDoNotFlapBackOnRecovery()
    {
        var (site, payments) = LoadBalancedClusters.Load("contoso-multicluster.yaml", "payments");
        var first = Lines(KeepalivedConfigRenderer.Render(site, payments, payments.LoadBalancerVms[0]));
        var second = Lines(KeepalivedConfigRenderer.Render(site, payments, payments.LoadBalancerVms[1]));

        // nopreempt works only when no VM starts as MASTER (keepalived.conf(5)); the priorities decide the first election.
        Assert.All(new[] { first, second }, lines =>
        {
            Assert.Contains("state BACKUP", lines);
            Assert.DoesNotContain("state MASTER", lines);
            Assert.Contains("nopreempt", lines);
        });
        Assert.Contains("priority 150", first);
        Assert.Contains("priority 140", second);
    }

    [Fact]
    public void Priority_Descends_ButNeverBelowOne()
    {
        Assert.Equal([150, 140, 130], Enumerable.Range(0, 3).Select(KeepalivedConfigRenderer.Priority));
        Assert.Equal(1, KeepalivedConfigRenderer.Priority(63));
    }

    [Fact]
    public void Render_AdvertisesByUnicast_FromItsOwnAddress_ToEveryOtherVm()
    {
        var (site, payments) = LoadBalancedClusters.Load("contoso-multicluster.yaml", "payments");
        var three = payments with
        {
            LoadBalancerVms = [.. payments.LoadBalancerVms, new PlacedVm("load-balancer-3", PoolIds.LoadBalancerVm("payments", 3), IPAddress.Parse("172.17.0.99"), Core.Model.OsType.Linux)],
        };

        foreach (var vm in three.LoadBalancerVms)
        {
            var config = KeepalivedConfigRenderer.Render(site, three, vm);

            Assert.Contains($"unicast_src_ip {vm.Address}", Lines(config));
            Assert.Equal(three.LoadBalancerVms.Where(o => o != vm).Select(o => o.Address.ToString()), Block(config, "unicast_peer"));
        }
    }

    [Fact]
    public void Render_LoneVm_HasNoUnicastPeers()
    {
        var (site, a) = LoadBalancedClusters.Load("worked-example.yaml", "a");
        var config = KeepalivedConfigRenderer.Render(site, a, Assert.Single(a.LoadBalancerVms));

        Assert.Contains("priority 150", Lines(config));
        Assert.DoesNotContain("unicast_peer", config, StringComparison.Ordinal);
        Assert.DoesNotContain("unicast_src_ip", config, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_VirtualIpaddress_HoldsTheApiServerVipAndEveryServiceVip_WithTheNetworksPrefixLength()
    {
        var (site, payments) = LoadBalancedClusters.Load("contoso-multicluster.yaml", "payments");
        var config = KeepalivedConfigRenderer.Render(site, payments, payments.LoadBalancerVms[1]);

        Assert.Equal(
            ["172.17.1.100/23 dev eth0", "172.17.1.101/23 dev eth0", "172.17.1.102/23 dev eth0"],
            Block(config, "virtual_ipaddress"));
        Assert.Equal(payments.ApiServerVip, KeepalivedConfigRenderer.Vips(payments)[0]);
        Assert.DoesNotContain("virtual_ipaddress_excluded", config, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_MoreVipsThanAnAdvertCarries_MovesTheRestUnadvertised()
    {
        var (site, payments) = LoadBalancedClusters.Load("contoso-multicluster.yaml", "payments");
        var many = payments with
        {
            ServiceVips = Enumerable.Range(0, 24).Select(i => new PlacedVip(IPAddress.Parse($"172.17.1.{120 + i}"), [])).ToList(),
        };
        var config = KeepalivedConfigRenderer.Render(site, many, many.LoadBalancerVms[0]);

        var advertised = Block(config, "virtual_ipaddress");
        Assert.Equal(20, advertised.Count);
        Assert.Equal("172.17.1.100/23 dev eth0", advertised[0]);
        Assert.Equal(5, Block(config, "virtual_ipaddress_excluded").Count);
    }

    [Fact]
    public void Render_UsesTheAllocatedVirtualRouterId()
    {
        var (site, payments) = LoadBalancedClusters.Load("contoso-multicluster.yaml", "payments");
        var config = KeepalivedConfigRenderer.Render(site, payments with { VirtualRouterId = 17 }, payments.LoadBalancerVms[0]);

        Assert.Contains("virtual_router_id 17", Lines(config));
        Assert.Contains("vrrp_instance VI_payments {", Lines(config));
    }

    [Fact]
    public void Render_WithoutVirtualRouterId_Throws()
    {
        var (site, payments) = LoadBalancedClusters.Load("contoso-multicluster.yaml", "payments");

        var e = Assert.Throws<InvalidOperationException>(() =>
            KeepalivedConfigRenderer.Render(site, payments with { VirtualRouterId = null }, payments.LoadBalancerVms[0]));
        Assert.Contains("cluster/payments/vrrp", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_VmOfAnotherCluster_Throws()
    {
        var (site, payments) = LoadBalancedClusters.Load("contoso-multicluster.yaml", "payments");
        var (_, analytics) = LoadBalancedClusters.Load("contoso-multicluster.yaml", "analytics");

        Assert.Throws<ArgumentException>(() => KeepalivedConfigRenderer.Render(site, payments, analytics.LoadBalancerVms[0]));
    }

    [Fact]
    public void Render_HasNoAuthPass_DerivedFromPublicNames()
    {
        var (site, payments) = LoadBalancedClusters.Load("contoso-multicluster.yaml", "payments");

        foreach (var vm in payments.LoadBalancerVms)
        {
            var config = KeepalivedConfigRenderer.Render(site, payments, vm);

            // RFC 3768 removed VRRPv2 authentication and VRRPv3 has none: a PASS derived from the site and cluster names is no secret.
            Assert.DoesNotContain("authentication", config, StringComparison.Ordinal);
            Assert.DoesNotContain("auth_pass", config, StringComparison.Ordinal);
            Assert.DoesNotContain("auth_type", config, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Render_InterfaceName_IsUsedForTheInstanceAndEveryVip()
    {
        var (site, payments) = LoadBalancedClusters.Load("contoso-multicluster.yaml", "payments");
        var config = KeepalivedConfigRenderer.Render(site, payments, payments.LoadBalancerVms[0], "ens192");

        Assert.Contains("interface ens192", Lines(config));
        Assert.All(Block(config, "virtual_ipaddress"), l => Assert.EndsWith(" dev ens192", l, StringComparison.Ordinal));
        Assert.DoesNotContain("eth0", config, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_TracksHaproxy_WithScriptSecurity()
    {
        var (site, payments) = LoadBalancedClusters.Load("contoso-multicluster.yaml", "payments");
        var config = KeepalivedConfigRenderer.Render(site, payments, payments.LoadBalancerVms[0]);

        Assert.Equal(["enable_script_security", "script_user root", "router_id payments-load-balancer-1"], Block(config, "global_defs"));
        Assert.Equal(["chk_haproxy"], Block(config, "track_script"));
        Assert.Contains("advert_int 1", Lines(config));
    }

    [Fact]
    public void Render_HaproxyCheck_AsksHaproxysHealthEndpointThatItServes_NotPidof()
    {
        var (site, payments) = LoadBalancedClusters.Load("contoso-multicluster.yaml", "payments");
        var config = KeepalivedConfigRenderer.Render(site, payments, payments.LoadBalancerVms[0]);
        var haproxy = HaProxy.HaProxyConfigRendererTests.StatsSection(site, payments, payments.LoadBalancerVms[0]);

        var check = Block(config, "vrrp_script chk_haproxy");
        Assert.Contains("script \"/usr/bin/curl --silent --fail --max-time 2 --output /dev/null http://127.0.0.1:8404/healthz\"", check);
        Assert.DoesNotContain("pidof", config, StringComparison.Ordinal);
        // The endpoint the check asks is the one haproxy.cfg serves.
        Assert.Contains("bind 127.0.0.1:8404", haproxy);
        Assert.Contains("monitor-uri /healthz", haproxy);
    }

    [Fact]
    public void Render_FailedHaproxyCheck_PutsTheInstanceInFault_SoANopreemptBackupTakesOver()
    {
        var (site, payments) = LoadBalancedClusters.Load("contoso-multicluster.yaml", "payments");
        var check = Block(KeepalivedConfigRenderer.Render(site, payments, payments.LoadBalancerVms[0]), "vrrp_script chk_haproxy");

        // A weight would only lower the master's priority, and a nopreempt backup never takes over from a live master.
        Assert.DoesNotContain(check, l => l.StartsWith("weight", StringComparison.Ordinal));
        Assert.Contains("fall 2", check);
        Assert.Contains("timeout 3", check);
    }

    [Theory]
    [InlineData("pay ments")]
    [InlineData("pay!ments")]
    [InlineData("pay#ments")]
    [InlineData("pay}ments")]
    [InlineData("pay\nments")]
    [InlineData("pay\"ments")]
    public void Render_RefusesAClusterNameKeepalivedCannotHold(string name)
    {
        var (site, payments) = LoadBalancedClusters.Load("contoso-multicluster.yaml", "payments");
        var hostile = payments with { Cluster = payments.Cluster with { Spec = payments.Cluster.Spec with { Name = name } } };

        var e = Assert.Throws<UnrenderableValueException>(() => KeepalivedConfigRenderer.Render(site, hostile, hostile.LoadBalancerVms[0]));
        Assert.Equal("UnrenderableValue", e.Finding.Code);
        Assert.Contains("keepalived.conf", e.Finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_RefusesAnInterfaceNameKeepalivedCannotHold()
    {
        var (site, payments) = LoadBalancedClusters.Load("contoso-multicluster.yaml", "payments");

        Assert.Throws<UnrenderableValueException>(() => KeepalivedConfigRenderer.Render(site, payments, payments.LoadBalancerVms[0], "eth0 }\nvrrp_script x {"));
    }

    [Fact]
    public void Render_SiteNameWithALineBreak_StaysInTheHeaderComment()
    {
        var (site, payments) = LoadBalancedClusters.Load("contoso-multicluster.yaml", "payments");
        var hostile = site with { Spec = site.Spec with { Name = "contoso\nglobal_defs {\n}" } };

        var config = KeepalivedConfigRenderer.Render(hostile, payments, payments.LoadBalancerVms[0]);

        Assert.EndsWith("of site contoso\\u000Aglobal_defs {\\u000A}.", config.Split('\n')[0], StringComparison.Ordinal);
        Assert.Single(config.Split('\n'), l => l.StartsWith("global_defs", StringComparison.Ordinal));
    }

    [Fact]
    public void Render_SiteNameWithQuotesAndUnicode_RoundTripsInTheHeaderComment()
    {
        var (site, payments) = LoadBalancedClusters.Load("contoso-multicluster.yaml", "payments");
        var name = "con’to\"so '#! {x} $(y) ${z} `w`";
        var config = KeepalivedConfigRenderer.Render(site with { Spec = site.Spec with { Name = name } }, payments, payments.LoadBalancerVms[0]);

        Assert.EndsWith($"of site {name}.", config.Split('\n')[0], StringComparison.Ordinal);
        Assert.StartsWith("# ", config.Split('\n')[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Render_IsDeterministic_WithLfEndings_AndAHeaderNamingClusterAndVm()
    {
        var (site, payments) = LoadBalancedClusters.Load("contoso-multicluster.yaml", "payments");
        var once = KeepalivedConfigRenderer.Render(site, payments, payments.LoadBalancerVms[1]);
        var (site2, payments2) = LoadBalancedClusters.Load("contoso-multicluster.yaml", "payments");
        var twice = KeepalivedConfigRenderer.Render(site2, payments2, payments2.LoadBalancerVms[1]);

        Assert.Equal(once, twice);
        Assert.DoesNotContain('\r', once);
        Assert.StartsWith("# keepalived.conf of load-balancer-2 (172.17.0.14) for cluster payments of site contoso.", once, StringComparison.Ordinal);
    }
}
