using System.Globalization;
using CsCheck;
using Trellis.Core.Ipam;
using Trellis.Core.Planning;

namespace Trellis.Core.Tests.Ipam;

/// <summary>
/// The owner parser reads the parts of a text as spans, with the names shared through a <see cref="NameTable"/>. It must
/// accept exactly the texts, and read exactly the owners, of the parser it replaced (kept below as the reference: the
/// text split into strings, matched by list patterns), and every text it reads as an owner's own is that owner's text form.
/// </summary>
public class OwnerParseTests
{
    /// <summary>The words of the text forms, near misses of them, and names.</summary>
    private static readonly string[] Words =
    [
        "management", "site", "reservation", "cluster", "service", "node", "vm", "api-server", "cloud-agent", "update-reserve-1", "update-reserve-01",
        "update-reserve-", "control-plane-1", "control-plane-0", "control-plane-10", "control-plane-", "control-plane-ip", "load-balancer-2",
        "load-balancer-1234567890", "upgrade-reserve-3", "upgrade-surge", "upgrade-surge-2", "upgrade-surge-", "vrrp", "cluster-ip", "shared:",
        "shared:front", "shared:a.b_c", "pod-cidr", "block-1", "block-01", "block-x", "tcp", "udp", "sctp", "TCP", "Tcp", "80", "080", "-80", "443",
        "65535", "١", "linux-1", "linux-01", "linux-", "-1", "win-pool-2", "a", "b", "k0", "shop", "default", "kube-system", "", " ", "x y",
    ];

    private static readonly Gen<string> Texts = Gen.OneOfConst(Words).Array[1, 8].Select(parts => string.Join('/', parts));

    private static readonly Gen<PoolId> Pools = Gen.OneOf(
        Gen.OneOfConst("a", "b", "k0").Select(Gen.Enum<ClusterPoolKind>(), (c, k) => (PoolId)new ClusterPool(c, k)),
        Gen.Enum<NetworkPoolKind>().Select(k => (PoolId)new NetworkPool("mgmtvnet", k)));

    private static readonly Gen<string?> Details = Gen.OneOfConst<string?>(null, "surge", "reserve cluster/a/upgrade-reserve-4", "reserve cluster/b/upgrade-reserve-4",
        "reserve cluster/a/upgrade-reserve-04", "UDP 53");

    [Fact]
    public void TryParse_ReadsWhatTheReferenceReads_AndAnOwnersText_IsTheTextItWasReadFrom()
    {
        Texts.Sample(text =>
        {
            var expected = Reference.Read(text.Split('/'));

            Assert.Equal(expected is not null, Owner.TryParse(text, out var owner));
            Assert.Equal(expected, owner);
            Assert.True(owner is null || owner.ToString() == text, text);
        }, iter: 20_000);
    }

    [Fact]
    public void TryParseStored_ReadsWhatTheReferenceReads_SharingNames_AndSaysWhenTheTextIsNotTheOwnersOwn()
    {
        Gen.Select(Pools, Texts, Details).Sample((pool, text, detail) =>
        {
            var expected = Reference.ReadStored(pool, text, detail);
            var names = new NameTable();

            Assert.Equal(expected is not null, Owner.TryParseStored(pool, text, detail, names, out var owner, out var canonical));
            Assert.Equal(expected, owner);
            Assert.Equal(owner is not null && owner.ToString() == text, canonical);
            Assert.Equal(expected is not null, Owner.TryParseStored(pool, text, detail, out var alone));
            Assert.Equal(expected, alone);
        }, iter: 20_000);
    }

    [Fact]
    public void OwnersReadWithOneNameTable_ShareTheStringsOfTheirNames()
    {
        var names = new NameTable();
        Assert.True(Owner.TryParseStored(PoolIds.Pods("k0"), "node/k0/linux-1/block-1", null, names, out var first, out _));
        Assert.True(Owner.TryParseStored(PoolIds.Pods("k0"), "node/k0/linux-2/block-1", null, names, out var second, out _));
        Assert.True(Owner.TryParseStored(PoolIds.ClusterIps("k0"), "service/k0/shop/web/cluster-ip", null, names, out var service, out _));

        var a = (WorkerVm)((PodBlock)first).Node;
        var b = (WorkerVm)((PodBlock)second).Node;
        Assert.Same(a.ClusterName, b.ClusterName);
        Assert.Same(a.NodePool, b.NodePool);
        Assert.Same(a.ClusterName, ((ClusterIp)service).Service.Cluster);
        Assert.Same(names.Get("linux"), a.NodePool);
    }

    [Theory]
    [InlineData("service/a/b/c/tcp/80/x")]
    [InlineData("service/a/b/c/tcp/80/x/y/z")]
    [InlineData("cluster/a/node/linux-1/")]
    [InlineData("/cluster/a/api-server")]
    [InlineData("cluster/a/api-server/")]
    public void TryParse_RefusesTextOfMorePartsThanAnyOwner(string text)
    {
        Assert.False(Owner.TryParse(text, out _));
    }

