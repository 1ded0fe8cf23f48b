using Trellis.Core.Model;

namespace Trellis.Core.Planning;

/// <summary>One pool side by side with what the plan needs of it.</summary>
public sealed record PoolCapacity(string Pool, string Description, long Required, long Size, long Allocated, long Free, long HeadroomAfterUpgrade)
{
    /// <summary>The pool itself; null for a sum over several pools (<see cref="Pool"/> then names what they are).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Ipam.PoolId? Id { get; init; }

    public bool Fits => Required <= Size;
}

/// <summary>One line of the address budget, e.g. cluster 'a' needs 5 update addresses of the node IP pool.</summary>
public sealed record RequirementLine(string Scope, Ipam.PoolId Pool, string Item, long Count)
{
    /// <summary>The workload cluster the line counts for, if any.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? Cluster { get; init; }

    /// <summary>The line counts node VM addresses (node IP pool or DHCP scope).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool NodeAddress { get; init; }

    /// <summary>The line counts VIPs (VIP pool or MetalLB).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool Vip { get; init; }
}

/// <summary>
/// One network's pools; <see cref="Required"/> adds up the addresses that live in its subnet, and
/// <see cref="RecommendedPrefixLength"/> is the smallest prefix that holds them.
/// </summary>
public sealed record NetworkCapacity(string Name, string Method, string Prefix, PoolCapacity? NodeIpPool, PoolCapacity? VipPool, PoolCapacity? DhcpScope, PoolCapacity? ControlPlaneIps,
    long Required, int RecommendedPrefixLength);

public sealed record ClusterCapacity(string Name, string Network, long NodeAddresses, long Vips, PoolCapacity PodSubnets, PoolCapacity ClusterIps, PoolCapacity NodePorts);

/// <summary>
/// Required addresses per the reference formulas (AksHci §2.2–§2.3, AKS Arc §2.8) next to what each pool holds.
/// <see cref="NodeIpPool"/> and <see cref="VipPool"/> add up every network of the site; <see cref="Rules"/> says which counting rules were applied.
/// <see cref="RecommendedPrefixLength"/> is set for a site of one network; with several, each network has its own (<see cref="NetworkCapacity.RecommendedPrefixLength"/>).
/// </summary>
public sealed record CapacityReport(
    string Site,
    SiteModel Model,
    PoolCapacity NodeIpPool,
    PoolCapacity VipPool,
    long ControlPlaneIps,
    long TotalRequired,
    int? RecommendedPrefixLength,
    IReadOnlyList<string> Rules,
    IReadOnlyList<NetworkCapacity> Networks,
    IReadOnlyList<ClusterCapacity> Clusters,
    IReadOnlyList<RequirementLine> Breakdown);

/// <summary>The answer to "can this site take that change?".</summary>
public sealed record WhatIfResult(string Question, bool Fits, CapacityReport? Before, CapacityReport? After, string? FirstToRunOut, IReadOnlyList<Validation.Finding> Findings);
