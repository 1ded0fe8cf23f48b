using Trellis.Core.Planning;
using Ipam = Trellis.Core.Ipam;
using Rendering = Trellis.Rendering;
using Validation = Trellis.Core.Validation;

namespace Trellis.Engine.Contracts;

/// <summary>
/// From the layers' own types to the contract types front ends see. The contract is a copy on purpose: its JSON shape is
/// what the CLI, the PowerShell module and the REST API promise, and it must not change when an internal type does.
/// </summary>
internal static class ContractMapping
{
    public static Finding ToContract(this Validation.Finding f) => new(f.Code, f.Path, f.Message, f.Hint, (Severity)(int)f.Severity);

    public static IReadOnlyList<Finding> ToContract(this IEnumerable<Validation.Finding> findings) => [.. findings.Select(ToContract)];

    public static Allocation ToContract(this Ipam.Allocation a) => new(a.Pool.ToString(), a.Address, a.Owner.ToString(), a.Detail, a.ExpiresAt);

    public static IReadOnlyList<Allocation> ToContract(this IReadOnlyList<Ipam.Allocation> allocations)
    {
        var contract = new Allocation[allocations.Count];
        for (var i = 0; i < contract.Length; i++)
        {
            contract[i] = allocations[i].ToContract();
        }

        return contract;
    }

    public static AllocationChanges ToContract(this AllocationPlan plan) => new(plan.Added.ToContract(), plan.Removed.ToContract(), plan.Result.ToContract());

    public static UpgradeStep ToContract(this Core.Planning.UpgradeStep step) => new(step.Node.ToString(), step.Description, step.Remove.ToContract(), step.Add.ToContract());

    public static IReadOnlyList<UpgradeStep> ToContract(this IEnumerable<Core.Planning.UpgradeStep> steps) => [.. steps.Select(ToContract)];

    public static RenderedFile ToContract(this Rendering.RenderedFile file) => new(file.Path, file.Content);

    public static PoolCapacity ToContract(this Core.Planning.PoolCapacity p) => new(p.Pool, p.Description, p.Required, p.Size, p.Allocated, p.Free, p.HeadroomAfterUpgrade);

    public static CapacityReport ToContract(this Core.Planning.CapacityReport r) => new(
        r.Site,
        r.Model.ToString(),
        r.NodeIpPool.ToContract(),
        r.VipPool.ToContract(),
        r.ControlPlaneIps,
        r.TotalRequired,
        r.RecommendedPrefixLength,
        r.Rules,
        [.. r.Networks.Select(n => new NetworkCapacity(n.Name, n.Method, n.Prefix, n.NodeIpPool?.ToContract(), n.VipPool?.ToContract(), n.DhcpScope?.ToContract(),
            n.ControlPlaneIps?.ToContract(), n.Required, n.RecommendedPrefixLength))],
        [.. r.Clusters.Select(c => new ClusterCapacity(c.Name, c.Network, c.NodeAddresses, c.Vips, c.PodSubnets.ToContract(), c.ClusterIps.ToContract(), c.NodePorts.ToContract()))],
        [.. r.Breakdown.Select(l => new RequirementLine(l.Scope, l.Pool.ToString(), l.Item, l.Count))]);

    public static WhatIfAnswer ToContract(this WhatIfResult r) => new(r.Question, r.Fits, r.FirstToRunOut, r.Before?.ToContract(), r.After?.ToContract(), r.Findings.ToContract());
}
