using Trellis.Core.Ipam;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Core.Validation;
using Trellis.Engine.Contracts;
using Allocation = Trellis.Core.Ipam.Allocation;
using CapacityReport = Trellis.Engine.Contracts.CapacityReport;
using Finding = Trellis.Core.Validation.Finding;

namespace Trellis.Engine;

public sealed record NetworkRow(string Name, string Kind, string Method, string Prefix, string? Gateway, int? Vlan, string? NodeIpPool, string? VipPool, string? DhcpScope, IReadOnlyList<string> DhcpExclusions)
{
    /// <summary>The virtual switch the network's VMs are plugged into (<c>vswitchName</c>, or an AKS Arc logical network's <c>vmSwitchName</c>); null when the spec names none.</summary>
    public string? VSwitch { get; init; }
}

public sealed record ClusterRow(string Name, string Network, string KubernetesVersion, string NetworkPlugin, int ControlPlaneNodeCount, int WorkerCount,
    string LoadBalancerSku, int LoadBalancerCount, string PodCidr, string ServiceCidr, string? ApiServerVip, string? UpgradeTarget, int? Vni, int? VxlanPort, int Mtu);

public sealed record NodePoolRow(string Cluster, string Name, string OsType, string? OsSku, int Count, string VmSize, int MaxPodCount);

public sealed record ServiceRow(string Cluster, string Namespace, string Name, string Protocol, IReadOnlyList<int> Ports, string? SharedIpKey, string? Vip, string? ClusterIp, IReadOnlyList<int> NodePorts);

public sealed record PoolRow(string Pool, string Description, long Size, long Allocated, long Free);

/// <summary>The files asked for, or the findings that say why none can be written.</summary>
public sealed record RenderAnswer(IReadOnlyList<RenderedFile> Files, IReadOnlyList<Contracts.Finding> Findings);

/// <summary>Read views derived from a snapshot; nothing here is stored.</summary>
public static partial class SiteViews
{
    /// <summary>
    /// The stored site as resolved for reading, also when it breaks a rule added after it was applied (<see cref="Findings"/>
    /// says so as warnings): stored state always stays readable.
    /// </summary>
    internal static ResolvedSite? Resolve(SiteState state) => state.Spec is null ? null : SiteValidator.ValidateStored(state.Spec).Resolved;

    /// <summary>
    /// What the stored spec breaks: rules added after it was applied, as warnings, and StoredSiteUnresolved (an error) when
    /// the views that need the resolved site (networks, clusters, pools, capacity, rendering) cannot be shown.
    /// </summary>
    public static IReadOnlyList<Contracts.Finding> Findings(SiteState state)
    {
        if (state.Spec is null)
        {
            return [];
        }

        var stored = SiteValidator.ValidateStored(state.Spec);
        var findings = stored.Inherited.ToList();
        if (stored.Resolved is null)
        {
            findings.Add(TrellisEngine.Unresolved(Core.Validation.Severity.Error));
        }

        return findings.ToContract();
    }

    /// <summary>NoSite when nothing is stored: the views of a site need one.</summary>
    public static IReadOnlyList<Contracts.Finding> RequireSite(SiteState state) => state.Spec is null ? SpecMutations.NoSite().Findings.ToContract() : [];

    /// <summary>UnknownCluster when a view is asked for a cluster the stored site does not have: an empty table would read as "nothing there".</summary>
    public static IReadOnlyList<Contracts.Finding> CheckCluster(SiteState state, string? cluster) => CheckCluster(state.Spec?.Clusters.Select(c => c.Name).ToList() ?? [], cluster);

    /// <summary>UnknownCluster unless <paramref name="cluster"/> is null or one of the stored site's <paramref name="clusters"/>.</summary>
    internal static IReadOnlyList<Contracts.Finding> CheckCluster(IReadOnlyList<string> clusters, string? cluster) =>
        cluster is null || clusters.Contains(cluster)
            ? []
            : [Contracts.Finding.Error("UnknownCluster", "cluster", $"No cluster '{cluster}' is stored.",
                clusters.Count > 0 ? $"Stored clusters: {string.Join(", ", clusters)}." : "The stored site has no clusters.")];

    private static bool Selected(string name, string? cluster) => cluster is null || name == cluster;

