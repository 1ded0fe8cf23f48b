using Trellis.Core.Validation;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Trellis.Core.Model;

/// <summary>
/// Parts of a spec given as field=value text (what-if questions): read by the same readers as a spec file, so a value gets
/// the same checks and finding codes there as here (ValueOutOfRange, WrongType, InvalidValue, UnknownField with "did you mean").
/// </summary>
public static class SpecFragments
{
    public static readonly string[] NodePoolFields = ["name", "osType", "osSku", "count", "vmSize", "maxPodCount"];
    public static readonly string[] ServiceFields = ["namespace", "name", "ports", "protocol", "sharedIpKey"];
    public static readonly string[] ClusterFields = ["name", "vnet", "primaryNetworkPlugin", "kubernetesVersion", "controlPlaneNodeCount", "controlPlaneVmSize", "loadBalancerSettings", "podCidr", "serviceCidr"];

    /// <summary>
    /// The maxPodCount a new node pool of cluster <paramref name="cluster"/> gets when none is given: the product's 110, or
    /// fewer where the cluster's pod addresses per node hold fewer, so that a pool never breaks a rule the moment it is added.
    /// A Flannel node has its own subnet (settings.flannelSubnetLen: /24, 254 addresses); a Windows node of a Calico cluster
    /// holds one Calico IPAM block less its reserved addresses (60 with /26 blocks). An unknown cluster counts as Calico.
    /// </summary>
    public static int DefaultMaxPodCount(SiteSpec spec, string cluster, OsType os)
    {
        var flannel = spec.Clusters.FirstOrDefault(c => c.Name == cluster)?.PrimaryNetworkPlugin == NetworkPlugin.Flannel;
        var perNode = flannel ? (1 << (32 - spec.Settings.FlannelSubnetLen)) - 2
            : os == OsType.Windows ? (1 << (32 - spec.Settings.CalicoBlockSize)) - Validation.ClusterRules.CalicoWindowsReservedPerBlock
            : SiteSpecDefaults.MaxPodCount;
        return Math.Min(SiteSpecDefaults.MaxPodCount, perNode);
    }

    /// <summary>
    /// <paramref name="pool"/> of cluster <paramref name="cluster"/>, with <see cref="DefaultMaxPodCount"/> when it was read
    /// without maxPodCount (it stays not given); a pool that gives maxPodCount is returned as it is.
    /// </summary>
    public static NodePoolSpec WithDefaultMaxPodCount(NodePoolSpec pool, SiteSpec spec, string cluster) =>
        pool.MaxPodCountGiven ? pool : pool with { MaxPodCount = DefaultMaxPodCount(spec, cluster, pool.OsType) };

    /// <summary>A node pool from <paramref name="fields"/>, allowing only <paramref name="allowed"/> of its fields (default all).</summary>
    public static (NodePoolSpec? Value, IReadOnlyList<Finding> Findings) NodePool(IReadOnlyList<KeyValuePair<string, string>> fields, string path, string[]? allowed = null) =>
        Read(fields, path, allowed ?? NodePoolFields, SiteSpecReader.ReadNodePool);

    public static (ServiceSpec? Value, IReadOnlyList<Finding> Findings) Service(IReadOnlyList<KeyValuePair<string, string>> fields, string path) =>
        Read(fields, path, ServiceFields, SiteSpecReader.ReadService);

    public static (ClusterSpec? Value, IReadOnlyList<Finding> Findings) Cluster(IReadOnlyList<KeyValuePair<string, string>> fields, string path) =>
        Read(fields, path, ClusterFields, SiteSpecReader.ReadCluster);

    /// <summary>The planning settings <paramref name="fields"/> give (by their spec names), the others as in <paramref name="baseline"/>.</summary>
    public static (PlanningSettings? Value, IReadOnlyList<Finding> Findings) Settings(IReadOnlyList<KeyValuePair<string, string>> fields, string path, PlanningSettings baseline) =>
        Read(fields, path, SiteSpecReader.SettingsFields, (b, n, p) => SiteSpecReader.ReadSettings(b, n, p, baseline));

    /// <summary>A network (hostNetwork or a clusterNetworks item) given as a YAML mapping, read as a spec file's.</summary>
    public static (NetworkSpec? Value, IReadOnlyList<Finding> Findings) Network(YamlMappingNode node, string path) => ReadNode(node, path, SiteSpecReader.ReadNetwork);

    public static (LoadBalancerSettingSpec? Value, IReadOnlyList<Finding> Findings) LoadBalancerSetting(YamlMappingNode node, string path) =>
        ReadNode(node, path, SiteSpecReader.ReadLoadBalancer);

    public static (ClusterSpec? Value, IReadOnlyList<Finding> Findings) Cluster(YamlMappingNode node, string path) => ReadNode(node, path, SiteSpecReader.ReadCluster);

    public static (MetalLbPoolSpec? Value, IReadOnlyList<Finding> Findings) MetalLbPool(YamlMappingNode node, string path) => ReadNode(node, path, SiteSpecReader.ReadMetalLbPool);

    public static (BgpPeerSpec? Value, IReadOnlyList<Finding> Findings) BgpPeer(YamlMappingNode node, string path) => ReadNode(node, path, SiteSpecReader.ReadBgpPeer);

    private static (T? Value, IReadOnlyList<Finding> Findings) ReadNode<T>(YamlMappingNode node, string path, Func<YamlBinder, YamlNode, string, T?> read)
        where T : class
    {
        var binder = new YamlBinder();
        var result = read(binder, node, path);
        return (binder.Findings.HasErrors() ? null : result, binder.Findings);
    }

    private static (T? Value, IReadOnlyList<Finding> Findings) Read<T>(IReadOnlyList<KeyValuePair<string, string>> fields, string path, string[] allowed,
        Func<YamlBinder, YamlNode, string, T?> read)
        where T : class
    {
        var binder = new YamlBinder();
        var mapping = new YamlMappingNode();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in fields)
        {
            var fieldPath = YamlBinder.Join(path, key);
            var known = Array.Find(allowed, k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase));
            if (known is null)
            {
                binder.Add(Finding.Error("UnknownField", fieldPath, $"Field '{key}' is not part of this object.", YamlBinder.Suggest(key, allowed)));
            }
            else if (!seen.Add(known))
            {
                binder.Add(Finding.Error("DuplicateField", fieldPath, $"Field '{key}' appears more than once.", "Keep one of them."));
            }
            else if (value.Length == 0)
            {
                binder.Add(Finding.Error("RequiredFieldMissing", fieldPath, $"Field '{key}' has no value.", $"Write {key}=VALUE, or leave the field out."));
            }
            else
            {
                // Quoted, so that a value such as "null" or "~" stays text and gets the checks of its field.
                YamlNode node = known == "ports"
                    ? new YamlSequenceNode(value.Split(',').Select(p => new YamlScalarNode(p) { Style = ScalarStyle.DoubleQuoted }))
                    : new YamlScalarNode(value) { Style = ScalarStyle.DoubleQuoted };
                mapping.Add(new YamlScalarNode(known), node);
            }
        }

        var result = read(binder, mapping, path);
        return (binder.Findings.HasErrors() ? null : result, binder.Findings);
    }
}
