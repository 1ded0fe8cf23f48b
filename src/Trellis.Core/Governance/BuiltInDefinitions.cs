using Trellis.Core.Model;

namespace Trellis.Core.Governance;

/// <summary>
/// What the rules judge: the site as a change leaves it, and, where the Engine has planned it, the capacity of its pools
/// after the plan (null: pool rules judge nothing, e.g. for a spec read from a file).
/// </summary>
public sealed record GovernanceSubject(SiteSpec Site, Planning.CapacityReport? Capacity = null, ManifestFacts? Manifests = null);

/// <summary>What the NetworkPolicies of one namespace of the manifests given do.</summary>
/// <param name="DefaultDenyIngress">A NetworkPolicy selects every pod of the namespace for ingress and allows nothing: ingress is denied unless another policy allows it.</param>
/// <param name="IngressFromAnywhere">The policies (namespace/name) that allow ingress from 0.0.0.0/0 (or ::/0) to pods of the namespace.</param>
public sealed record NamespaceFacts(string Namespace, bool DefaultDenyIngress, IReadOnlyList<string> IngressFromAnywhere);

/// <summary>A Service of the manifests given: whether it is declared there, and the NetworkPolicies that select its pods for ingress.</summary>
public sealed record ServiceFacts(string Namespace, string Name, bool Declared, IReadOnlyList<string> SelectingPolicies);

/// <summary>What governance rules read of Kubernetes manifests (the Engine reads them with the network policy analysis).</summary>
public sealed record ManifestFacts(IReadOnlyList<NamespaceFacts> Namespaces, IReadOnlyList<ServiceFacts> Services);

/// <summary>
/// One item a rule judges: its id (what exemptions and the report name), its path in the spec, and what it is: a cluster,
/// one of its node pools or services, or a pool of a network (<see cref="Pool"/>, with the network's name).
/// </summary>
public sealed record PolicyItem(string Id, string Path, ClusterSpec? Cluster, NodePoolSpec? NodePool = null, ServiceSpec? Service = null,
    Planning.PoolCapacity? Pool = null, string? Network = null, NamespaceFacts? NamespaceFacts = null)
{
    /// <summary>Every item of <paramref name="target"/> in <paramref name="subject"/>, in spec order.</summary>
    public static IEnumerable<PolicyItem> Of(GovernanceSubject subject, PolicyTarget target)
    {
        var site = subject.Site;
        if (target == PolicyTarget.Namespace)
        {
            foreach (var ns in subject.Manifests?.Namespaces ?? [])
            {
                yield return new PolicyItem($"namespace/{ns.Namespace}", "manifests", null, NamespaceFacts: ns);
            }

            yield break;
        }

        if (target == PolicyTarget.Pool)
        {
            foreach (var network in subject.Capacity?.Networks ?? [])
            {
                var path = NetworkPath(site, network.Name);
                foreach (var (kind, pool) in new[] { ("node-ip", network.NodeIpPool), ("dhcp-scope", network.DhcpScope), ("vip", network.VipPool) })
                {
                    if (pool is { Size: > 0 })
                    {
                        yield return new PolicyItem($"pool/{network.Name}/{kind}", path, null, Pool: pool, Network: network.Name);
                    }
                }
            }

            yield break;
        }

        for (var c = 0; c < site.Clusters.Count; c++)
        {
            var cluster = site.Clusters[c];
            var path = $"spec.clusters[{c}]";
            switch (target)
            {
                case PolicyTarget.Cluster:
                    yield return new PolicyItem($"cluster/{cluster.Name}", path, cluster);
                    break;
                case PolicyTarget.NodePool:
                    for (var p = 0; p < cluster.NodePools.Count; p++)
                    {
                        yield return new PolicyItem($"cluster/{cluster.Name}/nodepool/{cluster.NodePools[p].Name}", $"{path}.nodePools[{p}]", cluster, NodePool: cluster.NodePools[p]);
                    }

                    break;
                case PolicyTarget.Service:
                    for (var s = 0; s < cluster.Services.Count; s++)
                    {
                        var service = cluster.Services[s];
                        yield return new PolicyItem($"cluster/{cluster.Name}/service/{service.Namespace}/{service.Name}", $"{path}.services[{s}]", cluster, Service: service);
                    }

                    break;
            }
        }
    }

    /// <summary>The namespace the item is or lives in (services and namespaces); clusters, node pools and pools are in none.</summary>
    public string? Namespace => Service?.Namespace ?? NamespaceFacts?.Namespace;

    /// <summary>Where a network is written in the spec: the host network, a cluster network, or AKS Arc's logical network.</summary>
    private static string NetworkPath(SiteSpec site, string name)
    {
        if (site.HostNetwork?.Name == name)
        {
            return "spec.hostNetwork";
        }

        var index = site.ClusterNetworks.ToList().FindIndex(n => n.Name == name);
        return index >= 0 ? $"spec.clusterNetworks[{index}]" : site.LogicalNetwork?.Name == name ? "spec.logicalNetwork" : "spec";
    }
}

