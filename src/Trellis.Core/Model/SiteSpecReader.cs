using Trellis.Core.Validation;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Trellis.Core.Model;

public sealed record SpecReadResult(SiteSpec? Spec, IReadOnlyList<Finding> Findings)
{
    /// <summary>
    /// When the reader found errors, the spec as far as it could be read (bad fields at their defaults), so that validation
    /// can still report the other problems at once. Never apply it.
    /// </summary>
    public SiteSpec? Partial { get; init; }
}

/// <summary>
/// Reads a site spec from YAML (JSON is YAML too). Malformed text, wrong types and unknown fields become
/// findings with field paths; the reader never throws for bad input.
/// </summary>
public static class SiteSpecReader
{
    /// <summary>Specs larger than this are refused before parsing.</summary>
    public const int MaxSpecBytes = 16 * 1024 * 1024;

    /// <summary>Nesting deeper than this is refused before loading: YamlDotNet builds nodes recursively and would overflow the stack.</summary>
    public const int MaxNestingDepth = YamlPrescan.MaxNestingDepth;

    public static SpecReadResult Read(string yaml)
    {
        var (stream, problem) = YamlPrescan.Load(yaml, MaxSpecBytes, "spec", "Split the site into smaller specs.");
        if (stream is null)
        {
            return Fail(problem!);
        }

        var documents = stream.Documents.Where(d => d.RootNode is not YamlScalarNode { Value: null or "" }).ToList();
        if (documents.Count != 1)
        {
            return Fail(Finding.Error("SpecDocumentCount", "",
                documents.Count == 0 ? "The file holds no document." : $"The file holds {documents.Count} documents; a site spec is one.",
                "Put exactly one 'kind: Site' document in the file."));
        }

        var binder = new YamlBinder();
        var spec = ReadSite(binder, documents[0].RootNode);
        return new SpecReadResult(binder.Findings.HasErrors() ? null : spec, binder.Findings) { Partial = spec };
    }

    private static SpecReadResult Fail(Finding finding) => new(null, [finding]);

    private static SiteSpec? ReadSite(YamlBinder b, YamlNode root)
    {
        var top = b.Mapping(root, "", "apiVersion", "kind", "metadata", "spec");
        if (top is null)
        {
            if (!YamlBinder.IsNull(root))
            {
                return null;
            }

            b.Add(Finding.Error("SpecEmpty", "", "The document is empty.", "Start from one of the files in examples/."));
            return null;
        }

        var apiVersion = top.RequiredString("apiVersion", $"Write 'apiVersion: {SiteSpecDefaults.ApiVersion}'.");
        if (apiVersion.Length > 0 && apiVersion != SiteSpecDefaults.ApiVersion)
        {
            b.Add(Finding.Error("UnsupportedApiVersion", "apiVersion", $"apiVersion '{apiVersion}' is not supported.",
                $"Write 'apiVersion: {SiteSpecDefaults.ApiVersion}'."));
        }

        var kind = top.RequiredString("kind", "Write 'kind: Site'.");
        if (kind.Length > 0 && kind != "Site")
        {
            b.Add(Finding.Error("UnsupportedKind", "kind", $"kind '{kind}' is not a site spec.", "Write 'kind: Site'."));
        }

        var metadata = b.Mapping(top.Node("metadata"), "metadata", "name", "labels", "annotations");
        var name = metadata?.String("name");
        // A name that is there but unreadable (too long, not text) has its own finding; it is not missing.
        if (metadata?.Node("name") is null)
        {
            b.Add(Finding.Error("RequiredFieldMissing", "metadata.name", "The site needs a name.", "Write 'metadata: { name: mysite }'."));
        }

        var spec = b.Mapping(top.Node("spec"), "spec",
            "model", "hostNetwork", "cloudServiceCidr", "clusterNetworks", "logicalNetwork", "loadBalancerSettings", "clusters", "settings");
        if (spec is null)
        {
            b.Add(Finding.Error("RequiredFieldMissing", "spec", "The site has no spec.", "Add a 'spec:' with at least a hostNetwork."));
            return null;
        }

        return new SiteSpec
        {
            ApiVersion = apiVersion,
            Kind = kind,
            Name = name ?? "",
            Model = spec.Enum("model", ("AksHci", SiteModel.AksHci), ("AksArc", SiteModel.AksArc)) ?? SiteModel.AksHci,
            HostNetwork = ReadNetwork(b, spec.Node("hostNetwork"), spec.FieldPath("hostNetwork")),
            CloudServiceCidr = spec.String("cloudServiceCidr"),
            ClusterNetworks = spec.List("clusterNetworks", (n, p) => ReadNetwork(b, n, p), 256),
            LogicalNetwork = ReadLogicalNetwork(b, spec.Node("logicalNetwork"), spec.FieldPath("logicalNetwork")),
            LoadBalancerSettings = spec.List("loadBalancerSettings", (n, p) => ReadLoadBalancer(b, n, p), 256),
            Clusters = spec.List("clusters", (n, p) => ReadCluster(b, n, p), 1024),
            Settings = ReadSettings(b, spec.Node("settings"), spec.FieldPath("settings")),
        };
    }

