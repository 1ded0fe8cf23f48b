using System.Net;
using Trellis.Policy.Manifests;

namespace Trellis.Policy.Tests.Manifests;

public sealed class OwnerGroupingTests
{
    private static string Pod(string name, string owner, string ownerKind, string ip, string labels) => $$"""
        ---
        apiVersion: v1
        kind: Pod
        metadata: { name: {{name}}, namespace: shop, labels: { {{labels}} }, ownerReferences: [ { kind: {{ownerKind}}, name: {{owner}}, controller: true } ] }
        spec: { containers: [ { name: c, ports: [ { name: http, containerPort: 8080 } ] } ] }
        status: { podIP: {{ip}} }
        """;

    private const string Deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: { name: web, namespace: shop }
        spec: { replicas: 3, template: { metadata: { labels: { app: web } }, spec: { containers: [ { name: c } ] } } }
        ---
        apiVersion: apps/v1
        kind: ReplicaSet
        metadata: { name: web-5d8f, namespace: shop, ownerReferences: [ { kind: Deployment, name: web, controller: true } ] }
        spec: { template: { metadata: { labels: { app: web } }, spec: { containers: [ { name: c } ] } } }
        """;

    [Fact]
    public void OwnerGrouping_PodsOfOneDeployment_AreOneWorkload_WithEveryPodsAddress()
    {
        var set = ManifestLoader.LoadText(Deployment + "\n" + Pod("web-5d8f-a", "web-5d8f", "ReplicaSet", "10.244.1.10", "app: web, pod-template-hash: 5d8f")
            + "\n" + Pod("web-5d8f-b", "web-5d8f", "ReplicaSet", "10.244.2.10", "app: web, pod-template-hash: 5d8f"));

        var web = Assert.Single(set.ByOwner(WorkloadView.Owner).Workloads);
        Assert.Equal("shop/web[Deployment]", web.Id);
        Assert.Equal([IPAddress.Parse("10.244.1.10"), IPAddress.Parse("10.244.2.10")], web.Addresses);
        Assert.Equal(2, web.Replicas);
        Assert.Equal("8080", web.Ports.Single().Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(["shop/web-5d8f-a[Pod]", "shop/web-5d8f-b[Pod]"], set.ByOwner(WorkloadView.Pod).Workloads.Select(w => w.Id));
    }

    [Fact]
    public void OwnerGrouping_AReplicaSetWhoseOwnerIsUnknown_NamesItsPods()
    {
        var set = ManifestLoader.LoadText(Pod("api-7c9-a", "api-7c9", "ReplicaSet", "10.244.1.11", "app: api")
            + "\n" + Pod("api-7c9-b", "api-7c9", "ReplicaSet", "10.244.1.12", "app: api"));

        Assert.Equal(["shop/api-7c9[ReplicaSet]"], set.ByOwner(WorkloadView.Owner).Workloads.Select(w => w.Id));
    }

    [Fact]
    public void OwnerGrouping_StatefulSetPods_GroupDespiteTheirPodNameLabel_UnlessAPolicySelectsByIt()
    {
        var pods = Pod("db-0", "db", "StatefulSet", "10.244.1.20", "app: db, statefulset.kubernetes.io/pod-name: db-0")
            + "\n" + Pod("db-1", "db", "StatefulSet", "10.244.1.21", "app: db, statefulset.kubernetes.io/pod-name: db-1");
        const string primary = """
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: primary, namespace: shop }
            spec: { podSelector: { matchLabels: { statefulset.kubernetes.io/pod-name: db-0 } }, policyTypes: [ Ingress ] }
            """;

        var grouped = ManifestLoader.LoadText(pods).ByOwner(WorkloadView.Owner);
        var apart = ManifestLoader.LoadText(pods + "\n" + primary).ByOwner(WorkloadView.Owner);

        var db = Assert.Single(grouped.Workloads);
        Assert.Equal("shop/db[StatefulSet]", db.Id);
        Assert.Equal(new Dictionary<string, string> { ["app"] = "db" }, db.Labels);
        Assert.Equal(["shop/db-0[Pod]", "shop/db-1[Pod]"], apart.Workloads.Select(w => w.Id));
    }

    [Fact]
    public void OwnerGrouping_StatefulSetPods_StayApart_WhenAnAdminPolicyPeerSelectsByThePodNameLabel()
    {
        var pods = Pod("db-0", "db", "StatefulSet", "10.244.1.20", "app: db, statefulset.kubernetes.io/pod-name: db-0")
            + "\n" + Pod("db-1", "db", "StatefulSet", "10.244.1.21", "app: db, statefulset.kubernetes.io/pod-name: db-1");
        const string guard = """
            ---
            apiVersion: policy.networking.k8s.io/v1alpha1
            kind: AdminNetworkPolicy
            metadata: { name: guard-primary }
            spec:
              priority: 1
              subject: { namespaces: {} }
              egress: [ { action: Deny, to: [ { pods: { namespaceSelector: {}, podSelector: { matchLabels: { statefulset.kubernetes.io/pod-name: db-0 } } } } ] } ]
            """;

        var apart = ManifestLoader.LoadText(pods + "\n" + guard).ByOwner(WorkloadView.Owner);

        Assert.Equal(["shop/db-0[Pod]", "shop/db-1[Pod]"], apart.Workloads.Select(w => w.Id));
    }

    [Fact]
    public void OwnerGrouping_ATemplateWithoutPods_StaysAsItIs_AndItsReplicaSetIsNotCountedTwice()
    {
        var set = ManifestLoader.LoadText(Deployment).ByOwner(WorkloadView.Owner);

        Assert.Equal(["shop/web[Deployment]"], set.Workloads.Select(w => w.Id));
        Assert.Equal(3, set.Workloads[0].Replicas);
    }
}
