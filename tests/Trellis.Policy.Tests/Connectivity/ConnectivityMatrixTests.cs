using Trellis.Policy.Connectivity;
using Trellis.Policy.Evaluation;
using Trellis.Policy.Manifests;

namespace Trellis.Policy.Tests.Connectivity;

public sealed class ConnectivityMatrixTests
{
    [Fact]
    public void Matrix_OfNetpolAnalyzersMinimalExample_IsItsDocumentedOutput()
    {
        var report = ConnectivityAnalyzer.Matrix(MinimalExample.Load());
        Assert.Equal(
            """
            0.0.0.0-255.255.255.255 => default/frontend[Deployment] : TCP 8080
            default/frontend[Deployment] => 0.0.0.0-255.255.255.255 : UDP 53
            default/frontend[Deployment] => default/backend[Deployment] : TCP 9090

            """.ReplaceLineEndings("\n"),
            ConnectivityText.Write(report));
    }

    [Fact]
    public void Matrix_SplitsTheOutsideAtTheIpBlocksThatPoliciesMention_AndMergesRangesThatBehaveAlike()
    {
        var set = MinimalExample.Load("""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: frontend-https-out, namespace: default }
            spec:
              podSelector: { matchLabels: { app: frontend } }
              policyTypes: [Egress]
              egress:
                - to: [ { ipBlock: { cidr: 10.0.0.0/8, except: [ 10.1.0.0/16 ] } } ]
                  ports: [ { port: 443 } ]
            """);
        var lines = ConnectivityAnalyzer.Matrix(set).Lines.Select(l => l.ToString()).ToList();
        Assert.Contains("default/frontend[Deployment] => 10.0.0.0-10.0.255.255,10.2.0.0-10.255.255.255 : TCP 443,UDP 53", lines);
        Assert.Contains("default/frontend[Deployment] => 0.0.0.0-9.255.255.255,10.1.0.0-10.1.255.255,11.0.0.0-255.255.255.255 : UDP 53", lines);
    }

    [Fact]
    public void Matrix_WithoutPolicies_IsAllConnections_AndLeavesSelfOut()
    {
        var report = ConnectivityAnalyzer.Matrix(ManifestLoader.LoadText(MinimalExample.Workloads));
        Assert.Equal(
            [
                "0.0.0.0-255.255.255.255 => default/backend[Deployment] : All Connections",
                "0.0.0.0-255.255.255.255 => default/frontend[Deployment] : All Connections",
                "default/backend[Deployment] => 0.0.0.0-255.255.255.255 : All Connections",
                "default/backend[Deployment] => default/frontend[Deployment] : All Connections",
                "default/frontend[Deployment] => 0.0.0.0-255.255.255.255 : All Connections",
                "default/frontend[Deployment] => default/backend[Deployment] : All Connections",
            ],
            report.Lines.Select(l => l.ToString()));
        Assert.Null(report.Cell("default/backend[Deployment]", "default/backend[Deployment]"));
    }

    [Fact]
    public void Matrix_OnFlannel_AllowsEverything_AndSaysWhy()
    {
        var report = ConnectivityAnalyzer.Matrix(MinimalExample.Load(), PolicyOptions.Flannel);
        Assert.False(report.Enforced);
        Assert.All(report.Lines, l => Assert.True(l.Connections.IsAll));
        Assert.StartsWith("# the cluster's network plugin (Flannel) enforces no network policy", ConnectivityText.Write(report), StringComparison.Ordinal);
    }

    [Fact]
    public void Matrix_ExcludesThePodCidrFromTheOutside()
    {
        var report = ConnectivityAnalyzer.Matrix(MinimalExample.Load(),
            PolicyOptions.Calico with { PodCidrs = [Trellis.Core.Addressing.Prefix.Parse("10.244.0.0/16")] });
        Assert.Contains("default/frontend[Deployment] => 0.0.0.0-10.243.255.255,10.245.0.0-255.255.255.255 : UDP 53", report.Lines.Select(l => l.ToString()));
    }

    [Fact]
    public void Matrix_ShowsCalicoProtocolsAndIcmp()
    {
        var set = ManifestLoader.LoadText(MinimalExample.Workloads + """

            ---
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: { name: backend, namespace: default }
            spec:
              selector: app == 'backendservice'
              ingress:
                - { action: Allow, protocol: ICMP, icmp: { type: 8 } }
                - { action: Allow, protocol: TCP, destination: { ports: ["9000:9100"], notPorts: [9050] } }
            """);
        var cell = ConnectivityAnalyzer.Matrix(set).Cell("default/frontend[Deployment]", "default/backend[Deployment]")!;
        Assert.Equal("ICMP type 8,TCP 9000-9049,9051-9100", cell.ToString());
    }

    [Fact]
    public void Writers_JsonAndCsv()
    {
        var report = ConnectivityAnalyzer.Matrix(MinimalExample.Load());
        var json = ConnectivityJson.Write(report);
        Assert.Contains("\"src\": \"default/frontend[Deployment]\"", json, StringComparison.Ordinal);
        Assert.Contains("\"conn\": \"TCP 9090\"", json, StringComparison.Ordinal);
        using (var doc = System.Text.Json.JsonDocument.Parse(json))
        {
            Assert.Equal(3, doc.RootElement.GetArrayLength());
        }

        var csv = ConnectivityCsv.Write(report with
        {
            Lines = [new ConnectivityLine("a", "b", ConnectionSet.Create([(Protocol.Tcp, IntervalSet.Of(80, 80)), (Protocol.Udp, IntervalSet.Of(53, 53))], false))],
        });
        Assert.Equal("src,dst,conn\na,b,\"TCP 80,UDP 53\"\n", csv);
    }
}
