using Trellis.Core.Model;

namespace Trellis.Benchmarks;

/// <summary>Large site specs built in code, shaped like the ones an operator writes (see examples/*.yaml).</summary>
public static class Sites
{
    /// <summary>
    /// <paramref name="clusters"/> clusters (load balancer SKU none) on one Static /16 host network (10.0.0.0/16): node IP pool
    /// 10.0.0.10–10.0.199.255, VIP pool 10.0.200.0–10.0.255.200. Each cluster: 1 control plane node, one Linux
    /// pool of 3 workers, one LoadBalancer service; Calico with the default pod (10.244.0.0/16) and service
    /// (10.96.0.0/12 unless <paramref name="serviceCidr"/> says otherwise) CIDRs, which every cluster may reuse.
    /// </summary>
    public static SiteSpec SmallClusters(int clusters, string serviceCidr = SiteSpecDefaults.ServiceCidr) => new()
    {
        Name = $"bench{clusters}",
        HostNetwork = HostNetwork("10.0.0.10", "10.0.199.255", "10.0.200.0", "10.0.255.200"),
        CloudServiceCidr = "10.0.0.5/16",
        // VRRP allows 255 HAProxy clusters per vSwitch/VLAN; this many clusters on one network use kube-vip and MetalLB-style VIPs instead.
        LoadBalancerSettings = [new LoadBalancerSettingSpec { Name = "kubevip", LoadBalancerSku = LoadBalancerSku.None, LoadBalancerCount = 0 }],
        Clusters = Enumerable.Range(1, clusters).Select(i => new ClusterSpec
        {
            Name = $"c{i}",
            LoadBalancerSettings = "kubevip",
            PrimaryNetworkPlugin = NetworkPlugin.Calico,
            ControlPlaneNodeCount = 1,
            ServiceCidr = serviceCidr,
            NodePools = [new NodePoolSpec { Name = "workers", OsType = OsType.Linux, Count = 3 }],
            Services = [new ServiceSpec { Namespace = "app", Name = "web", Ports = [443] }],
        }).ToList(),
    };

    /// <summary>
    /// <paramref name="clusters"/> clusters of 200 nodes each on one Static /16 host network (10.0.0.0/16): node IP pool
    /// 10.0.0.10–10.0.254.255, VIP pool 10.0.255.0–10.0.255.200. Each cluster: 3 control plane nodes, a Linux pool
    /// of 157 and a Windows pool of 40 workers (197), two LoadBalancer services; Calico with its own pod CIDR
    /// 10.(128+i).0.0/16 and the default service CIDR 10.96.0.0/12 (neither overlaps the host network).
    /// </summary>
    public static SiteSpec BigClusters(int clusters) => new()
    {
        Name = $"big{clusters}",
        HostNetwork = HostNetwork("10.0.0.10", "10.0.254.255", "10.0.255.0", "10.0.255.200"),
        CloudServiceCidr = "10.0.0.5/16",
        Clusters = Enumerable.Range(0, clusters).Select(i => new ClusterSpec
        {
            Name = $"k{i}",
            PrimaryNetworkPlugin = NetworkPlugin.Calico,
            ControlPlaneNodeCount = 3,
            PodCidr = $"10.{128 + i}.0.0/16",
            ServiceCidr = SiteSpecDefaults.ServiceCidr,
            NodePools =
            [
                new NodePoolSpec { Name = "linux", OsType = OsType.Linux, Count = 157 },
                new NodePoolSpec { Name = "win", OsType = OsType.Windows, OsSku = "Windows2022", Count = 40, MaxPodCount = 60 },
            ],
            Services =
            [
                new ServiceSpec { Namespace = "shop", Name = "web", Ports = [443] },
                new ServiceSpec { Namespace = "shop", Name = "api", Ports = [8443] },
            ],
        }).ToList(),
    };

    /// <summary>
    /// <paramref name="clusters"/> clusters with <paramref name="servicesPerCluster"/> LoadBalancer services each, for rendering:
    /// 3 control plane nodes, 2 HAProxy VMs, 16 Linux and 4 Windows workers per cluster; every fourth cluster on Flannel.
    /// </summary>
    public static SiteSpec ManyServices(int clusters, int servicesPerCluster) => new()
    {
        Name = $"render{clusters}",
        HostNetwork = HostNetwork("10.0.0.10", "10.0.99.255", "10.0.100.0", "10.0.255.200"),
        CloudServiceCidr = "10.0.0.5/16",
        LoadBalancerSettings = [new LoadBalancerSettingSpec { Name = "haproxy2", LoadBalancerSku = LoadBalancerSku.HAProxy, LoadBalancerCount = 2 }],
        Clusters = Enumerable.Range(0, clusters).Select(i => new ClusterSpec
        {
            Name = $"r{i}",
            PrimaryNetworkPlugin = i % 4 == 3 ? NetworkPlugin.Flannel : NetworkPlugin.Calico,
            ControlPlaneNodeCount = 3,
            LoadBalancerSettings = "haproxy2",
            PodCidr = $"10.{128 + i}.0.0/16",
            NodePools =
            [
                new NodePoolSpec { Name = "linux", OsType = OsType.Linux, Count = 16 },
                new NodePoolSpec { Name = "win", OsType = OsType.Windows, OsSku = "Windows2022", Count = 4, MaxPodCount = 60 },
            ],
            Services = Enumerable.Range(0, servicesPerCluster)
                .Select(s => new ServiceSpec { Namespace = $"ns{s % 10}", Name = $"svc{s}", Ports = [443, 8000 + s % 100] }).ToList(),
        }).ToList(),
    };

    private static NetworkSpec HostNetwork(string nodeStart, string nodeEnd, string vipStart, string vipEnd) => new()
    {
        Name = "mgmtvnet",
        VswitchName = "External",
        IpAllocationMethod = IpAllocationMethod.Static,
        IpAddressPrefix = "10.0.0.0/16",
        Gateway = "10.0.0.1",
        DnsServers = ["10.0.0.2"],
        K8sNodeIpPoolStart = nodeStart,
        K8sNodeIpPoolEnd = nodeEnd,
        VipPoolStart = vipStart,
        VipPoolEnd = vipEnd,
    };
}
