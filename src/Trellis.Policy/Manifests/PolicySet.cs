using System.Net;
using Trellis.Core.Ipam;
using Trellis.Core.Planning;
using Trellis.Core.Validation;
using Trellis.Policy.AdminPolicy;
using Trellis.Policy.Calico;
using Trellis.Policy.Kubernetes;

namespace Trellis.Policy.Manifests;

/// <summary>
/// Everything loaded from a set of manifests: the cluster's namespaces and workloads, its services, and every
/// Kubernetes and Calico policy object; plus the findings for broken documents and notes for skipped ones.
/// </summary>
public sealed record PolicySet
{
    public static PolicySet Empty { get; } = new();

    public IReadOnlyList<NamespaceInfo> Namespaces { get; init; } = [];
    public IReadOnlyList<Workload> Workloads { get; init; } = [];
    public IReadOnlyList<ServiceInfo> Services { get; init; } = [];
    public IReadOnlyList<ServiceAccountInfo> ServiceAccounts { get; init; } = [];
    public IReadOnlyList<KubernetesNetworkPolicy> KubernetesPolicies { get; init; } = [];
    public IReadOnlyList<CalicoPolicy> CalicoPolicies { get; init; } = [];
    /// <summary>AdminNetworkPolicies and the BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1).</summary>
    public IReadOnlyList<AdminNetworkPolicy> AdminPolicies { get; init; } = [];
    /// <summary>Nodes, for the <c>nodes</c> peers of admin policies.</summary>
    public IReadOnlyList<NodeInfo> Nodes { get; init; } = [];
    /// <summary>Declared tiers; the built-in ones (<see cref="Tier.BuiltIn"/>) are added when not declared.</summary>
    public IReadOnlyList<Tier> Tiers { get; init; } = [];
    public IReadOnlyList<NetworkSet> NetworkSets { get; init; } = [];
    public IReadOnlyList<IpPoolInfo> IpPools { get; init; } = [];
    public IReadOnlyList<FelixVxlanSettings> FelixConfigurations { get; init; } = [];
    public IReadOnlyList<Finding> Findings { get; init; } = [];
    public IReadOnlyList<LoadNote> Notes { get; init; } = [];

    /// <summary>Declared tiers plus the built-in ones that were not redeclared.</summary>
    public IReadOnlyList<Tier> EffectiveTiers =>
        Tiers.Concat(Tier.BuiltIn.Where(b => Tiers.All(t => t.Name != b.Name))).ToList();

    public int PolicyCount => KubernetesPolicies.Count + CalicoPolicies.Count + AdminPolicies.Count;

    public NamespaceInfo? Namespace(string name) => Namespaces.FirstOrDefault(n => n.Name == name);

    public Workload? Workload(string id) => Workloads.FirstOrDefault(w => w.Id == id || $"{w.Namespace}/{w.Name}" == id);

    /// <summary>The workload that holds this address, if any.</summary>
    public Workload? WorkloadAt(IPAddress address) => Workloads.FirstOrDefault(w => w.Addresses.Contains(address));

    /// <summary>
    /// Gives every workload without an address addresses from the cluster's planned pod network: the node pod subnets
    /// (Calico blocks or Flannel leases) in <paramref name="allocations"/>, else blocks carved from the pod CIDR as
    /// Calico IPAM would. Workloads are spread over the nodes deterministically (see <see cref="PodAddressPlanner"/>).
    /// </summary>
    public PolicySet AssignAddresses(ResolvedSite site, string cluster, IReadOnlyList<Allocation> allocations) =>
        PodAddressPlanner.Assign(this, site, cluster, allocations);

    /// <summary>
    /// The workloads named as people think of them (<see cref="WorkloadView.Owner"/>: a controller's pods as that
    /// controller) or pod by pod; <paramref name="alsoSelectedBy"/> are other sets whose selectors must see the same
    /// workloads (the other side of a diff).
    /// </summary>
    public PolicySet ByOwner(WorkloadView view, params PolicySet[] alsoSelectedBy) => OwnerGrouping.Group(this, view, [this, .. alsoSelectedBy]);

    /// <summary>Kinds that carry or shape traffic but that this analysis does not model (their documents are skipped).</summary>
    private static readonly HashSet<string> TrafficKinds = new(StringComparer.Ordinal)
    {
        "Ingress", "Route", "VirtualMachine", "VirtualMachineInstance", "Gateway", "HTTPRoute", "GRPCRoute", "TCPRoute", "TLSRoute", "UDPRoute",
        "CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "MultiNetworkPolicy",
        "HostEndpoint", "StagedNetworkPolicy", "StagedGlobalNetworkPolicy", "StagedKubernetesNetworkPolicy", "Profile", "EndpointSlice", "Endpoints",
    };

    /// <summary>Whether there is anything to analyse: a workload, or (when workloads are not required) a policy.</summary>
    public bool HasAnalysable(bool needsWorkloads) => Workloads.Count > 0 || (!needsWorkloads && PolicyCount > 0);

    /// <summary>
    /// One line naming the skipped documents by kind, recognised kinds that carry traffic first ("not analysed: 2 Ingress,
    /// 1 Route; skipped: 3 ConfigMap"); null when nothing was skipped.
    /// </summary>
    public static string? NotAnalysedSummary(IEnumerable<PolicySet> sets)
    {
        var notes = sets.SelectMany(s => s.Notes).ToList();
        if (notes.Count == 0)
        {
            return null;
        }

        static string Counts(IEnumerable<LoadNote> notes) =>
            string.Join(", ", notes.GroupBy(n => n.Kind, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}"));

        var traffic = notes.Where(n => TrafficKinds.Contains(n.Kind)).ToList();
        var other = notes.Where(n => !TrafficKinds.Contains(n.Kind)).ToList();
        var parts = new List<string>();
        if (traffic.Count > 0)
        {
            parts.Add($"not analysed (recognised, but this analysis does not model them): {Counts(traffic)}");
        }

        if (other.Count > 0)
        {
            parts.Add($"skipped (no part in network policy): {Counts(other)}");
        }

        return string.Join("; ", parts);
    }

    /// <summary>The CIDRs admin policies name: their networks peers, and the addresses of the nodes their nodes peers select.</summary>
    internal IEnumerable<Core.Addressing.Prefix> AdminPolicyNets() =>
        AdminPolicies.SelectMany(a => a.Ingress.Concat(a.Egress)).SelectMany(r => r.Peers).SelectMany(p => p.Kind == AdminPeerKind.Nodes
            ? Evaluation.PolicyCompiler.NodeAddresses(p, Nodes).Select(n => new Core.Addressing.Prefix(n, Core.Addressing.IpNumber.Bits(n.AddressFamily)))
            : p.Networks);

    /// <summary>Two sets as if their manifests had been applied together (later objects of the same identity win).</summary>
    public PolicySet Merge(PolicySet other) => ManifestLoader.Combine([this, other]);
}
