using Trellis.Core.Model;
using Trellis.Core.Planning;

namespace Trellis.Rendering.MetalLb;

/// <summary>
/// The kube-vip static pod that holds the API server VIP on the control plane nodes: with load balancer SKU none on
/// AksHci, and always on AKS Arc, where the VIP is the cluster's control plane IP
/// (reference/aks-hybrid-networking.md §3.2–§3.3, ipam-and-load-balancing.md §A3).
/// </summary>
public static class KubeVipRenderer
{
    public const string Image = "ghcr.io/kube-vip/kube-vip:v1.0.1";

    public const int ApiServerPort = 6443;

    public static string Render(ResolvedSite site, ClusterTopology cluster)
    {
        if (site.Model == SiteModel.AksHci && cluster.Cluster.LoadBalancer.LoadBalancerSku == LoadBalancerSku.HAProxy)
        {
            throw new InvalidOperationException($"Cluster '{cluster.Name}' has HAProxy load balancer VMs; keepalived holds its API server VIP, not kube-vip.");
        }

        var vip = cluster.ApiServerVip
            ?? throw new InvalidOperationException($"Cluster '{cluster.Name}' has no API server VIP allocated.");

        // svc_enable stays off: LoadBalancer services belong to MetalLB or the operator's own load balancer.
        return $"""
            apiVersion: v1
            kind: Pod
            metadata:
              name: kube-vip
              namespace: kube-system
            spec:
              containers:
                - name: kube-vip
                  image: {Image}
                  imagePullPolicy: IfNotPresent
                  args:
                    - manager
                  env:
                    - name: vip_arp
                      value: "true"
                    - name: port
                      value: "{ApiServerPort}"
                    - name: vip_interface
                      value: eth0
                    - name: cp_enable
                      value: "true"
                    - name: cp_namespace
                      value: kube-system
                    - name: svc_enable
                      value: "false"
                    - name: vip_leaderelection
                      value: "true"
                    - name: vip_leaseduration
                      value: "5"
                    - name: vip_renewdeadline
                      value: "3"
                    - name: vip_retryperiod
                      value: "1"
                    - name: address
                      value: "{vip}"
                  securityContext:
                    capabilities:
                      add:
                        - NET_ADMIN
                        - NET_RAW
                  volumeMounts:
                    - name: kubeconfig
                      mountPath: /etc/kubernetes/admin.conf
              hostAliases:
                - ip: 127.0.0.1
                  hostnames:
                    - kubernetes
              hostNetwork: true
              volumes:
                - name: kubeconfig
                  hostPath:
                    path: /etc/kubernetes/admin.conf

            """.ReplaceLineEndings("\n");
    }
}
