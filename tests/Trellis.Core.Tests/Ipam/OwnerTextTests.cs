using CsCheck;
using Trellis.Core.Ipam;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Core.Validation;
using static Trellis.Core.Tests.SpecEdits;

namespace Trellis.Core.Tests.Ipam;

/// <summary>
/// Owners and pools have one text form, read back losslessly whatever the names in them: names that are the form's own
/// words (node, service, shared, cluster-ip, control-plane-1, …) change nothing. Names come from the validator's rules.
/// </summary>
public class OwnerTextTests
{
    private static readonly DateTimeOffset Now = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The words of the text forms, and names that look like their parts.</summary>
    private static readonly string[] Words =
    [
        "node", "service", "cluster", "net", "management", "site", "reservation", "shared", "pool", "lb", "vrrp", "pods", "l2", "nodes", "vips",
        "dhcp", "infra", "metallb", "untagged", "a", "b", "cluster-ip", "cluster-ips", "node-ports", "control-plane", "control-plane-1",
        "control-plane-ip", "load-balancer-1", "upgrade-reserve-2", "upgrade-surge", "upgrade-surge-1", "api-server", "pod-cidr", "block-1",
        "update-reserve-1", "tcp", "udp", "443", "1", "x-0", "a-01", "kube-system", "default", "vm", "cloud-agent",
    ];

    private static Gen<string> Named(NameRule rule, string chars, int max) =>
        Gen.Frequency((2, Gen.OneOfConst(Words)), (1, Gen.String[Gen.Char[chars], 1, max])).Where(rule.IsMatch);

    private static readonly Gen<string> ClusterName = Named(Names.AksHci, "abcdefghijklmnopqrstuvwxyz0123456789", 12);
    private static readonly Gen<string> Label = Named(Names.Dns1123Label, "abcdefghijklmnopqrstuvwxyz0123456789-", 14);
    private static readonly Gen<string> PoolName = Label.Where(n => $"{n}-" != ControlPlaneVm.Prefix);
    private static readonly Gen<string> SharedKey = Named(Names.SharedIpKey, "abcdefghijkXYZ0123456789-_.", 12);
    private static readonly Gen<string> Reservation = Named(Names.Reservation, "abcdefgXYZ0123456789 -_.", 16);
    private static readonly Gen<string> VmSwitch = Named(Names.VmSwitch, "abcdefgXYZ0123456789 -_.()", 16);
    private static readonly Gen<int> Number = Gen.Frequency((3, Gen.Int[1, 12]), (1, Gen.Int[1, 100_000]));

    private static readonly Gen<NodeVm> Node = Gen.Frequency(
        (1, Gen.Select(ClusterName, Gen.Int[1, 5], (c, i) => (NodeVm)new ControlPlaneVm(c, i))),
        (2, Gen.Select(ClusterName, PoolName, Number, (c, p, i) => (NodeVm)new WorkerVm(c, p, i))));

    private static readonly Gen<ServiceRef> Service = Gen.Select(ClusterName, Label, Label, (c, ns, name) => new ServiceRef(c, ns, name));

    private static readonly Gen<Owner> Owners = Gen.OneOf(
        Gen.OneOfConst<Owner>(new ManagementVm(), new ManagementApiServer(), new CloudAgent()),
        Number.Select(i => (Owner)new ManagementReserve(i)),
        Reservation.Select(n => (Owner)new DhcpReservation(n)),
        Node.Select(n => (Owner)n),
        Gen.Select(ClusterName, Number, (c, i) => (Owner)new LoadBalancerVm(c, i)),
        Gen.Select(ClusterName, Number, (c, i) => (Owner)new UpgradeReserve(c, i)),
        Gen.Select(ClusterName, Number, Gen.Bool, (c, i, borrowed) => (Owner)new UpgradeSurge(c, borrowed ? i : null)),
        ClusterName.Select(c => (Owner)new ApiServer(c)),
        ClusterName.Select(c => (Owner)new ControlPlaneIp(c)),
        ClusterName.Select(c => (Owner)new VirtualRouter(c)),
        Service.Select(s => (Owner)new ServiceVip(s)),
        Gen.Select(ClusterName, SharedKey, (c, k) => (Owner)new SharedVip(c, k)),
        Service.Select(s => (Owner)new ClusterIp(s)),
        Gen.Select(Service, Gen.OneOfConst("TCP", "UDP", "SCTP"), Gen.Int[1, 65535], (s, p, n) => (Owner)new NodePort(s, p, n)),
        Node.Select(n => (Owner)new PodCidr(n)),
        Gen.Select(Node, Number, (n, i) => (Owner)new PodBlock(n, i)));

