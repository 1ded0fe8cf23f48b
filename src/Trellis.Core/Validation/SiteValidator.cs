using System.Net;
using Trellis.Core.Addressing;
using Trellis.Core.Model;
using Trellis.Core.Planning;

namespace Trellis.Core.Validation;

/// <summary>
/// Checks a site spec against every rule of the reference and, when it holds, resolves it for planning.
/// Reports every problem at once. Pure: no I/O, no clock.
/// </summary>
public static class SiteValidator
{
    public const int MaxClusters = 1024;
    public const int MaxArcClusters = 32;

    /// <summary>
    /// Reads and validates a spec text in one go: the reader's findings, and — even when some fields could not be read —
    /// every validation finding about the other fields, so that an operator sees all problems at once.
    /// </summary>
    public static ValidationResult ValidateText(string yaml)
    {
        var read = SiteSpecReader.Read(yaml);
        if (read.Spec is not null)
        {
            var result = Validate(read.Spec);
            return result with { Findings = [.. read.Findings, .. result.Findings] };
        }

        if (read.Partial is null)
        {
            return new ValidationResult(read.Findings, null);
        }

        // A field the reader rejected stays at its default; findings at or under such a field would only repeat the problem.
        var unreadable = read.Findings.Where(f => f.Severity == Severity.Error).Select(f => f.Path).ToList();
        bool Related(string path) => unreadable.Any(u => u.Length == 0 || path == u || path.StartsWith(u + ".", StringComparison.Ordinal)
            || path.StartsWith(u + "[", StringComparison.Ordinal) || u.StartsWith(path + ".", StringComparison.Ordinal));
        // Capacity counts every node and address of the spec: a field that could not be read would skew it, unless only
        // metadata was unreadable.
        var capacity = unreadable.All(u => u == "metadata" || u.StartsWith("metadata.", StringComparison.Ordinal));
        var more = Validate(read.Partial, capacity).Findings.Where(f => !Related(f.Path));
        return new ValidationResult([.. read.Findings, .. more], null);
    }

    public static ValidationResult Validate(SiteSpec spec) => Validate(spec, capacity: true);

    /// <summary>
    /// Validates <paramref name="desired"/> as a change of the <paramref name="stored"/> spec. An error the stored spec already
    /// has (a rule added after it was applied) is a warning: the stored site stays operable, and a change is refused only for
    /// errors it brings. <see cref="ValidationResult.Site"/> is set when no error is left.
    /// </summary>
    public static ValidationResult ValidateChange(SiteSpec? stored, SiteSpec desired)
    {
        var result = Validate(desired);
        if (stored is null || !result.Findings.HasErrors())
        {
            return result;
        }

        var before = (ReferenceEquals(stored, desired) ? result : Validate(stored)).Findings
            .Where(f => f.Severity == Severity.Error).Select(f => (f.Code, f.Path, f.Message)).ToHashSet();
        var findings = result.Findings.Select(f => f.Severity == Severity.Error && before.Contains((f.Code, f.Path, f.Message)) ? Inherited(f) : f).ToList();
        return new ValidationResult(findings, findings.HasErrors() ? null : result.Resolved)
        {
            Resolved = result.Resolved,
            Inherited = findings.Where((f, i) => f.Severity != result.Findings[i].Severity).ToList(),
        };
    }

    /// <summary>How a stored spec reads: the errors of rules it was applied without are warnings.</summary>
    public static ValidationResult ValidateStored(SiteSpec stored) => ValidateChange(stored, stored);

    private static Finding Inherited(Finding f) => f with
    {
        Severity = Severity.Warning,
        Hint = $"{f.Hint} (The stored site was applied before this rule: it stays readable and operable, and only a change that makes this worse is refused.)",
    };

