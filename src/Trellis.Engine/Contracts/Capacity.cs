namespace Trellis.Engine.Contracts;

/// <summary>One pool side by side with what the plan needs of it; <see cref="Pool"/> names a sum over several pools too.</summary>
public sealed record PoolCapacity(string Pool, string Description, long Required, long Size, long Allocated, long Free, long HeadroomAfterUpgrade)
{
    public bool Fits => Required <= Size;
}

/// <summary>One line of the address budget, e.g. cluster 'a' needs 5 update addresses of the node IP pool.</summary>
public sealed record RequirementLine(string Scope, string Pool, string Item, long Count);

/// <summary>One network's pools; <see cref="Required"/> adds up the addresses that live in its subnet.</summary>
public sealed record NetworkCapacity(string Name, string Method, string Prefix, PoolCapacity? NodeIpPool, PoolCapacity? VipPool, PoolCapacity? DhcpScope,
    PoolCapacity? ControlPlaneIps, long Required, int RecommendedPrefixLength);

public sealed record ClusterCapacity(string Name, string Network, long NodeAddresses, long Vips, PoolCapacity PodSubnets, PoolCapacity ClusterIps, PoolCapacity NodePorts);

/// <summary>
/// Required addresses per the reference formulas next to what each pool holds (docs/cli.md, "capacity -o json").
/// <see cref="NodeIpPool"/> and <see cref="VipPool"/> add up every network of the site; <see cref="RecommendedPrefixLength"/>
/// is set for a site of one network.
/// </summary>
public sealed record CapacityReport(
    string Site,
    string Model,
    PoolCapacity NodeIpPool,
    PoolCapacity VipPool,
    long ControlPlaneIps,
    long TotalRequired,
    int? RecommendedPrefixLength,
    IReadOnlyList<string> Rules,
    IReadOnlyList<NetworkCapacity> Networks,
    IReadOnlyList<ClusterCapacity> Clusters,
    IReadOnlyList<RequirementLine> Breakdown);

/// <summary>The answer to "can this site take that change?": whether it fits, and what runs out first (or is tightest after it).</summary>
public sealed record WhatIfAnswer(string Question, bool Fits, string? FirstToRunOut, CapacityReport? Before, CapacityReport? After, IReadOnlyList<Finding> Findings);
