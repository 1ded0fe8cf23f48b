using System.Management.Automation.Language;
using System.Text.Json.Nodes;
using Trellis.Core.Model;
using Trellis.Core.Validation;
using Trellis.Rendering.Dhcp;
using Trellis.Rendering.MetalLb;
using YamlDotNet.RepresentationModel;

namespace Trellis.Rendering.Tests.Emit;

/// <summary>
/// Every string field of a spec holding a hostile value (quotes of every kind, newlines, ---, ${}, $(…), backticks, #,
/// NUL, U+2028/U+2029): either the validator refuses the spec with a finding, or every rendered file parses back in its
/// format to the same structure as the benign render, and every value holding the hostile text holds all of it.
/// </summary>
public sealed class HostileValueRoundTripTests
{
    private const string Marker = "«h»";

    public static readonly string[] HostileValues =
    [
        Marker + "q'\u2018\u2019\u201A\u201B\"\u201C\u201D x\n---\nkind: Secret ${HOME} $(id) `whoami` # c \0 \u2028\u2029 \\ end",
        Marker + "q'\u2018\u2019\u201A\u201B\"\u201C\u201D --- ${HOME} $(id) `whoami` # c \\ end",
        Marker + "Bob\u2019s \u2018x\u2019 \u201Ay\u201B ${HOME} $(id) `whoami` #1 -- end",
        Marker + "x' -Description z; Write-Host PWNED; #",
    ];

    private static SiteSpec Example(string file) => SiteSpecReader.Read(File.ReadAllText(Path.Combine(ExampleState.ExamplesDirectory, file))).Spec!;

    private static IReadOnlyList<T> Set<T>(IReadOnlyList<T> list, int i, Func<T, T> edit) => list.Select((x, j) => j == i ? edit(x) : x).ToList();

    /// <summary>One edit per string field of the specs, each putting the value into that field only.</summary>
    public static IEnumerable<(string Field, string File, Func<SiteSpec, string, SiteSpec> Edit)> Fields() =>
    [
        ("metadata.name", "contoso-multicluster.yaml", (s, v) => s with { Name = v }),
        ("metadata.name", "dhcp-site.yaml", (s, v) => s with { Name = v }),
        ("hostNetwork.name", "dhcp-site.yaml", (s, v) => s with { HostNetwork = s.HostNetwork! with { Name = v } }),
        ("hostNetwork.vswitchName", "contoso-multicluster.yaml", (s, v) => s with { HostNetwork = s.HostNetwork! with { VswitchName = v } }),
        ("clusterNetworks[0].name", "contoso-multicluster.yaml", (s, v) => s with
        {
            ClusterNetworks = Set(s.ClusterNetworks, 0, n => n with { Name = v }),
            Clusters = s.Clusters.Select(c => c.Vnet == s.ClusterNetworks[0].Name ? c with { Vnet = v } : c).ToList(),
        }),
        ("dhcpScope.reservations[0].name", "dhcp-site.yaml", (s, v) => s with
        {
            HostNetwork = s.HostNetwork! with { DhcpScope = s.HostNetwork.DhcpScope! with { Reservations = Set(s.HostNetwork.DhcpScope.Reservations, 0, r => r with { Name = v }) } },
        }),
        ("loadBalancerSettings[0].name", "contoso-multicluster.yaml", (s, v) => s with
        {
            LoadBalancerSettings = Set(s.LoadBalancerSettings, 0, l => l with { Name = v }),
            Clusters = s.Clusters.Select(c => c.LoadBalancerSettings == s.LoadBalancerSettings[0].Name ? c with { LoadBalancerSettings = v } : c).ToList(),
        }),
        ("clusters[0].name", "contoso-multicluster.yaml", (s, v) => s with { Clusters = Set(s.Clusters, 0, c => c with { Name = v }) }),
        ("clusters[0].kubernetesVersion", "contoso-multicluster.yaml", (s, v) => s with { Clusters = Set(s.Clusters, 0, c => c with { KubernetesVersion = v }) }),
        ("clusters[0].controlPlaneVmSize", "contoso-multicluster.yaml", (s, v) => s with { Clusters = Set(s.Clusters, 0, c => c with { ControlPlaneVmSize = v }) }),
        ("clusters[0].nodePools[0].name", "contoso-multicluster.yaml", (s, v) => s with { Clusters = Set(s.Clusters, 0, c => c with { NodePools = Set(c.NodePools, 0, p => p with { Name = v }) }) }),
        ("clusters[0].nodePools[0].vmSize", "contoso-multicluster.yaml", (s, v) => s with { Clusters = Set(s.Clusters, 0, c => c with { NodePools = Set(c.NodePools, 0, p => p with { VmSize = v }) }) }),
        ("clusters[0].nodePools[1].osSku", "contoso-multicluster.yaml", (s, v) => s with { Clusters = Set(s.Clusters, 0, c => c with { NodePools = Set(c.NodePools, 1, p => p with { OsSku = v }) }) }),
        ("clusters[0].services[0].namespace", "contoso-multicluster.yaml", (s, v) => s with { Clusters = Set(s.Clusters, 0, c => c with { Services = Set(c.Services, 0, x => x with { Namespace = v }) }) }),
        ("clusters[0].services[0].name", "contoso-multicluster.yaml", (s, v) => s with { Clusters = Set(s.Clusters, 0, c => c with { Services = Set(c.Services, 0, x => x with { Name = v }) }) }),
        ("clusters[0].services[0].sharedIpKey", "contoso-multicluster.yaml", (s, v) => s with { Clusters = Set(s.Clusters, 0, c => c with { Services = Set(c.Services, 0, x => x with { SharedIpKey = v }) }) }),
        ("clusters[0].services[2].protocol", "contoso-multicluster.yaml", (s, v) => s with { Clusters = Set(s.Clusters, 0, c => c with { Services = Set(c.Services, 2, x => x with { Protocol = v }) }) }),
        ("logicalNetwork.name", "aksarc-site.yaml", (s, v) => s with { LogicalNetwork = s.LogicalNetwork! with { Name = v } }),
        ("clusters[0].loadBalancers[0].name", "aksarc-site.yaml", (s, v) => s with { Clusters = Set(s.Clusters, 0, c => c with { LoadBalancers = Set(c.LoadBalancers, 0, l => l with { Name = v }) }) }),
        ("clusters[0].loadBalancers[0].addresses[0]", "aksarc-site.yaml", (s, v) => s with { Clusters = Set(s.Clusters, 0, c => c with { LoadBalancers = Set(c.LoadBalancers, 0, l => l with { Addresses = [v] }) }) }),
        ("clusters[1].bgpPeers[0].name", "aksarc-site.yaml", (s, v) => s with { Clusters = Set(s.Clusters, 1, c => c with { BgpPeers = Set(c.BgpPeers, 0, p => p with { Name = v }) }) }),
        ("clusters[1].bgpPeers[0].peerAddress", "aksarc-site.yaml", (s, v) => s with { Clusters = Set(s.Clusters, 1, c => c with { BgpPeers = Set(c.BgpPeers, 0, p => p with { PeerAddress = v }) }) }),
    ];

