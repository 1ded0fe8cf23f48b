namespace Trellis.Policy.Manifests;

/// <summary>How workloads are named in the analysis.</summary>
public enum WorkloadView
{
    /// <summary>Pods with a controller owner under that owner (a ReplicaSet's pods under its Deployment when it is known).</summary>
    Owner,

    /// <summary>Every pod on its own.</summary>
    Pod,
}

/// <summary>
/// Names workloads the way people think of them. A pod with a controller owner (<c>ownerReferences[].controller</c>)
/// belongs to that owner, and to the owner's own owner while that one is in the manifests (Pod → ReplicaSet →
/// Deployment). In the owner view the pods of one owner become one workload, <c>ns/name[Kind]</c>, with every pod's
/// address, when policies cannot tell them apart; the owner's template, if loaded too, is what the pods replace. In the
/// pod view every pod stays itself. In both, a template that its pods or its own owner stand for is not analysed twice.
/// </summary>
internal static class OwnerGrouping
{
    /// <summary>Labels a controller gives each pod, which no one selects by; they may differ between pods of one owner.</summary>
    private static readonly string[] PerPodLabels =
        ["pod-template-hash", "controller-revision-hash", "pod-template-generation", "statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index"];

    public static PolicySet Group(PolicySet set, WorkloadView view, IEnumerable<PolicySet> selectorsFrom)
    {
        var byKey = new Dictionary<(string Ns, string Kind, string Name), Workload>();
        foreach (var w in set.Workloads)
        {
            byKey[(w.Namespace, w.Kind, w.Name)] = w;
        }

        // The chain of owners of each workload, as far as the manifests know them.
        List<(string Kind, string Name)> Chain(Workload w)
        {
            var chain = new List<(string, string)>();
            var owner = w.Owner;
            while (owner is not null && chain.Count < 8)
            {
                chain.Add((owner.Kind, owner.Name));
                owner = byKey.TryGetValue((w.Namespace, owner.Kind, owner.Name), out var known) ? known.Owner : null;
            }

            return chain;
        }

        var pods = set.Workloads.Where(w => w.Kind == "Pod").ToList();
        var represented = new HashSet<(string, string, string)>();
        foreach (var w in set.Workloads)
        {
            if (w.Kind == "Pod")
            {
                // Its owners are analysed through the pod (and its siblings), not twice.
                foreach (var (kind, name) in Chain(w))
                {
                    represented.Add((w.Namespace, kind, name));
                }
            }
            else if (w.Owner is { } o && byKey.ContainsKey((w.Namespace, o.Kind, o.Name)))
            {
                // A ReplicaSet whose Deployment is loaded: the Deployment stands for it.
                represented.Add((w.Namespace, w.Kind, w.Name));
            }
        }

        var result = set.Workloads.Where(w => w.Kind == "Pod" || !represented.Contains((w.Namespace, w.Kind, w.Name))).ToList();
        if (view == WorkloadView.Owner)
        {
            var ignorable = PerPodLabels.Where(k => !Referenced(k, selectorsFrom)).ToHashSet(StringComparer.Ordinal);
            foreach (var group in pods.Where(p => p.Owner is not null).GroupBy(p => (p.Namespace, Top: Chain(p)[^1])))
            {
                var members = group.ToList();
                if (Merge(members, group.Key.Top.Kind, group.Key.Top.Name, ignorable) is { } merged)
                {
                    result.RemoveAll(w => members.Contains(w) || (w.Namespace == merged.Namespace && w.Kind == merged.Kind && w.Name == merged.Name));
                    result.Add(merged);
                }
            }
        }

        return set with { Workloads = result.OrderBy(w => w.Id, StringComparer.Ordinal).ToList() };
    }

    /// <summary>The pods as one workload, or null when policies could tell them apart (they then stay pods).</summary>
    private static Workload? Merge(List<Workload> pods, string kind, string name, HashSet<string> ignorable)
    {
        var first = pods[0];
        var labels = first.Labels.Where(l => !ignorable.Contains(l.Key) || pods.All(p => p.Labels.TryGetValue(l.Key, out var v) && v == l.Value))
            .ToDictionary(l => l.Key, l => l.Value, StringComparer.Ordinal);
        foreach (var p in pods)
        {
            var own = p.Labels.Where(l => !ignorable.Contains(l.Key) || labels.ContainsKey(l.Key));
            if (own.Count() != labels.Count || own.Any(l => !labels.TryGetValue(l.Key, out var v) || v != l.Value)
                || p.ServiceAccount != first.ServiceAccount || p.HostNetwork != first.HostNetwork || p.Os != first.Os || !p.Ports.SequenceEqual(first.Ports))
            {
                return null;
            }
        }

        return first with
        {
            Name = name,
            Kind = kind,
            Labels = labels,
            Addresses = pods.SelectMany(p => p.Addresses).Distinct().ToList(),
            Nodes = pods.SelectMany(p => p.Nodes).Distinct(StringComparer.Ordinal).ToList(),
            Replicas = pods.Count,
            Owner = null,
        };
    }

    /// <summary>Whether any policy or Service selector of the sets mentions the label key (Calico selectors by their text).</summary>
    private static bool Referenced(string key, IEnumerable<PolicySet> sets)
    {
        static bool In(Kubernetes.LabelSelector? s, string key) =>
            s is not null && (s.MatchLabels.ContainsKey(key) || s.MatchExpressions.Any(e => e.Key == key));

        static bool Text(Calico.SelectorExpression? s, string key) => s is not null && s.Text.Contains(key, StringComparison.Ordinal);

        foreach (var set in sets)
        {
            if (set.KubernetesPolicies.Any(k => In(k.PodSelector, key) || k.Ingress.Concat(k.Egress).SelectMany(r => r.Peers).Any(p => In(p.PodSelector, key)))
                || set.CalicoPolicies.Any(c => Text(c.Selector, key) || c.Ingress.Concat(c.Egress).Any(r =>
                    Text(r.Source.Selector, key) || Text(r.Source.NotSelector, key) || Text(r.Destination.Selector, key) || Text(r.Destination.NotSelector, key)))
                || set.AdminPolicies.Any(a => In(a.Subject.Pods, key) || a.Ingress.Concat(a.Egress).SelectMany(r => r.Peers).Any(p => p.Kind == AdminPolicy.AdminPeerKind.Pods && In(p.PodSelector, key)))
                || set.Services.Any(s => s.Selector?.ContainsKey(key) == true))
            {
                return true;
            }
        }

        return false;
    }
}
