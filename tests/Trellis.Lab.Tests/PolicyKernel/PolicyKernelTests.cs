using System.Net;
using Trellis.Policy;
using Trellis.Policy.Evaluation;
using Trellis.Policy.Manifests;
using Trellis.Policy.Nftables;
using Trellis.Policy.Tests.Evaluation;

namespace Trellis.Lab.Tests.PolicyKernel;

/// <summary>The nine pods of the e2e model in namespaces of their own, once for every case of the class.</summary>
public sealed class PolicyLabFixture : IAsyncLifetime
{
    private PolicyLab? lab;

    internal PolicyLab Lab => lab ?? throw new InvalidOperationException("The policy lab did not start.");

    /// <summary>The lab's addresses are the engine's own (NetpolModel's 10.244.N.M), all on one bridge as one /16.</summary>
    internal static IReadOnlyDictionary<string, IPAddress> Addresses { get; } =
        NetpolModel.Cluster().Workloads.ToDictionary(w => w.Id, w => w.Address!, StringComparer.Ordinal);

    public async Task InitializeAsync()
    {
        Assert.True(LabCommands.IsRoot, Kernel.RootNeeded);
        lab = await PolicyLab.StartAsync(NetpolModel.Cluster().Workloads.ToDictionary(w => w.Id, w => (w.Address!, w), StringComparer.Ordinal), 16);
    }

    public async Task DisposeAsync()
    {
        if (lab is null)
        {
            return;
        }

        var node = lab.Node;
        await lab.DisposeAsync();
        var prefix = node[..^"node".Length];
        Assert.DoesNotContain(Kernel.Namespaces(), n => n.StartsWith(prefix, StringComparison.Ordinal));
    }
}

/// <summary>
/// The proof of the nftables compiler: each case's policy compiled into every pod's namespace, then a real connection from
/// every pod to every other pod on every TCP and UDP port it declares, and what the kernel let through compared with the
/// engine's verdict for the same flow. A disagreement is a finding about the compiler or the engine.
/// </summary>
public sealed class PolicyKernelTests(PolicyLabFixture fixture) : IClassFixture<PolicyLabFixture>
{
    public static IEnumerable<object[]> Cases => PolicyCases.Names;

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Kernel_DecidesEveryFlowAsTheEngine(string name)
    {
        var engine = PolicyCases.Engine(name);
        var firewalls = PodFirewall.Compile(engine, PolicyLabFixture.Addresses);
        Assert.Empty(firewalls.Findings);

        var wrong = await DisagreementsAsync(engine, firewalls.Scripts);

        Assert.True(wrong.Count == 0, $"{wrong.Count} flows where the kernel and the engine disagree:\n{string.Join("\n", wrong.Take(20))}");
    }

    [Fact]
    public async Task Kernel_CatchesAScriptThatDropsWherePassGoesOn()
    {
        // The harness must see a compiler bug: Pass turned into the end of the tier changes what the kernel lets through.
        var engine = PolicyCases.Engine("calico-tiers-pass-deny-order");
        var firewalls = PodFirewall.Compile(engine, PolicyLabFixture.Addresses);
        var broken = firewalls.Scripts.ToDictionary(s => s.Key, s => s.Value.Replace("goto ingress-t1 comment", "drop comment", StringComparison.Ordinal));
        Assert.NotEqual(firewalls.Scripts, broken);

        var wrong = await DisagreementsAsync(engine, broken);

        Assert.NotEmpty(wrong);
        Assert.All(wrong, w => Assert.Contains("engine allowed, kernel timeout", w, StringComparison.Ordinal));
    }

    [Fact]
    public async Task NftCheck_AcceptsTheScriptOfEveryPodInEveryCase()
    {
        var failures = new List<string>();
        foreach (var (name, manifests) in PolicyCases.All.Concat(PolicyCases.CheckOnly))
        {
            var firewalls = PodFirewall.Compile(PolicyEngine.Compile(NetpolModel.With(manifests)), PolicyLabFixture.Addresses);
            Assert.Empty(firewalls.Findings);
            foreach (var (pod, script) in firewalls.Scripts)
            {
                if (await fixture.Lab.CheckAsync(script) is { } error)
                {
                    failures.Add($"{name} {pod}: {error}\n{script}");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n\n", failures.Take(3)));
    }

    private async Task<List<string>> DisagreementsAsync(PolicyEngine engine, IReadOnlyDictionary<string, string> scripts)
    {
        var lab = fixture.Lab;
        await lab.LoadAsync(scripts);
        var probes = (from source in lab.Pods.Keys
                      from target in lab.Pods.Keys
                      where source != target
                      from port in lab.Pods[target].Workload.Ports
                      where port.Protocol == Protocol.Tcp || port.Protocol == Protocol.Udp
                      select new PolicyProbe(source, target, port.Protocol, port.Port)).Distinct().ToList();
        var predicted = probes.ToDictionary(p => p, p => engine.Check(new Flow(engine.FindEndpoint(p.From)!, engine.FindEndpoint(p.To)!, p.Protocol, p.Port)));
        var observed = new Dictionary<PolicyProbe, string>(await lab.ProbeAsync(probes));

        // On a loaded machine an allowed connection can take longer than the probe's second: disagreements are probed
        // once more with a longer timeout. A disagreement of policy stays.
        var doubtful = probes.Where(p => predicted[p].Allowed != (observed[p] == "open")).ToList();
        if (doubtful.Count > 0)
        {
            foreach (var (probe, seen) in await lab.ProbeAsync(doubtful, TimeSpan.FromSeconds(3)))
            {
                observed[probe] = seen;
            }
        }

        var wrong = new List<string>();
        foreach (var probe in probes)
        {
            var verdict = predicted[probe];
            var seen = observed[probe];
            Assert.True(seen is "open" or "timeout" or "dropped-locally", $"{probe}: the probe saw '{seen}', which no policy causes (the listener or the lab is broken)");
            if (verdict.Allowed != (seen == "open"))
            {
                wrong.Add($"{probe.From} -> {probe.To} {probe.Protocol} {probe.Port}: engine {(verdict.Allowed ? "allowed" : "denied")}, kernel {seen}; {verdict}");
            }
        }

        return wrong;
    }
}
