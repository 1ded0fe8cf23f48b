using Trellis.Core.Validation;
using Trellis.Policy.Manifests;

namespace Trellis.Policy.Tests.Manifests;

/// <summary>Manifests read the way kubectl and the API machinery read them: typed lists, strict field names, bad fields dropped alone.</summary>
public sealed class ManifestReadingTests
{
    private static Finding Only(PolicySet set, string code) => Assert.Single(set.Findings, f => f.Code == code);

    [Fact]
    public void UnknownManifestField_IsNamedWithTheFieldItResembles()
    {
        var set = ManifestLoader.LoadText("""
            apiVersion: v1
            kind: Pod
            metadata: { name: web, namespace: shop }
            spec:
              containers: [ { name: c, image: i, ports: [ { containerport: 80 } ] } ]
            """, "pod.yaml");

        var f = Assert.Single(set.Findings);
        Assert.Equal("ManifestUnknownField", f.Code);
        Assert.Equal("pod.yaml#1 spec.containers[0].ports[0].containerport", f.Path);
        Assert.Contains("'containerport'", f.Message, StringComparison.Ordinal);
        Assert.Contains("Did you mean 'containerPort'?", f.Hint, StringComparison.Ordinal);
        Assert.DoesNotContain("has no containerPort", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownManifestField_ContainerPortAsAList_SaysItMustBeANumber()
    {
        var set = ManifestLoader.LoadText("""
            apiVersion: v1
            kind: Pod
            metadata: { name: web, namespace: shop }
            spec:
              containers: [ { name: c, image: i, ports: [ { containerPort: [] } ] } ]
            """, "pod.yaml");

        var f = Assert.Single(set.Findings);
        Assert.Equal("pod.yaml#1 spec.containers[0].ports[0].containerPort", f.Path);
        Assert.Contains("must be a whole number from 1 to 65535, not a list", f.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("string", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownManifestField_InANetworkPolicy_IsNamed_AndThePolicyRejectedAsKubectlWould()
    {
        // A misspelt podSelector read as absent would select every pod of the namespace.
        var set = ManifestLoader.LoadText("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: db, namespace: shop }
            spec:
              podselector: { matchLabels: { app: db } }
              ingress: [ { from: [ { podSelector: {} } ], ports: [ { port: 5432, protocl: TCP } ] } ]
            """, "np.yaml");

        Assert.Empty(set.KubernetesPolicies);
        Assert.Equal(
            [("np.yaml#1 spec.podselector", "Did you mean 'podSelector'? Field names are case-sensitive."),
             ("np.yaml#1 spec.ingress[0].ports[0].protocl", "Did you mean 'protocol'? Field names are case-sensitive.")],
            set.Findings.Select(f => (f.Path, f.Hint)));
        Assert.All(set.Findings, f => Assert.Equal("ManifestUnknownField", f.Code));
    }

    [Fact]
    public void UnknownManifestField_InACalicoRule_IsNamed_AndThePolicyRejected()
    {
        // A misspelt destination read as absent would allow traffic to every destination.
        var set = ManifestLoader.LoadText("""
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: egress-dns }
            spec:
              selector: all()
              types: [ Egress ]
              egress: [ { action: Allow, protocol: UDP, destinaton: { selector: "k8s-app == 'kube-dns'", ports: [ 53 ] } } ]
            """, "gnp.yaml");

        Assert.Empty(set.CalicoPolicies);
        var f = Only(set, "ManifestUnknownField");
        Assert.Equal("gnp.yaml#1 spec.egress[0].destinaton", f.Path);
        Assert.StartsWith("Did you mean 'destination'?", f.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownManifestField_InAPeer_IsNamedInsteadOfAnEmptyPeer()
    {
        var set = ManifestLoader.LoadText("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: db, namespace: shop }
            spec:
              podSelector: {}
              ingress: [ { from: [ { namespaceselector: {} } ] } ]
            """, "np.yaml");

        Assert.Equal("np.yaml#1 spec.ingress[0].from[0].namespaceselector", Only(set, "ManifestUnknownField").Path);
        Assert.DoesNotContain(set.Findings, f => f.Code == "PeerEmpty");
    }

    [Fact]
    public void BadContainerPort_IsSkipped_TheWorkloadAndItsOtherPortsStay()
    {
        var set = ManifestLoader.LoadText("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: { name: web, namespace: shop }
            spec:
              template:
                metadata: { labels: { app: web } }
                spec:
                  containers:
                    - name: c
                      image: i
                      ports:
                        - { name: metrics, containerPort: 70000 }
                        - { name: http, containerPort: 8080 }
                        - { name: Bad_Name, containerPort: 9090 }
                        - { name: dns, containerPort: 53, protocol: ICMP }
                        - { name: admin, containerPort: 9000, protocol: UDP }
            """, "web.yaml");

        var web = Assert.Single(set.Workloads);
        Assert.Equal("shop/web[Deployment]", web.Id);
        Assert.Equal([new ContainerPort("http", 8080, Protocol.Tcp), new ContainerPort("admin", 9000, Protocol.Udp)], web.Ports);
        Assert.Equal(
            [("ManifestInvalidValue", "web.yaml#1 spec.template.spec.containers[0].ports[0].containerPort"),
             ("PortNameInvalid", "web.yaml#1 spec.template.spec.containers[0].ports[2].name"),
             ("PortProtocolInvalid", "web.yaml#1 spec.template.spec.containers[0].ports[3].protocol")],
            set.Findings.Select(f => (f.Code, f.Path)));
    }

    [Fact]
    public void BadContainerPort_ABadPodAddressOrLabel_DropsOnlyThatField()
    {
        var set = ManifestLoader.LoadText("""
            apiVersion: v1
            kind: Pod
            metadata: { name: web, namespace: shop, labels: { app: web, bad: [ x ] } }
            spec:
              containers: [ { name: c, image: i, ports: [ { containerPort: 80 } ] } ]
            status: { podIPs: [ { ip: 10.244.0.9 }, { ip: not-an-ip } ] }
            """, "pod.yaml");

        var web = Assert.Single(set.Workloads);
        Assert.Equal(new Dictionary<string, string> { ["app"] = "web" }, web.Labels);
        Assert.Equal([System.Net.IPAddress.Parse("10.244.0.9")], web.Addresses);
        Assert.Equal(["ManifestInvalidLabel", "PodIpInvalid"], set.Findings.Select(f => f.Code));
    }

    [Fact]
    public void BadServicePort_IsSkipped_TheServiceAndItsOtherPortsStay()
    {
        var set = ManifestLoader.LoadText("""
            apiVersion: v1
            kind: Service
            metadata: { name: web, namespace: shop }
            spec:
              selector: { app: web }
              ports: [ { port: 0 }, { name: http, port: 80, targetport: http }, { port: 443, targetPort: https } ]
            """, "svc.yaml");

        var svc = Assert.Single(set.Services);
        Assert.Equal([new ServicePort(null, 443, "https", Protocol.Tcp)], svc.Ports);
        Assert.Equal(["ManifestInvalidValue", "ManifestUnknownField"], set.Findings.Select(f => f.Code));
    }

    public static TheoryData<string, string, string, Func<PolicySet, int>> TypedLists => new()
    {
        { "PodList", "v1", "{ metadata: { name: a, namespace: n }, spec: { containers: [ { name: c, image: i } ] } }", s => s.Workloads.Count },
        { "NamespaceList", "v1", "{ metadata: { name: n } }", s => s.Namespaces.Count(n => n.Declared) },
        { "ServiceList", "v1", "{ metadata: { name: a, namespace: n }, spec: { selector: { app: a }, ports: [ { port: 80 } ] } }", s => s.Services.Count },
        { "ServiceAccountList", "v1", "{ metadata: { name: a, namespace: n } }", s => s.ServiceAccounts.Count },
        { "ReplicationControllerList", "v1", "{ metadata: { name: a, namespace: n }, spec: { template: { spec: { containers: [ { name: c } ] } } } }", s => s.Workloads.Count },
        { "DeploymentList", "apps/v1", "{ metadata: { name: a, namespace: n }, spec: { template: { spec: { containers: [ { name: c } ] } } } }", s => s.Workloads.Count },
        { "StatefulSetList", "apps/v1", "{ metadata: { name: a, namespace: n }, spec: { template: { spec: { containers: [ { name: c } ] } } } }", s => s.Workloads.Count },
        { "DaemonSetList", "apps/v1", "{ metadata: { name: a, namespace: n }, spec: { template: { spec: { containers: [ { name: c } ] } } } }", s => s.Workloads.Count },
        { "ReplicaSetList", "apps/v1", "{ metadata: { name: a, namespace: n }, spec: { template: { spec: { containers: [ { name: c } ] } } } }", s => s.Workloads.Count },
        { "JobList", "batch/v1", "{ metadata: { name: a, namespace: n }, spec: { template: { spec: { containers: [ { name: c } ] } } } }", s => s.Workloads.Count },
        { "CronJobList", "batch/v1", "{ metadata: { name: a, namespace: n }, spec: { jobTemplate: { spec: { template: { spec: { containers: [ { name: c } ] } } } } } }", s => s.Workloads.Count },
        { "NetworkPolicyList", "networking.k8s.io/v1", "{ metadata: { name: a, namespace: n }, spec: { podSelector: {} } }", s => s.KubernetesPolicies.Count },
        { "NetworkPolicyList", "projectcalico.org/v3", "{ metadata: { name: a, namespace: n }, spec: { selector: all() } }", s => s.CalicoPolicies.Count },
        { "GlobalNetworkPolicyList", "projectcalico.org/v3", "{ metadata: { name: a }, spec: { selector: all() } }", s => s.CalicoPolicies.Count },
        { "TierList", "projectcalico.org/v3", "{ metadata: { name: a }, spec: { order: 100 } }", s => s.Tiers.Count },
        { "NetworkSetList", "projectcalico.org/v3", "{ metadata: { name: a, namespace: n }, spec: { nets: [ 10.0.0.0/8 ] } }", s => s.NetworkSets.Count },
        { "GlobalNetworkSetList", "projectcalico.org/v3", "{ metadata: { name: a }, spec: { nets: [ 10.0.0.0/8 ] } }", s => s.NetworkSets.Count },
        { "IPPoolList", "projectcalico.org/v3", "{ metadata: { name: a }, spec: { cidr: 10.244.0.0/16 } }", s => s.IpPools.Count },
        { "FelixConfigurationList", "projectcalico.org/v3", "{ metadata: { name: default }, spec: { vxlanVNI: 4096 } }", s => s.FelixConfigurations.Count },
        { "IngressList", "networking.k8s.io/v1", "{ metadata: { name: a, namespace: n } }", s => s.Notes.Count(n => n.Kind == "Ingress") },
    };

    [Theory]
    [MemberData(nameof(TypedLists))]
    public void TypedListItems_TakeTheListsKindAndApiVersion(string listKind, string apiVersion, string item, Func<PolicySet, int> count)
    {
        // As `kubectl get pods -A -o yaml` and the API server's list responses write them: items carry no kind or apiVersion.
        var set = ManifestLoader.LoadText($"apiVersion: {apiVersion}\nkind: {listKind}\nmetadata: {{ resourceVersion: \"1\" }}\nitems:\n  - {item}\n  - {item.Replace("name: a", "name: b", StringComparison.Ordinal).Replace("name: n }", "name: m }", StringComparison.Ordinal).Replace("name: default", "name: node.x", StringComparison.Ordinal)}\n", "dump.yaml");

        Assert.Empty(set.Findings);
        Assert.Equal(2, count(set));
    }

    [Fact]
    public void TypedListItems_WithTheirOwnKindKeepIt_AndAGenericListGivesNone()
    {
        var set = ManifestLoader.LoadText("""
            apiVersion: v1
            kind: List
            items:
              - { metadata: { name: a, namespace: n }, spec: { containers: [ { name: c } ] } }
              - { apiVersion: v1, kind: Namespace, metadata: { name: n } }
            ---
            apiVersion: v1
            kind: PodList
            items:
              - { kind: Pod, metadata: { name: b, namespace: n }, spec: { containers: [ { name: c } ] } }
              - { metadata: { name: c, namespace: n }, spec: { containers: [ { name: c } ] } }
            """, "dump.yaml");

        Assert.Equal(["n/c[Pod]"], set.Workloads.Select(w => w.Id));
        Assert.Equal(
            [("ManifestKindMissing", "dump.yaml#1 items[0].kind"), ("ManifestKindMissing", "dump.yaml#2 items[0].kind")],
            set.Findings.Select(f => (f.Code, f.Path)));
    }
}
