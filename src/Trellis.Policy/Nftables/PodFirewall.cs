using System.Net;
using System.Net.Sockets;
using System.Text;
using Trellis.Core.Addressing;
using Trellis.Core.Validation;
using Trellis.Policy.Calico;
using Trellis.Policy.Evaluation;

namespace Trellis.Policy.Nftables;

/// <summary>
/// The nftables script of every lab pod, by the key it was asked for (the engine's endpoint id), and what could not be
/// compiled. A pod with a finding has no script.
/// </summary>
public sealed record PodFirewalls(IReadOnlyDictionary<string, string> Scripts, IReadOnlyList<Finding> Findings);

/// <summary>
/// Compiles the engine's network policy into one nftables script per lab pod, with the engine's own semantics, so that the
/// kernel decides each packet and a disagreement with the engine's verdict is a finding about one or the other. The table
/// polices the pod's <see cref="Interface"/>: its input chain the pod's ingress, its output chain the pod's egress; replies
/// of allowed connections pass (<c>ct state established,related</c>); loopback (a pod to itself) is never policed, as
/// the engine allows self traffic. Each tier that applies to the pod is a chain, its policies' rules in the engine's
/// order: Allow accepts, Deny drops, Pass goes to the next tier's chain (after the last tier: the profile accepts), Log
/// logs and goes on; the end of a tier drops unless its default action is Pass.
/// </summary>
public static class PodFirewall
{
    /// <summary>The table every script defines (and replaces: loading a script again swaps the whole table atomically).</summary>
    public const string Table = "trellis_policy";

    /// <summary>The pod's interface, which the lab names as the CNI does.</summary>
    public const string Interface = "eth0";

    public const string NotCompiledCode = "LabPolicyNotCompiled";

