using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Trellis.Engine;
using Trellis.Lab;

namespace Trellis.Benchmarks;

/// <summary>
/// The lab of a cluster of 10 node VMs (1 control plane VM, 9 Linux workers) and 100 workload pods (100 Deployments of one
/// replica, each listening on TCP 8080; round robin over the workers), plus the lab's own probe pod per node: the time to
/// bring it up, to probe it (every pair of node VMs and probe pods pinged, every workload pod connecting to every other's
/// port), and to take it down. Needs root; its namespaces are <c>trellis-test-lab-bench-*</c>. Each iteration brings one
/// lab up or down whole, so the job runs a few iterations of one invocation each (docs/benchmarks.md, section 10).
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 0, iterationCount: 3, invocationCount: 1)]
public class LabBenchmarks
{
    public const int Workers = 9;
    public const int Workloads = 100;

    private readonly LabNames names = new(LabNames.TestPrefix, "bench");
    private DirectoryInfo? folder;
    private LabPlan? plan;
    private ManifestSet? manifests;

    /// <summary>What the last probe did: pings and connections, and whether every one got through as the engine predicts.</summary>
    public static string LastProbe { get; private set; } = "";

    [GlobalSetup]
    public async Task Setup()
    {
        if (!LabCommands.IsRoot)
        {
            throw new InvalidOperationException("The lab benchmarks make network namespaces: run them as root.");
        }

        await LabNetwork.DownAllAsync($"{LabNames.TestPrefix}bench-");
        folder = Directory.CreateTempSubdirectory("trellis-lab-bench-");
        var specPath = Path.Combine(folder.FullName, "site.yaml");
        File.WriteAllText(specPath, SiteYaml());
        var read = SiteSpecs.ReadFile(specPath);
        await using var session = EngineSession.OpenSqlite(Path.Combine(folder.FullName, "state.db"), write: true);
        var applied = await session.Engine.ApplyAsync(read.Document!);
        if (!applied.Applied)
        {
            throw new InvalidOperationException(string.Join("\n", applied.Findings));
        }

        var state = await session.Engine.ReadAsync();
        var context = await session.Engine.PolicyContextAsync("bench");
        manifests = NetworkPolicyService.Load([new ManifestText("bench.yaml", ManifestsYaml())], context.Answer);
        var (withWorkloads, findings) = LabPlan.WithWorkloads(LabPlan.From(state, "bench").Plan!, state, manifests, "bench");
        if (withWorkloads.Workloads.Count != Workloads || findings.Count > 0)
        {
            throw new InvalidOperationException($"{withWorkloads.Workloads.Count} workload pods planned: {string.Join("\n", findings)}");
        }

        plan = withWorkloads;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        new LabNetwork(names).DownAsync().GetAwaiter().GetResult();
        folder?.Delete(recursive: true);
        Console.WriteLine($"// Lab probe: {LastProbe}");
    }

    [IterationSetup(Targets = [nameof(Probe), nameof(Down)])]
    public void BringUp() => UpOrThrow();

    [IterationCleanup(Targets = [nameof(Up), nameof(Probe)])]
    public void TakeDown() => new LabNetwork(names).DownAsync().GetAwaiter().GetResult();

    /// <summary>The 10 node VMs, 10 probe pods and 100 workload pods with their listeners, from nothing.</summary>
    [Benchmark]
    public int Up() => UpOrThrow();

    /// <summary>Every ping and every connection of <c>lab probe -f</c>.</summary>
    [Benchmark]
    public int Probe()
    {
        var probe = LabProbe.RunAsync(names, manifests).GetAwaiter().GetResult();
        var connections = probe.Matrix?.Connections.Count ?? 0;
        LastProbe = string.Create(CultureInfo.InvariantCulture,
            $"{probe.Pairs.Count} pings ({probe.Unreachable.Count} unreachable), {connections} connections ({probe.Matrix?.Disagreements.Count ?? -1} disagreeing with the engine)");
        return probe.Pairs.Count + connections;
    }

    /// <summary>Every namespace and process of the lab removed.</summary>
    [Benchmark]
    public int Down() => new LabNetwork(names).DownAsync().GetAwaiter().GetResult().Removed.Count;

    private int UpOrThrow()
    {
        var up = new LabNetwork(names).UpAsync(plan!).GetAwaiter().GetResult();
        return up.Findings.Count == 0 ? up.Namespaces.Count : throw new InvalidOperationException(string.Join("\n", up.Findings));
    }

    private static string SiteYaml() => $$"""
        apiVersion: trellis/v1
        kind: Site
        metadata: { name: labbench }
        spec:
          hostNetwork:
            name: benchnet
            vswitchName: External
            ipAllocationMethod: Static
            ipAddressPrefix: 172.16.0.0/24
            gateway: 172.16.0.1
            dnsServers: [172.16.0.2]
            k8sNodeIpPoolStart: 172.16.0.20
            k8sNodeIpPoolEnd: 172.16.0.60
            vipPoolStart: 172.16.0.150
            vipPoolEnd: 172.16.0.160
          cloudServiceCidr: 172.16.0.10/24
          settings:
            managementClusterVip: false
          loadBalancerSettings:
            - { name: byolb, loadBalancerSku: none }
          clusters:
            - name: bench
              loadBalancerSettings: byolb
              controlPlaneNodeCount: 1
              nodePools:
                - { name: linux, osType: Linux, count: {{Workers}} }
        """;

    private static string ManifestsYaml()
    {
        var text = new StringBuilder("apiVersion: v1\nkind: Namespace\nmetadata: { name: bench }\n");
        for (var i = 0; i < Workloads; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $$"""
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata: { name: w{{i:000}}, namespace: bench }
                spec:
                  replicas: 1
                  selector: { matchLabels: { app: w{{i:000}} } }
                  template:
                    metadata: { labels: { app: w{{i:000}} } }
                    spec:
                      containers:
                        - { name: app, image: app, ports: [{ name: http, containerPort: 8080 }] }

                """);
        }

        return text.ToString();
    }
}
