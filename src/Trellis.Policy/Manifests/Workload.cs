using System.Net;

namespace Trellis.Policy.Manifests;

public enum WorkloadOs
{
    Linux,
    Windows,
}

/// <summary>The controller that owns an object (its <c>ownerReferences</c> entry with <c>controller: true</c>), in its namespace.</summary>
public sealed record OwnerRef(string Kind, string Name);

/// <summary>A container port of a pod template; a named one can be the target of a policy's named port.</summary>
public sealed record ContainerPort(string? Name, int Port, Protocol Protocol);

/// <summary>
/// Pods that share one template: a bare Pod, or the pods of a Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob.
/// Policies cannot tell such pods apart (same labels, same ports), so each workload is one endpoint of the analysis,
/// at its first address when it has several.
/// </summary>
public sealed record Workload
{
    public required string Namespace { get; init; }
    public required string Name { get; init; }
    /// <summary>Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job or CronJob.</summary>
    public required string Kind { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = EmptyLabels;
    public string ServiceAccount { get; init; } = "default";
    public IReadOnlyList<ContainerPort> Ports { get; init; } = [];
    /// <summary>Pod addresses: from the manifest's status or Calico annotations, or planned by <see cref="PolicySet.AssignAddresses"/>.</summary>
    public IReadOnlyList<IPAddress> Addresses { get; init; } = [];
    /// <summary>Nodes the pods run on (from spec.nodeName, or planned with the addresses).</summary>
    public IReadOnlyList<string> Nodes { get; init; } = [];
    /// <summary>Pods of the workload; null for a DaemonSet (one per eligible node).</summary>
    public int? Replicas { get; init; } = 1;
    /// <summary>hostNetwork pods are not Calico workload endpoints: no policy selects them and selectors do not match them.</summary>
    public bool HostNetwork { get; init; }
    /// <summary>From nodeSelector kubernetes.io/os (or the legacy beta.kubernetes.io/os).</summary>
    public WorkloadOs Os { get; init; } = WorkloadOs.Linux;
    public SourceRef Source { get; init; } = SourceRef.None;

    /// <summary>The controller owning the pod (or the template: a ReplicaSet's Deployment); null for a bare object.</summary>
    public OwnerRef? Owner { get; init; }

    /// <summary>The name netpol-analyzer prints: <c>namespace/name[Kind]</c>.</summary>
    public string Id => $"{Namespace}/{Name}[{Kind}]";

    public IPAddress? Address => Addresses.Count > 0 ? Addresses[0] : null;

    public override string ToString() => Id;

    internal static readonly IReadOnlyDictionary<string, string> EmptyLabels = new Dictionary<string, string>(StringComparer.Ordinal);
}