/// <summary>The parameter values of one assignment, the definition's defaults filled in.</summary>
public sealed class PolicyParameters(IReadOnlyDictionary<string, PolicyValue> values)
{
    /// <summary>The values as a rule expression reads them (<c>params</c>).</summary>
    public Expressions.RuleValue Value { get; } = Expressions.RuleValue.Object([.. values.Select(kv => (kv.Key, (Expressions.RuleValue?)(
        kv.Value.List is { } list ? Expressions.RuleValue.From(list)
        : kv.Value.Number is { } n ? Expressions.RuleValue.From(n)
        : kv.Value.Flag is { } f ? Expressions.RuleValue.From(f)
        : Expressions.RuleValue.From(kv.Value.Text))))]);

    public IReadOnlyList<string> List(string name) => values.TryGetValue(name, out var v) ? v.List ?? (v.Text is { } t ? [t] : []) : [];

    public double Number(string name) => values.TryGetValue(name, out var v) && v.Number is { } n ? n : double.NaN;

    public bool Flag(string name) => values.TryGetValue(name, out var v) && v.Flag == true;
}

/// <summary>
/// A built-in definition: its public definition, its rule (null: compliant; else why not), and for rules that can be broken
/// more or less, how far a non-compliant item is from complying (<see cref="Degree"/>: a change that raises it is refused by a Deny).
/// </summary>
/// <param name="NeedsManifests">The rule reads the Kubernetes manifests given (policy compliance -f); without them it judges nothing.</param>
public sealed record BuiltInDefinition(PolicyDefinition Definition, Func<GovernanceSubject, PolicyItem, PolicyParameters, string?> Rule,
    Func<GovernanceSubject, PolicyItem, PolicyParameters, double>? Degree = null, bool NeedsManifests = false)
{
    public string Name => Definition.Name;
}

/// <summary>
/// The definitions every site has (docs/governance.md lists them with examples). Each is a rule about the planned site; an
/// assignment names one, with parameter values, a scope and an effect.
/// </summary>
public static class BuiltInDefinitions
{
    private static readonly PolicyParameter Allowed = new("allowed", PolicyParameterType.StringList, Description: "The values allowed.");

