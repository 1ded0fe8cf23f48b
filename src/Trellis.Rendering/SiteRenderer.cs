using Trellis.Core.Ipam;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Core.Validation;
using Trellis.Rendering.Cni;
using Trellis.Rendering.Dhcp;
using Trellis.Rendering.HaProxy;
using Trellis.Rendering.Keepalived;
using Trellis.Rendering.MetalLb;
using Trellis.Rendering.Services;
using Trellis.Rendering.Windows;

namespace Trellis.Rendering;

/// <summary>
/// Renders the configuration of every real component from a site's stored plan, as a tree per cluster and node.
/// The same state gives the same files, byte for byte, so the tree can be committed and diffed.
/// </summary>
public static class SiteRenderer
{
    public static readonly IReadOnlyList<string> Components =
        ["haproxy", "keepalived", "kea", "windows-dhcp", "flannel", "calico", "hns", "metallb", "kube-vip", "lb-json", "services"];

    /// <summary>Files of the given components (all when empty), for one cluster and one node or load balancer VM when given.</summary>
    public static IReadOnlyList<RenderedFile> Render(ResolvedSite site, IReadOnlyList<Allocation> allocations,
        IReadOnlyCollection<string>? components = null, string? cluster = null, string? node = null)
    {
        bool Wanted(string c) => components is null || components.Count == 0 || components.Contains(c);
        var files = new List<RenderedFile>();
        foreach (var network in DhcpNetworks(site, cluster))
        {
            // Refused with DhcpRouterMissing (Findings): a scope without a router leaves node VMs without a default route.
            if (!DhcpScopeOptions.CanRender(network))
            {
                continue;
            }

            if (Wanted("kea"))
            {
                files.Add(new($"networks/{network.Name}/kea-dhcp4.json", KeaConfigRenderer.Render(site, network), "kea"));
            }

            if (Wanted("windows-dhcp"))
            {
                files.Add(new($"networks/{network.Name}/windows-dhcp.ps1", WindowsDhcpScriptRenderer.Render(site, network), "windows-dhcp"));
            }
        }

        foreach (var c in site.Clusters.Where(c => cluster is null || c.Name == cluster))
        {
            var topology = ClusterTopology.From(site, c, allocations);
            var dir = $"clusters/{c.Name}";
            foreach (var vm in topology.LoadBalancerVms.Where(v => node is null || v.Name == node))
            {
                if (Wanted("haproxy"))
                {
                    files.Add(new($"{dir}/load-balancers/{vm.Name}/haproxy.cfg", HaProxyConfigRenderer.Render(site, topology, vm), "haproxy"));
                }

                if (Wanted("keepalived"))
                {
                    files.Add(new($"{dir}/load-balancers/{vm.Name}/keepalived.conf", KeepalivedConfigRenderer.Render(site, topology, vm), "keepalived"));
                }
            }

            var flannel = c.Spec.PrimaryNetworkPlugin == NetworkPlugin.Flannel;
            if (node is null && flannel && Wanted("flannel"))
            {
                files.Add(new($"{dir}/flannel/net-conf.json", FlannelRenderer.NetConf(site, topology), "flannel"));
            }

            if (node is null && !flannel && Wanted("calico"))
            {
                files.Add(new($"{dir}/calico/installation.yaml", CalicoRenderer.Installation(site, topology), "calico"));
                files.Add(new($"{dir}/calico/ipamconfiguration.yaml", CalicoRenderer.IpamConfiguration(site, topology), "calico"));
                files.Add(new($"{dir}/calico/manifest-install/ippool.yaml", CalicoRenderer.IpPool(site, topology), "calico"));
                files.Add(new($"{dir}/calico/manifest-install/felixconfiguration.yaml", CalicoRenderer.FelixConfiguration(site, topology), "calico"));
            }

            foreach (var n in topology.Nodes.Where(n => node is null || n.Name == node))
            {
                if (flannel && Wanted("flannel"))
                {
                    files.Add(new($"{dir}/nodes/{n.Name}/subnet.env", FlannelRenderer.SubnetEnv(site, topology, n), "flannel"));
                }

                if (n.ControlPlane && site.Settings.KubeVipControlPlane && KubeVipRenderer.ProductRunsKubeVip(site, c) && topology.ApiServerVip is not null && Wanted("kube-vip"))
                {
                    var first = n == topology.ControlPlane.First();
                    files.Add(new($"{dir}/nodes/{n.Name}/kube-vip.yaml", KubeVipRenderer.StaticPod(site, topology, first), "kube-vip"));
                }

                if (n.Os == OsType.Windows && Wanted("hns"))
                {
                    files.Add(new($"{dir}/nodes/{n.Name}/hns-network.json", HnsNetworkRenderer.Render(site, topology, n), "hns"));
                }
            }

            if (node is not null)
            {
                continue;
            }

            if (c.Spec.LoadBalancers.Count > 0 && Wanted("metallb"))
            {
                files.Add(new($"{dir}/metallb/metallb.yaml", MetalLbRenderer.Render(site, topology), "metallb"));
            }

            // The product runs kube-vip for the API server VIP there: only what is missing is rendered (services without MetalLB).
            if (KubeVipRenderer.ProductRunsKubeVip(site, c) && topology.ServiceVips.Count > 0 && c.Spec.LoadBalancers.Count == 0 && Wanted("kube-vip"))
            {
                files.Add(new($"{dir}/kube-vip/kube-vip-services.yaml", KubeVipRenderer.Services(site, topology), "kube-vip"));
            }

            if (Wanted("lb-json"))
            {
                files.Add(new($"{dir}/load-balancer.json", LoadBalancerJsonRenderer.Render(site, topology), "lb-json"));
            }

            if (Wanted("services") && ServiceManifestRenderer.HasServices(topology))
            {
                files.Add(new(ServiceManifestRenderer.PathOf(topology), ServiceManifestRenderer.Render(site, topology), "services"));
            }
        }

        return files.OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
    }

    /// <summary>Why some of the files asked for cannot be rendered (errors) or would be incomplete (warnings).</summary>
    public static IReadOnlyList<Finding> Findings(ResolvedSite site, IReadOnlyCollection<string>? components = null, string? cluster = null)
    {
        bool Wanted(string c) => components is null || components.Count == 0 || components.Contains(c);
        var findings = new List<Finding>();
        if (Wanted("kea") || Wanted("windows-dhcp"))
        {
            findings.AddRange(DhcpNetworks(site, cluster).SelectMany(n => DhcpScopeOptions.Findings(site, n)));
        }

        if (Wanted("haproxy") || Wanted("keepalived"))
        {
            // The files name the VMs' expected leases: a warning for each VM no DHCP reservation pins there.
            findings.AddRange(DhcpLeaseRules.Check(site.Spec, site.Clusters, cluster));
        }

        return findings;
    }

    private static IEnumerable<ResolvedNetwork> DhcpNetworks(ResolvedSite site, string? cluster) =>
        site.Networks.Where(n => n.Method == IpAllocationMethod.Dhcp
            && (cluster is null || site.Clusters.Any(c => c.Name == cluster && c.Network.Name == n.Name)));
}