    /// <summary>Every network, or the one a cluster's nodes are on.</summary>
    public static IReadOnlyList<NetworkRow> Networks(SiteState state, string? cluster = null)
    {
        if (Resolve(state) is not { } site)
        {
            return [];
        }

        return site.Networks.Where(n => cluster is null || site.Clusters.Any(c => c.Name == cluster && c.Network == n)).Select(n => new NetworkRow(
            n.Name,
            site.Model == SiteModel.AksArc ? "logical" : n == site.HostNetwork ? "host" : "cluster",
            n.Method.ToString(),
            n.Prefix.ToString(),
            n.Gateway?.ToString(),
            n.VlanId,
            n.NodePool?.ToString(),
            n.VipPool?.ToString(),
            n.Dhcp?.Range.ToString(),
            SitePlanner.DhcpExclusions(site, n).Select(r => r.ToString()).ToList())
        { VSwitch = string.IsNullOrEmpty(n.VswitchName) ? null : n.VswitchName }).ToList();
    }

    public static IReadOnlyList<ClusterRow> Clusters(SiteState state, string? cluster = null)
    {
        if (Resolve(state) is not { } site)
        {
            return [];
        }

        return site.Clusters.Where(c => Selected(c.Name, cluster)).Select(c =>
        {
            var (vni, port) = Vxlan(c);
            var vip = state.Allocations.FirstOrDefault(a => a.Owner == PoolIds.ApiServer(c.Name) || a.Owner == PoolIds.ControlPlaneIp(c.Name))?.Address;
            return new ClusterRow(c.Name, c.Network.Name, c.Spec.KubernetesVersion, c.Spec.PrimaryNetworkPlugin.ToString().ToLowerInvariant(),
                c.Spec.ControlPlaneNodeCount, c.WorkerCount, c.LoadBalancer.LoadBalancerSku.ToString(), c.LoadBalancerVmCount,
                c.PodCidr.ToString(), c.ServiceCidr.ToString(), vip, state.Upgrades.FirstOrDefault(u => u.Cluster == c.Name)?.TargetVersion,
                vni, port, OverlayFacts.Mtu(site));
        }).ToList();
    }

    /// <summary>VXLAN settings of a cluster's overlay: Windows nodes need VNI ≥ 4096 on UDP 4789; Calico uses those everywhere.</summary>
    internal static (int Vni, int Port) Vxlan(ResolvedCluster c) => OverlayFacts.Vxlan(c);

    public static IReadOnlyList<NodePoolRow> NodePools(SiteState state, string? cluster = null) =>
        state.Spec?.Clusters.Where(c => Selected(c.Name, cluster)).SelectMany(c => c.NodePools.Select(p => new NodePoolRow(c.Name, p.Name, p.OsType.ToString(), p.OsSku, p.Count, p.VmSize, p.MaxPodCount))).ToList() ?? [];

    public static IReadOnlyList<ServiceRow> Services(SiteState state, string? cluster = null)
    {
        var rows = new List<ServiceRow>();
        foreach (var c in (state.Spec?.Clusters ?? []).Where(c => Selected(c.Name, cluster)))
        {
            foreach (var s in c.Services)
            {
                var vipOwner = PoolIds.ServiceVipOwner(c.Name, s);
                var vip = state.Allocations.FirstOrDefault(a => a.Owner == vipOwner)?.Address;
                var clusterIpOwner = PoolIds.ClusterIp(c.Name, s.Namespace, s.Name);
                var clusterIp = state.Allocations.FirstOrDefault(a => a.Owner == clusterIpOwner)?.Address;
                var nodePorts = s.Ports.Select(p => PoolIds.NodePort(c.Name, s.Namespace, s.Name, s.Protocol, p)).Select(o => state.Allocations.FirstOrDefault(a => a.Owner == o)?.Address)
                    .OfType<string>().Select(int.Parse).ToList();
                rows.Add(new ServiceRow(c.Name, s.Namespace, s.Name, s.Protocol, s.Ports, s.SharedIpKey, vip, clusterIp, nodePorts));
            }
        }

        return rows;
    }

