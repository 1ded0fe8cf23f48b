using System.Text.Json;
using Trellis.Engine.Contracts;
using Trellis.TestSupport;

namespace Trellis.Engine.Tests;

/// <summary>
/// The network policy questions as every front end asks them: manifests as texts, the cluster as a context from a spec
/// text or from the store, and answers in the Engine's own types with findings in the model's words.
/// </summary>
public sealed class NetworkPolicyServiceTests
{
    private static readonly string ShopText = File.ReadAllText(Path.Combine(ExampleState.ExamplesDirectory, "manifests", "shop.yaml"));

    private static readonly string ContosoText = File.ReadAllText(Path.Combine(ExampleState.ExamplesDirectory, "contoso-multicluster.yaml"));

    private static IReadOnlyList<ManifestText> Shop => [new("shop.yaml", ShopText)];

    /// <summary>The shop without the policy that lets the web front end reach the database.</summary>
    private static IReadOnlyList<ManifestText> ShopWithoutDbFromFront =>
        [new("shop.yaml", string.Join("\n---\n", ShopText.Split("\n---\n").Where(d => !d.Contains("name: db-from-front", StringComparison.Ordinal))))];

    private static PolicyContext Cluster(string name)
    {
        var (context, findings) = NetworkPolicyService.ContextFromSpec(ContosoText, name, DateTimeOffset.UnixEpoch);
        Assert.Empty(findings);
        return context!;
    }

    [Fact]
    public void Check_OfManifestTexts_AnswersEachDirection()
    {
        var set = NetworkPolicyService.Load(Shop, Cluster("payments"));

        var (allowed, findings) = NetworkPolicyService.Check(set, "shop/web", "shop/db", "tcp/5432");
        var (denied, _) = NetworkPolicyService.Check(set, "shop/db", "shop/web", "tcp/8443");

        Assert.DoesNotContain(findings, f => f.Severity == Severity.Error);
        Assert.True(allowed!.Allowed);
        Assert.Equal(("Egress", "Ingress"), (allowed.Egress.Direction, allowed.Ingress.Direction));
        Assert.False(denied!.Allowed);
    }

    [Theory]
    [InlineData("shop/nope", "shop/db", "tcp/5432", "UnknownEndpoint", "from")]
    [InlineData("shop/web", "nope", "tcp/5432", "UnknownEndpoint", "to")]
    [InlineData("shop/web", "shop/db", "tcp/", "InvalidPort", "port")]
    public void Check_RefusesWithFindingsInTheModelsWords(string from, string to, string port, string code, string path)
    {
        var (answer, findings) = NetworkPolicyService.Check(NetworkPolicyService.Load(Shop, Cluster("payments")), from, to, port);

        Assert.Null(answer);
        var finding = Assert.Single(findings);
        Assert.Equal((code, path, Severity.Error), (finding.Code, finding.Path, finding.Severity));
    }

    [Fact]
    public void Check_OfIcmp_TakesATypeAndCode()
    {
        var set = NetworkPolicyService.Load([.. Shop, new ManifestText("ping.yaml", """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: ping }
            spec:
              order: 1
              selector: app == 'db'
              ingress: [ { action: Allow, protocol: ICMP, icmp: { type: 8 } } ]
              egress: [ { action: Allow, protocol: ICMP } ]
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: { name: ping-out }
            spec:
              order: 1
              selector: app == 'web'
              egress: [ { action: Allow, protocol: ICMP } ]
            """)], Cluster("payments"));

        Assert.True(NetworkPolicyService.Check(set, "shop/web", "shop/db", "icmp/8").Answer!.Allowed);
        Assert.False(NetworkPolicyService.Check(set, "shop/web", "shop/db", "icmp/3/4").Answer!.Allowed);
    }

    [Fact]
    public void ContextFromSpec_NamesTheCluster_WhenTheSiteHasSeveral()
    {
        var (none, several) = NetworkPolicyService.ContextFromSpec(ContosoText, null, DateTimeOffset.UnixEpoch);
        var (unknown, missing) = NetworkPolicyService.ContextFromSpec(ContosoText, "nope", DateTimeOffset.UnixEpoch);
        var (broken, invalid) = NetworkPolicyService.ContextFromSpec("spec: [", "payments", DateTimeOffset.UnixEpoch);

        Assert.Null(none);
        Assert.Equal(("UnknownCluster", "cluster"), (several.Single().Code, several.Single().Path));
        Assert.Contains("payments", several.Single().Hint, StringComparison.Ordinal);
        Assert.Null(unknown);
        Assert.Contains("'nope'", missing.Single().Message, StringComparison.Ordinal);
        Assert.Null(broken);
        Assert.True(invalid.HasErrors());
        Assert.Equal("payments", Cluster("payments").Cluster);
    }

