using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Trellis.Engine;
using Trellis.TestSupport;

namespace Trellis.Server.Tests.Infrastructure;

/// <summary>
/// For every endpoint of the API (method + route pattern, as the app's EndpointDataSource names it) a request that succeeds
/// (2xx) for a token with the endpoint's role, on the site <see cref="Site"/> seeded from worked-example.yaml. The role-matrix
/// test drives every endpoint from these; a test fails when an endpoint has none. A request may prepare what it needs first
/// (a plan to apply, the site's current ETag) through <see cref="ExampleContext.Admin"/>, a client that may do anything.
/// Examples may run in any order and more than once on the same server: each leaves the site able to serve the others.
/// </summary>
public static class EndpointExamples
{
    /// <summary>The site every example runs on: seed it as <c>new Dictionary&lt;string, string&gt; { [Site] = SiteExample }</c>.</summary>
    public const string Site = "worked";

    public const string SiteExample = "worked-example.yaml";

    /// <summary>What a request can use: the server, the client under test, and a client allowed everything to prepare with.</summary>
    public sealed record ExampleContext(TestServer Server, HttpClient Client, HttpClient Admin);

    /// <param name="Method">GET, POST, PUT, DELETE.</param>
    /// <param name="Route">The route pattern, e.g. /api/v1/sites/{site}/networks.</param>
    public sealed record Example(string Method, string Route, Func<ExampleContext, Task<HttpRequestMessage>> Request)
    {
        public override string ToString() => $"{Method} {Route}";
    }

    private static string Path(string route) => route.Replace("{site}", Site, StringComparison.Ordinal).TrimStart('/');

    /// <summary>A GET of <paramref name="route"/> (at <paramref name="at"/> when the route has more parameters than the site).</summary>
    private static Example Get(string route, string query = "", string? at = null) =>
        new("GET", route, async context =>
        {
            await ResetAsync(context).ConfigureAwait(false);
            return new HttpRequestMessage(HttpMethod.Get, new Uri(Path(at ?? route) + query, UriKind.Relative));
        });

    /// <summary>The site as worked-example.yaml has it (what examples before may have changed, undone), through the Engine.</summary>
    public static async Task ResetAsync(ExampleContext context)
    {
        await TestServer.ApplyAsync(StatePath(context), SiteExample).ConfigureAwait(false);
        // No governance left by an example before (apply leaves the site's assignments as they are).
        await using var session = EngineSession.OpenSqlite(StatePath(context), write: true);
        foreach (var assignment in SiteViews.Governance(await session.Engine.ReadAsync().ConfigureAwait(false)).Assignments.Where(a => !a.Name.StartsWith("fleet/", StringComparison.Ordinal)))
        {
            await session.Engine.ExecuteAsync(new DeleteGovernance("assignment", assignment.Name)).ConfigureAwait(false);
        }

        // Nor the fleet's, in the fleet's state or in the site's copy.
        var fleetPath = System.IO.Path.Combine(context.Server.DataDirectory, "fleet.db");
        if (File.Exists(fleetPath))
        {
            await using var fleet = EngineSession.OpenSqlite(fleetPath, write: true);
            var stored = SiteViews.Governance(await fleet.Engine.ReadAsync().ConfigureAwait(false));
            foreach (var (kind, name) in stored.Assignments.Select(a => ("assignment", a.Name)).Concat(stored.Definitions.Select(d => ("definition", d.Name))))
            {
                await fleet.Engine.ExecuteAsync(new DeleteGovernance(kind, name)).ConfigureAwait(false);
            }

            await session.Engine.ExecuteAsync(new ApplyFleetGovernance(await fleet.Engine.ReadGovernanceAsync().ConfigureAwait(false))).ConfigureAwait(false);
        }
    }

    /// <summary>A fleet definition of its own (not assigned), to delete.</summary>
    private const string FleetDefinition = """
        apiVersion: trellis/v1
        kind: PolicyDefinition
        metadata: { name: small-pools }
        spec: { description: Node pools of at most 10 nodes., target: NodePool, rule: { expression: "item.count <= 10" } }
        """;

