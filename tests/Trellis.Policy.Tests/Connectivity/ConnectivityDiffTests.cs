using Trellis.Policy.Connectivity;

namespace Trellis.Policy.Tests.Connectivity;

public sealed class ConnectivityDiffTests
{
    private const string OpenBackend = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: { name: backend-netpol, namespace: default }
        spec:
          podSelector: { matchLabels: { app: backendservice } }
          policyTypes: [Ingress, Egress]
          ingress:
            - ports: [ { port: 9090, protocol: TCP } ]
            - from: [ { podSelector: { matchLabels: { app: frontend } } } ]
              ports: [ { port: 53, protocol: UDP } ]
        """;

    [Fact]
    public void Diff_ListsWhatAChangeOpensAndCloses()
    {
        var diff = ConnectivityAnalyzer.Diff(MinimalExample.Load(), MinimalExample.Load(OpenBackend));
        Assert.Equal(
            [
                "added: 0.0.0.0-255.255.255.255 => default/backend[Deployment] : before No Connections, after TCP 9090",
                "changed: default/frontend[Deployment] => default/backend[Deployment] : before TCP 9090, after TCP 9090,UDP 53",
            ],
            diff.Lines.Select(l => l.ToString()));
        Assert.Equal(
            """
            + 0.0.0.0-255.255.255.255 => default/backend[Deployment] : TCP 9090
            + default/frontend[Deployment] => default/backend[Deployment] : UDP 53
            """.ReplaceLineEndings("\n"),
            diff.ToString());
        Assert.Empty(diff.Closing);

        var back = ConnectivityAnalyzer.Diff(MinimalExample.Load(OpenBackend), MinimalExample.Load());
        Assert.Equal(2, back.Closing.Count());
        Assert.Equal(DiffKind.Removed, back.Lines[0].Kind);
    }

    [Fact]
    public void Diff_OfTheSameManifests_IsEmpty() =>
        Assert.True(ConnectivityAnalyzer.Diff(MinimalExample.Load(), MinimalExample.Load()).IsEmpty);

    [Fact]
    public void Diff_NamesWorkloadsThatAppear()
    {
        var after = MinimalExample.Load("""
            apiVersion: v1
            kind: Pod
            metadata: { name: tools, namespace: ops }
            spec: { containers: [ { name: t, image: t } ] }
            """);
        var diff = ConnectivityAnalyzer.Diff(MinimalExample.Load(), after);
        Assert.NotEmpty(diff.Lines);
        Assert.All(diff.Lines.Where(l => l.Source.Contains("tools", StringComparison.Ordinal) || l.Destination.Contains("tools", StringComparison.Ordinal)),
            l => Assert.Equal("workload added", l.Info));
        Assert.Contains("\"diff-type\": \"added\"", ConnectivityJson.Write(diff), StringComparison.Ordinal);
        Assert.StartsWith("diff-type,src,dst,before,after,opened,closed,info\n", ConnectivityCsv.Write(diff), StringComparison.Ordinal);
    }
}
