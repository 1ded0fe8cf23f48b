using Trellis.Policy.Manifests;

namespace Trellis.Engine;

/// <summary>A port a workload's containers declare: its name (a named port's target), number and protocol (TCP, UDP, SCTP).</summary>
public sealed record WorkloadPortRow(string? Name, int Port, string Protocol);

/// <summary>
/// One workload of loaded manifests, as the connectivity matrix names it (<see cref="Id"/>: <c>namespace/name[Kind]</c>):
/// its labels, the OS its nodeSelector asks for (<c>linux</c> or <c>windows</c>), its replicas (null: a DaemonSet's pod per
/// node) and the ports its containers declare.
/// </summary>
public sealed record WorkloadRow(string Id, string Namespace, string Name, string Kind, string Os, int? Replicas, bool HostNetwork, IReadOnlyList<WorkloadPortRow> Ports);

/// <summary>A port of a manifest's Service: the Service's port and the target (a number, or a container port's name).</summary>
public sealed record ServicePortRow(string? Name, int Port, string TargetPort, string Protocol);

/// <summary>A Service of loaded manifests: the workloads its selector picks (by <see cref="WorkloadRow.Id"/>) and its ports.</summary>
public sealed record ManifestServiceRow(string Namespace, string Name, IReadOnlyList<string> Workloads, IReadOnlyList<ServicePortRow> Ports);

/// <summary>The workloads and Services of loaded manifests, for front ends that run them (the lab), in the matrix's order.</summary>
public static class ManifestWorkloads
{
    /// <summary>Every workload, in the order of the connectivity matrix's nodes.</summary>
    public static IReadOnlyList<WorkloadRow> Workloads(ManifestSet manifests)
    {
        ArgumentNullException.ThrowIfNull(manifests);
        return [.. manifests.Set.Workloads.Select(w => new WorkloadRow(w.Id, w.Namespace, w.Name, w.Kind, w.Os == WorkloadOs.Windows ? "windows" : "linux", w.Replicas, w.HostNetwork,
            [.. w.Ports.Select(p => new WorkloadPortRow(p.Name, p.Port, p.Protocol.Name))]))];
    }

    /// <summary>Every Service with the workloads its selector picks.</summary>
    public static IReadOnlyList<ManifestServiceRow> Services(ManifestSet manifests)
    {
        ArgumentNullException.ThrowIfNull(manifests);
        var set = manifests.Set;
        return [.. set.Services.Select(s => new ManifestServiceRow(s.Namespace, s.Name, [.. set.Workloads.Where(s.Selects).Select(w => w.Id)],
            [.. s.Ports.Select(p => new ServicePortRow(p.Name, p.Port, p.TargetPort, p.Protocol.Name))]))];
    }
}
