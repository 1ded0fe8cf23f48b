using Trellis.Core.Model;
using Trellis.Engine.Contracts;

namespace Trellis.Engine;

/// <summary>The objects a new spec adds, removes or changes compared with the applied one.</summary>
internal static class SpecDiff
{
    public static IReadOnlyList<ObjectChange> Compare(SiteSpec? before, SiteSpec after)
    {
        var changes = new List<ObjectChange>();
        Diff(changes, "network", Networks(before), Networks(after), Describe);
        Diff(changes, "loadbalancer", before?.LoadBalancerSettings.ToDictionary(l => l.Name) ?? [], after.LoadBalancerSettings.ToDictionary(l => l.Name),
            l => $"{l.LoadBalancerSku} x{l.LoadBalancerCount} {l.VmSize}");
        // A cluster changes by its own fields: its node pools and services are objects of their own, diffed below.
        Diff(changes, "cluster", Clusters(before), Clusters(after),
            c => $"{c.KubernetesVersion} {c.PrimaryNetworkPlugin.ToString().ToLowerInvariant()} control plane x{c.ControlPlaneNodeCount}"
                + (c.LoadBalancerCount is { } lbs ? $" load balancer VMs x{lbs}" : ""));
        // "(default)": the pool took maxPodCount from a default; a change of only that reads "maxPods 60 (default) → maxPods 60".
        Diff(changes, "nodepool", NodePools(before), NodePools(after),
            p => $"{p.OsType} x{p.Count} {p.VmSize} maxPods {p.MaxPodCount}{(p.MaxPodCountGiven ? "" : " (default)")}");
        Diff(changes, "service", Services(before), Services(after),
            s => $"{s.Protocol} {string.Join(",", s.Ports)}{(s.SharedIpKey is null ? "" : $" shared '{s.SharedIpKey}'")}");
        return changes;
    }

    private static Dictionary<string, NetworkSpec> Networks(SiteSpec? spec)
    {
        var result = new Dictionary<string, NetworkSpec>(StringComparer.Ordinal);
        if (spec is null)
        {
            return result;
        }

        foreach (var n in spec.ClusterNetworks.Prepend(spec.HostNetwork).OfType<NetworkSpec>())
        {
            result.TryAdd(n.Name, n);
        }

        if (spec.LogicalNetwork is { } l)
        {
            result.TryAdd(l.Name, new NetworkSpec
            {
                Name = l.Name,
                IpAddressPrefix = string.Join(",", l.AddressPrefixes),
                K8sNodeIpPoolStart = l.IpPoolStart,
                K8sNodeIpPoolEnd = l.IpPoolEnd,
                Gateway = l.Gateway,
            });
        }

        return result;
    }

    private static string Describe(NetworkSpec n) =>
        n.IpAllocationMethod == IpAllocationMethod.Dhcp
            ? $"Dhcp {n.DhcpScope?.Subnet} vip {n.VipPoolStart}-{n.VipPoolEnd}"
            : $"Static {n.IpAddressPrefix} nodes {n.K8sNodeIpPoolStart}-{n.K8sNodeIpPoolEnd} vip {n.VipPoolStart}-{n.VipPoolEnd}";

    private static Dictionary<string, ClusterSpec> Clusters(SiteSpec? spec) =>
        spec?.Clusters.DistinctBy(c => c.Name).ToDictionary(c => c.Name, c => c with { NodePools = [], Services = [] }) ?? [];

    private static Dictionary<string, NodePoolSpec> NodePools(SiteSpec? spec) =>
        spec?.Clusters.SelectMany(c => c.NodePools.Select(p => (Key: $"{c.Name}/{p.Name}", p))).DistinctBy(x => x.Key).ToDictionary(x => x.Key, x => x.p) ?? [];

    private static Dictionary<string, ServiceSpec> Services(SiteSpec? spec) =>
        spec?.Clusters.SelectMany(c => c.Services.Select(s => (Key: $"{c.Name}/{s.Namespace}/{s.Name}", s))).DistinctBy(x => x.Key).ToDictionary(x => x.Key, x => x.s) ?? [];

    private static string Json<T>(T value) => System.Text.Json.JsonSerializer.Serialize(value, typeof(T), EngineJsonContext.Default);

    private static void Diff<T>(List<ObjectChange> changes, string type, IReadOnlyDictionary<string, T> before, IReadOnlyDictionary<string, T> after, Func<T, string> describe)
        where T : notnull
    {
        foreach (var (name, value) in after.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (!before.TryGetValue(name, out var old))
            {
                changes.Add(new ObjectChange(ChangeKind.Add, type, name, describe(value)));
            }
            else if (Json(old) != Json(value) && describe(old) is var d1 && describe(value) is var d2)
            {
                changes.Add(new ObjectChange(ChangeKind.Change, type, name, d1 == d2 ? d2 : $"{d1} → {d2}"));
            }
        }

        foreach (var (name, value) in before.OrderBy(kv => kv.Key, StringComparer.Ordinal).Where(kv => !after.ContainsKey(kv.Key)))
        {
            changes.Add(new ObjectChange(ChangeKind.Remove, type, name, describe(value)));
        }
    }
}