    public static IReadOnlyList<BuiltInDefinition> All { get; } =
    [
        new(new("allowed-network-plugins", "Clusters use only the network plugins allowed (the plugin cannot be changed after deployment).",
                PolicyTarget.Cluster, [Allowed with { Default = new PolicyValue(List: ["calico"]), Description = "Plugins allowed: calico, flannel." }], "allowed-network-plugins"),
            (_, item, p) => p.List("allowed").Contains(item.Cluster!.PrimaryNetworkPlugin.ToString(), StringComparer.OrdinalIgnoreCase)
                ? null
                : $"cluster '{item.Cluster.Name}' uses {item.Cluster.PrimaryNetworkPlugin.ToString().ToLowerInvariant()}; allowed: {string.Join(", ", p.List("allowed"))}"),
        new(new("allowed-kubernetes-versions", "Clusters run only the Kubernetes versions allowed: an entry v1.30 allows every v1.30 patch, v1.30.4 that one.",
                PolicyTarget.Cluster, [Allowed with { Description = "Versions allowed, e.g. [v1.29, v1.30.4]." }], "allowed-kubernetes-versions"),
            (_, item, p) => VersionAllowed(item.Cluster!.KubernetesVersion, p.List("allowed"))
                ? null
                : $"cluster '{item.Cluster.Name}' runs {item.Cluster.KubernetesVersion}; allowed: {string.Join(", ", p.List("allowed"))}"),
        new(new("allowed-load-balancer-skus", "Clusters use only the load balancer SKUs allowed (HAProxy, the built-in load balancer; None, the operator's own).",
                PolicyTarget.Cluster, [Allowed with { Default = new PolicyValue(List: ["HAProxy"]), Description = "SKUs allowed: HAProxy, None." }], "allowed-load-balancer-skus"),
            (subject, item, p) => LoadBalancerSku(subject.Site, item.Cluster!) is not { } sku || p.List("allowed").Contains(sku.ToString(), StringComparer.OrdinalIgnoreCase)
                ? null
                : $"cluster '{item.Cluster!.Name}' uses load balancer SKU {sku}; allowed: {string.Join(", ", p.List("allowed"))}"),
        new(new("no-vip-sharing-across-namespaces", "Services share a VIP (sharedIpKey) only with services of their own namespace.",
                PolicyTarget.Service, [], "no-vip-sharing-across-namespaces"),
            (_, item, _) => item.Service!.SharedIpKey is not { } key
                ? null
                : item.Cluster!.Services.FirstOrDefault(s => s.SharedIpKey == key && s.Namespace != item.Service.Namespace) is { } other
                    ? $"service {item.Service.Namespace}/{item.Service.Name} shares the VIP of key '{key}' with {other.Namespace}/{other.Name}, of another namespace"
                    : null),
        new(new("pool-utilization-below", "Each node IP pool, DHCP scope and VIP pool stays below a utilization after the change, and during a rolling upgrade of every cluster (the surge VMs' addresses counted).",
                PolicyTarget.Pool,
                [
                    new("maxPercent", PolicyParameterType.Number, new PolicyValue(Number: 80), "The utilization a pool must stay below, in percent."),
                    new("duringUpgrade", PolicyParameterType.Boolean, new PolicyValue(Flag: true), "Count the addresses a rolling upgrade of every cluster takes as well."),
                ], "pool-utilization-below"),
            (_, item, p) => Utilization(item.Pool!, p.Flag("duringUpgrade")) is var used && used < p.Number("maxPercent")
                ? null
                : $"{item.Pool!.Description} of network '{item.Network}' would be {used:0.#} % used{(p.Flag("duringUpgrade") ? " during a rolling upgrade" : "")} ({Used(item.Pool!, p.Flag("duringUpgrade"))} of {item.Pool!.Size}); the limit is below {p.Number("maxPercent"):0.#} %",
            (_, item, p) => Used(item.Pool!, p.Flag("duringUpgrade"))),
        new(new("windows-node-pools-set-max-pod-count", "Windows node pools set maxPodCount rather than take a default: what a Windows node holds depends on the cluster's network plugin and IPAM.",
                PolicyTarget.NodePool, [], "windows-node-pools-set-max-pod-count"),
            (_, item, _) => item.NodePool!.OsType != OsType.Windows || item.NodePool.MaxPodCountGiven
                ? null
                : $"Windows node pool '{item.NodePool.Name}' of cluster '{item.Cluster!.Name}' does not set maxPodCount: it took the default, {item.NodePool.MaxPodCount}"),
        .. ManifestRules(),
    ];

