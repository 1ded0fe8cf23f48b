using Trellis.Policy.Evaluation;
using Trellis.Policy.Manifests;

namespace Trellis.Policy.Tests.Calico;

/// <summary>A small cluster as manifests: shop/web and shop/api (Deployments), db/postgres (StatefulSet), and a tier.</summary>
internal static class ShopCluster
{
    public const string Workloads = """
        apiVersion: v1
        kind: Namespace
        metadata: { name: shop, labels: { team: web } }
        ---
        apiVersion: v1
        kind: Namespace
        metadata: { name: db, labels: { team: data } }
        ---
        apiVersion: v1
        kind: ServiceAccount
        metadata: { name: web-sa, namespace: shop, labels: { trust: high } }
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: { name: web, namespace: shop }
        spec:
          replicas: 2
          selector: { matchLabels: { app: web } }
          template:
            metadata: { labels: { app: web, tier: front } }
            spec:
              serviceAccountName: web-sa
              containers:
                - name: nginx
                  image: nginx
                  ports: [ { name: http, containerPort: 8080 } ]
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: { name: api, namespace: shop }
        spec:
          selector: { matchLabels: { app: api } }
          template:
            metadata: { labels: { app: api } }
            spec:
              containers:
                - name: api
                  image: api
                  ports: [ { name: http, containerPort: 80 }, { name: dns, containerPort: 53, protocol: UDP } ]
        ---
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: { name: postgres, namespace: db }
        spec:
          selector: { matchLabels: { app: postgres } }
          template:
            metadata: { labels: { app: postgres } }
            spec:
              containers:
                - name: pg
                  image: postgres
                  ports: [ { name: pg, containerPort: 5432 } ]
        ---
        apiVersion: v1
        kind: Service
        metadata: { name: postgres, namespace: db }
        spec:
          selector: { app: postgres }
          ports: [ { port: 5432, targetPort: pg } ]
        ---
        apiVersion: projectcalico.org/v3
        kind: Tier
        metadata: { name: security }
        spec: { order: 100 }
        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkSet
        metadata: { name: public-dns, labels: { role: dns } }
        spec: { nets: [ 8.8.8.0/24 ] }
        """;

    public static readonly Dictionary<string, string> Addresses = new()
    {
        ["shop/web[Deployment]"] = "10.244.1.10",
        ["shop/api[Deployment]"] = "10.244.1.20",
        ["db/postgres[StatefulSet]"] = "10.244.2.10",
    };

    public static PolicySet With(string policies, bool allowFindings = false)
    {
        var set = ManifestLoader.LoadText(Workloads + "\n---\n" + policies, "shop.yaml");
        if (!allowFindings)
        {
            Assert.Empty(set.Findings);
        }

        return set with
        {
            Workloads = set.Workloads.Select(w => w with { Addresses = [System.Net.IPAddress.Parse(Addresses[w.Id])] }).ToList(),
        };
    }

    public static Verdict Check(PolicySet set, string from, string to, Protocol protocol, int port, PolicyOptions? options = null)
    {
        var engine = PolicyEngine.Compile(set, options);
        return engine.Check(new Flow(Resolve(engine, from), Resolve(engine, to), protocol, port));
    }

    public static Verdict Check(PolicyEngine engine, string from, string to, Protocol protocol, int port) =>
        engine.Check(new Flow(Resolve(engine, from), Resolve(engine, to), protocol, port));

    public static Endpoint Resolve(PolicyEngine engine, string name) =>
        engine.FindEndpoint(name) ?? Endpoint.External(name);
}
