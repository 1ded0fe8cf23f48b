using System.Globalization;
using System.Text.Json;
using Trellis.Engine.Contracts;

namespace Trellis.Lab.Tests;

/// <summary>
/// A workload's replicas as pods of the lab (Workloads/replicas.yaml: web with 3 replicas behind the Service shop/web,
/// client with 2, a DaemonSet agent, and a policy that lets only client reach web): placement, the cap, a firewall per
/// replica, the Service spreading over them, and the observed matrix over every replica pair.
/// </summary>
public sealed partial class LabWorkloadTests
{
    private const string Web = "shop/web[Deployment]";
    private const string Client = "shop/client[Deployment]";
    private const string Agent = "shop/agent[DaemonSet]";

    private static string[] NodesOf(LabPlan plan, string workload) =>
        [.. plan.Workloads.Where(w => w.Workload == workload).OrderBy(w => w.Replica).Select(w => plan.Nodes.Single(n => n.Index == w.Node).Node)];

    [Fact]
    public async Task WithWorkloads_Replicas_RoundRobinOverTheWorkersOfTheirOs_ADaemonSetOnEachWorker_EveryReplicaAnEndpointWithAFirewallOfItsOwn()
    {
        var plan = await PlanAsync("replicas.yaml");

        Assert.Equal(["linuxpool-1", "linuxpool-2"], NodesOf(plan, Agent));
        Assert.Equal(["linuxpool-1", "linuxpool-2"], NodesOf(plan, Client));
        // The DaemonSet leaves the Linux cursor where it was; client's two replicas move it on by two: web starts over.
        Assert.Equal(["linuxpool-1", "linuxpool-2", "linuxpool-1"], NodesOf(plan, Web));
        Assert.Equal(7, plan.Workloads.Count);
        Assert.Equal(7, plan.Workloads.Select(w => w.Address).Distinct().Count());
        Assert.Equal(7, plan.Workloads.Select(w => (w.Node, w.Slot)).Distinct().Count());
        // Slots are taken on each node in the order of the workloads and their replicas: linuxpool-1 holds agent, client, web, web.
        Assert.Equal([1, 2, 3, 4], plan.Workloads.Where(w => w.Node == plan.Workloads[0].Node).Select(w => w.Slot));

        var web = plan.Workloads.Where(w => w.Workload == Web).ToList();
        var clients = plan.Workloads.Where(w => w.Workload == Client).ToList();
        Assert.Equal(web.Select(w => new LabServiceEndpoint(Web, w.Address, 8443)), plan.Services.Single(s => s.Id == "shop/web").Ports.Single().Endpoints);
        // Each web replica has its own firewall at its own address, taking connections from every client replica.
        Assert.All(web, w =>
        {
            Assert.Contains($"{Web} at {w.Address} on eth0", w.Firewall, StringComparison.Ordinal);
            Assert.All(clients, c => Assert.Contains(c.Address, w.Firewall, StringComparison.Ordinal));
            Assert.Contains("drop comment \"end of tier default: denied\"", w.Firewall, StringComparison.Ordinal);
        });
        Assert.All(plan.Workloads.Where(w => w.Workload != Web), w => Assert.DoesNotContain("drop", w.Firewall, StringComparison.Ordinal));
    }