    internal static NetworkSpec? ReadNetwork(YamlBinder b, YamlNode? node, string path)
    {
        var f = b.Mapping(node, path, "name", "vswitchName", "ipAllocationMethod", "ipAddressPrefix", "gateway", "dnsServers",
            "vlanID", "k8sNodeIpPoolStart", "k8sNodeIpPoolEnd", "vipPoolStart", "vipPoolEnd", "dhcpScope");
        if (f is null)
        {
            return null;
        }

        return new NetworkSpec
        {
            Name = f.RequiredString("name", "Name the network with lowercase letters and digits, e.g. 'mgmtvnet'."),
            VswitchName = f.String("vswitchName"),
            IpAllocationMethod = f.Enum("ipAllocationMethod", ("Static", IpAllocationMethod.Static), ("Dhcp", IpAllocationMethod.Dhcp)) ?? IpAllocationMethod.Static,
            IpAddressPrefix = f.String("ipAddressPrefix"),
            Gateway = f.String("gateway"),
            DnsServers = f.StringList("dnsServers"),
            VlanId = f.Int("vlanID", 0, 4095),
            K8sNodeIpPoolStart = f.String("k8sNodeIpPoolStart"),
            K8sNodeIpPoolEnd = f.String("k8sNodeIpPoolEnd"),
            VipPoolStart = f.String("vipPoolStart"),
            VipPoolEnd = f.String("vipPoolEnd"),
            DhcpScope = ReadDhcpScope(b, f.Node("dhcpScope"), f.FieldPath("dhcpScope")),
        };
    }

    private static DhcpScopeSpec? ReadDhcpScope(YamlBinder b, YamlNode? node, string path)
    {
        var f = b.Mapping(node, path, "subnet", "start", "end", "leaseDuration", "reservations");
        return f is null
            ? null
            : new DhcpScopeSpec
            {
                Subnet = f.String("subnet"),
                Start = f.String("start"),
                End = f.String("end"),
                LeaseDuration = f.String("leaseDuration"),
                Reservations = f.List("reservations", (n, p) =>
                {
                    var r = b.Mapping(n, p, "name", "ipAddress", "macAddress");
                    return r is null
                        ? null
                        : new DhcpReservationSpec
                        {
                            Name = r.RequiredString("name", "Name the reservation, e.g. after the machine."),
                            IpAddress = r.String("ipAddress"),
                            MacAddress = r.String("macAddress"),
                        };
                }, 4096),
            };
    }

    private static LogicalNetworkSpec? ReadLogicalNetwork(YamlBinder b, YamlNode? node, string path)
    {
        var f = b.Mapping(node, path, "name", "vmSwitchName", "ipAllocationMethod", "addressPrefixes", "gateway", "dnsServers",
            "vlan", "ipPoolStart", "ipPoolEnd");
        if (f is null)
        {
            return null;
        }

        return new LogicalNetworkSpec
        {
            Name = f.RequiredString("name", "Name the logical network, e.g. 'aks-lnet'."),
            VmSwitchName = f.String("vmSwitchName"),
            IpAllocationMethod = f.Enum("ipAllocationMethod", ("Static", IpAllocationMethod.Static), ("Dynamic", IpAllocationMethod.Dhcp), ("Dhcp", IpAllocationMethod.Dhcp)) ?? IpAllocationMethod.Static,
            AddressPrefixes = f.StringList("addressPrefixes"),
            Gateway = f.String("gateway"),
            DnsServers = f.StringList("dnsServers"),
            Vlan = f.Int("vlan", 0, 4095),
            IpPoolStart = f.String("ipPoolStart"),
            IpPoolEnd = f.String("ipPoolEnd"),
        };
    }

