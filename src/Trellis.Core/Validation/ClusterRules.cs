using System.Net;
using Trellis.Core.Addressing;
using Trellis.Core.Model;
using Trellis.Core.Planning;

namespace Trellis.Core.Validation;

/// <summary>Rules of New-AksHciCluster, New-AksHciNodePool and LoadBalancer services (reference §1.5–§1.6, §1.9–§1.10).</summary>
internal static class ClusterRules
{
    public const int MaxNodesPerCluster = 200;

    /// <summary>
    /// Checks one cluster and resolves it as far as it can: null only when its network is unknown. A cluster whose load
    /// balancer setting, pod CIDR or service CIDR cannot be used stands in with placeholders there, so that capacity still
    /// counts its nodes and VIPs; the pools the placeholders would size are in <see cref="ClusterResolution.Unjudged"/>.
    /// </summary>
    public static ClusterResolution? Resolve(ValidationContext v, SiteSpec site, ClusterSpec c, string path,
        IReadOnlyDictionary<string, ResolvedNetwork> networks, ResolvedNetwork? defaultNetwork)
    {
        var arc = site.Model == SiteModel.AksArc;
        // AksHci: "Do not include hyphens in cluster names"; an AKS Arc cluster name is a Kubernetes name (hcibox-aks).
        Names.Check(v, arc ? Names.Dns1123Label : Names.AksHci, c.Name, $"{path}.name", "Cluster name");
        Names.Check(v, Names.VmSize, c.ControlPlaneVmSize, $"{path}.controlPlaneVmSize", "VM size");

        if (c.ControlPlaneNodeCount is not (1 or 3 or 5))
        {
            v.Error("InvalidControlPlaneCount", $"{path}.controlPlaneNodeCount",
                $"{c.ControlPlaneNodeCount} control plane nodes: you must specify at least one control plane node, and to maintain etcd quorum the count should be an odd number.",
                "Use 1, 3 or 5.");
        }

        if (!KubernetesVersion.TryParse(c.KubernetesVersion, out _))
        {
            v.Error("InvalidKubernetesVersion", $"{path}.kubernetesVersion", $"'{c.KubernetesVersion}' is not a Kubernetes version.", "Write it as v1.29.4.");
        }

        if (c.PrimaryNetworkPlugin == NetworkPlugin.Flannel)
        {
            if (arc)
            {
                v.Error("NetworkPluginNotSupported", $"{path}.primaryNetworkPlugin", "AKS Arc supports only calico as its network policy plugin.",
                    "Use primaryNetworkPlugin: calico.");
            }
            else
            {
                v.Warning("FlannelRetired", $"{path}.primaryNetworkPlugin",
                    "Flannel was retired in December 2023 and enforces no network policy; the plugin cannot be changed after deployment.",
                    "Prefer calico unless you must match an existing cluster.");
            }
        }

        var network = ResolveNetworkReference(v, site, c, path, networks, defaultNetwork, arc);
        var lb = ResolveLoadBalancer(v, site, c, path);
        var pod = v.NetworkPrefix(c.PodCidr, $"{path}.podCidr", required: true, "10.244.0.0/16", minLength: 8, maxLength: 28);
        var service = v.NetworkPrefix(c.ServiceCidr, $"{path}.serviceCidr", required: true, "10.96.0.0/12", minLength: 12, maxLength: 28);
        if (arc && c.ServiceCidr != SiteSpecDefaults.ServiceCidr)
        {
            v.Warning("ServiceCidrNotCustomizable", $"{path}.serviceCidr", "AKS does not support customizing the service network CIDR today.",
                $"Keep {SiteSpecDefaults.ServiceCidr}.");
        }

        if (pod is { } p && service is { } s && p.Overlaps(s))
        {
            v.Error("PodServiceCidrOverlap", $"{path}.serviceCidr", $"The service CIDR {s} overlaps the pod CIDR {p}.", "Choose disjoint ranges, e.g. 10.244.0.0/16 and 10.96.0.0/12.");
        }

        NodePools(v, site, c, path, pod);
        OverlayRules.Check(v, c, path);
        Services(v, c, path, lb);
        if (network is null)
        {
            return null;
        }

        var podFits = pod is { } podCidr && (c.PrimaryNetworkPlugin == NetworkPlugin.Flannel
            ? podCidr.Length < site.Settings.FlannelSubnetLen
            : podCidr.Length <= site.Settings.CalicoBlockSize);
        var unjudged = new List<Ipam.PoolId>();
        if (lb is null)
        {
            unjudged.Add(PoolIds.MetalLb(c.Name));
        }

        // A count the product refuses will change when it is fixed: the pools it sizes are not judged until then.
        var (minNodes, maxNodes) = NodeCountRange(arc);
        var countsValid = c.ControlPlaneNodeCount is 1 or 3 or 5 && c.NodePools.All(p => p.Count >= minNodes && p.Count <= maxNodes)
            && lb is not { LoadBalancerSku: LoadBalancerSku.HAProxy, LoadBalancerCount: < 1 };
        if (lb is null || !countsValid)
        {
            unjudged.Add(SitePlanner.NodeAddressPool(network));
        }

        if (!podFits || !countsValid)
        {
            unjudged.Add(PoolIds.Pods(c.Name));
        }

        if (service is null)
        {
            unjudged.Add(PoolIds.ClusterIps(c.Name));
        }

        // Counts outside the limits are errors already and their pools unjudged; clamped, they cannot overflow a sum.
        var counted = countsValid ? c : c with
        {
            ControlPlaneNodeCount = Math.Clamp(c.ControlPlaneNodeCount, 1, 5),
            NodePools = [.. c.NodePools.Select(p => p with { Count = Math.Clamp(p.Count, minNodes, maxNodes) })],
        };
        var cluster = new ResolvedCluster(counted, network, lb ?? UnknownLoadBalancer, podFits ? pod!.Value : Prefix.Parse(SiteSpecDefaults.PodCidr),
            service ?? Prefix.Parse(SiteSpecDefaults.ServiceCidr), null, []);
        return new ClusterResolution(cluster, lb is not null, unjudged);
    }