    private static ValidationResult Validate(SiteSpec spec, bool capacity)
    {
        var v = new ValidationContext();
        TextRules.Check(v, spec);
        Names.Check(v, Names.Dns1123Label, spec.Name, "metadata.name", "Site name");

        LoadBalancerSettings(v, spec);
        IReadOnlyList<ResolvedNetwork?> clusterNetworks = [];
        var host = spec.Model == SiteModel.AksArc ? ArcRules.ResolveLogicalNetwork(v, spec) : ResolveAksHciNetworks(v, spec, out clusterNetworks);

        var cloudAgent = spec.Model == SiteModel.AksHci ? CloudAgent(v, spec, host, clusterNetworks) : null;

        var networks = new Dictionary<string, ResolvedNetwork>(StringComparer.Ordinal);
        foreach (var n in clusterNetworks.Prepend(host).OfType<ResolvedNetwork>())
        {
            networks.TryAdd(n.Name, n);
        }

        var clusters = Clusters(v, spec, networks, host, cloudAgent);

        // Capacity counts whatever resolved, even next to other errors, so that one fix does not reveal the next; a pool whose
        // requirement depends on something that did not resolve (a cluster's load balancer setting, the cloud agent that a
        // DHCP scope excludes) is not judged. Clusters on a network that did not resolve are left out with their network.
        var unjudged = new HashSet<Ipam.PoolId>(clusters.Unjudged);
        if (spec.Model == SiteModel.AksHci && spec.CloudServiceCidr is not null && cloudAgent is null)
        {
            unjudged.UnionWith(networks.Values.Where(n => n.Dhcp is not null).Select(n => PoolIds.Dhcp(n.Name)));
        }

        var capacityInputs = capacity && host is not null
            && clusters.Counted.Select(c => c.Name).Distinct(StringComparer.Ordinal).Count() == clusters.Counted.Count;
        if (!capacityInputs)
        {
            return new ValidationResult(v.Findings, null);
        }

        var resolved = new ResolvedSite(spec, host!, clusterNetworks.OfType<ResolvedNetwork>().ToList(), cloudAgent, clusters.Counted);
        if (v.ErrorCount > 0 && SitePlanner.Pools(resolved).GroupBy(p => p.Id).Any(g => g.Count() > 1))
        {
            // Two networks (or clusters) of one name: their pools cannot be told apart, and DuplicateName says so.
            return new ValidationResult(v.Findings, null);
        }

        foreach (var finding in CapacityPlanner.Check(resolved, unjudged))
        {
            v.Add(finding);
        }

        var complete = unjudged.Count == 0 && clusters.Counted.Count == spec.Clusters.Count && clusterNetworks.All(n => n is not null);
        return new ValidationResult(v.Findings, complete && v.ErrorCount == 0 ? resolved : null) { Resolved = complete ? resolved : null };
    }

    private static ResolvedNetwork? ResolveAksHciNetworks(ValidationContext v, SiteSpec spec, out IReadOnlyList<ResolvedNetwork?> clusterNetworks)
    {
        if (spec.LogicalNetwork is not null)
        {
            v.Error("FieldNotForModel", "spec.logicalNetwork", "logicalNetwork belongs to the AksArc model.", "Set model: AksArc, or describe the network as hostNetwork.");
        }

        ResolvedNetwork? host = null;
        if (spec.HostNetwork is null)
        {
            v.Error("RequiredFieldMissing", "spec.hostNetwork", "The site has no host network (New-AksHciNetworkSetting).", "Add spec.hostNetwork.");
        }
        else
        {
            host = NetworkRules.Resolve(v, spec.HostNetwork, "spec.hostNetwork");
        }

        var list = new List<ResolvedNetwork?>();
        var names = new HashSet<string>(StringComparer.Ordinal) { spec.HostNetwork?.Name ?? "" };
        for (var i = 0; i < spec.ClusterNetworks.Count; i++)
        {
            var path = $"spec.clusterNetworks[{i}]";
            if (!names.Add(spec.ClusterNetworks[i].Name))
            {
                v.Error("DuplicateName", $"{path}.name", $"Network name '{spec.ClusterNetworks[i].Name}' is used twice.", "Give every network its own name.");
            }

            list.Add(NetworkRules.Resolve(v, spec.ClusterNetworks[i], path));
        }

        clusterNetworks = list;
        NetworksDisjoint(v, host, list);
        return host;
    }

