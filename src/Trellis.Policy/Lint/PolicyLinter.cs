using System.Net;
using System.Net.Sockets;
using Trellis.Core.Addressing;
using Trellis.Core.Validation;
using Trellis.Policy.AdminPolicy;
using Trellis.Policy.Calico;
using Trellis.Policy.Connectivity;
using Trellis.Policy.Evaluation;
using Trellis.Policy.Kubernetes;
using Trellis.Policy.Manifests;

namespace Trellis.Policy.Lint;

/// <summary>
/// Findings about policies that do not do what they seem to: they select nothing, a rule never decides anything,
/// a named port resolves nowhere, an ipBlock reaches pods, the plugin enforces nothing, Calico for Windows cannot do it.
/// </summary>
public static class PolicyLinter
{
    /// <summary>Above this many rule evaluations the shadowing analysis is skipped (with an Info finding).</summary>
    public const int ShadowAnalysisBudget = 3_000_000;

    public static IReadOnlyList<Finding> Lint(PolicySet set, PolicyOptions? options = null) => Lint(PolicyEngine.Compile(set, options));

    public static IReadOnlyList<Finding> Lint(PolicyEngine engine)
    {
        var findings = new List<Finding>();
        var set = engine.Set;
        NotEnforced(engine, findings);
        SelectsNothing(engine, findings);
        NamedPorts(engine, findings);
        IpBlocks(engine, findings);
        Windows(engine, findings);
        AdminPolicies(engine, findings);
        if (engine.Options.Enforcing)
        {
            ShadowAnalysis.Run(engine, findings);
        }

        return findings
            .OrderBy(f => f.Path, StringComparer.Ordinal)
            .ThenBy(f => f.Code, StringComparer.Ordinal)
            .ToList();
    }

    private static void NotEnforced(PolicyEngine engine, List<Finding> findings)
    {
        if (engine.Options.Enforcing)
        {
            return;
        }

        foreach (var p in engine.Policies)
        {
            findings.Add(Finding.Warning("PolicyNotEnforced", p.Ref.Source.Path(), $"{p.Ref} has no effect: the cluster's network plugin {engine.Options.Plugin} enforces no network policy.",
                "Use Calico (primaryNetworkPlugin: calico) where network policy matters; the plugin cannot be changed after deployment."));
        }
    }

    private static void SelectsNothing(PolicyEngine engine, List<Finding> findings)
    {
        if (engine.Set.Workloads.Count == 0)
        {
            return;
        }

        foreach (var p in engine.Policies)
        {
            if (engine.Selected(p).Count == 0)
            {
                var field = p.Origin switch
                {
                    KubernetesNetworkPolicy => "spec.podSelector",
                    AdminNetworkPolicy => "spec.subject",
                    _ => "spec.selector",
                };
                findings.Add(Finding.Warning("PolicySelectsNothing", p.Ref.Source.Path(field), $"{p.Ref} selects no workload, so it changes nothing.",
                    "Check the selector against the workloads' pod template labels (and, for a namespaced policy, its namespace)."));
            }
        }
    }