    [Fact]
    public async Task WithWorkloads_MoreReplicasThanTheCap_RunsTheFirstOnes_AndIsLabReplicasCapped()
    {
        var manifests = await LoadAsync("replicas.yaml");
        var state = site.Stored.State;

        var (two, cappedAtTwo) = LabPlan.WithWorkloads(LabPlan.From(state, "w").Plan!, state, manifests, "w", maxReplicas: 2);
        var (one, cappedAtOne) = LabPlan.WithWorkloads(LabPlan.From(state, "w").Plan!, state, manifests, "w", maxReplicas: 1);

        Assert.Equal(["linuxpool-1", "linuxpool-2"], NodesOf(two, Web));
        var finding = Assert.Single(cappedAtTwo);
        Assert.Equal(("LabReplicasCapped", Severity.Warning), (finding.Code, finding.Severity));
        Assert.Contains($"Workload {Web} has 3 pods to run, and the lab runs 2 of them", finding.Message, StringComparison.Ordinal);
        Assert.Equal(2, two.Services.Single(s => s.Id == "shop/web").Ports.Single().Endpoints.Count);
        // At one, the DaemonSet's second pod is cut too; the cap does not move the placement of the pods that run.
        Assert.Equal([Agent, Client, Web], cappedAtOne.Select(f => f.Message.Split(' ')[1]));
        Assert.All(cappedAtOne, f => Assert.Equal("LabReplicasCapped", f.Code));
        Assert.Equal(["linuxpool-1"], NodesOf(one, Agent));
        Assert.Equal(["linuxpool-1"], NodesOf(one, Web));
    }

