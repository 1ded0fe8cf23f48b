using System.Text;
using Trellis.Engine;
using Trellis.Lab.Tests.PolicyKernel;
using Trellis.Policy.Tests.Evaluation;

namespace Trellis.Lab.Tests;

/// <summary>
/// The Kubernetes e2e policy model (pods x/a … z/c, each serving TCP and UDP 80 and 81) brought up by the lab itself in a
/// stored site's cluster — workload pods on the overlay, the policy compiled into each pod's firewall, real connections
/// between every pair — with policy cases the suite already holds (PolicyKernel/PolicyCases): the observed matrix must be
/// the engine's prediction, and the policy must have dropped something, so that agreement is not all-allowed on both sides.
/// </summary>
public sealed class LabE2eTests(LabWorkloadTests.Site site) : IClassFixture<LabWorkloadTests.Site>, IAsyncLifetime
{
    private readonly LabNames names = new(LabNames.TestPrefix, $"e{Guid.NewGuid():N}"[..9]);

    public Task InitializeAsync()
    {
        Assert.True(LabCommands.IsRoot, Kernel.RootNeeded);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (LabCommands.IsRoot)
        {
            await new LabNetwork(names).DownAsync();
        }
    }

    /// <summary>The e2e model as manifests: the namespaces with their <c>ns</c> label, a bare Pod per name with its <c>pod</c> label and named ports.</summary>
    private static string Model()
    {
        var text = new StringBuilder();
        foreach (var ns in NetpolModel.Namespaces)
        {
            text.Append($"apiVersion: v1\nkind: Namespace\nmetadata: {{ name: {ns}, labels: {{ ns: {ns} }} }}\n---\n");
            foreach (var pod in NetpolModel.Pods)
            {
                text.Append($"apiVersion: v1\nkind: Pod\nmetadata: {{ name: {pod}, namespace: {ns}, labels: {{ pod: {pod} }} }}\nspec:\n  containers:\n    - name: serve\n      image: agnhost\n      ports:\n");
                foreach (var port in new[] { 80, 81 })
                {
                    text.Append($"        - {{ name: serve-{port}-tcp, containerPort: {port}, protocol: TCP }}\n        - {{ name: serve-{port}-udp, containerPort: {port}, protocol: UDP }}\n");
                }

                text.Append("---\n");
            }
        }

        return text.ToString();
    }

    [Theory]
    [InlineData("e2e-default-deny-ingress")]
    [InlineData("e2e-namespace-selector")]
    [InlineData("e2e-named-port-egress")]
    [InlineData("calico-tiers-pass-deny-order")]
    [InlineData("admin-priority-pass-baseline")]
    public async Task UpAndProbe_E2eCase_TheObservedMatrixIsTheEnginesPrediction(string name)
    {
        await using var session = EngineSession.OpenSqlite(site.Stored.StatePath, write: false);
        var context = (await session.Engine.PolicyContextAsync("w")).Answer!;
        var manifests = NetworkPolicyService.Load([new ManifestText("model.yaml", Model()), .. PolicyCases.All[name].Select((m, i) => new ManifestText($"case-{i}.yaml", m))], context);
        Assert.DoesNotContain(manifests.Findings, f => f.Severity == Engine.Contracts.Severity.Error);
        var (plan, findings) = LabPlan.WithWorkloads(LabPlan.From(site.Stored.State, "w").Plan!, site.Stored.State, manifests, "w");
        Assert.Empty(findings);
        Assert.Equal(9, plan.Workloads.Count);
        Assert.All(plan.Workloads, w => Assert.NotNull(w.Firewall));

        var up = await new LabNetwork(names).UpAsync(plan);
        Assert.Empty(up.Findings);
        var probe = await LabProbe.RunAsync(names, manifests);

        var matrix = probe.Matrix!;
        Assert.Equal(9 * 8 * 4, matrix.Connections.Count);
        Assert.True(matrix.Disagreements.Count == 0, string.Join("\n", matrix.Disagreements.Select(d => $"{d.From} -> {d.To} {d.Protocol} {d.Port}: connected {d.Connected}, predicted {d.Predicted} ({d.Path})")));
        Assert.Contains(matrix.Connections, c => !c.Connected);
        Assert.Contains(matrix.Connections, c => c.Connected);
    }
}