    private static void NamedPorts(PolicyEngine engine, List<Finding> findings)
    {
        var all = engine.Set.Workloads;
        foreach (var p in engine.Policies)
        {
            var selected = engine.Selected(p).Select(i => engine.Compiled[i].Workload).ToList();
            if (p.Origin is KubernetesNetworkPolicy k)
            {
                foreach (var d in new[] { Direction.Ingress, Direction.Egress })
                {
                    var rules = k.Rules(d);
                    for (var i = 0; i < rules.Count; i++)
                    {
                        for (var j = 0; j < rules[i].Ports.Count; j++)
                        {
                            var port = rules[i].Ports[j];
                            // Ingress: the port is on the selected pods; egress: on the destination peers.
                            var candidates = d == Direction.Ingress ? selected : all;
                            if (port.PortName is { } name && !candidates.Any(w => HasPort(w, name, port.Protocol)))
                            {
                                findings.Add(Unresolved(p.Ref, $"spec.{d.FieldName()}[{i}].ports[{j}].port", name, port.Protocol,
                                    d == Direction.Ingress ? "the pods this policy selects" : "any workload"));
                            }
                        }
                    }
                }
            }
            else if (p.Origin is AdminNetworkPolicy a)
            {
                foreach (var d in new[] { Direction.Ingress, Direction.Egress })
                {
                    var rules = a.Rules(d);
                    for (var i = 0; i < rules.Count; i++)
                    {
                        var ports = rules[i].Ports ?? [];
                        for (var j = 0; j < ports.Count; j++)
                        {
                            // A namedPort has no protocol of its own: any container port of that name resolves it.
                            var candidates = d == Direction.Ingress ? selected : all;
                            if (ports[j].Name is { } name && !candidates.Any(w => w.Ports.Any(cp => cp.Name == name)))
                            {
                                findings.Add(Finding.Warning("NamedPortUnresolved", p.Ref.Source.Path($"spec.{d.FieldName()}[{i}].ports[{j}].namedPort"),
                                    $"{p.Ref} names port '{name}', but {(d == Direction.Ingress ? "the pods this policy selects declare" : "no workload declares")} no container port of that name, so the rule matches nothing there.",
                                    "Name the container port the same way (containers[].ports[].name), or use portNumber."));
                            }
                        }
                    }
                }
            }
            else if (p.Origin is CalicoPolicy c)
            {
                foreach (var d in new[] { Direction.Ingress, Direction.Egress })
                {
                    var rules = c.Rules(d);
                    for (var i = 0; i < rules.Count; i++)
                    {
                        var r = rules[i];
                        foreach (var (entity, side, own) in new[] { (r.Destination, "destination", d == Direction.Ingress), (r.Source, "source", d == Direction.Egress) })
                        {
                            var candidates = own ? selected : all;
                            for (var j = 0; j < entity.Ports.Count; j++)
                            {
                                if (entity.Ports[j].Name is { } name && r.Protocol is { } protocol && !candidates.Any(w => HasPort(w, name, protocol)))
                                {
                                    findings.Add(Unresolved(p.Ref, $"spec.{d.FieldName()}[{i}].{side}.ports[{j}]", name, protocol,
                                        own ? "the endpoints this policy selects" : "any workload"));
                                }
                            }
                        }
                    }
                }
            }
        }

        foreach (var svc in engine.Set.Services)
        {
            var backends = all.Where(svc.Selects).ToList();
            for (var i = 0; i < svc.Ports.Count; i++)
            {
                var sp = svc.Ports[i];
                if (!int.TryParse(sp.TargetPort, System.Globalization.CultureInfo.InvariantCulture, out _) && backends.Count > 0
                    && !backends.Any(w => HasPort(w, sp.TargetPort, sp.Protocol)))
                {
                    findings.Add(Finding.Warning("NamedPortUnresolved", svc.Source.Path($"spec.ports[{i}].targetPort"),
                        $"Service {svc.Id} targets port '{sp.TargetPort}' ({sp.Protocol}), which none of its {backends.Count} backing workloads declares.",
                        "Name the container port the same way (containers[].ports[].name), or target the port by number."));
                }
            }
        }
    }

    private static bool HasPort(Workload w, string name, Protocol protocol) => w.Ports.Any(p => p.Name == name && p.Protocol == protocol);

    private static Finding Unresolved(PolicyRef policy, string field, string name, Protocol protocol, string where) =>
        Finding.Warning("NamedPortUnresolved", policy.Source.Path(field),
            $"{policy} names port '{name}' ({protocol}), but {where} declare{(where.StartsWith("any", StringComparison.Ordinal) ? "s" : "")} no container port of that name and protocol, so the rule matches nothing there.",
            "Name the container port the same way (containers[].ports[].name with that protocol), or use the port number.");

