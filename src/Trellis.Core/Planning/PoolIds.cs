namespace Trellis.Core.Planning;

/// <summary>The names of pools and owners: the words an operator reads in <c>trellis get allocations</c>.</summary>
public static class PoolIds
{
    public static string Nodes(string network) => $"net/{network}/nodes";
    public static string Vips(string network) => $"net/{network}/vips";
    public static string Dhcp(string network) => $"net/{network}/dhcp";
    public static string Infra(string network) => $"net/{network}/infra";
    public static string ControlPlaneIps(string network) => $"net/{network}/control-plane";
    public static string MetalLb(string cluster) => $"cluster/{cluster}/metallb";
    public static string Pods(string cluster) => $"cluster/{cluster}/pods";
    public static string ClusterIps(string cluster) => $"cluster/{cluster}/cluster-ips";
    public static string NodePorts(string cluster) => $"cluster/{cluster}/node-ports";

    /// <summary>VRRP virtual_router_id values (1–255) of one L2 segment: a vSwitch and VLAN.</summary>
    public static string VirtualRouterIds(string vswitch, int? vlan) =>
        $"l2/{vswitch}/{(vlan is { } v ? v.ToString(System.Globalization.CultureInfo.InvariantCulture) : "untagged")}/vrrp";

    public const string ManagementVm = "management/vm";
    public const string ManagementApiServer = "management/api-server";
    public const string CloudAgent = "site/cloud-agent";
    public static string ManagementReserve(int i) => $"management/update-reserve-{i}";

    public static string ControlPlane(string cluster, int i) => $"cluster/{cluster}/control-plane-{i}";
    public static string Worker(string cluster, string pool, int i) => $"cluster/{cluster}/node/{pool}-{i}";
    public static string LoadBalancerVm(string cluster, int i) => $"cluster/{cluster}/load-balancer-{i}";
    public static string UpgradeReserve(string cluster, int i) => $"cluster/{cluster}/upgrade-reserve-{i}";
    public static string Surge(string cluster) => $"cluster/{cluster}/upgrade-surge";
    public static string ApiServer(string cluster) => $"cluster/{cluster}/api-server";
    public static string ControlPlaneIp(string cluster) => $"cluster/{cluster}/control-plane-ip";
    public static string ServiceVip(string cluster, string ns, string name) => $"service/{cluster}/{ns}/{name}";
    public static string SharedVip(string cluster, string key) => $"service/{cluster}/shared:{key}";

    /// <summary>The owner of a LoadBalancer service's VIP: the service itself, or its sharedIpKey group.</summary>
    public static string ServiceVipOwner(string cluster, Model.ServiceSpec service) =>
        service.SharedIpKey is { } key ? SharedVip(cluster, key) : ServiceVip(cluster, service.Namespace, service.Name);
    public static string NodePodCidr(string cluster, string node) => $"node/{cluster}/{node}/pod-cidr";
    public static string NodeBlock(string cluster, string node, int i) => $"node/{cluster}/{node}/block-{i}";
    public static string ClusterIp(string ns, string name) => $"service/{ns}/{name}";
    public static string NodePort(string ns, string name, string protocol, int port) => $"service/{ns}/{name}/{protocol.ToLowerInvariant()}/{port}";
    public static string Reservation(string name) => $"reservation/{name}";
    public static string VirtualRouter(string cluster) => $"cluster/{cluster}/vrrp";
}
