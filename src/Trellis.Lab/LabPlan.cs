using System.Net;
using System.Net.Sockets;
using Trellis.Engine;
using Finding = Trellis.Engine.Contracts.Finding;

namespace Trellis.Lab;

/// <summary>One network the lab's node VMs are on: its vSwitch (a bridge in the fabric), its VLAN, and its gateway.</summary>
/// <param name="Prefix">The network's prefix, e.g. <c>172.16.0.0/24</c>.</param>
/// <param name="Gateway">The gateway the lab puts on the fabric; null when the network has none (its nodes get no default route).</param>
/// <param name="Vlan">The VLAN the vSwitch port of each VM on this network carries (its PVID); null: untagged.</param>
public sealed record LabSegment(string Network, string VSwitch, int? Vlan, string Prefix, string? Gateway)
{
    /// <summary>Whether the network's node VMs lease their addresses: from the lab's Kea on the network's rendered file.</summary>
    public bool Dhcp { get; init; }
}

/// <summary>One node VM of the plan: the namespace number <paramref name="Index"/> holds it with its planned address.</summary>
/// <param name="Node">The Kubernetes node name, e.g. <c>control-plane-1</c>, <c>linuxpool-2</c>.</param>
/// <param name="Owner">The allocation's owner, e.g. <c>cluster/b/control-plane-1</c>.</param>
/// <param name="Address">The planned address; on a DHCP network the lease the plan expects, while the lab's node leases its own from Kea.</param>
public sealed record LabNode(int Index, string Cluster, string Node, string Owner, string Network, string Address, int PrefixLength, string? Gateway, int? Vlan, string VSwitch)
{
    /// <summary>Whether the node leases its address from its network's Kea (<see cref="LabPlan.DhcpServers"/>) instead of taking <see cref="Address"/>.</summary>
    public bool Dhcp { get; init; }

    /// <summary>Whether the node is a worker of a Windows node pool (<see cref="NodeAddressRow.Windows"/>), which the lab emulates.</summary>
    public bool Windows { get; init; }

    /// <summary>
    /// On a DHCP network, the MAC address of the reservation that pins the node (<see cref="NodeAddressRow.MacAddress"/>):
    /// the lab gives its <c>eth0</c> that address, so that Kea leases it the reserved one; null when none does.
    /// </summary>
    public string? MacAddress { get; init; }
}

/// <summary>The lab of a stored site (or of one of its clusters): its networks and its node VMs, in namespace order.</summary>
public sealed partial record LabPlan(string Site, string? Cluster, IReadOnlyList<LabSegment> Networks, IReadOnlyList<LabNode> Nodes)
{
    /// <summary>A Kea server per DHCP network of the plan, in the networks' order.</summary>
    public IReadOnlyList<LabDhcpServer> DhcpServers { get; init; } = [];

    /// <summary>A DHCP network's method, as <see cref="SiteViews.Networks"/> names it.</summary>
    private const string DhcpMethod = "Dhcp";

    /// <summary>
    /// The node VMs of the stored site, or of <paramref name="cluster"/>, each at the address the site's plan allocated it,
    /// with its network's prefix length, gateway and VLAN. Refused with findings: no site, an unknown cluster, a stored site
    /// that cannot be resolved, no node VM, two networks whose prefixes overlap (one fabric cannot route both), or a DHCP
    /// network the lab cannot serve (<see cref="LabDhcp.Plan"/>). A DHCP network gets a Kea server of its own.
    /// </summary>
    public static LabPlanAnswer From(SiteState state, string? cluster)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (SiteViews.RequireSite(state) is { Count: > 0 } missing)
        {
            return new(null, missing);
        }

        if (SiteViews.CheckCluster(state, cluster) is { Count: > 0 } unknown)
        {
            return new(null, unknown);
        }

        if (SiteViews.Findings(state).Where(f => f.Severity == Engine.Contracts.Severity.Error).ToList() is { Count: > 0 } unresolved)
        {
            return new(null, unresolved);
        }