    /// <summary>Nodes per pool: AKS Arc 1–64 (empty pools are not supported); AksHci up to the cluster's maximum.</summary>
    private static (int Min, int Max) NodeCountRange(bool arc) => arc ? (1, 64) : (0, MaxNodesPerCluster);

    /// <summary>Stands in for a load balancer setting that does not resolve: no VMs, so the node addresses it needs are unknown.</summary>
    private static readonly LoadBalancerSettingSpec UnknownLoadBalancer = new() { Name = "", LoadBalancerSku = LoadBalancerSku.None, LoadBalancerCount = 0 };

    private static ResolvedNetwork? ResolveNetworkReference(ValidationContext v, SiteSpec site, ClusterSpec c, string path,
        IReadOnlyDictionary<string, ResolvedNetwork> networks, ResolvedNetwork? defaultNetwork, bool arc)
    {
        if (c.Vnet is null)
        {
            return defaultNetwork;
        }

        if (networks.TryGetValue(c.Vnet, out var network))
        {
            return network;
        }

        // A network that is declared but did not resolve has its own findings already; do not call it unknown.
        if (site.HostNetwork?.Name == c.Vnet || site.LogicalNetwork?.Name == c.Vnet || site.ClusterNetworks.Any(n => n.Name == c.Vnet))
        {
            return null;
        }

        v.Error("UnknownNetwork", $"{path}.vnet", $"No network named '{c.Vnet}' is defined in this site.",
            arc ? "Use the logical network's name, or omit vnet." : $"Use one of: {string.Join(", ", networks.Keys)}; or omit vnet for the host network.");
        return null;
    }

    private static LoadBalancerSettingSpec? ResolveLoadBalancer(ValidationContext v, SiteSpec site, ClusterSpec c, string path)
    {
        if (c.LoadBalancerSettings is null)
        {
            return site.Model == SiteModel.AksArc
                ? new LoadBalancerSettingSpec { Name = "kubevip", LoadBalancerSku = LoadBalancerSku.None, LoadBalancerCount = 0 }
                : new LoadBalancerSettingSpec { Name = SiteSpecDefaults.DefaultLoadBalancerSetting, LoadBalancerSku = LoadBalancerSku.HAProxy, LoadBalancerCount = 1 };
        }

        var lb = site.LoadBalancerSettings.FirstOrDefault(l => l.Name == c.LoadBalancerSettings);
        if (lb is null)
        {
            v.Error("UnknownLoadBalancerSetting", $"{path}.loadBalancerSettings", $"No load balancer setting named '{c.LoadBalancerSettings}'.",
                "Define it under spec.loadBalancerSettings, or omit the field for one HAProxy VM.");
        }
        else
        {
            SiteValidator.LoadBalancerCount(v, lb.LoadBalancerSku, c.LoadBalancerCount, $"{path}.loadBalancerCount");
        }

        return lb;
    }

