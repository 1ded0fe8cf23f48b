using Trellis.Core.Model;
using Trellis.Core.Validation;
using Trellis.Policy.Manifests;

namespace Trellis.Engine;

/// <summary>
/// The pods that manifests declare against what the cluster's worker nodes hold: maxPodCount × nodes for each OS.
/// A warning, not an error: the scheduler also weighs requests, taints and the autoscaler.
/// </summary>
internal static class ManifestPodCapacity
{
    public static IReadOnlyList<Finding> Check(PolicySet set, PolicyContext context)
    {
        var cluster = context.ResolvedCluster;
        var index = context.Site.Spec.Clusters.ToList().FindIndex(c => c.Name == cluster.Name);
        var findings = new List<Finding>();
        foreach (var (workloadOs, os) in new[] { (WorkloadOs.Linux, OsType.Linux), (WorkloadOs.Windows, OsType.Windows) })
        {
            var pools = cluster.Spec.NodePools.Where(p => p.OsType == os).ToList();
            var nodes = pools.Sum(p => (long)p.Count);
            var slots = pools.Sum(p => (long)p.Count * p.MaxPodCount);
            var workloads = set.Workloads.Where(w => w.Os == workloadOs).ToList();
            // A DaemonSet (no replica count) runs one pod on each node of its OS.
            var pods = workloads.Sum(w => w.Replicas ?? nodes);
            if (pods > slots)
            {
                findings.Add(Finding.Warning("PodsExceedMaxPodCount", $"spec.clusters[{index}].nodePools",
                    $"The manifests declare {pods} {os} pods ({workloads.Count} workloads; a DaemonSet counts one per node), but the {nodes} {os} worker nodes of cluster '{cluster.Name}' hold at most {slots} (maxPodCount × nodes).",
                    "Add worker nodes or raise maxPodCount before deployment, or plan fewer replicas; system pods (kube-proxy, the network plugin, CoreDNS) take slots too, and control plane nodes run no workloads."));
            }
        }

        return findings;
    }
}
