using Trellis.TestSupport;

namespace Trellis.Engine.Tests;

/// <summary>The workloads and Services of loaded manifests as the lab runs them, and the matrix's cells asked port by port.</summary>
public sealed class ManifestWorkloadsTests
{
    private static ManifestSet Shop => NetworkPolicyService.Load([new("shop.yaml", File.ReadAllText(Path.Combine(ExampleState.ExamplesDirectory, "manifests", "shop.yaml")))]);

    [Fact]
    public void Workloads_Shop_AreTheMatrixWorkloadsWithTheirOsReplicasAndPorts()
    {
        var workloads = ManifestWorkloads.Workloads(Shop);

        Assert.Equal(NetworkPolicyService.Matrix(Shop).Nodes.Where(n => !n.IsExternal).Select(n => n.Name), workloads.Select(w => w.Id));
        var api = workloads.Single(w => w.Id == "shop/api[Deployment]");
        Assert.Equal(("windows", 2, false), (api.Os, api.Replicas, api.HostNetwork));
        Assert.Equal([new WorkloadPortRow("http", 8080, "TCP")], api.Ports);
        Assert.Null(workloads.Single(w => w.Id == "monitoring/scraper[DaemonSet]").Replicas);
    }

    [Fact]
    public void Services_Shop_SelectTheirWorkloadsWithNamedTargetPorts()
    {
        var db = ManifestWorkloads.Services(Shop).Single(s => s.Name == "db");

        Assert.Equal(["shop/db[StatefulSet]"], db.Workloads);
        Assert.Equal([new ServicePortRow(null, 5432, "postgres", "TCP")], db.Ports);
    }

    [Fact]
    public void Connections_AllowsAndOf_AnswerPortByPortAndPrintAsTheMatrix()
    {
        var matrix = NetworkPolicyService.Matrix(Shop);
        var index = matrix.Nodes.Select((n, i) => (n.Name, i)).ToDictionary(x => x.Name, x => x.i);

        var webToDb = matrix.Cell(index["shop/web[Deployment]"], index["shop/db[StatefulSet]"])!.Value;

        Assert.True(webToDb.Allows("TCP", 5432));
        Assert.True(webToDb.Allows("tcp", 5432));
        Assert.False(webToDb.Allows("TCP", 5433));
        Assert.False(webToDb.Allows("UDP", 5432));
        Assert.Equal("TCP 80,443,UDP 53", Connections.Of([("TCP", 443), ("UDP", 53), ("TCP", 80)]).ToString());
        Assert.True(Connections.Of([]).IsEmpty);
    }
}