    /// <summary>
    /// One script per entry of <paramref name="addresses"/>: the key is the engine's endpoint id (<c>namespace/name[Kind]</c>
    /// or <c>namespace/name</c>), the value the pod's IPv4 address in the lab. Endpoints missing from the map are not in the
    /// lab: no selector resolves to them. Load a script with <c>nft -f FILE</c> inside that pod's network namespace. The
    /// engine's prediction for a probe is <c>engine.Check</c> on <c>Endpoint.Of(workload, labAddress)</c>: nets and
    /// ipBlocks are tested on the lab's addresses, as the kernel tests them.
    /// </summary>
    public static PodFirewalls Compile(PolicyEngine engine, IReadOnlyDictionary<string, IPAddress> addresses)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        return Compile(engine, addresses.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => (a.Key, a.Value)), byAddress: false);
    }

    /// <summary>
    /// One script per pod of a lab that runs several pods of a workload (its replicas): <paramref name="replicas"/> maps
    /// each endpoint id to the IPv4 addresses of its pods in the lab. The scripts are keyed by the pod's address (as
    /// <see cref="IPAddress.ToString"/> prints it); a selector resolves to every replica's address.
    /// </summary>
    public static PodFirewalls CompileReplicas(PolicyEngine engine, IReadOnlyDictionary<string, IReadOnlyList<IPAddress>> replicas)
    {
        ArgumentNullException.ThrowIfNull(replicas);
        return Compile(engine, replicas.OrderBy(a => a.Key, StringComparer.Ordinal).SelectMany(a => a.Value.Select(address => (a.Key, address))), byAddress: true);
    }

    private static PodFirewalls Compile(PolicyEngine engine, IEnumerable<(string Key, IPAddress Address)> addresses, bool byAddress)
    {
        ArgumentNullException.ThrowIfNull(engine);
        var findings = new List<Finding>();
        var pods = new List<LabPod>();
        var taken = new Dictionary<UInt128, string>();
        foreach (var (key, address) in addresses)
        {
            var path = $"lab.pods[{key}]";
            if (engine.FindEndpoint(key)?.Workload is not { } workload)
            {
                findings.Add(Finding.Error(NotCompiledCode, path, $"The lab has a pod '{key}' that the policy engine has no workload for.", "Key the map by the engine's endpoint ids (engine.Endpoints)."));
                continue;
            }

            if (address.AddressFamily != AddressFamily.InterNetwork)
            {
                findings.Add(Finding.Error(NotCompiledCode, path, $"The lab pod {key} has the address {address}; the lab's pod firewalls police IPv4 only.", "Give the pod an IPv4 address."));
                continue;
            }

            var number = IpNumber.ToNumber(address);
            if (!taken.TryAdd(number, key))
            {
                findings.Add(Finding.Error(NotCompiledCode, path, $"The lab pods {taken[number]} and {key} share the address {address}: selectors could not tell them apart.", "Give every lab pod its own address."));
                continue;
            }

            pods.Add(new LabPod(key, workload, address, number, engine.Resolve(Endpoint.Of(workload, address))));
        }

        if (engine.Options.Enforcing && !engine.Options.AllowSelfTraffic)
        {
            findings.Add(Finding.Warning(NotCompiledCode, "options.allowSelfTraffic",
                "The engine polices a pod's traffic to itself, which never leaves the pod's loopback; the pod firewalls police only " + Interface + ", so the kernel allows it.",
                "Leave self traffic out of the probes, or compare with AllowSelfTraffic on."));
        }

        var translator = new RuleTranslator(engine, pods);
        var scripts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pod in pods)
        {
            scripts[byAddress ? pod.Address.ToString() : pod.Key] = Script(engine, translator, pod);
        }

        return new PodFirewalls(scripts, findings);
    }

    private static string Script(PolicyEngine engine, RuleTranslator translator, LabPod pod)
    {
        var endpoint = engine.Compiled[engine.IndexOf(pod.Workload)];
        var policed = engine.Options.Enforcing && endpoint.Policed;
        var table = NftText.Name(Table);
        var text = new StringBuilder();
        text.Append(NftText.Remark($"Trellis network policy of {pod.Workload.Id} at {NftText.Address(pod.Address)} on {Interface}")).Append('\n');
        if (!policed)
        {
            text.Append(NftText.Remark(engine.Options.Enforcing ? "not a policed workload endpoint: nothing is filtered" : "the network plugin enforces no policy: nothing is filtered")).Append('\n');
        }

        // Declaring the table before deleting it makes the script load whether or not it was loaded before.
        text.Append($"table ip {table}\ndelete table ip {table}\ntable ip {table} {{\n");
        var chains = new StringBuilder();
        foreach (var direction in new[] { Direction.Ingress, Direction.Egress })
        {
            var ingress = direction == Direction.Ingress;
            var plan = policed ? endpoint.Plan(direction) : [];
            text.Append($"\tchain {(ingress ? "input" : "output")} {{\n");
            text.Append($"\t\ttype filter hook {(ingress ? "input" : "output")} priority filter; policy accept;\n");
            text.Append("\t\tct state established,related accept\n");
            if (plan.Length > 0)
            {
                text.Append($"\t\t{(ingress ? "iifname" : "oifname")} {NftText.Interface(Interface)} goto {TierChain(direction, 0)}\n");
            }
            else
            {
                text.Append('\t').Append('\t').Append(NftText.Remark(policed ? $"no policy selects the pod for {direction.FieldName()}: allowed" : "allowed")).Append('\n');
            }

            text.Append("\t}\n");
            Tiers(translator, pod, direction, plan, chains);
        }

        text.Append(chains).Append("}\n");
        return text.ToString();
    }

    private static void Tiers(RuleTranslator translator, LabPod pod, Direction direction, TierPlan[] plan, StringBuilder chains)
    {
        var ruleChains = 0;
        for (var t = 0; t < plan.Length; t++)
        {
            var tier = plan[t];
            var name = TierChain(direction, t);
            var next = t + 1 < plan.Length ? $"goto {TierChain(direction, t + 1)}" : "accept";
            var subchains = new StringBuilder();
            chains.Append($"\tchain {name} {{\n");
            chains.Append("\t\t").Append(NftText.Remark($"tier {tier.Tier.Name}: {string.Join(", ", tier.Policies.Select(p => p.Ref.Id))}")).Append('\n');
            foreach (var policy in tier.Policies)
            {
                foreach (var rule in policy.Rules(direction))
                {
                    var what = $"{policy.Ref} {rule.Ref.Path} {rule.Action}";
                    var nft = translator.Translate(rule, direction, pod);
                    if (nft is null)
                    {
                        chains.Append("\t\t").Append(NftText.Remark($"{what}: matches no packet of this pod")).Append('\n');
                        continue;
                    }

                    var verdict = rule.Action switch
                    {
                        RuleAction.Allow => "accept",
                        RuleAction.Deny => "drop",
                        RuleAction.Pass => next,
                        _ => NftText.Log($"trellis {direction.FieldName()} {policy.Ref.Id} {rule.Ref.Path}"),
                    };
                    var comment = NftText.Comment(what);
                    if (nft.Guards.Count == 0)
                    {
                        foreach (var alternative in nft.Alternatives)
                        {
                            chains.Append("\t\t").Append(Line(alternative, verdict, comment)).Append('\n');
                        }

                        continue;
                    }

                    // A rule with guards (notPorts, notICMP) is a chain of its own: a guard returns before the rule's verdict.
                    var sub = $"{name}-r{ruleChains++}";
                    chains.Append($"\t\tjump {NftText.Name(sub)} {comment}\n");
                    subchains.Append($"\tchain {NftText.Name(sub)} {{\n");
                    foreach (var guard in nft.Guards)
                    {
                        subchains.Append("\t\t").Append(Line(guard, "return", "")).Append('\n');
                    }

                    foreach (var alternative in nft.Alternatives)
                    {
                        subchains.Append("\t\t").Append(Line(alternative, verdict, comment)).Append('\n');
                    }

                    subchains.Append("\t}\n");
                }
            }

            chains.Append("\t\t").Append(tier.Tier.DefaultAction == TierDefaultAction.Pass
                ? $"{next} {NftText.Comment($"end of tier {tier.Tier.Name}: default action Pass")}"
                : $"drop {NftText.Comment($"end of tier {tier.Tier.Name}: denied")}").Append('\n');
            chains.Append("\t}\n").Append(subchains);
        }
    }

    private static string TierChain(Direction direction, int tier) =>
        NftText.Name($"{(direction == Direction.Ingress ? "ingress" : "egress")}-t{tier.ToString(System.Globalization.CultureInfo.InvariantCulture)}");

    private static string Line(IReadOnlyList<string> matches, string verdict, string comment) =>
        string.Join(' ', matches.Append(verdict).Append(comment).Where(s => s.Length > 0));
}
