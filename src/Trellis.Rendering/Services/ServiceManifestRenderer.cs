using System.Globalization;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Rendering.Emit;

namespace Trellis.Rendering.Services;

/// <summary>Who holds a cluster's service VIPs, and so which fields of a Service ask it for the planned address.</summary>
public enum ServiceVipHolder
{
    /// <summary>AksHci SKU HAProxy: keepalived holds the VIP on the load balancer VMs, HAProxy forwards each port to the NodePort.</summary>
    HaProxy,

    /// <summary>AKS Arc, or a cluster with MetalLB pools: MetalLB's controller assigns the address, its speakers announce it.</summary>
    MetalLb,

    /// <summary>SKU none without MetalLB: kube-vip (or the operator's own load balancer, from load-balancer.json) holds the VIP.</summary>
    KubeVip,
}

/// <summary>
/// The Kubernetes Services (type LoadBalancer) of a cluster with what Trellis planned for them pinned: each port's
/// <c>nodePort</c> (the port haproxy.cfg and load-balancer.json send traffic to) and the VIP, in the fields the
/// cluster's load balancer reads. Services that share a VIP (sharedIpKey) carry the same address, and for MetalLB
/// its sharing key. Selectors and target ports stay the application's: the file is meant for
/// <c>kubectl apply --server-side --field-manager=trellis</c>, which sets only these fields. Emitted through
/// <see cref="YamlText"/>, so no value can become YAML syntax.
/// </summary>
public static class ServiceManifestRenderer
{
    /// <summary>MetalLB's prefix: every release reads metallb.universe.tf/ (0.14 and later also metallb.io/, and log the old one as deprecated).</summary>
    public const string MetalLbAnnotationPrefix = "metallb.universe.tf/";

    public const string MetalLbLoadBalancerIps = MetalLbAnnotationPrefix + "loadBalancerIPs";
    public const string MetalLbAllowSharedIp = MetalLbAnnotationPrefix + "allow-shared-ip";
    public const string KubeVipLoadBalancerIps = "kube-vip.io/loadbalancerIPs";

    /// <summary>The file of a cluster's Service manifests, relative to the rendered tree (haproxy.cfg names it beside each NodePort).</summary>
    public static string PathOf(ClusterTopology cluster) => $"clusters/{cluster.Name}/services/services.yaml";

    public static ServiceVipHolder HolderOf(ResolvedSite site, ClusterTopology cluster) =>
        SitePlanner.ServiceVipPool(site, cluster.Cluster) == PoolIds.MetalLb(cluster.Name) ? ServiceVipHolder.MetalLb
        : cluster.Cluster.LoadBalancer.LoadBalancerSku == LoadBalancerSku.HAProxy ? ServiceVipHolder.HaProxy
        : ServiceVipHolder.KubeVip;

    /// <summary>True when the cluster has a LoadBalancer service with a planned VIP, so there is something to pin.</summary>
    public static bool HasServices(ClusterTopology cluster) => cluster.ServiceVips.Any(v => v.Ports.Count > 0);

    public static string Render(ResolvedSite site, ClusterTopology cluster)
    {
        var holder = HolderOf(site, cluster);
        var documents = new List<YamlMap>();
        foreach (var service in cluster.Cluster.Spec.Services
                     .OrderBy(s => s.Namespace, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal))
        {
            var vip = cluster.ServiceVips.FirstOrDefault(v => v.Ports.Any(p => p.Namespace == service.Namespace && p.Service == service.Name));
            if (vip is null)
            {
                continue;
            }

            var ports = vip.Ports.Where(p => p.Namespace == service.Namespace && p.Service == service.Name)
                .OrderBy(p => p.Port).ThenBy(p => p.Protocol, StringComparer.Ordinal).ToList();
            documents.Add(Service(holder, service, vip.Address.ToString(), ports));
        }

        return YamlText.Documents(documents);
    }

    private static YamlMap Service(ServiceVipHolder holder, ServiceSpec service, string vip, IReadOnlyList<PlacedServicePort> ports)
    {
        var annotations = new YamlMap();
        var spec = new YamlMap { ["type"] = "LoadBalancer" };
        switch (holder)
        {
            case ServiceVipHolder.MetalLb:
                annotations[MetalLbLoadBalancerIps] = vip;
                if (service.SharedIpKey is { } key)
                {
                    annotations[MetalLbAllowSharedIp] = key;
                    // MetalLB shares an address only between services with the Cluster policy (or identical selectors).
                    spec["externalTrafficPolicy"] = "Cluster";
                }

                break;
            case ServiceVipHolder.KubeVip:
                annotations[KubeVipLoadBalancerIps] = vip;
                spec["loadBalancerIP"] = vip;
                break;
            default:
                // The AksHci cloud provider and lbagent read spec.loadBalancerIP; services sharing a key carry the same one.
                spec["loadBalancerIP"] = vip;
                break;
        }

        spec["ports"] = ports.Select(p => new YamlMap
        {
            // Kubernetes requires a name on each port of a multi-port Service.
            ["name"] = ports.Count > 1 ? $"{p.Protocol.ToLowerInvariant()}-{p.Port.ToString(CultureInfo.InvariantCulture)}" : null,
            ["protocol"] = p.Protocol,
            ["port"] = p.Port,
            ["nodePort"] = p.NodePort,
        }).ToList();
        return new YamlMap
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Service",
            ["metadata"] = new YamlMap
            {
                ["name"] = service.Name,
                ["namespace"] = service.Namespace,
                ["annotations"] = annotations.Any() ? annotations : null,
            },
            ["spec"] = spec,
        };
    }
}
