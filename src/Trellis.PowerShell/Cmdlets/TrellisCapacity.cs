using Trellis.Engine.Contracts;

namespace Trellis.PowerShell;

/// <summary>One pool beside what the plan needs of it, as a row of the CLI's capacity table.</summary>
public sealed class TrellisPoolCapacity
{
    public required string Pool { get; init; }
    public required string Description { get; init; }
    public required long Required { get; init; }
    public required long Size { get; init; }
    public required long Allocated { get; init; }
    public required long Free { get; init; }
    public required long HeadroomAfterUpgrade { get; init; }

    /// <summary>What is taken or needed, whichever is more, of the pool's size (at most 1).</summary>
    public double Utilization => Size == 0 ? 1.0 : Math.Min(1.0, (double)Math.Max(Allocated, Required) / Size);

    public bool Fits => Required <= Size;

    internal static TrellisPoolCapacity From(PoolCapacity p) => new()
    {
        Pool = p.Pool, Description = p.Description, Required = p.Required, Size = p.Size, Allocated = p.Allocated, Free = p.Free,
        HeadroomAfterUpgrade = p.HeadroomAfterUpgrade,
    };
}

/// <summary>
/// The capacity of a site (the CLI's capacity): the node IP and VIP pools summed over the site's networks, every pool beside what
/// the plan needs of it (<see cref="Pools"/>, the CLI's table), each network's smallest subnet, and the rules the numbers follow.
/// </summary>
public sealed class TrellisCapacityReport
{
    public required string Site { get; init; }
    public required string Model { get; init; }
    public required TrellisPoolCapacity NodeIpPool { get; init; }
    public required TrellisPoolCapacity VipPool { get; init; }
    public required long ControlPlaneIps { get; init; }
    public required long TotalRequired { get; init; }
    public int? RecommendedPrefixLength { get; init; }

    /// <summary>Whether every pool holds what the plan needs of it.</summary>
    public bool Fits => Pools.All(p => p.Fits);

    /// <summary>Every network's pools, then every cluster's pod subnets and cluster IPs, in the CLI's order.</summary>
    public required IReadOnlyList<TrellisPoolCapacity> Pools { get; init; }
    public required IReadOnlyList<NetworkCapacity> Networks { get; init; }
    public required IReadOnlyList<ClusterCapacity> Clusters { get; init; }
    public required IReadOnlyList<string> Rules { get; init; }
    public required IReadOnlyList<RequirementLine> Breakdown { get; init; }

    internal static TrellisCapacityReport From(CapacityReport r) => new()
    {
        Site = r.Site,
        Model = r.Model,
        NodeIpPool = TrellisPoolCapacity.From(r.NodeIpPool),
        VipPool = TrellisPoolCapacity.From(r.VipPool),
        ControlPlaneIps = r.ControlPlaneIps,
        TotalRequired = r.TotalRequired,
        RecommendedPrefixLength = r.RecommendedPrefixLength,
        Pools =
        [
            .. r.Networks.SelectMany(n => new[] { n.NodeIpPool, n.VipPool, n.DhcpScope, n.ControlPlaneIps }.OfType<PoolCapacity>())
                .Concat(r.Clusters.SelectMany(c => new[] { c.PodSubnets, c.ClusterIps }))
                .Select(TrellisPoolCapacity.From),
        ],
        Networks = r.Networks,
        Clusters = r.Clusters,
        Rules = r.Rules,
        Breakdown = r.Breakdown,
    };
}

/// <summary>The answer to "could the site take these changes?" (the CLI's capacity --what-if).</summary>
public sealed class TrellisWhatIfAnswer
{
    public required string Question { get; init; }
    public required bool Fits { get; init; }

    /// <summary>The pool that runs out first, or, when the changes fit, the tightest after them.</summary>
    public string? FirstToRunOut { get; init; }
    public TrellisCapacityReport? Before { get; init; }
    public TrellisCapacityReport? After { get; init; }

    /// <summary>Why the changes do not fit, and what else the planner noticed.</summary>
    public required IReadOnlyList<Finding> Findings { get; init; }

    internal static TrellisWhatIfAnswer From(WhatIfAnswer a) => new()
    {
        Question = a.Question,
        Fits = a.Fits,
        FirstToRunOut = a.FirstToRunOut,
        Before = a.Before is null ? null : TrellisCapacityReport.From(a.Before),
        After = a.After is null ? null : TrellisCapacityReport.From(a.After),
        Findings = a.Findings,
    };
}