    /// <summary>Networks that share a subnet must not hand out the same addresses (two AKS hosts on one pool break each other).</summary>
    private static void NetworksDisjoint(ValidationContext v, ResolvedNetwork? host, IReadOnlyList<ResolvedNetwork?> clusterNetworks)
    {
        var all = new List<(ResolvedNetwork Network, string Path)>();
        if (host is not null)
        {
            all.Add((host, "spec.hostNetwork"));
        }

        for (var i = 0; i < clusterNetworks.Count; i++)
        {
            if (clusterNetworks[i] is { } n)
            {
                all.Add((n, $"spec.clusterNetworks[{i}]"));
            }
        }

        for (var i = 0; i < all.Count; i++)
        {
            for (var j = i + 1; j < all.Count; j++)
            {
                var (a, ap) = all[i];
                var (b, bp) = all[j];
                if (!a.Prefix.Overlaps(b.Prefix))
                {
                    continue;
                }

                if (a.Prefix != b.Prefix)
                {
                    v.Warning("PrefixOverlapMismatch", $"{bp}.ipAddressPrefix", $"Networks '{a.Name}' ({a.Prefix}) and '{b.Name}' ({b.Prefix}) overlap but are not the same subnet.",
                        "Networks that share addresses should describe the same subnet.");
                }
                else if (a.Gateway is not null && b.Gateway is not null && !a.Gateway.Equals(b.Gateway) && a.VlanId == b.VlanId)
                {
                    v.Warning("GatewayMismatch", $"{bp}.gateway", $"Networks '{a.Name}' and '{b.Name}' share {a.Prefix} but name different gateways ({a.Gateway}, {b.Gateway}).",
                        "Use the subnet's one default gateway in both.");
                }

                foreach (var (pathA, rangeA) in ClusterRules.NetworkRanges(a, ap))
                {
                    foreach (var (pathB, rangeB) in ClusterRules.NetworkRanges(b, bp))
                    {
                        if (rangeA.Overlaps(rangeB))
                        {
                            v.Error("PoolOverlapAcrossNetworks", pathB, $"{rangeB} of network '{b.Name}' overlaps {rangeA} of network '{a.Name}' ({pathA}).",
                                "Networks that share a subnet need disjoint pools, or their API servers and nodes get the same addresses.");
                        }
                    }
                }
            }
        }
    }

    private static IPAddress? CloudAgent(ValidationContext v, SiteSpec spec, ResolvedNetwork? host, IReadOnlyList<ResolvedNetwork?> clusterNetworks)
    {
        const string path = "spec.cloudServiceCidr";
        if (spec.CloudServiceCidr is null)
        {
            if (spec.HostNetwork?.IpAllocationMethod == IpAllocationMethod.Static)
            {
                v.Error("CloudServiceCidrRequired", path, "Cloud Service IP CIDR is required when using static IP assignment.",
                    "Give the MOC cloud agent's address with its prefix length, e.g. cloudServiceCidr: 172.16.0.10/24, outside the node and VIP pools.");
            }

            return null;
        }

        if (!Prefix.TryParse(spec.CloudServiceCidr, out var prefix, out var address, out var hostBitsSet)
            || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            v.Error("InvalidCloudServiceCidr", path, $"'{spec.CloudServiceCidr}' is not an IPv4 address with a prefix length.",
                "Write the cloud agent's address and its subnet's prefix length, e.g. 172.16.0.10/24.");
            return null;
        }

        if (!hostBitsSet && prefix.Length < 32)
        {
            v.Error("CloudServiceCidrIsNetworkAddress", path, $"{spec.CloudServiceCidr} is a network address, not an address for the cloud agent.",
                $"Give one free address of {prefix} with /{prefix.Length}, e.g. {IpNumber.Format(prefix.First + 10, prefix.Family)}/{prefix.Length}.");
            return null;
        }

        foreach (var network in clusterNetworks.Prepend(host).OfType<ResolvedNetwork>())
        {
            foreach (var (rangePath, range) in ClusterRules.NetworkRanges(network, network == host ? "spec.hostNetwork" : $"network '{network.Name}'"))
            {
                if (range.Contains(address) && network.Dhcp?.Range != range)
                {
                    v.Error("CloudAgentInPool", path, $"The cloud agent address {address} lies in {range} ({rangePath}).",
                        "The cloud service IP must not overlap the VIP pool or the k8s node IP pool: choose a free address of the host subnet.");
                }
            }

            if (address.Equals(network.Gateway))
            {
                v.Error("CloudAgentIsGateway", path, $"The cloud agent address {address} is the gateway of network '{network.Name}'.", "Choose a free address.");
            }
        }

        if (host is not null && !host.Prefix.Contains(address))
        {
            v.Warning("CloudAgentOutsideHostNetwork", path, $"The cloud agent address {address} is outside the host network {host.Prefix}.",
                "It must be in the same subnet as the Windows Server cluster nodes; check that this is intended.");
        }
        else if (host is not null && (IpNumber.ToNumber(address) == host.Prefix.First || IpNumber.ToNumber(address) == host.Prefix.Last))
        {
            v.Error("CloudAgentIsNetworkOrBroadcast", path, $"{address} is the network or broadcast address of {host.Prefix}.", "Choose a host address.");
        }

        return address;
    }