    /// <summary>Every pool of the site, or those a cluster draws from: its own, those of its network, and the VRRP ids of its LB VMs' segment.</summary>
    public static IReadOnlyList<PoolRow> Pools(SiteState state, string? cluster = null)
    {
        if (Resolve(state) is not { } site)
        {
            return [];
        }

        var of = site.Clusters.FirstOrDefault(c => c.Name == cluster);
        bool Selected(PoolId pool) => of is null || pool switch
        {
            ClusterPool p => p.Cluster == of.Name,
            NetworkPool p => p.Network == of.Network.Name,
            // Its load balancer VMs' virtual_router_id comes from the VRRP pool of its network's vSwitch and VLAN.
            VrrpPool p => of.LoadBalancerVmCount > 0 && p.VSwitch == of.Network.VswitchName && p.Vlan == of.Network.VlanId,
            _ => false,
        };
        var counts = state.Allocations.GroupBy(a => a.Pool).ToDictionary(g => g.Key, g => (long)g.Count());
        return SitePlanner.Pools(site).Where(p => cluster is null || (of is not null && Selected(p.Id))).Select(p =>
        {
            var size = p.UsableSize;
            var taken = counts.GetValueOrDefault(p.Id);
            return new PoolRow(p.Id.ToString(), p.Description, size, taken, size - taken);
        }).ToList();
    }

    /// <summary>The components <see cref="Render"/> can be asked for by name.</summary>
    public static IReadOnlyList<string> Components => Rendering.SiteRenderer.Components;

    /// <summary>
    /// The configuration files of the real components for the stored plan (all components when none are named), or why none
    /// can be written: nothing stored, a component missing from the site (errors), a value a file's format cannot hold
    /// (UnrenderableValue). Warnings of files that would be incomplete come with the files.
    /// </summary>
    public static RenderAnswer Render(SiteState state, IReadOnlyCollection<string>? components, string? cluster, string? node)
    {
        if (state.Spec is null)
        {
            return new([], RequireSite(state));
        }

        if (Resolve(state) is not { } site)
        {
            return new([], Findings(state));
        }

        var findings = Rendering.SiteRenderer.Findings(site, components, cluster).ToContract();
        if (findings.HasErrors())
        {
            return new([], findings);
        }

        IReadOnlyList<Rendering.RenderedFile> files;
        try
        {
            files = Rendering.SiteRenderer.Render(site, state.Allocations, components, cluster, node);
        }
        catch (Rendering.UnrenderableValueException refused)
        {
            return new([], [refused.Finding.ToContract()]);
        }

        if (files.Count == 0)
        {
            var named = components is { Count: > 0 } ? string.Join(", ", components) : "all";
            return new([], [Contracts.Finding.Error("NothingToRender", "component",
                $"The stored site has nothing to render for '{named}'{(cluster is { } c ? $" in cluster '{c}'" : "")}{(node is { } n ? $" on '{n}'" : "")}.",
                "HAProxy and keepalived need a cluster with HAProxy VMs, Kea a Dhcp network, HNS a Windows node, MetalLB MetalLB pools; check the cluster and node names against the stored clusters.")]);
        }

        return new([.. files.Select(f => f.ToContract())], findings);
    }

    public static CapacityReport? Capacity(SiteState state) => Resolve(state) is { } site ? CapacityPlanner.Report(site, state.Allocations).ToContract() : null;

    /// <summary>
    /// Capacity of the stored site with the findings of rules added after it was applied (as warnings); a stored site
    /// without allocations is sized from its plan.
    /// </summary>
    public static CapacityAnswer StoredCapacity(SiteState state)
    {
        if (state.Spec is null)
        {
            return new(null, RequireSite(state));
        }

        var validation = SiteValidator.ValidateStored(state.Spec);
        if (validation.Resolved is not { } site)
        {
            return new(null, [.. validation.Findings.ToContract(), TrellisEngine.Unresolved(Core.Validation.Severity.Error).ToContract()]);
        }

        var allocations = state.Allocations.Count > 0 ? state.Allocations : SitePlanner.Plan(site, [], DateTimeOffset.UnixEpoch).Result;
        return new(CapacityPlanner.Report(site, allocations).ToContract(), validation.Findings.ToContract());
    }

    /// <summary>Could the stored site take these changes, with what it holds now? Null with findings when a change is not a valid question.</summary>
    public static (WhatIfAnswer? Answer, IReadOnlyList<Contracts.Finding> Findings) WhatIf(SiteState state, string question, IReadOnlyList<WhatIfChange> changes) =>
        state.Spec is null ? (null, RequireSite(state)) : WhatIfQuestions.Answer(question, state.Spec, state.Allocations, changes);

    /// <summary>Every allocation, or those of one cluster: held by its owners, or of its own pools.</summary>
    public static IReadOnlyList<Contracts.Allocation> Allocations(SiteState state, string? cluster) =>
        (cluster is null
            ? state.Allocations
            : state.Allocations.Where(a => a.Owner.Cluster == cluster || a.Pool is ClusterPool p && p.Cluster == cluster).ToList()).ToContract();
}