    internal static LoadBalancerSettingSpec? ReadLoadBalancer(YamlBinder b, YamlNode node, string path)
    {
        var f = b.Mapping(node, path, "name", "loadBalancerSku", "vmSize", "loadBalancerCount");
        if (f is null)
        {
            return null;
        }

        var sku = f.Enum("loadBalancerSku", ("HAProxy", LoadBalancerSku.HAProxy), ("none", LoadBalancerSku.None)) ?? LoadBalancerSku.HAProxy;
        return new LoadBalancerSettingSpec
        {
            Name = f.RequiredString("name", "Name the setting, e.g. 'haproxy2'."),
            LoadBalancerSku = sku,
            VmSize = f.String("vmSize") ?? SiteSpecDefaults.LoadBalancerVmSize,
            LoadBalancerCount = f.Int("loadBalancerCount", 0, 64) ?? (sku == LoadBalancerSku.HAProxy ? 1 : 0),
        };
    }

    internal static ClusterSpec? ReadCluster(YamlBinder b, YamlNode node, string path)
    {
        var f = b.Mapping(node, path, "name", "vnet", "primaryNetworkPlugin", "kubernetesVersion", "controlPlaneNodeCount",
            "controlPlaneVmSize", "loadBalancerSettings", "loadBalancerCount", "podCidr", "serviceCidr", "controlPlaneIp", "vxlanVni", "vxlanPort", "virtualRouterId", "loadBalancers", "bgpPeers", "nodePools", "services");
        if (f is null)
        {
            return null;
        }

        return new ClusterSpec
        {
            Name = f.RequiredString("name", "Name the cluster with lowercase letters and digits, e.g. 'payments'."),
            Vnet = f.String("vnet"),
            PrimaryNetworkPlugin = f.Enum("primaryNetworkPlugin", ("calico", NetworkPlugin.Calico), ("flannel", NetworkPlugin.Flannel)) ?? NetworkPlugin.Calico,
            KubernetesVersion = f.String("kubernetesVersion") ?? SiteSpecDefaults.KubernetesVersion,
            ControlPlaneNodeCount = f.Int("controlPlaneNodeCount", 0, 100) ?? 1,
            ControlPlaneVmSize = f.String("controlPlaneVmSize") ?? SiteSpecDefaults.ControlPlaneVmSize,
            LoadBalancerSettings = f.String("loadBalancerSettings"),
            LoadBalancerCount = f.Int("loadBalancerCount", 0, 64),
            PodCidr = f.String("podCidr") ?? SiteSpecDefaults.PodCidr,
            ServiceCidr = f.String("serviceCidr") ?? SiteSpecDefaults.ServiceCidr,
            ControlPlaneIp = f.String("controlPlaneIp"),
            VxlanVni = f.Int("vxlanVni", 1, (1 << 24) - 1),
            VxlanPort = f.Int("vxlanPort", 1, 65535),
            VirtualRouterId = f.Int("virtualRouterId", 0, 1_000_000),
            LoadBalancers = f.List("loadBalancers", (n, p) => ReadMetalLbPool(b, n, p), 64),
            BgpPeers = f.List("bgpPeers", (n, p) => ReadBgpPeer(b, n, p), 64),
            NodePools = f.List("nodePools", (n, p) => ReadNodePool(b, n, p), 256),
            Services = f.List("services", (n, p) => ReadService(b, n, p), 100_000),
        };
    }

    internal static MetalLbPoolSpec? ReadMetalLbPool(YamlBinder b, YamlNode node, string path)
    {
        var m = b.Mapping(node, path, "name", "addresses", "advertiseMode");
        return m is null
            ? null
            : new MetalLbPoolSpec
            {
                Name = m.RequiredString("name", "Name the load balancer, e.g. 'lb1'."),
                Addresses = m.StringList("addresses"),
                AdvertiseMode = m.String("advertiseMode") ?? "ARP",
            };
    }

