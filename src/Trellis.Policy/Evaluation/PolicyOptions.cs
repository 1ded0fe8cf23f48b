using Trellis.Core.Addressing;
using Trellis.Core.Model;
using Trellis.Core.Planning;

namespace Trellis.Policy.Evaluation;

/// <summary>
/// How the cluster enforces policy, and the choices where implementations differ (reference §1.3). The defaults are
/// Calico's behaviour.
/// </summary>
public sealed record PolicyOptions
{
    private readonly bool? _enforcing;

    public static PolicyOptions Calico { get; } = new();

    public static PolicyOptions Flannel { get; } = new() { Plugin = NetworkPlugin.Flannel };

    public NetworkPlugin Plugin { get; init; } = NetworkPlugin.Calico;

    /// <summary>Whether policies are enforced at all: Calico yes, Flannel no (it implements no NetworkPolicy).</summary>
    public bool Enforcing
    {
        get => _enforcing ?? Plugin == NetworkPlugin.Calico;
        init => _enforcing = value;
    }

    /// <summary>
    /// Calico applies ipBlock (nets) to in-cluster pod addresses too (calico #6634); Cilium classifies pods by identity
    /// first, so an ipBlock never matches a pod. False models the latter for Kubernetes ipBlocks.
    /// </summary>
    public bool IpBlockMatchesPods { get; init; } = true;

    /// <summary>"A pod cannot block access to itself": traffic from a workload to itself is allowed, and left out of the matrix.</summary>
    public bool AllowSelfTraffic { get; init; } = true;

    /// <summary>
    /// hostNetwork pods are implementation-defined (reference §1.1). False is Calico's behaviour: they are no workload
    /// endpoints, so no policy applies to them and no selector matches them (only their node's address, by ipBlock).
    /// True polices them like any pod, the other reading the Kubernetes documentation allows.
    /// </summary>
    public bool HostNetworkPoliced { get; init; }

    /// <summary>Whether policies apply to this workload and selectors match it.</summary>
    public bool Polices(Manifests.Workload workload) => !workload.HostNetwork || HostNetworkPoliced;

    /// <summary>The cluster's pod CIDRs: the outside world of the matrix excludes them, and the lint checks ipBlocks against them.</summary>
    public IReadOnlyList<Prefix> PodCidrs { get; init; } = [];

    /// <summary>Whether the cluster has Windows nodes (Calico for Windows limits, reference aks-hybrid-networking §4).</summary>
    public bool HasWindowsNodes { get; init; }

    public string? Cluster { get; init; }

    public static PolicyOptions ForCluster(ResolvedCluster cluster) => new()
    {
        Plugin = cluster.Spec.PrimaryNetworkPlugin,
        PodCidrs = [cluster.PodCidr],
        HasWindowsNodes = cluster.HasWindowsNodes,
        Cluster = cluster.Name,
    };
}