    /// <summary>The rules about the Kubernetes manifests given: they judge nothing when a change is planned without manifests.</summary>
    private static IEnumerable<BuiltInDefinition> ManifestRules() =>
    [
        new(new("load-balancer-services-have-network-policy", "Every LoadBalancer service of the site has a NetworkPolicy of its namespace that selects its pods for ingress (checked on the manifests given).",
                PolicyTarget.Service, [], "load-balancer-services-have-network-policy"),
            (subject, item, _) => subject.Manifests!.Services.FirstOrDefault(s => s.Namespace == item.Service!.Namespace && s.Name == item.Service.Name) switch
            {
                null or { Declared: false } => $"the manifests given declare no Service {item.Service!.Namespace}/{item.Service.Name}, so the pods it serves are unknown",
                { SelectingPolicies.Count: 0 } => $"no NetworkPolicy of namespace '{item.Service!.Namespace}' selects the pods of service {item.Service.Namespace}/{item.Service.Name} for ingress",
                _ => null,
            }, NeedsManifests: true),
        new(new("namespace-default-deny-ingress", "Every namespace of the manifests given has a default deny for ingress: a NetworkPolicy with an empty podSelector, policyTypes [Ingress] and no ingress rule.",
                PolicyTarget.Namespace, [], "namespace-default-deny-ingress"),
            (_, item, _) => item.NamespaceFacts!.DefaultDenyIngress ? null
                : $"namespace '{item.NamespaceFacts.Namespace}' has no NetworkPolicy that denies ingress to all its pods by default", NeedsManifests: true),
        new(new("no-ingress-from-anywhere", "No NetworkPolicy allows ingress from 0.0.0.0/0 (or ::/0) into a namespace that is not on the allowed list.",
                PolicyTarget.Namespace, [Allowed with { Default = new PolicyValue(List: []), Description = "Namespaces that may take traffic from anywhere, e.g. [ingress-nginx]." }], "no-ingress-from-anywhere"),
            (_, item, p) => item.NamespaceFacts!.IngressFromAnywhere.Count == 0 || p.List("allowed").Contains(item.NamespaceFacts.Namespace, StringComparer.Ordinal) ? null
                : $"{string.Join(", ", item.NamespaceFacts.IngressFromAnywhere)} allow{(item.NamespaceFacts.IngressFromAnywhere.Count == 1 ? "s" : "")} ingress from anywhere into namespace '{item.NamespaceFacts.Namespace}', which is not allowed to take it",
            NeedsManifests: true),
    ];

    /// <summary>The addresses a pool holds; during an upgrade, also the surge VMs' (what the upgrade leaves of the free ones is its headroom).</summary>
    internal static long Used(Planning.PoolCapacity pool, bool duringUpgrade) =>
        duringUpgrade ? Math.Max(pool.Allocated, pool.Size - pool.HeadroomAfterUpgrade) : pool.Allocated;

    private static double Utilization(Planning.PoolCapacity pool, bool duringUpgrade) => pool.Size == 0 ? 0 : 100.0 * Used(pool, duringUpgrade) / pool.Size;

    public static PolicyDefinition? Find(string name) => All.FirstOrDefault(b => b.Name == name)?.Definition;

    public static BuiltInDefinition? Rule(string name) => All.FirstOrDefault(b => b.Name == name);

    private static bool VersionAllowed(string version, IReadOnlyList<string> allowed)
    {
        if (!KubernetesVersion.TryParse(version, out var v))
        {
            return false;
        }

        return allowed.Any(entry =>
        {
            var parts = entry.TrimStart('v', 'V').Split('.');
            return parts.Length == 2
                ? int.TryParse(parts[0], out var major) && int.TryParse(parts[1], out var minor) && v.Major == major && v.Minor == minor
                : KubernetesVersion.TryParse(entry, out var exact) && exact == v;
        });
    }

    /// <summary>The SKU of the load balancer setting the cluster names; null when it names none (nothing to judge).</summary>
    private static LoadBalancerSku? LoadBalancerSku(SiteSpec site, ClusterSpec cluster) =>
        cluster.LoadBalancerSettings is { } name ? site.LoadBalancerSettings.FirstOrDefault(s => s.Name == name)?.LoadBalancerSku : null;
}