    [Fact]
    public async Task PolicyContextAsync_ReadsTheStoredSite_AndSaysWhenThereIsNone()
    {
        await using var f = new EngineFixture();
        var (empty, noSite) = await f.Engine.PolicyContextAsync("payments");
        await f.Engine.ApplyAsync(EngineFixture.Example("contoso-multicluster.yaml"));

        var (stored, findings) = await f.Engine.PolicyContextAsync("payments");

        Assert.Null(empty);
        Assert.Equal("NoSite", noSite.Single().Code);
        Assert.Empty(findings);
        Assert.Equal("payments", stored!.Cluster);
        // The stored plan places the pods as the spec's plan from scratch does: the same trace either way.
        var fromStore = NetworkPolicyService.Trace(NetworkPolicyService.Load(Shop, stored), "shop/web", "shop/db", "tcp/5432").Answer!;
        var fromSpec = NetworkPolicyService.Trace(NetworkPolicyService.Load(Shop, Cluster("payments")), "shop/web", "shop/db", "tcp/5432").Answer!;
        Assert.Equal(fromSpec.Hops.Select(h => (h.Where, h.What)), fromStore.Hops.Select(h => (h.Where, h.What)));
    }

    [Fact]
    public void Matrix_CellsLinesAndWrittenFormats_TellTheSameConnections()
    {
        var set = NetworkPolicyService.Load(Shop);
        var matrix = NetworkPolicyService.Matrix(set);
        var web = matrix.Nodes.ToList().FindIndex(n => n.Name == "shop/web[Deployment]");
        var db = matrix.Nodes.ToList().FindIndex(n => n.Name == "shop/db[StatefulSet]");

        Assert.Equal("TCP 5432", matrix.Cell(web, db).ToString());
        Assert.Equal(Openness.None, matrix.Cell(db, web)!.Value.Openness);
        Assert.Null(matrix.Cell(web, web));
        Assert.Equal("shop", matrix.Nodes[web].Namespace);
        Assert.True(matrix.Enforced);
        Assert.Contains(matrix.Lines, l => l.ToString() == "shop/web[Deployment] => shop/db[StatefulSet] : TCP 5432");

        var text = Write(set, ConnectivityFormat.Text);
        Assert.Equal(string.Concat(matrix.Lines.Select(l => l + "\n")), text);
        Assert.Equal("src,dst,conn\n", Write(set, ConnectivityFormat.Csv)[..13]);
        using var json = JsonDocument.Parse(Write(set, ConnectivityFormat.Json));
        Assert.Equal(matrix.Lines.Count, json.RootElement.GetArrayLength());
        Assert.Equal(matrix.Lines[0].Source, json.RootElement[0].GetProperty("src").GetString());
    }

    private static string Write(ManifestSet set, ConnectivityFormat format)
    {
        using var output = new StringWriter();
        NetworkPolicyService.WriteMatrix(set, format, output);
        return output.ToString();
    }

    [Fact]
    public void Matrix_OnAFlannelCluster_IsNotEnforced_AndSaysSo()
    {
        var legacy = Cluster("legacy");
        var matrix = NetworkPolicyService.Matrix(NetworkPolicyService.Load(Shop, legacy));

        Assert.False(matrix.Enforced);
        Assert.NotNull(matrix.Note);
        var finding = NetworkPolicyService.NotEnforced(legacy).Single();
        Assert.Equal(("PolicyNotEnforced", "cluster", Severity.Warning), (finding.Code, finding.Path, finding.Severity));
        Assert.Empty(NetworkPolicyService.NotEnforced(Cluster("payments")));
        Assert.Empty(NetworkPolicyService.NotEnforced(null));
    }

    [Fact]
    public void Diff_SaysWhichConnectionsAChangeCloses_InEveryFormat()
    {
        var pair = NetworkPolicyService.LoadPair(Shop, ShopWithoutDbFromFront);

        var diff = NetworkPolicyService.Diff(pair);

        var change = Assert.Single(diff.Changes, c => c.Source == "shop/web[Deployment]" && c.Destination == "shop/db[StatefulSet]");
        Assert.Equal(("TCP 5432", Openness.None), (change.Closed.ToString(), change.Opened.Openness));
        Assert.Contains("- shop/web[Deployment] => shop/db[StatefulSet] : TCP 5432", diff.Format(ConnectivityFormat.Text), StringComparison.Ordinal);
        using var json = JsonDocument.Parse(diff.Format(ConnectivityFormat.Json));
        Assert.Equal(diff.Changes.Count, json.RootElement.GetArrayLength());
        Assert.StartsWith("diff-type,src,dst,before,after,opened,closed,info\n", diff.Format(ConnectivityFormat.Csv), StringComparison.Ordinal);
        Assert.True(NetworkPolicyService.Diff(NetworkPolicyService.LoadPair(Shop, Shop)).IsEmpty);
        Assert.Equal("", NetworkPolicyService.Diff(NetworkPolicyService.LoadPair(Shop, Shop)).Format(ConnectivityFormat.Text));
    }