    private static Example FleetGovernance(string method, string route, string? yaml = null, string? prepare = null) => new(method, route, async context =>
    {
        await ResetAsync(context).ConfigureAwait(false);
        if (prepare is not null)
        {
            using var stored = await context.Admin.PostAsync(new Uri("api/v1/governance", UriKind.Relative), new StringContent(prepare, Encoding.UTF8, "application/yaml")).ConfigureAwait(false);
            stored.EnsureSuccessStatusCode();
        }

        var path = route.Replace("{name}", route.Contains("/definitions/", StringComparison.Ordinal) ? "small-pools" : "calico-only", StringComparison.Ordinal).TrimStart('/');
        return new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative))
        {
            Content = yaml is null ? null : new StringContent(yaml, Encoding.UTF8, "application/yaml"),
        };
    });

    /// <summary>examples/governance/policies.yaml: calico-only and own-namespace-vips (Deny), supported-versions (Audit).</summary>
    public static string PoliciesFile => System.IO.Path.Combine(ExampleState.ExamplesDirectory, "governance", "policies.yaml");

    private static string StatePath(ExampleContext context) => System.IO.Path.Combine(context.Server.DataDirectory, "sites", Site + ".db");

    /// <summary>Runs <paramref name="prepare"/> on the site through the Engine (what a request needs in place first).</summary>
    private static async Task EngineAsync(ExampleContext context, params SiteCommand[] prepare)
    {
        await using var session = EngineSession.OpenSqlite(StatePath(context), write: true);
        foreach (var command in prepare)
        {
            var result = await session.Engine.ExecuteAsync(command).ConfigureAwait(false);
            if (!result.Applied)
            {
                throw new InvalidOperationException($"preparing {command.CommandName}: {string.Join("; ", result.Findings)}");
            }
        }
    }

    /// <summary>One change: its body (after <paramref name="prepare"/>), sent as a plan, or directly with the site's current ETag as If-Match.</summary>
    private sealed record Change(string Name, Func<ExampleContext, Task<HttpContent>> Body, params SiteCommand[] Prepare);

    private static Func<ExampleContext, Task<HttpContent>> Body(string json) => _ => Task.FromResult<HttpContent>(Json(json));

    /// <summary>A room of one node address: b's node pool at 2 (the worked example's node IP pool is full).</summary>
    private static readonly SiteCommand[] Room = [new ScaleNodePool("b", "linuxpool", 2)];

    /// <summary>A cluster c whose services MetalLB serves (a load balancer setting of SKU none), in place of b.</summary>
    private static readonly SiteCommand[] MetalLb =
    [
        new DeleteCluster("b"),
        new AddCluster(new ClusterSetting("c") { ControlPlaneNodeCount = 1, LoadBalancer = new LoadBalancerSetting("metallb", "none"), NodePools = [new NodePoolSetting("linuxpool")] }),
    ];

    private static readonly NetworkSetting Prod = new("prodvnet", "External", "Static", "172.17.0.0/24", "172.17.0.1", ["172.16.0.2"], 17,
        "172.17.0.10", "172.17.0.99", "172.17.0.100", "172.17.0.199");

    private static IReadOnlyList<Change> Changes { get; } =
    [
        new("apply", _ => Task.FromResult<HttpContent>(new StringContent(File.ReadAllText(System.IO.Path.Combine(ExampleState.ExamplesDirectory, SiteExample)), Encoding.UTF8, "application/yaml"))),
        new("scale", Body("""{"cluster":"b","nodePool":"linuxpool","count":3}""")),
        new("upgrade", async context =>
        {
            await using var session = EngineSession.OpenSqlite(StatePath(context), write: false);
            var version = SiteViews.Clusters(await session.Engine.ReadAsync().ConfigureAwait(false), "b").Single().KubernetesVersion;
            return Json($$"""{"cluster":"b","version":"{{version}}"}""");
        }),
        new("add-nodepool", Body("""{"cluster":"b","name":"ex","count":1}"""), Room),
        new("add-service", Body("""{"cluster":"a","namespace":"shop","name":"ex","ports":[8443],"sharedIpKey":"front"}""")),
        new("set-nodepool", Body("""{"cluster":"b","nodePool":"linuxpool","count":3}""")),
        new("set-cluster", Body("""{"cluster":"b","controlPlaneNodeCount":1}""")),
        new("delete-service", Body("""{"cluster":"a","namespace":"shop","name":"web3"}""")),
        new("delete-nodepool", Body("""{"cluster":"b","nodePool":"ex"}"""), [.. Room, new AddNodePool("b", "ex")]),
        new("delete-cluster", Body("""{"cluster":"b"}""")),
        new("delete-site", Body("""{"name":"jane"}""")),
        new("add-cluster", Body("""{"cluster":{"name":"c","controlPlaneNodeCount":1,"nodePools":[{"name":"linuxpool","count":1}]}}"""), new DeleteCluster("b")),
        new("add-network", _ => Task.FromResult<HttpContent>(Json(new JsonObject { ["network"] = JsonSerializer.SerializeToNode(Prod, ServerJson.Default.NetworkSetting) }.ToJsonString()))),
        new("remove-network", Body("""{"name":"prodvnet"}"""), new AddClusterNetwork(Prod)),
        new("set-config", async context =>
        {
            await using var session = EngineSession.OpenSqlite(StatePath(context), write: false);
            var config = SiteViews.HostConfig(await session.Engine.ReadAsync().ConfigureAwait(false))!;
            return Json(new JsonObject { ["vnet"] = JsonSerializer.SerializeToNode(config.Vnet!, ServerJson.Default.NetworkSetting), ["cloudServiceCidr"] = config.CloudServiceCidr }.ToJsonString());
        }),
        new("set-settings", Body("""{"settings":{"managementClusterVip":"false"}}""")),
        new("add-loadbalancer-pool", Body("""{"cluster":"c","name":"lb-c","addresses":["172.16.0.200-172.16.0.202"]}"""), MetalLb),
        new("add-bgp-peer", Body("""{"cluster":"c","name":"tor1","myAsn":64512,"peerAsn":64513,"peerAddress":"172.16.0.1"}"""), MetalLb),
        new("policy-apply", _ => Task.FromResult<HttpContent>(new StringContent(File.ReadAllText(PoliciesFile), Encoding.UTF8, "application/yaml"))),
        new("policy-delete", Body("""{"kind":"assignment","name":"calico-only"}"""), new ApplyGovernance(GovernanceFiles.ReadFile(PoliciesFile).Document!)),
    ];

    /// <summary>The route a change is sent to directly, and its method.</summary>
    private static (string Method, string Route, string Query) Direct(string name) => name switch
    {
        "apply" => ("PUT", "/api/v1/sites/{site}/spec", ""),
        "delete-site" => ("DELETE", "/api/v1/sites/{site}", "?name=jane"),
        _ => ("POST", "/api/v1/sites/{site}/commands/" + name, ""),
    };

    private static IEnumerable<Example> ChangeExamples()
    {
        foreach (var change in Changes)
        {
            yield return new("POST", "/api/v1/sites/{site}/plans/" + change.Name, async context =>
            {
                await ResetAsync(context).ConfigureAwait(false);
                await EngineAsync(context, change.Prepare).ConfigureAwait(false);
                return new HttpRequestMessage(HttpMethod.Post, new Uri(Path("/api/v1/sites/{site}/plans/" + change.Name), UriKind.Relative))
                {
                    Content = await change.Body(context).ConfigureAwait(false),
                };
            });
            var (method, route, query) = Direct(change.Name);
            yield return new(method, route, async context =>
            {
                await ResetAsync(context).ConfigureAwait(false);
                await EngineAsync(context, change.Prepare).ConfigureAwait(false);
                var request = new HttpRequestMessage(new HttpMethod(method), new Uri(Path(route) + query, UriKind.Relative))
                {
                    Content = method == "DELETE" ? null : await change.Body(context).ConfigureAwait(false),
                };
                request.Headers.IfMatch.Add(await ETagAsync(context.Admin).ConfigureAwait(false));
                return request;
            });
        }
    }

    /// <summary>The shop's manifests (examples/manifests/shop.yaml) as a request's manifests member.</summary>
    public static JsonArray Manifests() =>
        [new JsonObject { ["name"] = "shop.yaml", ["text"] = File.ReadAllText(System.IO.Path.Combine(ExampleState.ExamplesDirectory, "manifests", "shop.yaml")) }];

    private static string Flow(JsonObject body)
    {
        body["from"] = "shop/web";
        body["to"] = "shop/db";
        body["port"] = "tcp/5432";
        return body.ToJsonString();
    }

    /// <summary>A POST of <paramref name="body"/> (JSON) to <paramref name="route"/>, after <paramref name="prepare"/>.</summary>
    private static Example Post(string route, Func<string> body, Func<ExampleContext, Task>? prepare = null, string method = "POST") => new(method, route, async context =>
    {
        await ResetAsync(context).ConfigureAwait(false);
        if (prepare is not null)
        {
            await prepare(context).ConfigureAwait(false);
        }

        return new HttpRequestMessage(new HttpMethod(method), new Uri(Path(route).Replace("{cluster}", "a", StringComparison.Ordinal), UriKind.Relative)) { Content = Json(body()) };
    });

    /// <summary>Stores the shop's manifests for cluster a, through the API.</summary>
    public static async Task StorePoliciesAsync(ExampleContext context)
    {
        using var response = await context.Admin.PutAsync(new Uri(Path("/api/v1/sites/{site}/clusters/a/policies"), UriKind.Relative),
            Json(new JsonObject { ["manifests"] = Manifests() }.ToJsonString())).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
    }

    private static IEnumerable<Example> PolicyExamples()
    {
        var spec = File.ReadAllText(System.IO.Path.Combine(ExampleState.ExamplesDirectory, "contoso-multicluster.yaml"));
        yield return Post("/api/v1/policy/check", () => Flow(new JsonObject { ["manifests"] = Manifests(), ["spec"] = spec, ["cluster"] = "payments" }));
        yield return Post("/api/v1/policy/trace", () => Flow(new JsonObject { ["manifests"] = Manifests(), ["spec"] = spec, ["cluster"] = "payments" }));
        yield return Post("/api/v1/policy/matrix", () => new JsonObject { ["manifests"] = Manifests() }.ToJsonString());
        yield return Post("/api/v1/policy/lint", () => new JsonObject { ["manifests"] = Manifests() }.ToJsonString());
        yield return Post("/api/v1/policy/diff", () => new JsonObject { ["before"] = Manifests(), ["after"] = new JsonArray(Manifests()[0]!.DeepClone()) }.ToJsonString());
        yield return Post("/api/v1/sites/{site}/policy/check", () => Flow(new JsonObject { ["manifests"] = Manifests(), ["cluster"] = "a" }));
        yield return Post("/api/v1/sites/{site}/policy/trace", () => Flow(new JsonObject { ["manifests"] = Manifests(), ["cluster"] = "a" }));
        yield return Post("/api/v1/sites/{site}/policy/matrix", () => new JsonObject { ["manifests"] = Manifests(), ["cluster"] = "a" }.ToJsonString());
        yield return Post("/api/v1/sites/{site}/policy/lint", () => new JsonObject { ["manifests"] = Manifests(), ["cluster"] = "a" }.ToJsonString());
        yield return Post("/api/v1/sites/{site}/policy/diff", () => new JsonObject { ["before"] = Manifests(), ["after"] = Manifests(), ["cluster"] = "a" }.ToJsonString());
        yield return Post("/api/v1/sites/{site}/clusters/{cluster}/policies", () => new JsonObject { ["manifests"] = Manifests() }.ToJsonString(), method: "PUT");
        yield return Post("/api/v1/sites/{site}/clusters/{cluster}/policy/check", () => Flow([]), StorePoliciesAsync);
        yield return Post("/api/v1/sites/{site}/clusters/{cluster}/policy/trace", () => Flow([]), StorePoliciesAsync);
        foreach (var route in new[] { "/api/v1/sites/{site}/clusters/{cluster}/policies", "/api/v1/sites/{site}/clusters/{cluster}/policy/matrix", "/api/v1/sites/{site}/clusters/{cluster}/policy/lint" })
        {
            yield return new("GET", route, async context =>
            {
                await ResetAsync(context).ConfigureAwait(false);
                await StorePoliciesAsync(context).ConfigureAwait(false);
                return new HttpRequestMessage(HttpMethod.Get, new Uri(Path(route).Replace("{cluster}", "a", StringComparison.Ordinal), UriKind.Relative));
            });
        }
    }

    /// <summary>A plan of <paramref name="context"/>'s own client (a plan is applied or discarded by whoever made it); a made-up id when it may not plan.</summary>
    private static async Task<string> PlanIdAsync(ExampleContext context)
    {
        await ResetAsync(context).ConfigureAwait(false);
        using var response = await context.Client.PostAsync(new Uri(Path("/api/v1/sites/{site}/plans/scale"), UriKind.Relative),
            Json("""{"cluster":"b","nodePool":"linuxpool","count":3}""")).ConfigureAwait(false);
        return response.IsSuccessStatusCode
            ? JsonNode.Parse(await response.Content.ReadAsStringAsync().ConfigureAwait(false))!["id"]!.GetValue<string>()
            : "00000000000000000000000000000000";
    }

    private static Example PlanExample(string method, string route) => new(method, route, async context =>
        new HttpRequestMessage(new HttpMethod(method), new Uri(Path(route).Replace("{id}", await PlanIdAsync(context).ConfigureAwait(false), StringComparison.Ordinal), UriKind.Relative)));

    public static IReadOnlyList<Example> All { get; } =
    [
        Get("/api/v1/sites"),
        Get("/api/v1/sites/{site}"),
        Get("/api/v1/sites/{site}/allocations", "?cluster=a"),
        Get("/api/v1/sites/{site}/findings"),
        Get("/api/v1/sites/{site}/networks"),
        Get("/api/v1/sites/{site}/clusters"),
        Get("/api/v1/sites/{site}/nodepools"),
        Get("/api/v1/sites/{site}/services", "?cluster=a"),
        Get("/api/v1/sites/{site}/pools"),
        Get("/api/v1/sites/{site}/capacity", "?whatIf=scale-nodepool%20cluster%3Db%20name%3Dlinuxpool%20count%3D2"),
        Get("/api/v1/sites/{site}/audit", "?last=5"),
        Get("/api/v1/sites/{site}/host-config"),
        Get("/api/v1/sites/{site}/cluster-networks"),
        Get("/api/v1/sites/{site}/cluster-settings"),
        Get("/api/v1/sites/{site}/load-balancer-settings"),
        Get("/api/v1/sites/{site}/load-balancer-pools"),
        Get("/api/v1/sites/{site}/bgp-peers"),
        Get("/api/v1/sites/{site}/render/{component}", "?cluster=a", "/api/v1/sites/{site}/render/haproxy"),
        Get("/api/v1/sites/{site}/deploy-script"),
        Get("/api/v1/sites/{site}/spec"),
        Get("/api/v1/sites/{site}/governance"),
        Get("/api/v1/sites/{site}/governance/definitions"),
        Get("/api/v1/sites/{site}/compliance"),
        Post("/api/v1/sites/{site}/compliance", () => new JsonObject { ["manifests"] = Manifests() }.ToJsonString()),
        Get("/api/v1/sites/{site}/alerts"),
        FleetGovernance("GET", "/api/v1/governance"),
        FleetGovernance("GET", "/api/v1/governance/definitions"),
        FleetGovernance("GET", "/api/v1/governance/compliance"),
        FleetGovernance("POST", "/api/v1/governance", File.ReadAllText(PoliciesFile)),
        FleetGovernance("DELETE", "/api/v1/governance/assignments/{name}", prepare: File.ReadAllText(PoliciesFile)),
        FleetGovernance("DELETE", "/api/v1/governance/definitions/{name}", prepare: FleetDefinition),
        Get("/api/v1/alerts"),
        Get("/api/v1/servers"),
        // The event stream's one-document form: the stream itself never ends on its own.
        new("GET", "/api/v1/sites/{site}/events", async context =>
        {
            await ResetAsync(context).ConfigureAwait(false);
            return new HttpRequestMessage(HttpMethod.Get, new Uri(Path("/api/v1/sites/{site}/events"), UriKind.Relative))
            {
                Headers = { Accept = { new MediaTypeWithQualityHeaderValue("application/json") } },
            };
        }),
        new("POST", "/api/v1/sites", _ => Task.FromResult(new HttpRequestMessage(HttpMethod.Post, new Uri("api/v1/sites", UriKind.Relative))
        {
            Content = Json($$"""{"name":"ex-{{Guid.NewGuid().ToString("N")[..12]}}"}"""),
        })),
        PlanExample("GET", "/api/v1/sites/{site}/plans/{id}"),
        PlanExample("DELETE", "/api/v1/sites/{site}/plans/{id}"),
        PlanExample("POST", "/api/v1/sites/{site}/plans/{id}/apply"),
        .. ChangeExamples(),
        .. PolicyExamples(),
        Get("/api/v1/token"),
        Get("/api/v1/tokens"),
        new("POST", "/api/v1/tokens", _ => Task.FromResult(new HttpRequestMessage(HttpMethod.Post, new Uri("api/v1/tokens", UriKind.Relative))
        {
            Content = Json($$"""{"name": "example-{{Guid.NewGuid():N}}", "grants": [{"site": "{{Site}}", "role": "Reader"}], "expires": "1h"}"""),
        })),
        new("DELETE", "/api/v1/tokens/{id}", async context =>
        {
            using var made = await context.Admin.PostAsync(new Uri("api/v1/tokens", UriKind.Relative),
                Json($$"""{"name": "to-revoke-{{Guid.NewGuid():N}}", "admin": true, "expires": "1h"}""")).ConfigureAwait(false);
            var id = System.Text.Json.Nodes.JsonNode.Parse(await made.Content.ReadAsStringAsync().ConfigureAwait(false))?["info"]?["id"]?.GetValue<string>()
                ?? throw new InvalidOperationException($"POST /api/v1/tokens answered {(int)made.StatusCode}.");
            return new HttpRequestMessage(HttpMethod.Delete, new Uri($"api/v1/tokens/{id}", UriKind.Relative));
        }),
    ];

    /// <summary>The example of an endpoint, or null when it has none.</summary>
    public static Example? For(string method, string route) =>
        All.FirstOrDefault(e => e.Method == method && string.Equals(e.Route.TrimEnd('/'), route.TrimEnd('/'), StringComparison.Ordinal));

    /// <summary>A JSON body.</summary>
    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>The site's current ETag, read by <paramref name="client"/>.</summary>
    public static async Task<EntityTagHeaderValue> ETagAsync(HttpClient client)
    {
        using var response = await client.GetAsync(new Uri(Path("/api/v1/sites/{site}"), UriKind.Relative)).ConfigureAwait(false);
        return response.Headers.ETag ?? throw new InvalidOperationException($"GET site answered {(int)response.StatusCode} without an ETag.");
    }
}