    internal static BgpPeerSpec? ReadBgpPeer(YamlBinder b, YamlNode node, string path)
    {
        var m = b.Mapping(node, path, "name", "myAsn", "peerAsn", "peerAddress", "peerPort");
        return m is null
            ? null
            : new BgpPeerSpec
            {
                Name = m.RequiredString("name", "Name the peer, e.g. 'tor1'."),
                MyAsn = m.Long("myAsn", 0, uint.MaxValue) ?? 0,
                PeerAsn = m.Long("peerAsn", 0, uint.MaxValue) ?? 0,
                PeerAddress = m.String("peerAddress"),
                PeerPort = m.Int("peerPort", 1, 65535),
            };
    }

    internal static NodePoolSpec? ReadNodePool(YamlBinder b, YamlNode node, string path)
    {
        var f = b.Mapping(node, path, "name", "osType", "osSku", "count", "vmSize", "maxPodCount");
        return f is null
            ? null
            : new NodePoolSpec
            {
                Name = f.RequiredString("name", "Name the node pool with lowercase letters and digits, e.g. 'linuxpool'."),
                OsType = f.Enum("osType", ("Linux", OsType.Linux), ("Windows", OsType.Windows)) ?? OsType.Linux,
                OsSku = f.String("osSku"),
                Count = f.Int("count", 0, 100_000) ?? 1,
                VmSize = f.String("vmSize") ?? SiteSpecDefaults.NodeVmSize,
                MaxPodCount = f.Int("maxPodCount", 0, 100_000) ?? SiteSpecDefaults.MaxPodCount,
                // "maxPodCount: null" (or ~) is as good as left out: the pool takes the default.
                MaxPodCountGiven = f.Node("maxPodCount") is not null,
            };
    }

    internal static ServiceSpec? ReadService(YamlBinder b, YamlNode node, string path)
    {
        var f = b.Mapping(node, path, "namespace", "name", "ports", "protocol", "sharedIpKey");
        return f is null
            ? null
            : new ServiceSpec
            {
                Namespace = f.String("namespace") ?? "default",
                Name = f.RequiredString("name", "Name the service as in its Kubernetes manifest."),
                Ports = f.IntList("ports", 1, 65535),
                Protocol = f.String("protocol") ?? "TCP",
                SharedIpKey = f.String("sharedIpKey"),
            };
    }

    internal static readonly string[] SettingsFields = ["managementClusterVip", "managementUpdateReserve", "workloadUpdateReserve", "calicoBlockSize",
        "flannelSubnetLen", "underlayMtu", "virtualRouterIdBase", "kubeVipControlPlane"];

    /// <summary>The settings <paramref name="node"/> gives; a field it leaves out keeps its value in <paramref name="baseline"/> (default: the defaults).</summary>
    internal static PlanningSettings ReadSettings(YamlBinder b, YamlNode? node, string path, PlanningSettings? baseline = null)
    {
        var f = b.Mapping(node, path, SettingsFields);
        var defaults = baseline ?? new PlanningSettings();
        return f is null
            ? defaults
            : new PlanningSettings
            {
                ManagementClusterVip = f.Bool("managementClusterVip") ?? defaults.ManagementClusterVip,
                ManagementUpdateReserve = f.Int("managementUpdateReserve", 0, 64) ?? defaults.ManagementUpdateReserve,
                WorkloadUpdateReserve = f.Int("workloadUpdateReserve", 0, 64) ?? defaults.WorkloadUpdateReserve,
                CalicoBlockSize = f.Int("calicoBlockSize", 20, 32) ?? defaults.CalicoBlockSize,
                FlannelSubnetLen = f.Int("flannelSubnetLen", 8, 30) ?? defaults.FlannelSubnetLen,
                UnderlayMtu = f.Int("underlayMtu", 1280, 9216) ?? defaults.UnderlayMtu,
                VirtualRouterIdBase = f.Int("virtualRouterIdBase", Planning.SitePlanner.VirtualRouterIdFirst, Planning.SitePlanner.VirtualRouterIdLast) ?? defaults.VirtualRouterIdBase,
                KubeVipControlPlane = f.Bool("kubeVipControlPlane") ?? defaults.KubeVipControlPlane,
            };
    }
}