    private static void IpBlocks(PolicyEngine engine, List<Finding> findings)
    {
        var set = engine.Set;
        var podCidrs = engine.Options.PodCidrs;
        foreach (var k in set.KubernetesPolicies)
        {
            foreach (var d in new[] { Direction.Ingress, Direction.Egress })
            {
                var rules = k.Rules(d);
                for (var i = 0; i < rules.Count; i++)
                {
                    for (var j = 0; j < rules[i].Peers.Count; j++)
                    {
                        if (rules[i].Peers[j].IpBlock is not { } block)
                        {
                            continue;
                        }

                        var path = $"spec.{d.FieldName()}[{i}].{(d == Direction.Ingress ? "from" : "to")}[{j}].ipBlock";
                        foreach (var pod in podCidrs.Where(pc => block.Cidr.Overlaps(pc) && !block.Except.Any(e => e.Contains(pc))))
                        {
                            findings.Add(Finding.Warning("IpBlockCoversPodCidr", k.Source.Path(path),
                                $"NetworkPolicy {k.Id}: ipBlock {block} overlaps the pod CIDR {pod}. Calico applies ipBlocks to pod addresses too (calico #6634), Cilium does not, so this rule {(engine.Options.IpBlockMatchesPods ? "also matches pods" : "matches no pod in the chosen model")}.",
                                $"Select pods with podSelector/namespaceSelector instead, or add {pod} to except."));
                        }

                        if (podCidrs.Count == 0)
                        {
                            var inside = set.Workloads.Where(w => w.Addresses.Any(block.Contains)).ToList();
                            if (inside.Count > 0)
                            {
                                findings.Add(Finding.Warning("IpBlockCoversPodCidr", k.Source.Path(path),
                                    $"NetworkPolicy {k.Id}: ipBlock {block} holds the addresses of {inside.Count} workload(s) ({string.Join(", ", inside.Take(3).Select(w => w.Id))}). Calico applies ipBlocks to pods (calico #6634), Cilium does not.",
                                    "Select pods with podSelector/namespaceSelector; pod addresses change when pods are rescheduled."));
                            }
                        }

                        foreach (var w in set.Workloads.Where(w => w.Addresses.Count > 1))
                        {
                            var n = w.Addresses.Count(block.Contains);
                            if (n > 0 && n < w.Addresses.Count)
                            {
                                findings.Add(Finding.Warning("IpBlockSplitsWorkload", k.Source.Path(path),
                                    $"ipBlock {block} holds {n} of the {w.Addresses.Count} pod addresses of {w.Id}: its replicas are treated differently.",
                                    "Select the workload by labels instead of addresses."));
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// AdminNetworkPolicies that share a priority (the API leaves their order undefined; Calico breaks the tie by name),
    /// and nodes peers that select none of the loaded Nodes.
    /// </summary>
    private static void AdminPolicies(PolicyEngine engine, List<Finding> findings)
    {
        var admin = engine.Set.AdminPolicies.Where(a => !a.IsBaseline).ToList();
        foreach (var group in admin.GroupBy(a => a.Priority).Where(g => g.Count() > 1))
        {
            var names = group.Select(a => a.Name).Order(StringComparer.Ordinal).ToList();
            foreach (var a in group)
            {
                var others = names.Where(n => n != a.Name).ToList();
                findings.Add(Finding.Warning("AdminPolicyPriorityShared", a.Source.Path("spec.priority"),
                    $"AdminNetworkPolicies {string.Join(" and ", names)} share priority {group.Key}; the API leaves their order undefined (Calico runs them by name: {string.Join(", ", names)}).",
                    $"Give {a.Name} a priority no other AdminNetworkPolicy uses (shared with {string.Join(", ", others)}) where their rules may match the same traffic."));
            }
        }

        if (engine.Set.Nodes.Count == 0 && engine.Set.Workloads.Count == 0)
        {
            return;
        }

        foreach (var a in engine.Set.AdminPolicies)
        {
            for (var i = 0; i < a.Egress.Count; i++)
            {
                for (var j = 0; j < a.Egress[i].Peers.Count; j++)
                {
                    var peer = a.Egress[i].Peers[j];
                    if (peer.Kind == AdminPeerKind.Nodes && !engine.Set.Nodes.Any(n => peer.NodeSelector.Matches(n.Labels)))
                    {
                        findings.Add(Finding.Warning("AdminPeerSelectsNoNode", a.Source.Path($"spec.egress[{i}].to[{j}].nodes"),
                            $"{a}: the nodes peer selects none of the {engine.Set.Nodes.Count} loaded Node(s), so it matches nothing here.",
                            "Load the cluster's Node objects (kubectl get nodes -o yaml) with the manifests, or check the node selector."));
                    }
                }
            }
        }
    }

    private static void Windows(PolicyEngine engine, List<Finding> findings)
    {
        var set = engine.Set;
        var windowsWorkloads = set.Workloads.Where(w => w.Os == WorkloadOs.Windows).ToList();
        if (!engine.Options.HasWindowsNodes && windowsWorkloads.Count == 0)
        {
            return;
        }

        const string hint = "Calico for Windows supports VXLAN only (VNI 4096 or more, UDP port 4789) and no IPv6 (aks-hybrid-networking §4).";
        var vxlanPools = new List<IpPoolInfo>();
        foreach (var pool in set.IpPools.Where(p => !p.Disabled))
        {
            if (pool.Cidr.Family == AddressFamily.InterNetworkV6)
            {
                findings.Add(Finding.Error("WindowsIpv6Unsupported", pool.Source.Path("spec.cidr"),
                    $"IPPool {pool.Name} is IPv6 ({pool.Cidr}), but Calico for Windows does not support IPv6.", hint));
                continue;
            }

            if (pool.IpipMode is not "Never")
            {
                findings.Add(Finding.Error("WindowsRequiresVxlan", pool.Source.Path("spec.ipipMode"),
                    $"IPPool {pool.Name} uses IP-in-IP ({pool.IpipMode}); Windows nodes support no IP-in-IP.", "Set ipipMode: Never and vxlanMode: Always. " + hint));
            }
            else if (!pool.IsVxlan)
            {
                findings.Add(Finding.Error("WindowsRequiresVxlan", pool.Source.Path("spec.vxlanMode"),
                    $"IPPool {pool.Name} has no VXLAN encapsulation; Windows nodes here need Calico VXLAN.", "Set vxlanMode: Always. " + hint));
            }
            else
            {
                vxlanPools.Add(pool);
            }
        }

        if (vxlanPools.Count > 1)
        {
            findings.Add(Finding.Error("WindowsSingleVxlanPool", vxlanPools[1].Source.Path("spec"),
                $"{vxlanPools.Count} VXLAN IP pools are enabled ({string.Join(", ", vxlanPools.Select(p => p.Name))}); only a single VXLAN IP pool is supported when Windows nodes are present.",
                "Keep one VXLAN pool, or disable the others."));
        }

        foreach (var felix in set.FelixConfigurations)
        {
            if (felix.VxlanVni is { } vni && vni < 4096)
            {
                findings.Add(Finding.Error("WindowsVxlanVni", felix.Source.Path("spec.vxlanVNI"),
                    $"FelixConfiguration {felix.Name} sets vxlanVNI {vni}; Windows accepts only VNI 4096 or more.", "Use vxlanVNI: 4096 (Calico's default). " + hint));
            }

            if (felix.VxlanPort is { } port && port != 4789)
            {
                findings.Add(Finding.Error("WindowsVxlanPort", felix.Source.Path("spec.vxlanPort"),
                    $"FelixConfiguration {felix.Name} sets vxlanPort {port}; Windows supports VXLAN on UDP port 4789 only.", "Use vxlanPort: 4789 (Calico's default). " + hint));
            }
        }

        foreach (var w in windowsWorkloads.Where(w => w.Addresses.Any(a => a.AddressFamily == AddressFamily.InterNetworkV6)))
        {
            findings.Add(Finding.Error("WindowsIpv6Unsupported", w.Source.Path("status.podIPs"),
                $"Windows workload {w.Id} has an IPv6 address; Calico for Windows has no IPv6.", hint));
        }

        foreach (var p in engine.Policies.Where(p => engine.Selected(p).Any(i => engine.Compiled[i].Workload.Os == WorkloadOs.Windows)))
        {
            foreach (var d in new[] { Direction.Ingress, Direction.Egress })
            {
                var compiled = p.Rules(d);
                var seen = new HashSet<int>();
                foreach (var r in compiled)
                {
                    var v6 = r.IpVersion == 6 || r.Protocol == Protocol.IcmpV6
                        || r.Source.Nets.Concat(r.Destination.Nets).Any(n => n.Family == AddressFamily.InterNetworkV6);
                    if (v6 && seen.Add(r.Ref.Index))
                    {
                        findings.Add(Finding.Warning("WindowsIpv6Unsupported", p.Ref.Source.Path(r.Ref.Path),
                            $"{p.Ref} applies to Windows workloads, but this rule is about IPv6, which Calico for Windows does not support.", hint));
                    }
                }
            }
        }
    }
}
