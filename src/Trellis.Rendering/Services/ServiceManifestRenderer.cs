using System.Globalization;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using YamlDotNet.RepresentationModel;
using static Trellis.Rendering.YamlManifestWriter;

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
/// YamlDotNet, so no value can become YAML syntax.
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
        var documents = new List<YamlNode>();
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

        return YamlManifestWriter.Write(documents);
    }

    private static YamlMappingNode Service(ServiceVipHolder holder, ServiceSpec service, string vip, IReadOnlyList<PlacedServicePort> ports)
    {
        var annotations = new YamlMappingNode();
        var spec = new YamlMappingNode { { "type", "LoadBalancer" } };
        switch (holder)
        {
            case ServiceVipHolder.MetalLb:
                annotations.Add(MetalLbLoadBalancerIps, Text(vip));
                if (service.SharedIpKey is { } key)
                {
                    annotations.Add(MetalLbAllowSharedIp, Text(key));
                    // MetalLB shares an address only between services with the Cluster policy (or identical selectors).
                    spec.Add("externalTrafficPolicy", "Cluster");
                }

                break;
            case ServiceVipHolder.KubeVip:
                annotations.Add(KubeVipLoadBalancerIps, Text(vip));
                spec.Add("loadBalancerIP", Text(vip));
                break;
            default:
                // The AksHci cloud provider and lbagent read spec.loadBalancerIP; services sharing a key carry the same one.
                spec.Add("loadBalancerIP", Text(vip));
                break;
        }

        var portList = new YamlSequenceNode();
        foreach (var p in ports)
        {
            var port = new YamlMappingNode();
            if (ports.Count > 1)
            {
                // Kubernetes requires a name on each port of a multi-port Service.
                port.Add("name", Text($"{p.Protocol.ToLowerInvariant()}-{p.Port.ToString(CultureInfo.InvariantCulture)}"));
            }

            port.Add("protocol", Text(p.Protocol));
            port.Add("port", Number(p.Port));
            port.Add("nodePort", Number(p.NodePort));
            portList.Add(port);
        }

        spec.Add("ports", portList);
        var metadata = new YamlMappingNode { { "name", Text(service.Name) }, { "namespace", Text(service.Namespace) } };
        if (annotations.Children.Count > 0)
        {
            metadata.Add("annotations", annotations);
        }

        return new YamlMappingNode
        {
            { "apiVersion", "v1" },
            { "kind", "Service" },
            { "metadata", metadata },
            { "spec", spec },
        };
    }
}