    private static readonly Gen<PoolId> Pools = Gen.OneOf(
        Gen.Select(ClusterName, Gen.Enum<NetworkPoolKind>(), (n, k) => (PoolId)new NetworkPool(n, k)),
        Gen.Select(ClusterName, Gen.Enum<ClusterPoolKind>(), (c, k) => (PoolId)new ClusterPool(c, k)),
        Gen.Select(VmSwitch, Gen.Int[-1, 4094], (s, v) => (PoolId)new VrrpPool(s, v < 0 ? null : v)));

    [Fact]
    public void AnyOwner_ReadsBackFromItsText()
    {
        Owners.Sample(owner =>
        {
            Assert.True(Owner.TryParse(owner.ToString(), out var read), owner.ToString());
            Assert.Equal(owner, read);
        }, iter: 5000);
    }

    /// <summary>By the pool's text, then the owner's (ordinal), equal keys in their input order; equal pools need not be one object.</summary>
    [Fact]
    public void Ordered_IsByPoolTextThenOwnerText_AndKeepsTheInputOrderOfEqualKeys()
    {
        var allocations = Gen.Select(Pools, Owners, Gen.Int[0, 3])
            .Select((pool, owner, n) => new Allocation(PoolId.Parse(pool.ToString()), $"10.0.0.{n}", owner)).List[0, 60];
        Gen.Select(allocations, Gen.Int[0, 5]).Sample((list, repeat) =>
        {
            // Repeats of one allocation, and of one pool text, make equal keys.
            var input = list.Concat(list.Take(repeat)).Concat(list.Take(repeat).Select(a => a with { Pool = PoolId.Parse(a.Pool.ToString()), Address = "x" })).ToList();
            var expected = input.Select((a, i) => (a, i))
                .OrderBy(x => x.a.Pool.ToString(), StringComparer.Ordinal).ThenBy(x => x.a.Owner.ToString(), StringComparer.Ordinal).ThenBy(x => x.i)
                .Select(x => x.a).ToList();

            var ordered = SitePlanner.Ordered(input).ToList();

            Assert.Equal(expected.Count, ordered.Count);
            Assert.True(expected.Zip(ordered).All(p => ReferenceEquals(p.First, p.Second)), string.Join("\n", ordered));
        }, iter: 500);
    }

    [Fact]
    public void AnyPool_ReadsBackFromItsText()
    {
        Pools.Sample(pool => Assert.Equal(pool, PoolId.Parse(pool.ToString())), iter: 2000);
    }