    /// <summary>The parser before owners were read from spans, as it was: the reference of the tests above.</summary>
    private static class Reference
    {
        public static Owner? ReadStored(PoolId pool, string text, string? detail)
        {
            var parts = text.Split('/');
            var owner = (pool, parts) switch
            {
                (ClusterPool { Kind: ClusterPoolKind.ClusterIps, Cluster: var c }, ["service", var ns, var name]) when Names(ns, name) =>
                    new ClusterIp(new ServiceRef(c, ns, name)),
                (ClusterPool { Kind: ClusterPoolKind.NodePorts, Cluster: var c }, ["service", var ns, var name, var protocol, var port]) when Names(ns, name) =>
                    Port(new ServiceRef(c, ns, name), protocol, port),
                _ => Read(parts),
            };
            if (owner is UpgradeSurge { ReserveSlot: null } surge && detail is not null && detail.StartsWith("reserve ", StringComparison.Ordinal)
                && Read(detail["reserve ".Length..].Split('/')) is UpgradeReserve r && r.Cluster == surge.Cluster)
            {
                owner = surge with { ReserveSlot = r.Slot };
            }

            return owner;
        }

        public static Owner? Read(string[] parts) => parts switch
        {
            ["management", "vm"] => new ManagementVm(),
            ["management", "api-server"] => new ManagementApiServer(),
            ["management", var role] when Numbered(role, "update-reserve-") is { } i => new ManagementReserve(i),
            ["site", "cloud-agent"] => new CloudAgent(),
            ["reservation", var name] when name.Length > 0 => new DhcpReservation(name),
            ["cluster", var c, "node", var node] when Names(c) && Worker(c, node) is { } worker => worker,
            ["cluster", var c, var role] when Names(c) => ClusterRole(c, role),
            ["service", var c, var shared] when Names(c) && shared.StartsWith("shared:", StringComparison.Ordinal) && shared.Length > "shared:".Length =>
                new SharedVip(c, shared["shared:".Length..]),
            ["service", var c, var ns, var name] when Names(c, ns, name) => new ServiceVip(new ServiceRef(c, ns, name)),
            ["service", var c, var ns, var name, "cluster-ip"] when Names(c, ns, name) => new ClusterIp(new ServiceRef(c, ns, name)),
            ["service", var c, var ns, var name, var protocol, var port] when Names(c, ns, name) => Port(new ServiceRef(c, ns, name), protocol, port),
            ["node", var c, var node, var role] when Names(c) && (Numbered(node, "control-plane-") is { } i ? new ControlPlaneVm(c, i) : (NodeVm?)Worker(c, node)) is { } vm =>
                role == "pod-cidr" ? new PodCidr(vm) : Numbered(role, "block-") is { } b ? new PodBlock(vm, b) : null,
            _ => null,
        };

        private static Owner? ClusterRole(string cluster, string role) => role switch
        {
            "api-server" => new ApiServer(cluster),
            "control-plane-ip" => new ControlPlaneIp(cluster),
            "vrrp" => new VirtualRouter(cluster),
            "upgrade-surge" => new UpgradeSurge(cluster, null),
            _ when Numbered(role, "upgrade-surge-") is { } i => new UpgradeSurge(cluster, i),
            _ when Numbered(role, "upgrade-reserve-") is { } i => new UpgradeReserve(cluster, i),
            _ when Numbered(role, "load-balancer-") is { } i => new LoadBalancerVm(cluster, i),
            _ when Numbered(role, "control-plane-") is { } i => new ControlPlaneVm(cluster, i),
            _ => null,
        };

        private static WorkerVm? Worker(string cluster, string node) =>
            node.LastIndexOf('-') is var dash && dash > 0 && Number(node[(dash + 1)..]) is { } i ? new WorkerVm(cluster, node[..dash], i) : null;

        private static NodePort? Port(ServiceRef service, string protocol, string port) =>
            protocol.Length > 0 && protocol.All(c => c is >= 'a' and <= 'z') && Number(port) is { } p ? new NodePort(service, protocol.ToUpperInvariant(), p) : null;

        private static bool Names(params string[] names) => names.All(n => n.Length > 0);

        private static int? Numbered(string text, string prefix) => text.StartsWith(prefix, StringComparison.Ordinal) ? Number(text[prefix.Length..]) : null;

        private static int? Number(string text) =>
            text.Length is > 0 and <= 9 && text.All(c => c is >= '0' and <= '9') && (text[0] != '0' || text.Length == 1) ? int.Parse(text, CultureInfo.InvariantCulture) : null;
    }
}
