using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Rendering.Emit;

namespace Trellis.Rendering.MetalLb;

/// <summary>
/// kube-vip. AKS Arc and the AksHci load balancer SKU none already run kube-vip for the API server VIP
/// (reference/aks-hybrid-networking.md §3.2–§3.3, Appendix B), so a second instance would compete for the same VIP:
/// Trellis renders only what is missing there, a kube-vip for Services of type LoadBalancer when no MetalLB pool serves
/// them. The control plane static pod is rendered only on request (settings.kubeVipControlPlane), for a control plane
/// the operator brings up with kubeadm without the product.
/// </summary>
public static class KubeVipRenderer
{
    public const string Image = "ghcr.io/kube-vip/kube-vip:v1.0.1";

    public const int ApiServerPort = 6443;

    public const string Namespace = "kube-system";

    public const string ServiceAccount = "kube-vip";

    /// <summary>kubeadm ≥ 1.29 gives admin.conf its rights only through a binding kube-vip must reach the API for: during kubeadm init the first control plane mounts super-admin.conf (kube-vip issue #684).</summary>
    public static readonly KubernetesVersion SuperAdminFrom = new(1, 29, 0);

    /// <summary>Whether the product itself runs kube-vip for this cluster's API server VIP.</summary>
    public static bool ProductRunsKubeVip(ResolvedSite site, ResolvedCluster cluster) =>
        site.Model == SiteModel.AksArc || cluster.LoadBalancer.LoadBalancerSku == LoadBalancerSku.None;

    /// <summary>The kubeconfig the control plane static pod mounts: super-admin.conf on the first control plane from kubeadm 1.29 on.</summary>
    public static string KubeConfig(ResolvedCluster cluster, bool firstControlPlane) =>
        firstControlPlane && KubernetesVersion.TryParse(cluster.Spec.KubernetesVersion, out var version) && version >= SuperAdminFrom
            ? "/etc/kubernetes/super-admin.conf"
            : "/etc/kubernetes/admin.conf";

    /// <summary>The static pod that holds the API server VIP on one control plane node.</summary>
    public static string StaticPod(ResolvedSite site, ClusterTopology cluster, bool firstControlPlane)
    {
        if (!ProductRunsKubeVip(site, cluster.Cluster))
        {
            throw new InvalidOperationException($"Cluster '{cluster.Name}' has HAProxy load balancer VMs; keepalived holds its API server VIP, not kube-vip.");
        }

        var vip = cluster.ApiServerVip
            ?? throw new InvalidOperationException($"Cluster '{cluster.Name}' has no API server VIP allocated.");

        // svc_enable stays off: LoadBalancer services belong to MetalLB or the operator's own load balancer.
        var pod = new YamlMap
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new YamlMap { ["name"] = "kube-vip", ["namespace"] = Namespace },
            ["spec"] = new YamlMap
            {
                ["containers"] = new[]
                {
                    Container(
                    [
                        ("vip_arp", "true"), ("port", ApiServerPort.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("vip_interface", "eth0"),
                        ("cp_enable", "true"), ("cp_namespace", Namespace), ("svc_enable", "false"), ("vip_leaderelection", "true"),
                        ("vip_leaseduration", "5"), ("vip_renewdeadline", "3"), ("vip_retryperiod", "1"), ("address", vip.ToString()),
                    ], new[] { new YamlMap { ["name"] = "kubeconfig", ["mountPath"] = "/etc/kubernetes/admin.conf" } }),
                },
                ["hostAliases"] = new[] { new YamlMap { ["ip"] = "127.0.0.1", ["hostnames"] = new[] { "kubernetes" } } },
                ["hostNetwork"] = true,
                ["volumes"] = new[] { new YamlMap { ["name"] = "kubeconfig", ["hostPath"] = new YamlMap { ["path"] = KubeConfig(cluster.Cluster, firstControlPlane) } } },
            },
        };
        return YamlText.Document(pod,
        [
            $"kube-vip static pod for the API server VIP of cluster {cluster.Name} ({(firstControlPlane ? "first control plane: kubeadm init" : "joining control plane")}).",
            "Only for a control plane brought up without the product: AKS Arc and the load balancer SKU none already run kube-vip for this VIP.",
        ]);
    }