    [Fact]
    public void Lint_FindsAPolicyThatSelectsNothing_NamedByItsManifest()
    {
        var set = NetworkPolicyService.Load([.. Shop, new ManifestText("extra/stray.yaml", """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: stray, namespace: shop }
            spec:
              podSelector: { matchLabels: { app: nothing-here } }
              policyTypes: [Ingress]
            """)]);

        var finding = Assert.Single(NetworkPolicyService.Lint(set), f => f.Code == "PolicySelectsNothing");

        Assert.StartsWith("extra/stray.yaml#1", finding.Path, StringComparison.Ordinal);
        Assert.Equal(Severity.Warning, finding.Severity);
    }

    [Fact]
    public void Trace_FollowsThePacketThroughThePlannedCluster()
    {
        var (trace, findings) = NetworkPolicyService.Trace(NetworkPolicyService.Load(Shop, Cluster("payments")), "shop/web", "shop/db", "tcp/5432");

        Assert.DoesNotContain(findings, f => f.Severity == Severity.Error);
        Assert.True(trace!.Delivered);
        Assert.Contains("shop/web", trace.Question, StringComparison.Ordinal);
        Assert.True(trace.Hops.Count > 1);
        Assert.DoesNotContain(trace.Hops, h => h.Dropped);
    }

    [Theory]
    [InlineData(null, "shop/web", "svc/shop/web", "UnknownCluster", "cluster")]
    [InlineData("payments", "shop/web", "svc/shop/nope", "UnknownService", "to")]
    [InlineData("payments", "shop/web", "shop/nope", "UnknownEndpoint", "to")]
    [InlineData("payments", "shop/web", "web", "UnknownEndpoint", "to")]
    [InlineData("payments", "svc/shop/db", "shop/api", "UnknownEndpoint", "from")]
    public void Trace_RefusesWithFindingsInTheModelsWords(string? cluster, string from, string to, string code, string path)
    {
        var set = NetworkPolicyService.Load(Shop, cluster is null ? null : Cluster(cluster));

        var (trace, findings) = NetworkPolicyService.Trace(set, from, to, "tcp/443");

        Assert.Null(trace);
        var finding = Assert.Single(findings);
        Assert.Equal((code, path), (finding.Code, finding.Path));
    }

    [Fact]
    public void NothingToAnalyse_AndTheSkippedKinds_AreSaidOfTheTexts()
    {
        var configOnly = NetworkPolicyService.Load([new ManifestText("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c, namespace: x }\n")]);
        var policyOnly = NetworkPolicyService.Load([new ManifestText("np.yaml", """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: deny, namespace: x }
            spec: { podSelector: {} }
            """)]);

        var nothing = Assert.Single(NetworkPolicyService.NothingToAnalyse(needsWorkloads: false, configOnly));
        Assert.Equal(("NothingToAnalyse", "manifests"), (nothing.Code, nothing.Path));
        Assert.Empty(NetworkPolicyService.NothingToAnalyse(needsWorkloads: false, policyOnly));
        Assert.Single(NetworkPolicyService.NothingToAnalyse(needsWorkloads: true, policyOnly));
        Assert.Equal("skipped (no part in network policy): 1 ConfigMap", ManifestSet.NotAnalysedSummary(configOnly, policyOnly));
        Assert.Null(ManifestSet.NotAnalysedSummary(policyOnly));
    }

    [Fact]
    public void Choices_GroupPodsByOwnerOrOneByOne()
    {
        var pods = """
            apiVersion: v1
            kind: Pod
            metadata: { name: web-1, namespace: x, labels: { app: web }, ownerReferences: [ { kind: ReplicaSet, name: web-5d9f, controller: true } ] }
            spec: { containers: [ { name: c } ] }
            status: { podIP: 10.244.1.10 }
            ---
            apiVersion: v1
            kind: Pod
            metadata: { name: web-2, namespace: x, labels: { app: web }, ownerReferences: [ { kind: ReplicaSet, name: web-5d9f, controller: true } ] }
            spec: { containers: [ { name: c } ] }
            status: { podIP: 10.244.1.11 }
            """;

        var byOwner = NetworkPolicyService.Load([new ManifestText("pods.yaml", pods)]);
        var byPod = NetworkPolicyService.Load([new ManifestText("pods.yaml", pods)], choices: new PolicyChoices { By = WorkloadGrouping.Pod });

        Assert.Equal(1, byOwner.WorkloadCount);
        Assert.Equal(2, byPod.WorkloadCount);
        Assert.Equal(WorkloadGrouping.Pod, byPod.Choices.By);
    }
}
