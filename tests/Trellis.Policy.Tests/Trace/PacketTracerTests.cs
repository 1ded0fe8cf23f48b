using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Core.Validation;
using Trellis.Policy.Evaluation;
using Trellis.Policy.Manifests;
using Trellis.Policy.Trace;

namespace Trellis.Policy.Tests.Trace;

public class PacketTracerTests
{
    private static readonly string Examples = FindExamples();

    private static string FindExamples()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "examples")))
        {
            dir = dir.Parent;
        }

        return Path.Combine(dir!.FullName, "examples");
    }

    private static (PacketTracer Tracer, PolicySet Set, ResolvedSite Site, IReadOnlyList<Core.Ipam.Allocation> Allocations) Shop(Func<SiteSpec, SiteSpec>? edit = null)
    {
        var spec = SiteSpecReader.Read(File.ReadAllText(Path.Combine(Examples, "contoso-multicluster.yaml"))).Spec!;
        spec = edit?.Invoke(spec) ?? spec;
        var site = SiteValidator.Validate(spec).Site!;
        var allocations = SitePlanner.Plan(site, [], DateTimeOffset.UnixEpoch).Result;
        var set = Tests.Manifests.ManifestFile.Load(Path.Combine(Examples, "manifests", "shop.yaml")).AssignAddresses(site, "payments", allocations);
        return (new PacketTracer(PolicyEngine.Compile(set), site, "payments", allocations), set, site, allocations);
    }

    [Fact]
    public void PodToPod_AcrossNodes_ShowsTheVxlanHop_AndBothVerdicts()
    {
        var (tracer, set, _, _) = Shop();
        var web = set.Workload("shop/web")!;
        var db = set.Workload("shop/db")!;
        Assert.NotEqual(web.Nodes[0], db.Nodes[0]);

        var trace = tracer.Trace(new TraceRequest("shop/web", "shop/db", Protocol.Tcp, 5432));

        Assert.True(trace.Delivered, string.Join("\n", trace.Hops.Select(h => $"{h.Where}: {h.What} {h.Verdict}")));
        var vxlan = Assert.Single(trace.Hops, h => h.What.Contains("VXLAN", StringComparison.Ordinal));
        Assert.Contains("VNI 4096", vxlan.What, StringComparison.Ordinal);
        Assert.Contains("UDP 4789", vxlan.What, StringComparison.Ordinal);
        Assert.Contains("MTU 1450", vxlan.What, StringComparison.Ordinal);
        Assert.True(trace.Policy!.Egress.Allowed);
        Assert.Equal("front-to-db", trace.Policy.Egress.Policy?.Name);
        Assert.Equal("db-from-front", trace.Policy.Ingress.Policy?.Name);
    }

    [Fact]
    public void PodToPod_DeniedByDefaultDeny_IsDroppedAtTheSource()
    {
        var (tracer, _, _, _) = Shop();

        var trace = tracer.Trace(new TraceRequest("shop/db", "shop/web", Protocol.Tcp, 8443));

        Assert.False(trace.Delivered);
        Assert.True(trace.Hops[0].Dropped);
        Assert.StartsWith("egress:", trace.Hops[0].Verdict, StringComparison.Ordinal);
        Assert.False(trace.Policy!.Allowed);
    }

    [Fact]
    public void PodToClusterIp_SelectsAnEndpoint_AndTranslatesTheNamedTargetPort()
    {
        var (tracer, _, _, _) = Shop();

        var trace = tracer.Trace(new TraceRequest("shop/web", "svc/shop/db", Protocol.Tcp, 5432));

        var dnat = Assert.Single(trace.Hops, h => h.What.StartsWith("DNAT ClusterIP", StringComparison.Ordinal));
        Assert.Contains(":5432", dnat.What, StringComparison.Ordinal);
        Assert.Contains("endpoint 1 of 1", dnat.What, StringComparison.Ordinal);
        Assert.True(trace.Delivered);
    }

    [Fact]
    public void ExternalToLoadBalancerVip_GoesThroughHaProxyAndTheNodePort_ToAWindowsPod()
    {
        var (tracer, _, _, allocations) = Shop();
        var vip = allocations.Single(a => a.Owner.ToString() == "service/payments/shared:front").Address;
        var nodePort = allocations.Single(a => a.Pool.ToString() == "cluster/payments/node-ports" && a.Owner.ToString() == "service/payments/shop/api/tcp/80").Address;

        var trace = tracer.Trace(new TraceRequest("203.0.113.7", vip, Protocol.Tcp, 80));

        Assert.Contains(trace.Hops, h => h.What.Contains("keepalived's MASTER load-balancer-1", StringComparison.Ordinal));
        Assert.Contains(trace.Hops, h => h.Where.StartsWith("HAProxy on load-balancer-1", StringComparison.Ordinal) && h.What.Contains($"NodePort {nodePort}", StringComparison.Ordinal));
        var dnat = Assert.Single(trace.Hops, h => h.What.StartsWith("DNAT NodePort", StringComparison.Ordinal));
        Assert.Contains(":8080", dnat.What, StringComparison.Ordinal);
        Assert.Contains(trace.Hops, h => h.Facts.Any(f => f.Contains("HNS network 'Calico'", StringComparison.Ordinal)));
        Assert.Contains(trace.Hops, h => h.Facts.Any(f => f.Contains("source VIP", StringComparison.Ordinal)));
        Assert.True(trace.Delivered, string.Join("\n", trace.Hops.Select(h => $"{h.Where}: {h.What} {h.Verdict}")));
    }

    [Fact]
    public void UnknownVipPort_IsDroppedAtTheVip()
    {
        var (tracer, _, _, allocations) = Shop();
        var vip = allocations.Single(a => a.Owner.ToString() == "service/payments/shared:front").Address;

        var trace = tracer.Trace(new TraceRequest("203.0.113.7", vip, Protocol.Tcp, 9999));

        Assert.False(trace.Delivered);
        Assert.True(Assert.Single(trace.Hops).Dropped);
    }

    [Fact]
    public void VipPort_OnAnotherProtocol_IsDroppedAtTheVip_WhichSaysWhatItServes()
    {
        var (tracer, _, _, allocations) = Shop();
        var vip = allocations.Single(a => a.Owner.ToString() == "service/payments/shared:front").Address;

        var tcp = tracer.Trace(new TraceRequest("203.0.113.7", vip, Protocol.Tcp, 443));
        var udp = tracer.Trace(new TraceRequest("203.0.113.7", vip, Protocol.Udp, 443));

        Assert.True(tcp.Delivered, string.Join("\n", tcp.Hops.Select(h => $"{h.Where}: {h.What}")));
        Assert.False(udp.Delivered);
        var hop = Assert.Single(udp.Hops);
        Assert.True(hop.Dropped);
        Assert.Contains("no LoadBalancer service listens on UDP 443", hop.What, StringComparison.Ordinal);
        Assert.Contains("TCP 443 (shop/web)", hop.What, StringComparison.Ordinal);
    }

    [Fact]
    public void SharedVip_TakesTheServiceOfTheRequestsProtocol()
    {
        // A TCP and a UDP service on port 53 share one VIP by key: on SKU none with MetalLB, since HAProxy proxies TCP only.
        var (tracer, _, _, allocations) = Shop(s => s with
        {
            Clusters = s.Clusters.Select(c => c.Name != "payments" ? c : c with
            {
                LoadBalancerSettings = "byolb",
                LoadBalancers = [new MetalLbPoolSpec { Name = "payments-l2", Addresses = ["172.17.1.200-172.17.1.220"] }],
                Services =
                [
                    .. c.Services,
                    new ServiceSpec { Namespace = "kube-dns", Name = "dns-tcp", Ports = [53], SharedIpKey = "dns" },
                    new ServiceSpec { Namespace = "kube-dns", Name = "dns-udp", Ports = [53], Protocol = "UDP", SharedIpKey = "dns" },
                ],
            }).ToList(),
        });
        var vip = allocations.Single(a => a.Owner.ToString() == "service/payments/shared:dns").Address;

        var trace = tracer.Trace(new TraceRequest("203.0.113.7", vip, Protocol.Udp, 53));

        var tcp = tracer.Trace(new TraceRequest("203.0.113.7", vip, Protocol.Tcp, 53));

        Assert.DoesNotContain(trace.Hops, h => h.What.Contains("no LoadBalancer service listens", StringComparison.Ordinal));
        Assert.Contains(trace.Hops, h => h.What.Contains("service kube-dns/dns-udp", StringComparison.Ordinal));
        Assert.DoesNotContain(trace.Hops, h => h.What.Contains("dns-tcp", StringComparison.Ordinal));
        Assert.Contains(tcp.Hops, h => h.What.Contains("service kube-dns/dns-tcp", StringComparison.Ordinal));
    }

    [Fact]
    public void ClusterIp_FromOutsideTheCluster_IsUnreachable()
    {
        var (tracer, _, _, _) = Shop();

        var inside = tracer.Trace(new TraceRequest("shop/web", "svc/shop/db", Protocol.Tcp, 5432));
        var outside = tracer.Trace(new TraceRequest("203.0.113.7", "svc/shop/db", Protocol.Tcp, 5432));

        Assert.True(inside.Delivered);
        Assert.False(outside.Delivered);
        var hop = Assert.Single(outside.Hops);
        Assert.True(hop.Dropped);
        Assert.Contains("reachable only from the cluster's pods and nodes", hop.What, StringComparison.Ordinal);
    }

    [Fact]
    public void ClusterIp_OnAPortTheServiceDoesNotHave_GoesNowhere()
    {
        var (tracer, _, _, _) = Shop();

        var trace = tracer.Trace(new TraceRequest("shop/web", "svc/shop/db", Protocol.Tcp, 5433));

        Assert.False(trace.Delivered);
        var hop = Assert.Single(trace.Hops);
        Assert.True(hop.Dropped);
        Assert.Contains("has no port TCP 5433 (it has TCP 5432)", hop.What, StringComparison.Ordinal);
        Assert.DoesNotContain(trace.Hops, h => h.What.StartsWith("DNAT", StringComparison.Ordinal));
    }

    [Fact]
    public void AService_NeverStartsAConnection()
    {
        var (tracer, _, _, allocations) = Shop();
        var vip = allocations.Single(a => a.Owner.ToString() == "service/payments/shared:front").Address;

        foreach (var from in new[] { "svc/shop/db", vip })
        {
            var trace = tracer.Trace(new TraceRequest(from, "shop/web", Protocol.Tcp, 8443));

            Assert.False(trace.Delivered);
            var hop = Assert.Single(trace.Hops);
            Assert.Equal("(input)", hop.Where);
            Assert.Contains("a Service receives connections but never starts one", hop.What, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Icmp_IsAskedWithoutAPort()
    {
        var (tracer, _, _, _) = Shop();
        var trace = tracer.Trace(new TraceRequest("shop/web", "shop/db", Protocol.Icmp, 0));
        Assert.Equal("shop/web => shop/db : ICMP", trace.Question);
    }

    [Fact]
    public void FlannelCluster_SaysNothingIsEnforced()
    {
        var (_, set, site, allocations) = Shop(s => s with
        {
            Clusters = s.Clusters.Select(c => c.Name == "payments" ? c with { PrimaryNetworkPlugin = NetworkPlugin.Flannel } : c).ToList(),
        });
        var tracer = new PacketTracer(PolicyEngine.Compile(set, PolicyOptions.Flannel), site, "payments", allocations);

        var trace = tracer.Trace(new TraceRequest("shop/db", "shop/web", Protocol.Tcp, 8443));

        Assert.Contains(trace.Notes, n => n.Contains("Flannel", StringComparison.Ordinal));
        Assert.Contains(trace.Hops, h => h.What.Contains("VNI 4096", StringComparison.Ordinal) || h.What.Contains("local pod", StringComparison.Ordinal));
    }

    [Fact]
    public void UnknownWorkload_IsReportedNotThrown()
    {
        var (tracer, _, _, _) = Shop();
        var trace = tracer.Trace(new TraceRequest("shop/nothing", "shop/db", Protocol.Tcp, 5432));
        Assert.False(trace.Delivered);
        Assert.Contains("No workload", trace.Hops[0].What, StringComparison.Ordinal);
    }
}

public class WindowsSourceVipTests
{
    [Fact]
    public void FlannelWindowsNode_NeverGivesAPodItsSourceVip()
    {
        var examples = Path.Combine(FindRoot(), "examples");
        var spec = SiteSpecReader.Read(File.ReadAllText(Path.Combine(examples, "contoso-multicluster.yaml"))).Spec!;
        var site = SiteValidator.Validate(spec).Site!;
        var allocations = SitePlanner.Plan(site, [], DateTimeOffset.UnixEpoch).Result;
        var set = Tests.Manifests.ManifestFile.Load(Path.Combine(examples, "manifests", "shop.yaml")).AssignAddresses(site, "legacy", allocations);
        var topology = ClusterTopology.From(site, site.Clusters.Single(c => c.Name == "legacy"), allocations);

        foreach (var node in topology.Nodes.Where(n => n.Os == OsType.Windows))
        {
            var sourceVip = OverlayFacts.SourceVip(node.PodSubnet);
            Assert.DoesNotContain(set.Workloads, w => w.Addresses.Contains(sourceVip));
        }

        Assert.Contains(set.Workloads, w => w.Name == "api" && w.Addresses.Count > 0);
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "examples")))
        {
            dir = dir.Parent;
        }

        return dir!.FullName;
    }
}