    /// <summary>
    /// kube-vip for Services of type LoadBalancer only (cp_enable off, so it never touches the API server VIP the product's
    /// kube-vip holds): a DaemonSet with its RBAC, each service's VIP taken from its kube-vip.io/loadbalancerIPs annotation.
    /// </summary>
    public static string Services(ResolvedSite site, ClusterTopology cluster)
    {
        if (!ProductRunsKubeVip(site, cluster.Cluster))
        {
            throw new InvalidOperationException($"Cluster '{cluster.Name}' has HAProxy load balancer VMs; HAProxy serves its LoadBalancer services.");
        }

        var documents = new[]
        {
            new YamlMap { ["apiVersion"] = "v1", ["kind"] = "ServiceAccount", ["metadata"] = new YamlMap { ["name"] = ServiceAccount, ["namespace"] = Namespace } },
            new YamlMap
            {
                ["apiVersion"] = "rbac.authorization.k8s.io/v1",
                ["kind"] = "ClusterRole",
                ["metadata"] = new YamlMap { ["name"] = "system:kube-vip-role" },
                ["rules"] = new[]
                {
                    Rule("", ["services/status"], ["update"]),
                    Rule("", ["services", "endpoints"], ["list", "get", "watch", "update"]),
                    Rule("", ["nodes"], ["list", "get", "watch", "update", "patch"]),
                    Rule("coordination.k8s.io", ["leases"], ["list", "get", "watch", "update", "create"]),
                    Rule("discovery.k8s.io", ["endpointslices"], ["list", "get", "watch", "update"]),
                },
            },
            new YamlMap
            {
                ["apiVersion"] = "rbac.authorization.k8s.io/v1",
                ["kind"] = "ClusterRoleBinding",
                ["metadata"] = new YamlMap { ["name"] = "system:kube-vip-binding" },
                ["roleRef"] = new YamlMap { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "ClusterRole", ["name"] = "system:kube-vip-role" },
                ["subjects"] = new[] { new YamlMap { ["kind"] = "ServiceAccount", ["name"] = ServiceAccount, ["namespace"] = Namespace } },
            },
            new YamlMap
            {
                ["apiVersion"] = "apps/v1",
                ["kind"] = "DaemonSet",
                ["metadata"] = new YamlMap { ["name"] = "kube-vip-services", ["namespace"] = Namespace },
                ["spec"] = new YamlMap
                {
                    ["selector"] = new YamlMap { ["matchLabels"] = new YamlMap { ["app.kubernetes.io/name"] = "kube-vip-services" } },
                    ["template"] = new YamlMap
                    {
                        ["metadata"] = new YamlMap { ["labels"] = new YamlMap { ["app.kubernetes.io/name"] = "kube-vip-services" } },
                        ["spec"] = new YamlMap
                        {
                            ["serviceAccountName"] = ServiceAccount,
                            ["hostNetwork"] = true,
                            ["nodeSelector"] = new YamlMap { ["kubernetes.io/os"] = "linux" },
                            ["containers"] = new[]
                            {
                                Container(
                                [
                                    ("vip_arp", "true"), ("vip_interface", "eth0"), ("cp_enable", "false"), ("svc_enable", "true"),
                                    ("svc_election", "true"), ("vip_leaseduration", "5"), ("vip_renewdeadline", "3"), ("vip_retryperiod", "1"),
                                ], null),
                            },
                        },
                    },
                },
            },
        };
        return YamlText.Documents(documents,
        [
            $"kube-vip for the Services of type LoadBalancer of cluster {cluster.Name}, at the VIPs Trellis planned (kube-vip.io/loadbalancerIPs).",
            "The product already runs kube-vip for the API server VIP: this instance has cp_enable off and never holds that VIP.",
        ]);
    }

    private static YamlMap Container(IEnumerable<(string Name, string Value)> env, IEnumerable<YamlMap>? mounts) => new()
    {
        ["name"] = "kube-vip",
        ["image"] = Image,
        ["imagePullPolicy"] = "IfNotPresent",
        ["args"] = new[] { "manager" },
        ["env"] = env.Select(e => new YamlMap { ["name"] = e.Name, ["value"] = e.Value }).ToList(),
        ["securityContext"] = new YamlMap { ["capabilities"] = new YamlMap { ["add"] = new[] { "NET_ADMIN", "NET_RAW" } } },
        ["volumeMounts"] = mounts,
    };

    private static YamlMap Rule(string apiGroup, string[] resources, string[] verbs) => new()
    {
        ["apiGroups"] = new[] { apiGroup },
        ["resources"] = resources,
        ["verbs"] = verbs,
    };
}
