using Trellis.Core.Governance.Expressions;
using Trellis.Core.Model;
using Trellis.Core.Validation;

namespace Trellis.Core.Governance;

/// <summary>
/// A definition's rule as the evaluator runs it: a built-in's C# rule, or a rule expression compiled against the schema of
/// the definition's target and parameters. What an expression reads of each item is <see cref="Item"/>: the same fields
/// docs/governance.md lists.
/// </summary>
public static class GovernanceRules
{
    private static readonly RuleType NodePool = RuleType.Object(("cluster", RuleType.String), ("name", RuleType.String), ("osType", RuleType.String),
        ("osSku", RuleType.Dyn), ("count", RuleType.Int), ("vmSize", RuleType.String), ("maxPodCount", RuleType.Int),
        ("maxPodCountGiven", RuleType.Bool));

    private static readonly RuleType Service = RuleType.Object(("cluster", RuleType.String), ("namespace", RuleType.String), ("name", RuleType.String),
        ("protocol", RuleType.String), ("ports", RuleType.List(RuleType.Int)), ("sharedIpKey", RuleType.Dyn));

    private static readonly RuleType Cluster = RuleType.Object(("name", RuleType.String), ("networkPlugin", RuleType.String), ("kubernetesVersion", RuleType.String),
        ("controlPlaneNodeCount", RuleType.Int), ("loadBalancerSettings", RuleType.Dyn), ("loadBalancerSku", RuleType.Dyn), ("podCidr", RuleType.String),
        ("serviceCidr", RuleType.String), ("nodePools", RuleType.List(NodePool)), ("services", RuleType.List(Service)));

    private static readonly RuleType Pool = RuleType.Object(("network", RuleType.String), ("kind", RuleType.String), ("description", RuleType.String),
        ("size", RuleType.Int), ("allocated", RuleType.Int), ("free", RuleType.Int), ("utilization", RuleType.Double), ("usedDuringUpgrade", RuleType.Int));

    private static readonly RuleType Namespace = RuleType.Object(("name", RuleType.String), ("defaultDenyIngress", RuleType.Bool),
        ("ingressFromAnywhere", RuleType.List(RuleType.String)));

    /// <summary>The variables an expression of <paramref name="definition"/> reads: <c>item</c> of its target, <c>params</c> of its parameters.</summary>
    public static RuleSchema Schema(PolicyDefinition definition) => new(
        definition.Target switch
        {
            PolicyTarget.NodePool => NodePool,
            PolicyTarget.Service => Service,
            PolicyTarget.Pool => Pool,
            PolicyTarget.Namespace => Namespace,
            _ => Cluster,
        },
        RuleType.Object([.. definition.Parameters.Select(p => (p.Name, p.Type switch
        {
            PolicyParameterType.Number => RuleType.Double,
            PolicyParameterType.Boolean => RuleType.Bool,
            PolicyParameterType.StringList => RuleType.List(RuleType.String),
            _ => RuleType.String,
        }))]));

    /// <summary>The findings of compiling a definition's expression, at <c>spec.rule.expression</c>; none for a built-in.</summary>
    public static IReadOnlyList<Finding> Check(PolicyDefinition definition) =>
        definition.Expression is { } text
            ? [.. RuleExpression.Compile(text, Schema(definition)).Findings.Select(f => f with { Path = "spec.rule.expression", Message = $"Definition '{definition.Name}': {f.Message}" })]
            : [];

    /// <summary>The rule that judges items for <paramref name="definition"/>; null when it has none that can run (refused when it was stored).</summary>
    internal static Func<GovernanceSubject, PolicyItem, PolicyParameters, string?>? Of(PolicyDefinition definition)
    {
        if (definition.Expression is not { } text)
        {
            return definition.Builtin is { } name ? BuiltInDefinitions.Rule(name)?.Rule : null;
        }

        if (RuleExpression.Compile(text, Schema(definition)).Rule is not { } rule)
        {
            return null;
        }

        return (subject, item, parameters) =>
        {
            var result = rule.Evaluate(Item(subject, item), parameters.Value, EvaluationBudget.Default);
            return result.Outcome switch
            {
                RuleOutcome.Pass => null,
                RuleOutcome.Fail => $"{item.Id} does not satisfy the rule of '{definition.Name}'{(definition.Description.Length > 0 ? $" ({definition.Description.TrimEnd('.')})" : "")}",
                _ => $"the rule could not be judged for {item.Id}: {result.Message}",
            };
        };
    }