        var networks = SiteViews.Networks(state).ToDictionary(n => n.Name, StringComparer.Ordinal);
        var clusters = SiteViews.Clusters(state, cluster);
        var order = clusters.Select((c, i) => (c.Name, i)).ToDictionary(x => x.Name, x => x.i, StringComparer.Ordinal);
        var held = SiteViews.NodeAddresses(state, cluster).Where(n => order.ContainsKey(n.Cluster)).Select(n => (Row: n, Address: IPAddress.Parse(n.Address))).ToList();

        if (held.Count == 0)
        {
            return new(null, [Finding.Error("LabNoNodes", "cluster",
                cluster is null ? "The stored site has no node VM with a planned address." : $"Cluster '{cluster}' has no node VM with a planned address.",
                "Apply a site whose clusters have node VMs on a static network (trellis apply), then bring the lab up.")]);
        }

        var segments = new List<LabSegment>();
        var findings = new List<Finding>();
        foreach (var name in held.Select(h => h.Row.Network).Distinct(StringComparer.Ordinal))
        {
            if (!networks.TryGetValue(name, out var row))
            {
                findings.Add(Finding.Error("LabUnknownNetwork", "network", $"Node VMs hold addresses of network '{name}', which the stored site does not have.", "Apply the site again (trellis apply) so that its allocations match its networks."));
                continue;
            }

            var vswitch = row.VSwitch ?? name;
            segments.Add(new LabSegment(name, vswitch, row.Vlan, row.Prefix, row.Gateway) { Dhcp = row.Method == DhcpMethod });
        }

        foreach (var (a, b) in segments.SelectMany((a, i) => segments.Skip(i + 1).Select(b => (a, b))))
        {
            var (pa, pb) = (IPNetwork.Parse(a.Prefix), IPNetwork.Parse(b.Prefix));
            if (pa.Contains(pb.BaseAddress) || pb.Contains(pa.BaseAddress))
            {
                findings.Add(Finding.Error("LabNetworksOverlap", "network", $"Networks '{a.Network}' ({a.Prefix}) and '{b.Network}' ({b.Prefix}) overlap: one lab fabric cannot route both.",
                    "Bring up one cluster at a time with --cluster, each as a lab of its own name (--name)."));
            }
        }

        if (findings.Count > 0)
        {
            return new(null, findings);
        }

        var bySegment = segments.ToDictionary(s => s.Network, StringComparer.Ordinal);
        var nodes = held
            .OrderBy(h => order[h.Row.Cluster])
            .ThenBy(h => h.Address.AddressFamily == AddressFamily.InterNetwork ? 0 : 1)
            .ThenBy(h => Number(h.Address))
            .Select((h, i) =>
            {
                var segment = bySegment[h.Row.Network];
                return new LabNode(i + 1, h.Row.Cluster, h.Row.Node, h.Row.Owner, h.Row.Network, h.Row.Address,
                    IPNetwork.Parse(segment.Prefix).PrefixLength, segment.Gateway, segment.Vlan, segment.VSwitch) { Dhcp = segment.Dhcp, Windows = h.Row.Windows, MacAddress = segment.Dhcp ? h.Row.MacAddress : null };
            })
            .ToList();
        var planned = held.ToDictionary(h => h.Row.Owner, h => h.Row, StringComparer.Ordinal);
        var (overlays, pods, refused) = PlanOverlay(SiteViews.Overlays(state, cluster), nodes, planned);
        var (servers, noServer) = LabDhcp.Plan(state, cluster, segments, networks);
        return refused.Count + noServer.Count > 0
            ? new(null, [.. refused, .. noServer])
            : WithBalancers(new LabPlan(state.SiteName!, cluster, segments, nodes) { Overlays = overlays, Pods = pods, DhcpServers = servers }, state, cluster);
    }

    private static UInt128 Number(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        var value = UInt128.Zero;
        foreach (var b in bytes[..written])
        {
            value = (value << 8) | b;
        }

        return value;
    }
}

/// <summary>The lab's plan, or the findings that say why there is none.</summary>
public sealed record LabPlanAnswer(LabPlan? Plan, IReadOnlyList<Finding> Findings);