    private static void NodePools(ValidationContext v, SiteSpec site, ClusterSpec c, string path, Prefix? pod)
    {
        var arc = site.Model == SiteModel.AksArc;
        if (arc && c.NodePools.Count is < 1 or > 16)
        {
            v.Error("NodePoolCount", $"{path}.nodePools", $"{c.NodePools.Count} node pools; AKS Arc supports 1 to 16 per cluster.", "Give between 1 and 16 node pools.");
        }

        if (arc && c.NodePools.Count > 0 && !c.NodePools.Any(p => p.OsType == OsType.Linux && p.Count > 0))
        {
            v.Error("LinuxNodePoolRequired", $"{path}.nodePools", "AKS Arc needs at least one Linux node pool to host the Arc agents.", "Add a Linux node pool with at least one node.");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < c.NodePools.Count; i++)
        {
            var np = c.NodePools[i];
            var pp = $"{path}.nodePools[{i}]";
            Names.Check(v, Names.VmSize, np.VmSize, $"{pp}.vmSize", "VM size");
            if (Names.Check(v, arc ? Names.ArcNodePool : Names.Dns1123Label, np.Name, $"{pp}.name", "Node pool name") && !names.Add(np.Name))
            {
                v.Error("DuplicateName", $"{pp}.name", $"Node pool '{np.Name}' appears twice in cluster '{c.Name}'.", "Node pool names must be unique in a cluster.");
            }
            else if ($"{np.Name}-" == Ipam.ControlPlaneVm.Prefix)
            {
                // Node pool P names its nodes P-1, P-2, …: this one's would be the control plane's own names.
                v.Error("NodePoolNameReserved", $"{pp}.name", $"Node pool '{np.Name}' would name its nodes {np.Name}-1, {np.Name}-2, …, the names of the control plane nodes.",
                    "Give the node pool another name.");
            }

            var (min, max) = NodeCountRange(arc);
            if (np.Count < min || np.Count > max)
            {
                v.Error("InvalidNodeCount", $"{pp}.count", $"{np.Count} nodes is outside {min}–{max}.",
                    arc ? "AKS Arc node pools hold 1 to 64 nodes (empty pools are not supported)." : $"Use {min} to {max} nodes.");
            }

            if (np.MaxPodCount <= 50 || np.MaxPodCount > 250)
            {
                v.Error("InvalidMaxPodCount", $"{pp}.maxPodCount", $"maxPodCount {np.MaxPodCount} is out of range: it must be greater than 50 (and at most 250).",
                    "Use the default 110 unless you need more.");
            }
            else
            {
                PodsPerNodeFit(v, site, c, np, pp);
            }

            var skus = np.OsType == OsType.Windows ? new[] { "Windows2019", "Windows2022" } : ["CBLMariner", "AzureLinux"];
            if (np.OsSku is not null && !skus.Contains(np.OsSku, StringComparer.OrdinalIgnoreCase))
            {
                v.Error("InvalidOsSku", $"{pp}.osSku", $"'{np.OsSku}' is not an OS SKU for {np.OsType} nodes.", $"Use one of: {string.Join(", ", skus)}.");
            }
        }

        var total = c.NodePools.Sum(p => (long)p.Count) + c.ControlPlaneNodeCount;
        if (total > MaxNodesPerCluster)
        {
            var message = $"The cluster has {total} nodes; AKS hybrid supports at most {MaxNodesPerCluster} per cluster.";
            if (arc)
            {
                v.Error("ClusterTooLarge", $"{path}.nodePools", message, "Split the workload over more clusters.");
            }
            else
            {
                v.Warning("ClusterTooLarge", $"{path}.nodePools", message, "Split the workload over more clusters.");
            }
        }

        if (pod is { } p && c.PrimaryNetworkPlugin == NetworkPlugin.Flannel && site.Settings.FlannelSubnetLen <= p.Length)
        {
            v.Error("PodCidrTooSmall", $"{path}.podCidr", $"Flannel's SubnetLen /{site.Settings.FlannelSubnetLen} does not fit inside the pod CIDR {p}.",
                $"Use a pod CIDR shorter than /{site.Settings.FlannelSubnetLen}, e.g. 10.244.0.0/16.");
        }
        else if (pod is { } cp && c.PrimaryNetworkPlugin == NetworkPlugin.Calico && site.Settings.CalicoBlockSize < cp.Length)
        {
            v.Error("PodCidrTooSmall", $"{path}.podCidr", $"Calico's IPAM block size /{site.Settings.CalicoBlockSize} does not fit inside the pod CIDR {cp}.",
                $"Use a pod CIDR of /{site.Settings.CalicoBlockSize} or shorter, e.g. 10.244.0.0/16.");
        }
    }