    public static TheoryData<string, string, int> Cases()
    {
        var data = new TheoryData<string, string, int>();
        foreach (var (field, file, _) in Fields())
        {
            for (var i = 0; i < HostileValues.Length; i++)
            {
                data.Add(field, file, i);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryStringField_HostileValue_IsRefusedWithAFindingOrParsesBackInEveryFormat(string field, string file, int value)
    {
        var hostile = HostileValues[value];
        var edit = Fields().Single(f => f.Field == field && f.File == file).Edit;
        var spec = edit(Example(file), hostile);

        var validation = SiteValidator.Validate(spec);
        if (validation.Findings.Any(f => f.Severity == Severity.Error))
        {
            return; // refused with a finding: nothing is rendered from it
        }

        var benign = ExampleState.Load(file);
        var state = ExampleState.FromSpec(spec);
        if (SiteRenderer.Findings(state.Site).Any(f => f.Severity == Severity.Error))
        {
            return;
        }

        var before = SiteRenderer.Render(benign.Site, benign.Allocations);
        IReadOnlyList<RenderedFile> after;
        try
        {
            after = SiteRenderer.Render(state.Site, state.Allocations);
        }
        catch (UnrenderableValueException refused)
        {
            Assert.Fail($"{field} = {Show(hostile)} passes validation, but a renderer cannot hold it: {refused.Finding}");
            return;
        }

        Assert.Equal(Shapes(before), Shapes(after));
        foreach (var rendered in after)
        {
            foreach (var s in Read(rendered.Path, rendered.Content).Strings.Where(s => s.Contains(Marker, StringComparison.OrdinalIgnoreCase)))
            {
                Assert.True(s.Contains(hostile, StringComparison.OrdinalIgnoreCase), $"{field}: {rendered.Path} holds a part of {Show(hostile)} only: {Show(s)}");
            }
        }
    }

    /// <summary>Per component, the shapes of its files: a hostile value must not add, drop or reshape any.</summary>
    private static Dictionary<string, string> Shapes(IEnumerable<RenderedFile> files) =>
        files.GroupBy(f => f.Component).ToDictionary(g => g.Key, g => string.Join("\n", g.Select(f => Read(f.Path, f.Content).Shape).Order(StringComparer.Ordinal)));

    private static string Show(string s) => string.Concat(s.Select(c => c < ' ' || c is '\u2028' or '\u2029' ? $"\\u{(int)c:X4}" : c.ToString()));

    /// <summary>A file read back in its own format: a shape (what must not change) and every string value it holds.</summary>
    private static (string Shape, IReadOnlyList<string> Strings) Read(string path, string content)
    {
        if (path.EndsWith(".yaml", StringComparison.Ordinal))
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(content));
            var scalars = stream.Documents.SelectMany(d => d.AllNodes.OfType<YamlScalarNode>()).Select(s => s.Value ?? "").ToList();
            var shape = string.Join("|", stream.Documents.Select(d => d.RootNode is YamlMappingNode m && m.Children.TryGetValue("kind", out var k) ? ((YamlScalarNode)k).Value : "?"));
            return ($"yaml:{stream.Documents.Count}:{shape}", scalars);
        }

        if (path.EndsWith(".json", StringComparison.Ordinal))
        {
            var root = JsonNode.Parse(content)!;
            var strings = new List<string>();
            var keys = new List<string>();
            void Walk(JsonNode? node, string at)
            {
                switch (node)
                {
                    case JsonObject o:
                        foreach (var (k, v) in o)
                        {
                            keys.Add($"{at}.{k}");
                            Walk(v, $"{at}.{k}");
                        }

                        break;
                    case JsonArray a:
                        foreach (var item in a)
                        {
                            Walk(item, $"{at}[]");
                        }

                        break;
                    case JsonValue v when v.TryGetValue<string>(out var s):
                        strings.Add(s);
                        break;
                }
            }

            Walk(root, "");
            return ($"json:{string.Join(",", keys.Distinct().Order(StringComparer.Ordinal))}", strings);
        }

        if (path.EndsWith(".ps1", StringComparison.Ordinal))
        {
            var ast = PowerShellAst.Parse(content);
            var strings = ast.Root.FindAll(a => a is StringConstantExpressionAst, true).Cast<StringConstantExpressionAst>().Select(s => s.Value).ToList();
            return ($"ps1:{string.Join(",", ast.CommandNames)}", strings);
        }

        // HAProxy, keepalived, subnet.env: line-based syntaxes; a value must never add, remove or start a line.
        var lines = content.Split('\n').Select(l => l.TrimStart()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        return ($"lines:{lines.Count}:{string.Join(",", lines.Select(l => l.Split(' ')[0]))}", []);
    }

    [Fact]
    public void Renderers_HostileValuesPastValidation_ParseBackExactly()
    {
        var hostile = HostileValues[0];
        var tiny = Dhcp.DhcpSites.Tiny.Site;
        var scope = tiny.HostNetwork.Dhcp!;
        var site = tiny with
        {
            Spec = tiny.Spec with { Name = hostile },
            HostNetwork = tiny.HostNetwork with { Name = hostile, Dhcp = scope with { Reservations = scope.Reservations.Select(r => r with { Name = hostile }).ToList() } },
        };

        var kea = JsonNode.Parse(KeaConfigRenderer.Render(site, site.HostNetwork))!["Dhcp4"]!["subnet4"]![0]!;
        var ps = PowerShellAst.Parse(WindowsDhcpScriptRenderer.Render(site, site.HostNetwork));

        Assert.Equal(hostile, kea["user-context"]!["site"]!.GetValue<string>());
        Assert.Equal(hostile, kea["user-context"]!["network"]!.GetValue<string>());
        Assert.All(kea["reservations"]!.AsArray(), r => Assert.Equal(hostile, r!["user-context"]!["reservation"]!.GetValue<string>()));
        Assert.Equal([hostile], ps.StringArguments("Add-DhcpServerv4Scope", "Name"));
        Assert.Equal([hostile, hostile], ps.StringArguments("Add-DhcpServerv4Reservation", "Name"));

        var arc = ExampleState.Load("aksarc-site.yaml");
        var cluster = arc.Site.Clusters[0];
        var pools = cluster.Spec.LoadBalancers.Select(l => l with { Name = hostile, Addresses = [.. l.Addresses, hostile] }).ToList();
        var hostileCluster = cluster with { Spec = cluster.Spec with { LoadBalancers = pools } };
        var arcSite = arc.Site with { Clusters = [hostileCluster, .. arc.Site.Clusters.Skip(1)] };
        var yaml = new YamlStream();
        yaml.Load(new StringReader(MetalLbRenderer.Render(arcSite, Core.Planning.ClusterTopology.From(arcSite, hostileCluster, arc.Allocations))));
        Assert.Equal(["IPAddressPool", "L2Advertisement"], yaml.Documents.Select(d => ((YamlScalarNode)d.RootNode["kind"]).Value));
        Assert.All(yaml.Documents, d => Assert.Equal(hostile.ToLowerInvariant(), ((YamlScalarNode)d.RootNode["metadata"]["name"]).Value));
        Assert.Equal(hostile, ((YamlSequenceNode)yaml.Documents[0].RootNode["spec"]["addresses"]).Children.Select(c => ((YamlScalarNode)c).Value).Last());
    }
}
