using System.Net;
using Trellis.Core.Addressing;
using Trellis.Core.Ipam;
using Trellis.Core.Model;

namespace Trellis.Core.Planning;

/// <summary>A VM of the plan with the address it holds.</summary>
public sealed record PlacedVm(string Name, Owner Owner, IPAddress Address, OsType Os);

/// <summary>A Kubernetes node with its VM address and its pod subnet (Flannel lease or first Calico block).</summary>
public sealed record PlacedNode(string Name, NodeVm Owner, IPAddress Address, OsType Os, bool ControlPlane, Prefix PodSubnet);

/// <summary>One VIP with the services (and ports) it fronts; services sharing a key share the VIP.</summary>
public sealed record PlacedVip(IPAddress Address, IReadOnlyList<PlacedServicePort> Ports);

/// <summary>A LoadBalancer service port: the VIP port and the NodePort behind it.</summary>
public sealed record PlacedServicePort(string Namespace, string Service, string Protocol, int Port, int NodePort);

/// <summary>
/// Everything the renderers need about one cluster, read from the resolved site and the stored allocations:
/// the same view for HAProxy, keepalived, MetalLB, kube-vip, Flannel, Calico and HNS.
/// </summary>
public sealed record ClusterTopology(
    ResolvedCluster Cluster,
    IPAddress? ApiServerVip,
    IReadOnlyList<PlacedNode> Nodes,
    IReadOnlyList<PlacedVm> LoadBalancerVms,
    IReadOnlyList<PlacedVip> ServiceVips,
    int? VirtualRouterId)
{
    public string Name => Cluster.Name;

    public IEnumerable<PlacedNode> ControlPlane => Nodes.Where(n => n.ControlPlane);

    public IEnumerable<PlacedNode> Workers => Nodes.Where(n => !n.ControlPlane);

    public static ClusterTopology From(ResolvedSite site, ResolvedCluster cluster, IReadOnlyList<Allocation> allocations)
    {
        var byOwner = new Dictionary<(PoolId Pool, Owner Owner), Allocation>();
        foreach (var a in allocations)
        {
            byOwner.TryAdd((a.Pool, a.Owner), a);
        }

        IPAddress? Address(PoolId pool, Owner owner) =>
            byOwner.TryGetValue((pool, owner), out var a) && IpNumber.TryParse(a.Address, out var ip) ? ip : null;

        var nodePool = SitePlanner.NodeAddressPool(cluster.Network);
        var podPool = PoolIds.Pods(cluster.Name);
        var nodes = new List<PlacedNode>();
        foreach (var (name, owner, os) in SitePlanner.KubernetesNodes(cluster))
        {
            var podOwner = cluster.Spec.PrimaryNetworkPlugin == NetworkPlugin.Flannel ? PoolIds.NodePodCidr(owner) : PoolIds.NodeBlock(owner, 1);
            if (Address(nodePool, owner) is { } ip && byOwner.TryGetValue((podPool, podOwner), out var pod)
                && Prefix.TryParse(pod.Address, out var subnet, out _, out _))
            {
                nodes.Add(new PlacedNode(name, owner, ip, os, owner is ControlPlaneVm, subnet));
            }
        }

        var lbs = Enumerable.Range(1, cluster.LoadBalancerVmCount)
            .Select(i => PoolIds.LoadBalancerVm(cluster.Name, i))
            .Select(vm => Address(nodePool, vm) is { } ip ? new PlacedVm(vm.VmName, vm, ip, OsType.Linux) : null)
            .OfType<PlacedVm>().ToList();

        var vipPool = SitePlanner.ServiceVipPool(site, cluster);
        var apiVip = site.Model == SiteModel.AksArc
            ? Address(PoolIds.ControlPlaneIps(cluster.Network.Name), PoolIds.ControlPlaneIp(cluster.Name))
            : Address(PoolIds.Vips(cluster.Network.Name), PoolIds.ApiServer(cluster.Name));

        var vips = new List<PlacedVip>();
        foreach (var (owner, _) in SitePlanner.ServiceVipOwners(cluster))
        {
            if (Address(vipPool, owner) is not { } vip)
            {
                continue;
            }

            var members = cluster.Spec.Services.Where(s => PoolIds.ServiceVipOwner(cluster.Name, s) == owner);
            var ports = members.SelectMany(s => s.Ports.Select(p => (s, p)))
                .Select(x => byOwner.TryGetValue((PoolIds.NodePorts(cluster.Name), PoolIds.NodePort(cluster.Name, x.s.Namespace, x.s.Name, x.s.Protocol, x.p)), out var np)
                    ? new PlacedServicePort(x.s.Namespace, x.s.Name, x.s.Protocol, x.p, int.Parse(np.Address, System.Globalization.CultureInfo.InvariantCulture))
                    : null)
                .OfType<PlacedServicePort>().OrderBy(p => p.Port).ToList();
            vips.Add(new PlacedVip(vip, ports));
        }

        var vrrp = allocations.FirstOrDefault(a => a.Owner is VirtualRouter r && r.ClusterName == cluster.Name)?.Address;
        return new ClusterTopology(cluster, apiVip, nodes, lbs, vips,
            vrrp is null ? null : int.Parse(vrrp, System.Globalization.CultureInfo.InvariantCulture));
    }
}