    private static void PodsPerNodeFit(ValidationContext v, SiteSpec site, ClusterSpec c, NodePoolSpec np, string pp)
    {
        if (c.PrimaryNetworkPlugin == NetworkPlugin.Flannel)
        {
            var perNode = (1 << (32 - site.Settings.FlannelSubnetLen)) - 2;
            if (np.MaxPodCount > perNode)
            {
                v.Error("MaxPodsExceedNodeSubnet", $"{pp}.maxPodCount", $"maxPodCount {np.MaxPodCount} exceeds the {perNode} pod addresses of a node's /{site.Settings.FlannelSubnetLen} subnet.",
                    $"Use at most {perNode}.");
            }
        }
        else if (np.OsType == OsType.Windows)
        {
            var perBlock = (1 << (32 - site.Settings.CalicoBlockSize)) - CalicoWindowsReservedPerBlock;
            // UNCERTAIN (reference §4.4): Calico for Windows uses one IPAM block per host, but AksHci documents a pod range of
            // its own per node (a /24), so the product's default of 110 may well fit: a warning, not an error.
            if (np.MaxPodCount > perBlock)
            {
                v.Warning("WindowsMaxPodsExceedBlock", $"{pp}.maxPodCount",
                    $"If the cluster's Calico hands each Windows node a single /{site.Settings.CalicoBlockSize} IPAM block (4 addresses of it reserved), a node holds at most {perBlock} pods, not the {np.MaxPodCount} of maxPodCount. "
                    + "Uncertain: AKS hybrid documents a pod range of its own per node (a /24, 254 addresses), and does not say that Windows nodes are limited to a Calico block.",
                    $"Keep maxPodCount if the cluster gives each node a /24 (settings.calicoBlockSize: 24 plans that); otherwise set it to {perBlock} or less before deployment.");
            }
        }
    }

    /// <summary>Calico for Windows reserves 4 addresses of every block a Windows node owns.</summary>
    public const int CalicoWindowsReservedPerBlock = 4;