    [Theory]
    [InlineData("cluster/node/control-plane-1", "ControlPlaneVm")]
    [InlineData("cluster/node/node/node-1", "WorkerVm")]
    [InlineData("cluster/a/node/control-plane-1-2", "WorkerVm")]
    [InlineData("service/a/service/cluster-ip", "ServiceVip")]
    [InlineData("service/a/service/cluster-ip/cluster-ip", "ClusterIp")]
    [InlineData("service/a/shared:node", "SharedVip")]
    [InlineData("node/service/control-plane-3/block-1", "PodBlock")]
    [InlineData("node/a/node-1/pod-cidr", "PodCidr")]
    public void Parse_TellsOwnersApartByPosition_NotByTheWordsInTheirNames(string text, string type)
    {
        var owner = Owner.Parse(text);

        Assert.Equal(type, owner.GetType().Name);
        Assert.Equal(text, owner.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("cluster")]
    [InlineData("cluster/a")]
    [InlineData("cluster/a/control-plane-01")]
    [InlineData("cluster/a/control-plane-")]
    [InlineData("cluster/a/node/linuxpool")]
    [InlineData("cluster//api-server")]
    [InlineData("service/a/b")]
    [InlineData("service/a/b/c/d")]
    [InlineData("service/a/b/c/tcp/x")]
    [InlineData("node/a/control-plane-1/block-x")]
    [InlineData("something/else")]
    [InlineData("service/a/b/c/TCP/80")]
    [InlineData("service/a/b/c/tcp/080")]
    [InlineData("service/a/b/c/tcp/-80")]
    [InlineData("cluster/a/node/linuxpool-+1")]
    [InlineData("cluster/a/node/linuxpool-1 ")]
    [InlineData("cluster/a/load-balancer-1234567890")]
    [InlineData("cluster/a/upgrade-reserve-١")]
    public void Parse_RefusesTextThatIsNoOwner(string text)
    {
        Assert.False(Owner.TryParse(text, out _));
    }

    [Fact]
    public void StoredOwners_OfTheFormerForm_ReadWithTheClusterOfTheirPool()
    {
        Assert.True(Owner.TryParseStored(PoolIds.ClusterIps("b"), "service/a/web", null, out var clusterIp));
        Assert.Equal(PoolIds.ClusterIp("b", "a", "web"), clusterIp);
        Assert.True(Owner.TryParseStored(PoolIds.NodePorts("b"), "service/a/web/udp/53", "UDP 53", out var nodePort));
        Assert.Equal(PoolIds.NodePort("b", "a", "web", "UDP", 53), nodePort);
        Assert.True(Owner.TryParseStored(PoolIds.Nodes("mgmtvnet"), "cluster/b/upgrade-surge", "reserve cluster/b/upgrade-reserve-4", out var surge));
        Assert.Equal(new UpgradeSurge("b", 4), surge);
        Assert.True(Owner.TryParseStored(PoolIds.Nodes("mgmtvnet"), "cluster/b/upgrade-surge", "surge", out var fresh));
        Assert.Equal(new UpgradeSurge("b", null), fresh);
    }

    /// <summary>The worked example (HAProxy, shared VIPs) and the DHCP example (reservations) with every name drawn from the rules.</summary>
    private static readonly Gen<SiteSpec> Sites = Gen.OneOf(
        Gen.Select(ClusterName, ClusterName, PoolName, VmSwitch, Gen.Select(Label, Label, SharedKey).Array[4], (a, b, pool, vswitch, services) => Worked
            .Host(n => n with { VswitchName = vswitch })
            .Cluster(0, c => c with { Name = a, NodePools = [c.NodePools[0] with { Name = pool }] })
            .Cluster(1, c => c with { Name = b })
            .Cluster(0, c => c with
            {
                Services = services.Select((s, i) => new ServiceSpec { Namespace = s.Item1, Name = s.Item2, Ports = [440 + i], SharedIpKey = i % 2 == 0 ? s.Item3 : null }).ToList(),
            })),
        Gen.Select(ClusterName, PoolName, Reservation, (c, pool, reservation) => Dhcp
            .Cluster(0, x => x with { Name = c })
            .NodePool(0, 0, p => p with { Name = pool })
            .Scope(s => s with { Reservations = [s.Reservations[0] with { Name = reservation }] })));

    [Fact]
    public void AnyValidSite_PlansWithoutAnException_AndEveryAllocationReadsBackFromItsText()
    {
        var planned = 0;
        Sites.Sample(spec =>
        {
            var validation = SiteValidator.Validate(spec);
            if (validation.Site is not { } site)
            {
                return;
            }

            var plan = SitePlanner.Plan(site, [], Now);
            Assert.Empty(plan.Findings);
            foreach (var a in plan.Result)
            {
                Assert.Equal(a.Pool, PoolId.Parse(a.Pool.ToString()));
                Assert.True(Owner.TryParseStored(a.Pool, a.Owner.ToString(), a.Detail, out var read), a.Owner.ToString());
                Assert.Equal(a.Owner, read);
                Assert.True(a.Owner.Cluster is null || site.Clusters.Any(c => c.Name == a.Owner.Cluster), a.ToString());
            }

            Assert.True(SitePlanner.Plan(site, plan.Result, Now).IsEmpty);
            Interlocked.Increment(ref planned);
        }, iter: 300);

        Assert.True(planned > 100, $"only {planned} of the generated sites were valid");
    }
}