    /// <summary>An item as an expression reads it.</summary>
    public static RuleValue Item(GovernanceSubject subject, PolicyItem item) => item switch
    {
        { Pool: { } pool } => RuleValue.Object(("network", RuleValue.From(item.Network)), ("kind", RuleValue.From(item.Id.Split('/')[^1])),
            ("description", RuleValue.From(pool.Description)), ("size", RuleValue.From(pool.Size)), ("allocated", RuleValue.From(pool.Allocated)),
            ("free", RuleValue.From(pool.Free)), ("utilization", RuleValue.From(pool.Size == 0 ? 0.0 : 100.0 * pool.Allocated / pool.Size)),
            ("usedDuringUpgrade", RuleValue.From(BuiltInDefinitions.Used(pool, duringUpgrade: true)))),
        { NodePool: { } np } => NodePoolValue(item.Cluster!, np),
        { NamespaceFacts: { } ns } => RuleValue.Object(("name", RuleValue.From(ns.Namespace)), ("defaultDenyIngress", RuleValue.From(ns.DefaultDenyIngress)),
            ("ingressFromAnywhere", RuleValue.From(ns.IngressFromAnywhere))),
        { Service: { } s } => ServiceValue(item.Cluster!, s),
        _ => ClusterValue(subject.Site, item.Cluster!),
    };

    private static RuleValue ClusterValue(SiteSpec site, ClusterSpec c) => RuleValue.Object(
        ("name", RuleValue.From(c.Name)), ("networkPlugin", RuleValue.From(c.PrimaryNetworkPlugin.ToString().ToLowerInvariant())),
        ("kubernetesVersion", RuleValue.From(c.KubernetesVersion)), ("controlPlaneNodeCount", RuleValue.From(c.ControlPlaneNodeCount)),
        ("loadBalancerSettings", RuleValue.From(c.LoadBalancerSettings)),
        ("loadBalancerSku", RuleValue.From(site.LoadBalancerSettings.FirstOrDefault(s => s.Name == c.LoadBalancerSettings)?.LoadBalancerSku.ToString())),
        ("podCidr", RuleValue.From(c.PodCidr)), ("serviceCidr", RuleValue.From(c.ServiceCidr)),
        ("nodePools", RuleValue.From(c.NodePools.Select(np => NodePoolValue(c, np)))),
        ("services", RuleValue.From(c.Services.Select(s => ServiceValue(c, s)))));

    private static RuleValue NodePoolValue(ClusterSpec c, NodePoolSpec np) => RuleValue.Object(
        ("cluster", RuleValue.From(c.Name)), ("name", RuleValue.From(np.Name)), ("osType", RuleValue.From(np.OsType.ToString())),
        ("osSku", RuleValue.From(np.OsSku)), ("count", RuleValue.From(np.Count)), ("vmSize", RuleValue.From(np.VmSize)), ("maxPodCount", RuleValue.From(np.MaxPodCount)),
        ("maxPodCountGiven", RuleValue.From(np.MaxPodCountGiven)));

    private static RuleValue ServiceValue(ClusterSpec c, ServiceSpec s) => RuleValue.Object(
        ("cluster", RuleValue.From(c.Name)), ("namespace", RuleValue.From(s.Namespace)), ("name", RuleValue.From(s.Name)),
        ("protocol", RuleValue.From(s.Protocol)), ("ports", RuleValue.From(s.Ports.Select(p => (RuleValue?)RuleValue.From(p)))), ("sharedIpKey", RuleValue.From(s.SharedIpKey)));
}