    [Fact]
    public async Task Up_MaxReplicasBelowOne_IsRefusedByTheCommandLine()
    {
        var up = await CliAsync("lab", "up", "--cluster", "w", "-f", File("replicas.yaml"), "--max-replicas", "0");

        Assert.NotEqual(0, up.Code);
        Assert.Contains("--max-replicas is at least 1.", up.Out + up.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpProbe_Replicas_EachAnswers_TheClusterIpReachesSeveral_TheObservedMatrixIsThePredictedOne_AndDownLeavesNothing()
    {
        Assert.True(LabCommands.IsRoot, Kernel.RootNeeded);
        var file = File("replicas.yaml");

        var up = await CliAsync("lab", "up", "--cluster", "w", "-f", file);

        Assert.True(up.Code == 0, up.Out + up.Err);
        Assert.Contains("7 workload pods (3 workloads", up.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("LabReplicasCapped", up.Out, StringComparison.Ordinal);
        var plan = await PlanAsync("replicas.yaml");
        var web = plan.Workloads.Where(w => w.Workload == Web).ToList();
        var (one, two) = (plan.Workloads.First(w => w.Workload == Client), plan.Workloads.Last(w => w.Workload == Client));
        var (fromOne, fromTwo) = (Names.WorkloadPod(one.Node, one.Slot), Names.WorkloadPod(two.Node, two.Slot));
        // Every replica runs its listener and answers with its workload's id.
        Assert.All(web, w => Assert.Equal([Web], Answers(fromOne, w.Address, 8443, 1)));

        // The ClusterIP, asked again and again from one pod: the DNAT picks among the replicas.
        var service = plan.Services.Single(s => s.Id == "shop/web");
        const int Tries = 24;
        Assert.Equal(Enumerable.Repeat(Web, Tries), Answers(fromTwo, service.ClusterIp, 443, Tries));
        // The listener closes first: each connection a replica took waits in TIME_WAIT in that replica's namespace.
        var took = web.Select(w => TimeWait(Names.WorkloadPod(w.Node, w.Slot), two.Address)).ToList();
        Assert.Equal(Tries, took.Sum());
        Assert.True(took.Count(n => n > 0) >= 2, $"the ClusterIP reached one replica only: {string.Join(", ", took)}");

        var probe = await CliAsync("lab", "probe", "--cluster", "w", "-f", file, "-o", "json");

        Assert.True(probe.Code == 0, probe.Out + probe.Err);
        using var json = JsonDocument.Parse(probe.Out);
        var matrix = json.RootElement.GetProperty("probe").GetProperty("matrix");
        // From each of the 7 pods to each pod of the other workloads, on its one port: 2 × 5 + 2 × 5 + 3 × 4.
        Assert.Equal(32, matrix.GetProperty("connections").GetArrayLength());
        Assert.Equal(0, matrix.GetProperty("disagreements").GetArrayLength());
        Assert.Equal(0, matrix.GetProperty("replicaSplits").GetArrayLength());
        var observed = matrix.GetProperty("observed").EnumerateArray().Select(l => l.GetString()).ToList();
        Assert.Equal(matrix.GetProperty("predicted").EnumerateArray().Select(l => l.GetString()), observed);
        Assert.Contains($"{Client} => {Web} : TCP 8443", observed);
        Assert.DoesNotContain(observed, l => l!.StartsWith($"{Agent} => {Web}", StringComparison.Ordinal));

        var down = await new LabNetwork(Names).DownAsync();

        Assert.Equal(7, down.Killed.Count);
        Assert.DoesNotContain(Kernel.Namespaces(), n => n.StartsWith(prefix, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Probe_OneReplicaDroppingWhatTheOthersTake_IsLabReplicasDisagree_NamingThePodPairs()
    {
        Assert.True(LabCommands.IsRoot, Kernel.RootNeeded);
        var plan = await PlanAsync("replicas.yaml");
        const string DropHttps = """
            table inet trellis_pod {
              chain input {
                type filter hook input priority 0; policy accept;
                tcp dport 8443 drop
              }
            }
            """;
        var odd = plan.Workloads.First(w => w.Workload == Web);
        plan = plan with { Workloads = [.. plan.Workloads.Select(w => w == odd ? w with { Firewall = DropHttps } : w)] };
        Assert.DoesNotContain((await new LabNetwork(Names).UpAsync(plan)).Findings, f => f.Severity == Severity.Error);

        var result = await LabProbe.RunAsync(Names, await LoadAsync("replicas.yaml"));

        var split = Assert.Single(result.Matrix!.ReplicaSplits);
        Assert.Equal((Client, Web, "TCP", 8443), (split.From, split.To, split.Protocol, split.Port));
        var oddPod = Names.WorkloadPod(odd.Node, odd.Slot);
        var clients = plan.Workloads.Where(w => w.Workload == Client).Select(w => Names.WorkloadPod(w.Node, w.Slot)).ToList();
        Assert.Equal(clients.Select(c => $"{c} -> {oddPod}").Order(), split.Refused.Order());
        Assert.Equal(4, split.Connected.Count);
        var finding = Assert.Single(result.Findings, f => f.Code == "LabReplicasDisagree");
        Assert.Equal(Severity.Warning, finding.Severity);
        Assert.Contains($"{clients[0]} -> {oddPod}", finding.Message, StringComparison.Ordinal);
        // The cell is not observed allowed: not every replica pair got through.
        Assert.DoesNotContain(result.Matrix.Observed, l => l.StartsWith($"{Client} => {Web}", StringComparison.Ordinal));
        Assert.Equal(2, result.Matrix.Disagreements.Count);
    }

    /// <summary>
    /// <paramref name="count"/> TCP connections one after another from inside <paramref name="ns"/>, each read to its end
    /// (so the listener closes first); what each was told, or <c>fail</c>.
    /// </summary>
    private static IReadOnlyList<string> Answers(string ns, string address, int port, int count)
    {
        const string Program = """
            import socket, sys
            for _ in range(int(sys.argv[3])):
                try:
                    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1)
                    data = b""
                    while chunk := s.recv(512):
                        data += chunk
                    s.close()
                    print(data.decode().strip())
                except OSError:
                    print("fail")
            """;
        var text = Kernel.Run("ip", "netns", "exec", ns, "python3", "-c", Program, address, port.ToString(CultureInfo.InvariantCulture), count.ToString(CultureInfo.InvariantCulture));
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>The TCP connections from <paramref name="peer"/> that namespace <paramref name="ns"/> closed and holds in TIME_WAIT.</summary>
    private static int TimeWait(string ns, string peer) =>
        Kernel.Run("ip", "netns", "exec", ns, "ss", "-Htn", "state", "time-wait", "dst", peer).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
}
