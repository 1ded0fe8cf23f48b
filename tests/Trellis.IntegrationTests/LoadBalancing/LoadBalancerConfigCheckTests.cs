using Trellis.IntegrationTests.Infrastructure;

namespace Trellis.IntegrationTests.LoadBalancing;

/// <summary>Every load balancer VM's rendered files, for every example site, as real haproxy and keepalived check them.</summary>
public class LoadBalancerConfigCheckTests
{
    public static TheoryData<string> Examples => new(ExampleState.Files);

    [Theory]
    [MemberData(nameof(Examples))]
    public void EveryLoadBalancerVm_PassesHaproxyCheck_AndKeepalivedTest(string file)
    {
        var state = ExampleState.Load(file);
        var dir = Directory.CreateTempSubdirectory("trellis-lb-check-");
        // keepalived -t fails on an interface that does not exist, so it checks inside a namespace that has eth0.
        using var ns = new NetworkNamespace("lbcheck");
        try
        {
            LoadBalancerVms.AddLocalInterface(ns, "eth0");
            var checkedVms = 0;
            foreach (var cluster in state.Site.Clusters)
            {
                var topology = LoadBalancerVms.Topology(state, cluster);
                Assert.Equal(cluster.LoadBalancerVmCount, topology.LoadBalancerVms.Count);
                foreach (var vm in topology.LoadBalancerVms)
                {
                    var vmDir = Directory.CreateDirectory(Path.Combine(dir.FullName, cluster.Name, vm.Name)).FullName;
                    var (haproxy, keepalived) = LoadBalancerVms.Write(vmDir, state.Site, topology, vm);

                    var h = Tools.Run(LoadBalancerVms.HaProxy, "-c", "-f", haproxy);
                    Assert.True(h.ExitCode == 0, $"haproxy -c exited {h.ExitCode} for {cluster.Name}/{vm.Name}:\n{h.Output}\n{File.ReadAllText(haproxy)}");
                    Assert.Contains("Configuration file is valid", h.Output, StringComparison.Ordinal);

                    var k = ns.TryExec(LoadBalancerVms.Keepalived, "-t", "-f", keepalived);
                    Assert.True(k.ExitCode == 0, $"keepalived -t exited {k.ExitCode} for {cluster.Name}/{vm.Name}:\n{k.Output}\n{File.ReadAllText(keepalived)}");
                    checkedVms++;
                }
            }

            Assert.Equal(state.Site.Clusters.Sum(c => c.LoadBalancerVmCount), checkedVms);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void HostileValuesTheWritersAccept_RoundTripInComments_AndStillPassHaproxyCheckAndKeepalivedTest()
    {
        var (site, payments) = LoadBalancerVms.Load("contoso-multicluster.yaml", "payments");
        const string name = "con’to\"so '#! {x} } $(y) ${z} `w` \\ 你好";
        var hostile = site with { Spec = site.Spec with { Name = name } };
        var dir = Directory.CreateTempSubdirectory("trellis-lb-hostile-");
        using var ns = new NetworkNamespace("lbhostile");
        try
        {
            LoadBalancerVms.AddLocalInterface(ns, "eth0");
            var (haproxy, keepalived) = LoadBalancerVms.Write(dir.FullName, hostile, payments, payments.LoadBalancerVms[0]);

            Assert.EndsWith($"of site {name}.", File.ReadLines(haproxy).First(), StringComparison.Ordinal);
            Assert.EndsWith($"of site {name}.", File.ReadLines(keepalived).First(), StringComparison.Ordinal);
            var h = Tools.Run(LoadBalancerVms.HaProxy, "-c", "-f", haproxy);
            Assert.True(h.ExitCode == 0, $"haproxy -c exited {h.ExitCode}:\n{h.Output}");
            var k = ns.TryExec(LoadBalancerVms.Keepalived, "-t", "-f", keepalived);
            Assert.True(k.ExitCode == 0, $"keepalived -t exited {k.ExitCode}:\n{k.Output}");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void TheExamples_HaveLoadBalancerVmsToCheck_SingleAndPaired()
    {
        var counts = ExampleState.Files.Select(ExampleState.Load)
            .SelectMany(s => s.Site.Clusters.Select(c => c.LoadBalancerVmCount)).Where(n => n > 0).ToList();

        Assert.Contains(1, counts);
        Assert.Contains(2, counts);
    }
}
