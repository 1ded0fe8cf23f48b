using Trellis.Core.Ipam;

namespace Trellis.Core.Planning;

/// <summary>The pools and owners of a plan, by what they are: the words an operator reads in <c>trellis get allocations</c>.</summary>
public static class PoolIds
{
    public static PoolId Nodes(string network) => new NetworkPool(network, NetworkPoolKind.Nodes);
    public static PoolId Vips(string network) => new NetworkPool(network, NetworkPoolKind.Vips);
    public static PoolId Dhcp(string network) => new NetworkPool(network, NetworkPoolKind.Dhcp);
    public static PoolId Infra(string network) => new NetworkPool(network, NetworkPoolKind.Infra);
    public static PoolId ControlPlaneIps(string network) => new NetworkPool(network, NetworkPoolKind.ControlPlane);
    public static PoolId MetalLb(string cluster) => new ClusterPool(cluster, ClusterPoolKind.MetalLb);
    public static PoolId Pods(string cluster) => new ClusterPool(cluster, ClusterPoolKind.Pods);
    public static PoolId ClusterIps(string cluster) => new ClusterPool(cluster, ClusterPoolKind.ClusterIps);
    public static PoolId NodePorts(string cluster) => new ClusterPool(cluster, ClusterPoolKind.NodePorts);

    /// <summary>VRRP virtual_router_id values (1–255) of one L2 segment: a vSwitch and VLAN.</summary>
    public static PoolId VirtualRouterIds(string vswitch, int? vlan) => new VrrpPool(vswitch, vlan);

    public static readonly Owner ManagementVm = new ManagementVm();
    public static readonly Owner ManagementApiServer = new ManagementApiServer();
    public static readonly Owner CloudAgent = new CloudAgent();
    public static Owner ManagementReserve(int i) => new ManagementReserve(i);

    public static ControlPlaneVm ControlPlane(string cluster, int i) => new(cluster, i);
    public static WorkerVm Worker(string cluster, string pool, int i) => new(cluster, pool, i);
    public static LoadBalancerVm LoadBalancerVm(string cluster, int i) => new(cluster, i);
    public static UpgradeReserve UpgradeReserve(string cluster, int i) => new(cluster, i);
    public static Owner ApiServer(string cluster) => new ApiServer(cluster);
    public static Owner ControlPlaneIp(string cluster) => new ControlPlaneIp(cluster);
    public static Owner ServiceVip(string cluster, string ns, string name) => new ServiceVip(new ServiceRef(cluster, ns, name));
    public static Owner SharedVip(string cluster, string key) => new SharedVip(cluster, key);

    /// <summary>The owner of a LoadBalancer service's VIP: the service itself, or its sharedIpKey group.</summary>
    public static Owner ServiceVipOwner(string cluster, Model.ServiceSpec service) =>
        service.SharedIpKey is { } key ? SharedVip(cluster, key) : ServiceVip(cluster, service.Namespace, service.Name);

    public static Owner NodePodCidr(NodeVm node) => new PodCidr(node);
    public static Owner NodeBlock(NodeVm node, int i) => new PodBlock(node, i);
    public static Owner ClusterIp(string cluster, string ns, string name) => new ClusterIp(new ServiceRef(cluster, ns, name));
    public static Owner NodePort(string cluster, string ns, string name, string protocol, int port) => new NodePort(new ServiceRef(cluster, ns, name), protocol, port);
    public static Owner Reservation(string name) => new DhcpReservation(name);
    public static Owner VirtualRouter(string cluster) => new VirtualRouter(cluster);
}