    private static void LoadBalancerSettings(ValidationContext v, SiteSpec spec)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < spec.LoadBalancerSettings.Count; i++)
        {
            var lb = spec.LoadBalancerSettings[i];
            var path = $"spec.loadBalancerSettings[{i}]";
            Names.Check(v, Names.VmSize, lb.VmSize, $"{path}.vmSize", "VM size");
            if (Names.Check(v, Names.LoadBalancerSetting, lb.Name, $"{path}.name", "Load balancer setting name") && !names.Add(lb.Name))
            {
                v.Error("DuplicateName", $"{path}.name", $"Load balancer setting '{lb.Name}' is defined twice.", "Give each setting its own name.");
            }

            LoadBalancerCount(v, lb.LoadBalancerSku, lb.LoadBalancerCount, $"{path}.loadBalancerCount");
        }
    }

    /// <summary>A load balancer VM count, of a setting or of one cluster: at least one HAProxy VM, none with SKU 'none'.</summary>
    internal static void LoadBalancerCount(ValidationContext v, LoadBalancerSku sku, int? count, string path)
    {
        if (sku == LoadBalancerSku.HAProxy && count < 1)
        {
            v.Error("InvalidLoadBalancerCount", path, "The HAProxy SKU needs at least one load balancer VM.",
                "Set loadBalancerCount to 1 or more (2 or 3 for high availability), or use loadBalancerSku: none.");
        }
        else if (sku == LoadBalancerSku.None && count > 0)
        {
            v.Warning("LoadBalancerCountIgnored", path, "With SKU 'none' no load balancer VMs are deployed; the count is ignored.",
                "Remove loadBalancerCount.");
        }
    }

    /// <summary>
    /// The clusters as far as they resolve: <see cref="Counted"/> holds every cluster whose network resolved (placeholders
    /// where a setting or CIDR did not), <see cref="Unjudged"/> the pools whose requirement those placeholders leave unknown.
    /// </summary>
    private sealed record ClusterSet(IReadOnlyList<ResolvedCluster> Counted, IReadOnlySet<Ipam.PoolId> Unjudged);

    private static ClusterSet Clusters(ValidationContext v, SiteSpec spec, IReadOnlyDictionary<string, ResolvedNetwork> networks, ResolvedNetwork? host,
        IPAddress? cloudAgent)
    {
        var max = spec.Model == SiteModel.AksArc ? MaxArcClusters : MaxClusters;
        if (spec.Clusters.Count > max)
        {
            v.Error("TooManyClusters", "spec.clusters", $"{spec.Clusters.Count} clusters; at most {max} are supported.", "Split the site.");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var resolutions = new List<ClusterResolution>();
        for (var i = 0; i < spec.Clusters.Count; i++)
        {
            var c = spec.Clusters[i];
            var path = $"{ClustersPath}[{i}]";
            if (!names.Add(c.Name))
            {
                v.Error("DuplicateName", $"{path}.name", $"Cluster '{c.Name}' is defined twice.", "Give each cluster its own name.");
            }

            if (ClusterRules.Resolve(v, spec, c, path, networks, host) is { } resolution)
            {
                resolutions.Add(resolution);
            }
        }

        // The load balancer rules (MetalLB ranges, AKS Arc control plane IPs) judge every cluster whose setting resolved.
        var balanced = resolutions.Where(r => r.LoadBalancerKnown).Select(r => r.Cluster).ToList();
        if (spec.Model == SiteModel.AksArc && host is not null)
        {
            balanced = ArcRules.ResolveClusters(v, spec, host, balanced);
        }
        else if (spec.Model == SiteModel.AksHci)
        {
            balanced = MetalLbRules.ResolveAksHci(v, spec, balanced, MetalLbRules.Infrastructure(networks.Values, cloudAgent));
        }

        var counted = new List<ResolvedCluster>();
        var next = 0;
        foreach (var r in resolutions)
        {
            counted.Add(r.LoadBalancerKnown ? balanced[next++] : r.Cluster);
        }

        foreach (var c in spec.Clusters.Where(c => c.BgpPeers.Count > 0 || c.LoadBalancers.Count > 0))
        {
            MetalLbRules.BgpPeers(v, spec, c);
        }

        OverlaysDisjointFromSite(v, spec, networks.Values);
        VirtualRouterIds(v, spec, resolutions.Where(r => r.LoadBalancerKnown).Select(r => r.Cluster).ToList());
        SharedNetworkWarnings(v, spec, counted);
        foreach (var finding in DhcpLeaseRules.Check(spec, counted))
        {
            v.Add(finding);
        }

        DeploymentVms(v, spec, counted);
        return new ClusterSet(counted, resolutions.SelectMany(r => r.Unjudged).ToHashSet());
    }

    private const string ClustersPath = "spec.clusters";

    /// <summary>AksHci's tested maximum of VMs in one deployment (Resource limits, VM sizes, and regions: "Total number of VMs 200").</summary>
    public const int MaxTestedVms = 200;

    /// <summary>The management cluster VM and every cluster's control plane, worker and load balancer VMs, against the tested maximum.</summary>
    private static void DeploymentVms(ValidationContext v, SiteSpec spec, IReadOnlyList<ResolvedCluster> clusters)
    {
        if (spec.Model != SiteModel.AksHci)
        {
            return;
        }

        var vms = 1 + clusters.Sum(c => (long)c.Spec.ControlPlaneNodeCount + c.WorkerCount + c.LoadBalancerVmCount);
        if (vms > MaxTestedVms)
        {
            v.Warning("DeploymentVmsAboveTested", ClustersPath,
                $"The deployment runs {vms} VMs (the management cluster and every control plane, worker and load balancer VM); AKS hybrid is tested with at most {MaxTestedVms} in all, and an upgrade adds surge VMs on top.",
                "Beyond the tested maximum is at your own risk: split the clusters over more deployments (AKS hosts), or plan fewer, larger worker nodes.");
        }
    }

    /// <summary>Reads each cluster's overlay ranges on its own, so that the check holds whatever else of the cluster is wrong.</summary>
    private static void OverlaysDisjointFromSite(ValidationContext v, SiteSpec spec, IEnumerable<ResolvedNetwork> networks)
    {
        var list = networks.ToList();
        for (var i = 0; i < spec.Clusters.Count; i++)
        {
            var c = spec.Clusters[i];
            foreach (var (field, text) in new[] { ("podCidr", c.PodCidr), ("serviceCidr", c.ServiceCidr) })
            {
                if (!Prefix.TryParse(text, out var overlay, out _, out var hostBitsSet) || hostBitsSet)
                {
                    continue;
                }

                foreach (var n in list.Where(n => n.Prefix.Overlaps(overlay)))
                {
                    // UNCERTAIN (reference §1.10): no AKS document requires it, so a warning; but pods could not reach those addresses.
                    v.Warning("OverlayOverlapsSiteNetwork", $"{ClustersPath}[{i}].{field}",
                        $"The {field} {overlay} overlaps network '{n.Name}' ({n.Prefix}): traffic from pods to those addresses would stay in the cluster's overlay instead of reaching the network. "
                        + "AKS hybrid does not document this as a requirement, so it is a warning.",
                        "Choose pod and service CIDRs disjoint from every physical network (the defaults are 10.244.0.0/16 and 10.96.0.0/12); they cannot change after deployment.");
                }
            }
        }
    }

    /// <summary>Clusters on one AksHciClusterNetwork that share VIPs across ports can be handed duplicate VIPs (reference §3.4).</summary>
    private static void SharedNetworkWarnings(ValidationContext v, SiteSpec spec, IReadOnlyList<ResolvedCluster> clusters)
    {
        if (spec.Model != SiteModel.AksHci)
        {
            return;
        }

        foreach (var group in clusters.Where(c => c.Spec.Vnet is not null).GroupBy(c => c.Network.Name).Where(g => g.Count() > 1))
        {
            foreach (var c in group.Where(c => c.Spec.Services.Any(s => s.SharedIpKey is not null)))
            {
                v.Warning("SharedNetworkVipSharing", $"spec.clusters[{IndexOf(spec, c.Name)}].services",
                    $"Cluster '{c.Name}' shares VIPs between ports on cluster network '{c.Network.Name}', which other clusters also use; AKS hybrid can then assign one VIP twice.",
                    "Give each cluster its own cluster network, or use one port per VIP.");
            }
        }
    }

    /// <summary>keepalived's virtual_router_id must be unique on each L2 segment (vSwitch and VLAN), or VRRP instances of two clusters collide.</summary>
    private static void VirtualRouterIds(ValidationContext v, SiteSpec spec, IReadOnlyList<ResolvedCluster> clusters)
    {
        var taken = new Dictionary<(string Switch, int? Vlan, int Id), string>();
        foreach (var c in clusters.Where(c => c.Spec.VirtualRouterId is not null))
        {
            var path = $"spec.clusters[{IndexOf(spec, c.Name)}].virtualRouterId";
            var id = c.Spec.VirtualRouterId!.Value;
            if (id is < 1 or > 255)
            {
                v.Error("InvalidVirtualRouterId", path, $"virtual_router_id {id} is outside 1–255.", "Use 1–255, or omit it and Trellis picks the lowest free id of the segment.");
            }
            else if (c.LoadBalancerVmCount == 0)
            {
                v.Warning("VirtualRouterIdIgnored", path, $"Cluster '{c.Name}' has no HAProxy load balancer VMs, so no VRRP instance uses this id.", "Remove virtualRouterId.");
            }
            else if (taken.TryGetValue((c.Network.VswitchName, c.Network.VlanId, id), out var other))
            {
                v.Error("VirtualRouterIdCollision", path,
                    $"Clusters '{other}' and '{c.Name}' both use virtual_router_id {id} on vSwitch '{c.Network.VswitchName}' VLAN {c.Network.VlanId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "untagged"}; their VRRP instances would fight over the VIPs.",
                    "Give each cluster on one vSwitch and VLAN its own id, or omit it to have one planned.");
            }
            else
            {
                taken[(c.Network.VswitchName, c.Network.VlanId, id)] = c.Name;
            }
        }
    }

    internal static int IndexOf(SiteSpec spec, string clusterName)
    {
        for (var i = 0; i < spec.Clusters.Count; i++)
        {
            if (spec.Clusters[i].Name == clusterName)
            {
                return i;
            }
        }

        return -1;
    }
}
