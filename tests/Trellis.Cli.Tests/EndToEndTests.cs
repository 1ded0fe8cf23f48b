using System.Text;
using System.Text.Json;
using Trellis.Cli.Tests.Infrastructure;

namespace Trellis.Cli.Tests;

/// <summary>The built <c>trellis</c> program, run as a child process, on the example specs and on bad input.</summary>
public sealed class EndToEndTests
{
    public static IEnumerable<object[]> Examples() => Specs.AllExamples();

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task Every_example_validates_applies_with_a_plan_and_reapplies_with_no_changes(string example)
    {
        using var ws = new Workspace();
        var spec = Specs.Example(example);

        var validate = await ws.Run("validate", "-f", spec, "-o", "json");
        Assert.True(validate.ExitCode == 0, validate.ToString());
        Assert.True(Json.Parse(validate).GetProperty("valid").GetBoolean(), validate.ToString());

        var apply = await ws.Run("apply", "-f", spec);
        Assert.True(apply.ExitCode == 0, apply.ToString());
        Assert.Contains("Plan", apply.Stdout, StringComparison.Ordinal);
        Assert.Contains("+ cluster", apply.Stdout, StringComparison.Ordinal);
        Assert.Contains("Applied at store revision", apply.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("No changes", apply.Stdout, StringComparison.Ordinal);
        var before = await ws.Allocations();
        Assert.NotEmpty(before);
        Alloc.AssertUnique(before);

        var again = await ws.Run("apply", "-f", spec);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("No changes", again.Stdout, StringComparison.Ordinal);
        Assert.Equal(Revision(apply), Revision(again));
        var after = await ws.Allocations();
        Assert.Equal(Alloc.Canonical(before), Alloc.Canonical(after));
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task Dry_run_shows_the_plan_and_writes_nothing(string example)
    {
        using var ws = new Workspace();
        var dry = await ws.Run("apply", "-f", Specs.Example(example), "--dry-run", "-o", "json");
        Assert.True(dry.ExitCode == 0, dry.ToString());
        var plan = Json.Parse(dry);
        Assert.True(plan.GetProperty("dryRun").GetBoolean());
        Assert.False(plan.GetProperty("applied").GetBoolean());
        Assert.NotEqual(0, plan.GetProperty("added").GetArrayLength());

        var get = await ws.Run("get", "clusters", "-o", "json");
        Assert.True(get.ExitCode == 1, get.ToString());
        Assert.Contains("NoSite", Json.Codes(Json.Parse(get)));
    }

    public static TheoryData<string, string, string> BrokenSpecs()
    {
        var worked = Specs.Read(Specs.WorkedExample);
        return new TheoryData<string, string, string>
        {
            // An unclosed flow mapping at the end of the text.
            { "apiVersion: trellis/v1\nkind: Site\nmetadata: { name: x\nspec: [\n", "YamlSyntax", "" },
            { "apiVersion: trellis/v1\nkind: Site\n  metadata:\n name: x\n", "YamlSyntax", "" },
            { "apiVersion: trellis/v1\nkind: Site\nmetadata: { name: 'x }\n", "YamlSyntax", "" },
            { Specs.Edit(worked, "    vswitchName: External\n", "    vswitchName: External\n    bogusField: 1\n"), "UnknownField", "spec.hostNetwork.bogusField" },
            { Specs.Edit(worked, "controlPlaneNodeCount: 3", "controlPlaneNodeCount: three"), "WrongType", "spec.clusters[0].controlPlaneNodeCount" },
        };
    }

    [Theory]
    [MemberData(nameof(BrokenSpecs))]
    public async Task Validate_of_a_broken_spec_exits_1_with_coded_findings(string yaml, string code, string path)
    {
        using var ws = new Workspace();
        var file = ws.WriteText("broken.yaml", yaml);
        var r = await ws.Run("validate", "-f", file, "-o", "json");
        Assert.True(r.ExitCode == 1, r.ToString());
        AssertNoCrash(r);
        var doc = Json.Parse(r);
        Assert.False(doc.GetProperty("valid").GetBoolean());
        AssertWellFormedFindings(doc, r);
        Assert.Contains((code, path), Json.CodesAndPaths(doc));
    }

    [Fact]
    public async Task Get_networks_names_each_networks_virtual_switch_an_arc_logical_networks_vmSwitchName_too()
    {
        using var ws = new Workspace();
        var apply = await ws.RunIn("apply", "-f", Specs.Example("aksarc-site.yaml"));
        Assert.True(apply.ExitCode == 0, apply.ToString());

        var table = await ws.RunIn("get", "networks");
        var json = Json.Parse(await ws.RunIn("get", "networks", "-o", "json"));

        Assert.Contains("vSwitch", table.Stdout, StringComparison.Ordinal);
        Assert.Contains("ConvergedSwitch", table.Stdout, StringComparison.Ordinal);
        var network = Assert.Single(json.EnumerateArray());
        Assert.Equal(("aks-lnet", "ConvergedSwitch"), (network.GetProperty("name").GetString(), network.GetProperty("vSwitch").GetString()));
    }

    [Fact]
    public async Task Apply_of_a_broken_spec_exits_1_and_writes_nothing()
    {
        using var ws = new Workspace();
        var file = ws.WriteText("broken.yaml", Specs.Edit(Specs.Read(Specs.WorkedExample), "controlPlaneNodeCount: 3", "controlPlaneNodeCount: 4"));
        var r = await ws.Run("apply", "-f", file, "-o", "json");
        Assert.True(r.ExitCode == 1, r.ToString());
        var doc = Json.Parse(r);
        Assert.False(doc.GetProperty("applied").GetBoolean());
        AssertWellFormedFindings(doc, r);
        Assert.Contains("spec.clusters[0].controlPlaneNodeCount", Json.CodesAndPaths(doc).Select(f => f.Path));

        var get = await ws.Run("get", "allocations", "-o", "json");
        Assert.True(get.ExitCode == 1, get.ToString());
        Assert.Contains("NoSite", Json.Codes(Json.Parse(get)));
    }

    public static TheoryData<int> GarbageSeeds() => new() { 1, 2, 3, 4, 5, 6 };

    /// <summary>Random bytes, random YAML punctuation, and a valid spec cut short and followed by either.</summary>
    [Theory]
    [MemberData(nameof(GarbageSeeds))]
    public async Task Garbage_file_exits_1_and_does_not_crash(int seed)
    {
        var random = new Random(seed);
        byte[] bytes = (seed % 3) switch
        {
            0 => RandomBytes(random, 4096),
            1 => Encoding.UTF8.GetBytes(YamlPunctuation(random, 600)),
            _ => [.. File.ReadAllBytes(Specs.WorkedExample).Take(random.Next(50, 900)),
                .. seed % 2 == 0 ? RandomBytes(random, 300) : Encoding.UTF8.GetBytes(YamlPunctuation(random, 80))],
        };
        using var ws = new Workspace();
        var file = ws.WriteBytes("garbage.yaml", bytes);
        foreach (var command in new[] { "validate", "apply" })
        {
            var r = await ws.Run(command, "-f", file, "-o", "json");
            Assert.True(r.ExitCode == 1, $"seed {seed}: {r}");
            AssertNoCrash(r);
            AssertWellFormedFindings(Json.Parse(r), r);
        }
    }

    [Fact]
    public async Task Missing_file_exits_1_with_FileNotFound()
    {
        using var ws = new Workspace();
        var missing = ws.PathOf("no-such-site.yaml");
        foreach (var command in new[] { "validate", "apply", "capacity" })
        {
            var r = await ws.Run(command, "-f", missing, "-o", "json");
            Assert.True(r.ExitCode == 1, r.ToString());
            AssertNoCrash(r);
            Assert.Contains("FileNotFound", Json.Codes(Json.Parse(r)));
        }

        Assert.False(File.Exists(missing));
    }

    [Theory]
    [InlineData("get", "foo")]
    [InlineData("apply", "--no-such-option", "-f", "x.yaml")]
    [InlineData("apply")]
    [InlineData("frobnicate")]
    [InlineData("get", "clusters", "-o", "xml")]
    [InlineData("scale", "--cluster", "a", "--count", "3")]
    [InlineData("delete", "cluster")]
    public async Task Bad_command_line_exits_2(params string[] args)
    {
        using var ws = new Workspace();
        var r = await ws.Run(args);
        Assert.True(r.ExitCode == 2, r.ToString());
        AssertNoCrash(r);
        Assert.Contains("trellis:", r.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(ws.Root, ".trellis", "state.db")));
    }

    [Fact]
    public async Task State_file_that_is_not_a_state_store_exits_3_with_a_store_error()
    {
        using var ws = new Workspace();
        var state = ws.WriteBytes("not-a-database.db", RandomBytes(new Random(7), 8192));
        var r = await ws.RunOn(state, "get", "clusters", "-o", "json");
        Assert.True(r.ExitCode == 3, r.ToString());
        AssertNoCrash(r);
        Assert.Contains("store error", r.Stderr, StringComparison.Ordinal);
    }

    internal static void AssertNoCrash(CliResult r)
    {
        Assert.True(!r.Stderr.Contains("Unhandled exception", StringComparison.OrdinalIgnoreCase) && !r.Stderr.Contains("   at ", StringComparison.Ordinal),
            "The CLI crashed: " + r);
    }

    internal static void AssertWellFormedFindings(JsonElement doc, CliResult r)
    {
        var findings = doc.GetProperty("findings");
        Assert.True(findings.GetArrayLength() > 0, r.ToString());
        Assert.Contains(findings.EnumerateArray(), f => f.GetProperty("severity").GetString() == "Error");
        foreach (var f in findings.EnumerateArray())
        {
            foreach (var field in new[] { "code", "path", "message", "hint", "severity" })
            {
                Assert.True(f.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String, $"finding without a string '{field}': {f}");
            }

            Assert.NotEmpty(f.GetProperty("code").GetString()!);
            Assert.NotEmpty(f.GetProperty("message").GetString()!);
            Assert.NotEmpty(f.GetProperty("hint").GetString()!);
            Assert.Contains(f.GetProperty("severity").GetString(), new[] { "Error", "Warning", "Info" });
        }
    }

    private static string Revision(CliResult apply)
    {
        var m = System.Text.RegularExpressions.Regex.Match(apply.Stdout, @"Applied at store revision (\d+)");
        Assert.True(m.Success, apply.ToString());
        return m.Groups[1].Value;
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string YamlPunctuation(Random random, int tokens)
    {
        string[] vocabulary = ["{", "}", "[", "]", ":", ": ", "- ", " ", "  ", "\n", "\n  ", "'", "\"", "a", "spec", "1", "#", "&x ", "*x", "!!str ", "|", ">", "? ", ",", "\\", "\t", "%YAML 1.2\n", "---\n", "..."];
        var b = new StringBuilder();
        for (var i = 0; i < tokens; i++)
        {
            b.Append(vocabulary[random.Next(vocabulary.Length)]);
        }

        return b.ToString();
    }
}
