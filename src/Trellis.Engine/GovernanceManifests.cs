using Trellis.Core.Governance;
using Trellis.Policy;

namespace Trellis.Engine;

/// <summary>What governance rules read of Kubernetes manifests, from the network policy analysis's reading of them.</summary>
internal static class GovernanceManifests
{
    public static ManifestFacts Facts(ManifestSet manifests)
    {
        var set = manifests.Set;
        var ingress = set.KubernetesPolicies.Where(p => p.PolicyTypes.HasFlag(PolicyTypes.Ingress)).ToList();
        var namespaces = set.Workloads.Select(w => w.Namespace)
            .Concat(set.Namespaces.Where(n => n.Declared).Select(n => n.Name))
            .Concat(set.KubernetesPolicies.Select(p => p.Namespace))
            .Concat(set.Services.Select(s => s.Namespace))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        return new ManifestFacts(
            [.. namespaces.Select(ns => new NamespaceFacts(ns,
                // Every pod selected for ingress and nothing allowed: the usual default deny.
                ingress.Any(p => p.Namespace == ns && p.PodSelector.IsEmpty && p.Ingress.Count == 0),
                // A rule from 0.0.0.0/0 (or ::/0), or a rule with no 'from' at all, admits any source.
                [.. ingress.Where(p => p.Namespace == ns && p.Ingress.Any(r => r.Peers.Count == 0 || r.Peers.Any(peer => peer.IpBlock is { Cidr.Length: 0 })))
                    .Select(p => p.Id)]))],
            [.. set.Services.Select(service =>
            {
                var pods = set.Workloads.Where(service.Selects).ToList();
                return new ServiceFacts(service.Namespace, service.Name, true,
                    [.. ingress.Where(p => p.Namespace == service.Namespace && pods.Any(w => p.PodSelector.Matches(w.Labels))).Select(p => p.Id)]);
            })]);
    }
}
