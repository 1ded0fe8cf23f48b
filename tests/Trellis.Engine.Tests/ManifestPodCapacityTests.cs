using Trellis.Core.Planning;
using Trellis.Core.Validation;
using Trellis.Engine.Contracts;
using Finding = Trellis.Engine.Contracts.Finding;
using Severity = Trellis.Engine.Contracts.Severity;

namespace Trellis.Engine.Tests;

/// <summary>Pods the manifests declare against maxPodCount × nodes of the cluster they run in (a warning).</summary>
public sealed class ManifestPodCapacityTests
{
    /// <summary>Cluster b of the worked example: 3 Linux workers at the default maxPodCount of 110, so 330 pods.</summary>
    private static PolicyContext ClusterB()
    {
        var site = SiteValidator.Validate(EngineFixture.Example("worked-example.yaml")).Site!;
        var (context, findings) = NetworkPolicyService.ContextFrom(site, SitePlanner.Plan(site, [], DateTimeOffset.UnixEpoch).Result, "b");
        Assert.Empty(findings);
        return context!;
    }

    private IReadOnlyList<Finding> Load(int webReplicas, string extra = "")
    {
        var text = $$"""
            apiVersion: apps/v1
            kind: Deployment
            metadata: { name: web, namespace: shop }
            spec:
              replicas: {{webReplicas}}
              selector: { matchLabels: { app: web } }
              template:
                metadata: { labels: { app: web } }
                spec:
                  containers: [{ name: web, image: nginx }]
            ---
            apiVersion: apps/v1
            kind: DaemonSet
            metadata: { name: agent, namespace: monitoring }
            spec:
              selector: { matchLabels: { app: agent } }
              template:
                metadata: { labels: { app: agent } }
                spec:
                  containers: [{ name: agent, image: agent }]
            {{extra}}
            """;
        return NetworkPolicyService.Load([new ManifestText("app.yaml", text)], ClusterB()).Findings;
    }

    [Fact]
    public void Load_WarnsWhenTheManifestsDeclareMorePodsThanMaxPodCountTimesNodes()
    {
        // 328 replicas + the DaemonSet's 3 = 331 > 3 × 110.
        var finding = Assert.Single(Load(328), f => f.Code == "PodsExceedMaxPodCount");

        Assert.Equal(Severity.Warning, finding.Severity);
        Assert.Equal("spec.clusters[1].nodePools", finding.Path);
        Assert.Contains("331 Linux pods", finding.Message, StringComparison.Ordinal);
        Assert.Contains("at most 330", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SaysNothing_WhenThePodsFit()
    {
        Assert.DoesNotContain(Load(327), f => f.Code == "PodsExceedMaxPodCount");
    }

    [Fact]
    public void Load_WarnsAboutWindowsPods_WhenTheClusterHasNoWindowsNodes()
    {
        const string windows = """
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: { name: iis, namespace: shop }
            spec:
              replicas: 1
              selector: { matchLabels: { app: iis } }
              template:
                metadata: { labels: { app: iis } }
                spec:
                  nodeSelector: { kubernetes.io/os: windows }
                  containers: [{ name: iis, image: iis }]
            """;

        var finding = Assert.Single(Load(1, windows), f => f.Code == "PodsExceedMaxPodCount");

        Assert.Contains("1 Windows pods", finding.Message, StringComparison.Ordinal);
        Assert.Contains("the 0 Windows worker nodes", finding.Message, StringComparison.Ordinal);
    }
}
