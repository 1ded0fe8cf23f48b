using Trellis.Core.Ipam;
using Trellis.Core.Addressing;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Core.Validation;
using Trellis.Policy.Manifests;

namespace Trellis.Policy.Tests.Manifests;

/// <summary>Workloads get pod addresses from the planned overlay of the contoso example site.</summary>
public sealed class PodAddressPlannerTests
{
    private static readonly DateTimeOffset Now = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static ResolvedSite Contoso()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "examples")))
        {
            dir = dir.Parent;
        }

        var result = SiteValidator.ValidateText(File.ReadAllText(Path.Combine(dir!.FullName, "examples", "contoso-multicluster.yaml")));
        Assert.True(result.IsValid, string.Join("\n", result.Findings));
        return result.Site!;
    }

    private const string Apps = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: { name: web, namespace: shop }
        spec:
          replicas: 3
          template:
            metadata: { labels: { app: web } }
            spec: { containers: [ { name: c, image: c } ] }
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: { name: iis, namespace: shop }
        spec:
          replicas: 2
          template:
            metadata: { labels: { app: iis } }
            spec:
              nodeSelector: { kubernetes.io/os: windows }
              containers: [ { name: c, image: c } ]
        ---
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: { name: agent, namespace: kube-system }
        spec:
          template:
            metadata: { labels: { app: agent } }
            spec: { containers: [ { name: c, image: c } ] }
        ---
        apiVersion: v1
        kind: Pod
        metadata: { name: fixed, namespace: shop }
        spec: { containers: [ { name: c, image: c } ] }
        status: { podIP: 10.244.200.1 }
        """;

    [Fact]
    public void AssignAddresses_PutsEveryPodInItsNodesPlannedBlock()
    {
        var site = Contoso();
        var plan = SitePlanner.Plan(site, [], Now);
        var set = ManifestLoader.LoadText(Apps).AssignAddresses(site, "payments", plan.Result);
        var cluster = site.Clusters.Single(c => c.Name == "payments");
        var blocks = plan.Result.Where(a => a.Pool == PoolIds.Pods("payments"))
            .ToDictionary(a => a.Owner, a => Prefix.Parse(a.Address));

        var web = set.Workload("shop/web")!;
        Assert.Equal(3, web.Addresses.Count);
        Assert.Equal(["linuxpool-1", "linuxpool-2", "linuxpool-3"], web.Nodes);
        for (var i = 0; i < 3; i++)
        {
            Assert.True(blocks[PoolIds.NodeBlock(NodeVm.FromNodeName("payments", web.Nodes[i])!, 1)].Contains(web.Addresses[i]));
        }

        var iis = set.Workload("shop/iis")!;
        Assert.All(iis.Nodes, n => Assert.StartsWith("winpool-", n, StringComparison.Ordinal));
        foreach (var (node, address) in iis.Nodes.Zip(iis.Addresses))
        {
            var block = blocks[PoolIds.NodeBlock(NodeVm.FromNodeName("payments", node)!, 1)];
            // Calico for Windows keeps the first three addresses and the last of each block.
            Assert.True(IpNumber.ToNumber(address) >= block.First + 3 && IpNumber.ToNumber(address) < block.Last);
        }

        Assert.Equal(cluster.Spec.NodePools.Single(p => p.OsType == OsType.Linux).Count, set.Workload("kube-system/agent")!.Addresses.Count);
        Assert.Equal("10.244.200.1", set.Workload("shop/fixed")!.Address!.ToString());
        var all = set.Workloads.SelectMany(w => w.Addresses).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
    }

    [Fact]
    public void AssignAddresses_IsDeterministic_AndWorksWithoutAPlan()
    {
        var site = Contoso();
        var a = ManifestLoader.LoadText(Apps).AssignAddresses(site, "payments", []);
        var b = ManifestLoader.LoadText(Apps).AssignAddresses(site, "payments", []);
        Assert.Equal(a.Workloads.SelectMany(w => w.Addresses), b.Workloads.SelectMany(w => w.Addresses));
        Assert.All(a.Workloads.Where(w => w.Name != "fixed").SelectMany(w => w.Addresses), ip => Assert.True(Prefix.Parse("10.244.0.0/16").Contains(ip)));
    }

    [Fact]
    public void AssignAddresses_OnFlannel_SkipsTheNetworkAndGatewayAddresses()
    {
        var site = Contoso();
        var plan = SitePlanner.Plan(site, [], Now);
        var set = ManifestLoader.LoadText(Apps).AssignAddresses(site, "legacy", plan.Result);
        foreach (var address in set.Workload("shop/web")!.Addresses)
        {
            var lastOctet = address.GetAddressBytes()[3];
            Assert.True(lastOctet >= 2, $"{address} is a reserved address of a Flannel /24");
        }
    }

    [Fact]
    public void AssignAddresses_RejectsAnUnknownCluster() =>
        Assert.Throws<ArgumentException>(() => PolicySet.Empty.AssignAddresses(Contoso(), "nope", []));
}
