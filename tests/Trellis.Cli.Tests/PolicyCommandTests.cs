using System.Text.Json;
using Trellis.Cli.Tests.Infrastructure;
using Trellis.Engine;

namespace Trellis.Cli.Tests;

/// <summary>
/// trellis netpol and trellis trace on the shop manifests of the contoso site: parsing, formatting and exit codes, run in
/// this process (what the answers mean is specified at the Engine, NetworkPolicyServiceTests; the native and managed
/// processes print the same, NativeBinaryTests).
/// </summary>
public sealed class PolicyCommandTests
{
    private static string Shop => Path.Combine(Specs.ExamplesDirectory, "manifests", "shop.yaml");

    private static async Task<CliResult> Ok(Task<CliResult> run)
    {
        var r = await run;
        Assert.True(r.ExitCode == 0, r.ToString());
        return r;
    }

    [Fact]
    public async Task Check_ExplainsTheDecisivePolicyInEachDirection_AsJson()
    {
        using var ws = new Workspace();

        var r = await Ok(ws.RunIn("netpol", "check", "-f", Shop, "--site", Specs.Contoso, "--cluster", "payments",
            "--from", "shop/web", "--to", "shop/db", "--port", "tcp/5432", "-o", "json"));

        using var json = JsonDocument.Parse(r.Stdout);
        var answer = json.RootElement.GetProperty("answer");
        Assert.True(answer.GetProperty("allowed").GetBoolean());
        Assert.Contains("front-to-db", answer.GetProperty("egress").GetProperty("policy").GetString(), StringComparison.Ordinal);
        Assert.Contains("db-from-front", answer.GetProperty("ingress").GetProperty("policy").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_DeniedFlow_SaysWhichTierEndedIt()
    {
        using var ws = new Workspace();

        var r = await Ok(ws.RunIn("netpol", "check", "-f", Shop, "--site", Specs.Contoso, "--cluster", "payments",
            "--from", "shop/db", "--to", "shop/web", "--port", "tcp/8443"));

        Assert.Contains("denied", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("end of tier default", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_OnAFlannelCluster_SaysNothingIsEnforced()
    {
        using var ws = new Workspace();

        var r = await Ok(ws.RunIn("netpol", "check", "-f", Shop, "--site", Specs.Contoso, "--cluster", "legacy",
            "--from", "shop/db", "--to", "shop/web", "--port", "tcp/8443", "-o", "json"));

        using var json = JsonDocument.Parse(r.Stdout);
        var answer = json.RootElement.GetProperty("answer");
        Assert.False(answer.GetProperty("enforced").GetBoolean());
        Assert.Contains("Flannel", answer.GetProperty("note").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Matrix_PrintsSrcDstConnsLines_AndWritesAHeatmap()
    {
        using var ws = new Workspace();

        var text = await Ok(ws.RunIn("netpol", "matrix", "-f", Shop));
        var html = await Ok(ws.RunIn("netpol", "matrix", "-f", Shop, "-o", "html", "--out", ws.PathOf("matrix.html")));

        Assert.Contains("shop/web[Deployment] => shop/db[StatefulSet] : TCP 5432", text.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("shop/db[StatefulSet] => shop/web[Deployment]", text.Stdout, StringComparison.Ordinal);
        var page = await File.ReadAllTextAsync(ws.PathOf("matrix.html"));
        Assert.StartsWith("<!DOCTYPE html>", page, StringComparison.Ordinal);
        Assert.Contains("id=\"heat\"", page, StringComparison.Ordinal);
        Assert.Contains("shop/web[Deployment]", page, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("table")]
    [InlineData("json")]
    [InlineData("csv")]
    public async Task Matrix_InEveryFormat_IsWhatTheEngineWrites_OnStdoutAndInAFile(string format)
    {
        using var ws = new Workspace();
        var set = NetworkPolicyService.Load([new ManifestText("shop.yaml", await File.ReadAllTextAsync(Shop))]);
        var report = NetworkPolicyService.Matrix(set);
        using var written = new StringWriter();
        NetworkPolicyService.WriteMatrix(set, format switch { "json" => ConnectivityFormat.Json, "csv" => ConnectivityFormat.Csv, _ => ConnectivityFormat.Text }, written);
        var expected = written.ToString();

        var stdout = await Ok(ws.RunIn("netpol", "matrix", "-f", Shop, "-o", format));
        var file = await Ok(ws.RunIn("netpol", "matrix", "-f", Shop, "-o", format, "--out", ws.PathOf("matrix.out")));

        Assert.True(report.Lines.Count > 5, $"{report.Lines.Count} lines");
        Assert.Equal(expected, stdout.Stdout);
        Assert.Equal(expected, await File.ReadAllTextAsync(ws.PathOf("matrix.out")));
        Assert.Equal(ws.PathOf("matrix.out"), file.Stdout.Trim());
    }

    [Fact]
    public async Task Diff_ShowsWhatAChangeOpens()
    {
        using var ws = new Workspace();
        // Both ends must open port 22: the front end's egress and the database's ingress.
        var opened = ws.WriteText("opened.yaml", File.ReadAllText(Shop)
            .Replace("      ports: [{ port: postgres }]", "      ports: [{ port: postgres }, { port: 22 }]", StringComparison.Ordinal)
            .Replace("      ports: [{ port: 5432, protocol: TCP }]", "      ports: [{ port: 5432, protocol: TCP }, { port: 22, protocol: TCP }]", StringComparison.Ordinal));

        var r = await Ok(ws.RunIn("netpol", "diff", Shop, opened));

        Assert.Contains("22", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("shop/db[StatefulSet]", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lint_FlagsAPolicyThatSelectsNothing()
    {
        using var ws = new Workspace();
        var file = ws.WriteText("lint.yaml", File.ReadAllText(Shop) + """
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: orphan, namespace: shop }
            spec:
              podSelector: { matchLabels: { app: gone } }
              ingress: [{}]
            """);

        var r = await ws.RunIn("netpol", "lint", "-f", file, "-o", "json");

        Assert.Contains("orphan", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Trace_FromAClientThroughTheVip_UsesTheStoredSite()
    {
        using var ws = new Workspace();
        await Ok(ws.RunIn("apply", "-f", Specs.Contoso));
        var vip = (await ws.Allocations()).Single(a => a.Owner == "service/payments/shared:front").Address;

        var r = await Ok(ws.RunIn("trace", "-f", Shop, "--cluster", "payments", "--from", "203.0.113.7", "--to", vip, "--port", "tcp/443", "-o", "json"));

        using var json = JsonDocument.Parse(r.Stdout);
        Assert.True(json.RootElement.GetProperty("delivered").GetBoolean(), r.Stdout);
        var hops = json.RootElement.GetProperty("hops").EnumerateArray().Select(h => h.GetProperty("what").GetString()!).ToList();
        Assert.Contains(hops, h => h.Contains("keepalived's MASTER", StringComparison.Ordinal));
        Assert.Contains(hops, h => h.StartsWith("DNAT NodePort", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Trace_WithoutASite_IsRejectedWithAFinding()
    {
        using var ws = new Workspace();
        var r = await ws.RunIn("trace", "-f", Shop, "--from", "shop/web", "--to", "shop/db", "--port", "tcp/5432");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("NoSite", r.Stdout + r.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tcp/99999", "port 99999 is outside 1-65535")]
    [InlineData("foo/80", "'foo' is not a protocol")]
    [InlineData("tcp/", "TCP needs a port, as in tcp/443")]
    [InlineData("tcp/http", "'http' is not a port number")]
    [InlineData("tcp/0", "port 0 is outside 1-65535")]
    [InlineData("tcp", "TCP needs a port, as in tcp/443")]
    [InlineData("icmp/300", "ICMP takes an optional type and code, each 0-255")]
    public async Task Check_WithABadPort_SaysWhatIsWrongWithIt(string port, string why)
    {
        using var ws = new Workspace();
        var r = await ws.RunIn("netpol", "check", "-f", Shop, "--site", Specs.Contoso, "--cluster", "payments", "--from", "shop/web", "--to", "shop/db", "--port", port, "-o", "json");

        Assert.Equal(1, r.ExitCode);
        using var json = JsonDocument.Parse(r.Stdout);
        Assert.False(json.RootElement.GetProperty("valid").GetBoolean());
        var finding = Assert.Single(json.RootElement.GetProperty("findings").EnumerateArray());
        Assert.Equal("InvalidPort", finding.GetProperty("code").GetString());
        Assert.Equal("--port", finding.GetProperty("path").GetString());
        Assert.Contains(why, finding.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("matrix")]
    [InlineData("check")]
    [InlineData("lint")]
    [InlineData("trace")]
    public async Task BrokenDocument_IsAFinding_TheRestIsStillAnalysed_AndTheExitCodeIsOne(string command)
    {
        using var ws = new Workspace();
        // An unclosed flow mapping followed by more lines: YamlDotNet throws on it rather than reporting it.
        var broken = ws.WriteText("broken.yaml", """
            apiVersion: v1
            kind: Pod
            metadata: { name: x, namespace: shop
            spec:
              containers: []
            """);
        string[] args = command switch
        {
            "matrix" => ["netpol", "matrix", "-f", Shop, "-f", broken],
            "check" => ["netpol", "check", "-f", Shop, "-f", broken, "--site", Specs.Contoso, "--cluster", "payments", "--from", "shop/web", "--to", "shop/db", "--port", "tcp/5432"],
            "lint" => ["netpol", "lint", "-f", Shop, "-f", broken],
            _ => ["trace", "-f", Shop, "-f", broken, "--site", Specs.Contoso, "--cluster", "payments", "--from", "shop/web", "--to", "shop/db", "--port", "tcp/5432"],
        };

        var r = await ws.RunIn(args);

        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.DoesNotContain("exception", r.Stdout + r.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("ManifestYamlInvalid", r.Stdout + r.Stderr, StringComparison.Ordinal);
        var answered = command switch
        {
            "matrix" => "shop/web[Deployment] => shop/db[StatefulSet] : TCP 5432",
            "check" => "allowed",
            "lint" => "findings.",
            _ => "Delivered.",
        };
        Assert.Contains(answered, r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Matrix_OfAMissingFile_IsAnErrorOnStandardError()
    {
        using var ws = new Workspace();
        var r = await ws.RunIn("netpol", "matrix", "-f", ws.PathOf("nope.yaml"), "-o", "json");

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("error ManifestNotFound", r.Stderr, StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(r.Stdout).RootElement.ValueKind);
    }

    [Fact]
    public async Task Diff_AgainstAMissingFile_IsRefused_NotEveryConnectionRemoved()
    {
        using var ws = new Workspace();
        var r = await ws.RunIn("netpol", "diff", Shop, ws.PathOf("nope.yaml"));

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("ManifestNotFound", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("workload removed", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Diff_OnAFlannelCluster_SaysNothingIsEnforced()
    {
        using var ws = new Workspace();
        // Without default-deny the shop is wide open under Calico; under Flannel it always was.
        var open = ws.WriteText("open.yaml", File.ReadAllText(Shop).Replace(
            "kind: NetworkPolicy\nmetadata: { name: default-deny, namespace: shop }", "kind: ConfigMap\nmetadata: { name: default-deny, namespace: shop }", StringComparison.Ordinal));
        var calico = await Ok(ws.RunIn("netpol", "diff", Shop, open, "--site", Specs.Contoso, "--cluster", "payments"));
        Assert.DoesNotContain("No connection changes.", calico.Stdout, StringComparison.Ordinal);

        var r = await Ok(ws.RunIn("netpol", "diff", Shop, open, "--site", Specs.Contoso, "--cluster", "legacy"));

        Assert.Contains("Flannel, which enforces no network policy", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("No connection changes.", r.Stdout, StringComparison.Ordinal);
        var json = await Ok(ws.RunIn("netpol", "diff", Shop, open, "--site", Specs.Contoso, "--cluster", "legacy", "-o", "json"));
        Assert.Equal("[]", json.Stdout.Trim());
        Assert.Contains("warning PolicyNotEnforced at --cluster", json.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Matrix_AsCsvOnAFlannelCluster_SaysOnStandardErrorThatNothingIsEnforced()
    {
        using var ws = new Workspace();
        var r = await Ok(ws.RunIn("netpol", "matrix", "-f", Shop, "--site", Specs.Contoso, "--cluster", "legacy", "-o", "csv"));

        Assert.StartsWith("src,dst,conn\n", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("All Connections", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("warning PolicyNotEnforced at --cluster: Cluster 'legacy' runs Flannel", r.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("svc/shop/nope", "UnknownService")]
    public async Task Trace_ToAnUnknownEndpoint_IsRefusedWithACode(string to, string code)
    {
        using var ws = new Workspace();
        var r = await ws.RunIn("trace", "-f", Shop, "--site", Specs.Contoso, "--cluster", "payments", "--from", "shop/web", "--to", to, "--port", "tcp/80", "-o", "json");

        Assert.Equal(1, r.ExitCode);
        using var json = JsonDocument.Parse(r.Stdout);
        Assert.False(json.RootElement.GetProperty("valid").GetBoolean());
        var finding = Assert.Single(json.RootElement.GetProperty("findings").EnumerateArray());
        Assert.Equal(code, finding.GetProperty("code").GetString());
        Assert.Equal("--to", finding.GetProperty("path").GetString());
    }

    /// <summary>Every command-line value a netpol or trace finding is about: the Engine names the model's field, the CLI its option.</summary>
    public static TheoryData<string, string, string> OptionFindings() => new()
    {
        { "check --from nope/none --to shop/db --port tcp/5432 --site SITE --cluster payments", "UnknownEndpoint", "--from" },
        { "check --from shop/web --to 10.0.0.1/x --port tcp/5432 --site SITE --cluster payments", "UnknownEndpoint", "--to" },
        { "check --from shop/web --to shop/db --port tcp/0 --site SITE --cluster payments", "InvalidPort", "--port" },
        { "check --from shop/web --to shop/db --port tcp/5432 --site SITE --cluster nosuch", "UnknownCluster", "--cluster" },
        { "check --from shop/web --to shop/db --port tcp/5432 --site MISSING --cluster payments", "FileNotFound", "--site" },
        { "check --from shop/web --to shop/db --port tcp/5432 --cluster payments", "NoSite", "--state" },
        { "trace --from svc/shop/web --to shop/db --port tcp/5432 --site SITE --cluster payments", "UnknownEndpoint", "--from" },
        { "trace --from shop/web --to svc/shop/nope --port tcp/80 --site SITE --cluster payments", "UnknownService", "--to" },
        { "trace --from shop/web --to shop/db --port udp/ --site SITE --cluster payments", "InvalidPort", "--port" },
        { "trace --from shop/web --to shop/db --port tcp/5432", "NoSite", "--state" },
        { "lint", "NothingToAnalyse", "--file" },
    };

    [Theory]
    [MemberData(nameof(OptionFindings))]
    public async Task Findings_NameTheOptionTheModelsFieldStandsFor(string command, string code, string path)
    {
        using var ws = new Workspace();
        var nothing = ws.WriteText("config.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c, namespace: shop }\n");
        var words = command.Split(' ');
        string[] args = [.. words[0] == "trace" ? [] : new[] { "netpol" }, words[0], "-f", words[0] == "lint" ? nothing : Shop,
            .. words.Skip(1).Select(w => w switch { "SITE" => Specs.Contoso, "MISSING" => ws.PathOf("missing.yaml"), _ => w }), "-o", "json"];

        var r = await ws.RunIn(args);

        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains((code, path), Json.CodesAndPaths(Json.Parse(r)));
        Assert.DoesNotContain(Json.CodesAndPaths(Json.Parse(r)), f => f.Path is "from" or "to" or "port" or "cluster" or "site" or "manifests");
    }

    [Fact]
    public async Task MatrixAndDiff_NameTheOptionsInTheirFindingsOnStandardError()
    {
        using var ws = new Workspace();
        var nothing = ws.WriteText("config.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c, namespace: shop }\n");

        var matrix = await ws.RunIn("netpol", "matrix", "-f", nothing);
        var cluster = await ws.RunIn("netpol", "matrix", "-f", Shop, "--site", Specs.Contoso, "--cluster", "nosuch");
        var diff = await ws.RunIn("netpol", "diff", nothing, nothing, "--site", ws.PathOf("missing.yaml"), "--cluster", "payments");

        Assert.True(matrix.ExitCode == 1, matrix.ToString());
        Assert.Contains("error NothingToAnalyse at --file:", matrix.Stderr, StringComparison.Ordinal);
        Assert.True(cluster.ExitCode == 1, cluster.ToString());
        Assert.Contains("error UnknownCluster at --cluster:", cluster.Stderr, StringComparison.Ordinal);
        Assert.True(diff.ExitCode == 1, diff.ToString());
        Assert.Contains("error FileNotFound at --site:", diff.Stderr, StringComparison.Ordinal);
    }

    private const string PodDump = """
        apiVersion: v1
        kind: List
        items:
          - apiVersion: apps/v1
            kind: ReplicaSet
            metadata: { name: web-5d8f, namespace: shop, ownerReferences: [ { apiVersion: apps/v1, kind: Deployment, name: web, controller: true } ] }
            spec: { template: { metadata: { labels: { app: web } }, spec: { containers: [ { name: c } ] } } }
          - apiVersion: v1
            kind: PodList
            items:
              - metadata: { name: web-5d8f-a, namespace: shop, labels: { app: web, pod-template-hash: 5d8f }, ownerReferences: [ { kind: ReplicaSet, name: web-5d8f, controller: true } ] }
                spec: { containers: [ { name: c, ports: [ { containerPort: 8080 } ] } ] }
                status: { podIP: 10.244.1.10 }
              - metadata: { name: web-5d8f-b, namespace: shop, labels: { app: web, pod-template-hash: 5d8f }, ownerReferences: [ { kind: ReplicaSet, name: web-5d8f, controller: true } ] }
                spec: { containers: [ { name: c, ports: [ { containerPort: 8080 } ] } ] }
                status: { podIP: 10.244.2.10 }
              - metadata: { name: client, namespace: shop, labels: { app: client } }
                spec: { containers: [ { name: c } ] }
                status: { podIP: 10.244.3.10 }
          - apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: { name: web, namespace: shop }
        """;

    [Fact]
    public async Task Matrix_NamesPodsByTheirOwner_AndByPodWhenAsked()
    {
        using var ws = new Workspace();
        var dump = ws.WriteText("dump.yaml", PodDump);

        var byOwner = await ws.RunIn("netpol", "matrix", "-f", dump);
        var byPod = await ws.RunIn("netpol", "matrix", "-f", dump, "--by", "pod");

        Assert.True(byOwner.ExitCode == 0, byOwner.ToString());
        Assert.Contains("shop/client[Pod] => shop/web[Deployment] : All Connections", byOwner.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("web-5d8f", byOwner.Stdout, StringComparison.Ordinal);
        Assert.Contains("shop/client[Pod] => shop/web-5d8f-a[Pod]", byPod.Stdout, StringComparison.Ordinal);
        Assert.Contains("shop/client[Pod] => shop/web-5d8f-b[Pod]", byPod.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("[ReplicaSet]", byPod.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Matrix_ListsKindsItDoesNotAnalyse_InOneLineOnStandardError()
    {
        using var ws = new Workspace();
        var dump = ws.WriteText("dump.yaml", PodDump + "\n" + """
            ---
            apiVersion: route.openshift.io/v1
            kind: Route
            metadata: { name: web, namespace: shop }
            ---
            apiVersion: kubevirt.io/v1
            kind: VirtualMachine
            metadata: { name: vm, namespace: shop }
            """);

        var r = await ws.RunIn("netpol", "matrix", "-f", dump);

        Assert.Equal(0, r.ExitCode);
        var note = Assert.Single(r.Stderr.Split('\n'), l => l.StartsWith("note:", StringComparison.Ordinal));
        Assert.Contains("1 Ingress, 1 Route, 1 VirtualMachine", note, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("matrix")]
    [InlineData("lint")]
    public async Task NothingAnalysable_IsSaid_WithExitCodeOne(string command)
    {
        using var ws = new Workspace();
        var file = ws.WriteText("ingress.yaml", """
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: { name: web, namespace: shop }
            """);

        var r = await ws.RunIn("netpol", command, "-f", file);

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("NothingToAnalyse", r.Stdout + r.Stderr, StringComparison.Ordinal);
        Assert.Contains("note: not analysed", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_HostNetworkPods_AreUnpolicedByDefault_AndPolicedWhenAsked()
    {
        using var ws = new Workspace();
        var file = ws.WriteText("agent.yaml", """
            apiVersion: v1
            kind: Pod
            metadata: { name: agent, namespace: ops, labels: { app: agent } }
            spec: { hostNetwork: true, containers: [ { name: c, ports: [ { containerPort: 9100 } ] } ] }
            status: { podIP: 172.16.0.21 }
            ---
            apiVersion: v1
            kind: Pod
            metadata: { name: client, namespace: ops, labels: { app: client } }
            spec: { containers: [ { name: c } ] }
            status: { podIP: 10.244.3.10 }
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: { name: deny-all, namespace: ops }
            spec: { podSelector: {}, policyTypes: [ Ingress ] }
            """);

        var calico = await ws.RunIn("netpol", "check", "-f", file, "--from", "ops/client", "--to", "ops/agent", "--port", "tcp/9100", "-o", "json");
        var policed = await ws.RunIn("netpol", "check", "-f", file, "--from", "ops/client", "--to", "ops/agent", "--port", "tcp/9100", "-o", "json", "--host-network", "policed");

        Assert.True(JsonDocument.Parse(calico.Stdout).RootElement.GetProperty("answer").GetProperty("allowed").GetBoolean(), calico.ToString());
        Assert.False(JsonDocument.Parse(policed.Stdout).RootElement.GetProperty("answer").GetProperty("allowed").GetBoolean(), policed.ToString());
    }
}