    private static void Services(ValidationContext v, ClusterSpec c, string path, LoadBalancerSettingSpec? lb)
    {
        var seen = new HashSet<(string, string)>();
        var sharedPorts = new Dictionary<string, Dictionary<(string, int), string>>(StringComparer.Ordinal);
        for (var i = 0; i < c.Services.Count; i++)
        {
            var s = c.Services[i];
            var sp = $"{path}.services[{i}]";
            Names.Check(v, Names.Dns1123Label, s.Namespace, $"{sp}.namespace", "Namespace");
            if (s.SharedIpKey is not null)
            {
                Names.Check(v, Names.SharedIpKey, s.SharedIpKey, $"{sp}.sharedIpKey", "Shared IP key");
            }

            if (Names.Check(v, Names.Dns1123Label, s.Name, $"{sp}.name", "Service name") && !seen.Add((s.Namespace, s.Name)))
            {
                v.Error("DuplicateName", $"{sp}.name", $"Service {s.Namespace}/{s.Name} appears twice in cluster '{c.Name}'.", "Each service is listed once.");
            }
            else if ((s.Namespace, s.Name) is ("default", "kubernetes") or ("kube-system", "kube-dns"))
            {
                v.Error("ReservedServiceName", $"{sp}.name", $"Service {s.Namespace}/{s.Name} is Kubernetes' own ClusterIP service, not a LoadBalancer service of yours.",
                    "Give the service another name or namespace.");
            }

            if (s.Protocol is not ("TCP" or "UDP" or "SCTP"))
            {
                v.Error("InvalidProtocol", $"{sp}.protocol", $"'{s.Protocol}' is not a service protocol.", "Use TCP, UDP or SCTP.");
            }
            else if (s.Protocol != "TCP" && lb is { LoadBalancerSku: LoadBalancerSku.HAProxy })
            {
                v.Error("ProtocolNotOnHaProxy", $"{sp}.protocol",
                    $"Service {s.Namespace}/{s.Name} is {s.Protocol}, but cluster '{c.Name}' uses the HAProxy load balancer, which proxies TCP only: the VIP would answer nothing.",
                    "Use a load balancer setting with loadBalancerSku: none and serve the services with MetalLB (clusters[].loadBalancers) or kube-vip, or make the service TCP.");
            }

            if (s.Ports.Count == 0)
            {
                v.Error("ServiceWithoutPorts", $"{sp}.ports", $"Service {s.Namespace}/{s.Name} has no ports.", "List the ports it exposes, e.g. ports: [443].");
            }
            else if (s.Ports.Where(p => p is < 1 or > 65535).Select(p => (int?)p).FirstOrDefault() is { } bad)
            {
                v.Error("InvalidPort", $"{sp}.ports", $"Service {s.Namespace}/{s.Name} lists port {bad}, outside 1–65535.", "Use port numbers from 1 to 65535.");
            }
            else if (s.Ports.Distinct().Count() != s.Ports.Count)
            {
                v.Error("DuplicatePort", $"{sp}.ports", $"Service {s.Namespace}/{s.Name} lists a port twice.", "List each port once.");
            }

            if (s.SharedIpKey is { } key)
            {
                var ports = sharedPorts.TryGetValue(key, out var existing) ? existing : sharedPorts[key] = [];
                foreach (var port in s.Ports.Distinct())
                {
                    if (ports.TryGetValue((s.Protocol, port), out var other))
                    {
                        v.Error("SharedIpPortConflict", $"{sp}.ports",
                            $"Services {other} and {s.Namespace}/{s.Name} share the VIP of key '{key}' and both use {s.Protocol} port {port}.",
                            "Services share one VIP only on distinct ports: change a port or the sharedIpKey.");
                    }
                    else
                    {
                        ports[(s.Protocol, port)] = $"{s.Namespace}/{s.Name}";
                    }
                }
            }
        }

        if (c.Services.Count > 0 && lb is { LoadBalancerSku: LoadBalancerSku.None } && c.LoadBalancers.Count == 0)
        {
            v.Warning("ServicesNeedOwnLoadBalancer", $"{path}.services",
                "With load balancer SKU 'none', kube-vip serves only the API server: these LoadBalancer services are unreachable until you configure your own load balancer.",
                "Configure MetalLB or another load balancer for the service VIPs, or use the HAProxy SKU.");
        }
    }

    public static void ControlPlaneIpsUnique(ValidationContext v, IReadOnlyList<(string Path, IPAddress Address)> ips)
    {
        foreach (var group in ips.GroupBy(x => x.Address).Where(g => g.Count() > 1))
        {
            foreach (var (p, a) in group.Skip(1))
            {
                v.Error("ControlPlaneIpDuplicate", p, $"Control plane IP {a} is used by more than one cluster; a reused control plane IP makes the API server unreachable.",
                    "Give every cluster its own control plane IP.");
            }
        }
    }

    public static IEnumerable<(string Path, AddressRange Range)> NetworkRanges(ResolvedNetwork n, string path)
    {
        if (n.NodePool is { } np)
        {
            yield return ($"{path}.k8sNodeIpPoolStart", np);
        }

        if (n.VipPool is { } vp)
        {
            yield return ($"{path}.vipPoolStart", vp);
        }

        if (n.Dhcp is { } d)
        {
            yield return ($"{path}.dhcpScope.start", d.Range);
        }
    }
}

/// <summary>
/// A cluster as far as validation could resolve it. <see cref="LoadBalancerKnown"/>: its load balancer setting resolved, so
/// the load balancer rules can judge it. <see cref="Unjudged"/>: pool ids whose requirement its placeholders leave unknown;
/// empty when the cluster resolved completely.
/// </summary>
internal sealed record ClusterResolution(ResolvedCluster Cluster, bool LoadBalancerKnown, IReadOnlyList<Ipam.PoolId> Unjudged)
{
    public bool Complete => Unjudged.Count == 0;
}
