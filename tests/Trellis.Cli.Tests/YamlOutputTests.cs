using System.Text.Json;
using System.Text.RegularExpressions;
using Trellis.Cli.Tests.Infrastructure;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Trellis.Cli.Tests;

/// <summary>
/// <c>-o yaml</c> carries exactly what <c>-o json</c> carries: same keys in the same order, same values, same types. The
/// documents are compared in this process (formatting is the CLI's, not the process's); one run through the process
/// shows that standard output carries the YAML text unchanged, odd characters included.
/// </summary>
public sealed partial class YamlOutputTests
{
    [Fact]
    public async Task Yaml_output_parses_and_matches_the_json_output_of_every_document_kind()
    {
        using var ws = new Workspace();
        var apply = await ws.RunIn("apply", "-f", Specs.WorkedExample, "-o", "yaml");
        Assert.True(apply.ExitCode == 0, apply.ToString());
        var yamlRoot = ParseYaml(apply);
        Assert.IsType<YamlMappingNode>(yamlRoot);
        Assert.Contains("applied", ((YamlMappingNode)yamlRoot).Children.Keys.Select(k => ((YamlScalarNode)k).Value));

        string[][] commands =
        [
            ["capacity", "-f", Specs.WorkedExample],
            ["capacity", "-f", Specs.WorkedExample, "--what-if", "add-nodepool cluster=b name=win osType=Windows count=10"],
            ["validate", "-f", Specs.WorkedExample],
            ["apply", "-f", Specs.WorkedExample, "--dry-run"],
            ["get", "allocations"],
            ["get", "clusters"],
            ["get", "services"],
            ["get", "networks"],
            ["get", "pools"],
        ];
        foreach (var command in commands)
        {
            await AssertSameDocument(ws, command);
        }
    }

    /// <summary>
    /// Field names echoed into findings are data: 'True', 'NULL', '0x1F', '.inf' or a date must stay strings in YAML too,
    /// and control characters or characters beyond the BMP must come out as valid YAML with the same text.
    /// </summary>
    [Theory]
    [InlineData("True: 1\nNULL: 2\n0x1F: 3\n.inf: 4\nyes: 5\n-1: 6\n\"2024-01-02\": 7\n\"=\": 8\n")]
    [InlineData("\"x\\U0001F600y\": 1\n\"tab\\there\": 2\n\"ctl\\x01x\": 3\n\"quote'\\\"and\\\\\": 4\n\"line\\u2028sep\": 5\n")]
    public async Task Odd_strings_keep_their_text_and_type_in_yaml(string oddKeys)
    {
        using var ws = new Workspace();
        var text = Specs.Edit(Specs.Read(Specs.WorkedExample), "kind: Site\n", "kind: Site\n" + oddKeys);
        var file = ws.WriteText("odd-keys.yaml", text);
        var json = Json.Parse(await ws.RunIn("validate", "-f", file, "-o", "json"));
        Assert.True(json.GetProperty("findings").GetArrayLength() >= oddKeys.Count(c => c == '\n'), json.ToString());
        await AssertSameDocument(ws, ["validate", "-f", file], expectedExit: 1);
    }

    /// <summary>The process writes YAML through the console's text writer: the same text as in this process, beyond ASCII and the BMP too.</summary>
    [Fact]
    public async Task Yaml_from_the_process_is_the_text_the_cli_formats()
    {
        using var ws = new Workspace();
        var oddKeys = "\"x\\U0001F600y\": 1\n\"tab\\there\": 2\n\"ctl\\x01x\": 3\n\"grüße\": 4\n\"line\\u2028sep\": 5\n\"=\": 6\n";
        var file = ws.WriteText("odd-keys.yaml", Specs.Edit(Specs.Read(Specs.WorkedExample), "kind: Site\n", "kind: Site\n" + oddKeys));

        var process = await ws.Run("validate", "-f", file, "-o", "yaml");
        var inProcess = await ws.RunIn("validate", "-f", file, "-o", "yaml");

        Assert.True(process.ExitCode == 1 && inProcess.ExitCode == 1, $"{process}\n---\n{inProcess}");
        Assert.Contains("grüße", process.Stdout, StringComparison.Ordinal);
        Assert.Equal(inProcess.Stdout, process.Stdout);
        ParseYaml(process);
    }

    private static async Task AssertSameDocument(Workspace ws, string[] command, int expectedExit = 0)
    {
        var json = await ws.RunIn([.. command, "-o", "json"]);
        var yaml = await ws.RunIn([.. command, "-o", "yaml"]);
        Assert.True(json.ExitCode == expectedExit, json.ToString());
        Assert.True(yaml.ExitCode == expectedExit, yaml.ToString());
        var jsonRoot = Json.Parse(json);
        var yamlRoot = ParseYaml(yaml);
        if (jsonRoot.ValueKind == JsonValueKind.Object)
        {
            Assert.Equal(jsonRoot.EnumerateObject().Select(p => p.Name), ((YamlMappingNode)yamlRoot).Children.Keys.Select(k => ((YamlScalarNode)k).Value));
        }

        AssertSame(jsonRoot, yamlRoot, string.Join(' ', command));
    }

    private static YamlNode ParseYaml(CliResult r)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(r.Stdout));
        }
        catch (YamlException e)
        {
            throw new Xunit.Sdk.XunitException($"stdout is not YAML ({e.Message}):\n{r}");
        }

        Assert.True(stream.Documents.Count == 1, r.ToString());
        return stream.Documents[0].RootNode;
    }

    private static void AssertSame(JsonElement json, YamlNode yaml, string path)
    {
        switch (json.ValueKind)
        {
            case JsonValueKind.Object:
                var mapping = Assert.IsType<YamlMappingNode>(yaml);
                var keys = mapping.Children.Keys.Select(k => Assert.IsType<YamlScalarNode>(k).Value).ToList();
                Assert.True(json.EnumerateObject().Select(p => p.Name).SequenceEqual(keys), $"{path}: keys differ: json [{string.Join(", ", json.EnumerateObject().Select(p => p.Name))}] yaml [{string.Join(", ", keys)}]");
                foreach (var p in json.EnumerateObject())
                {
                    AssertSame(p.Value, mapping.Children[new YamlScalarNode(p.Name)], $"{path}.{p.Name}");
                }

                break;
            case JsonValueKind.Array:
                var sequence = Assert.IsType<YamlSequenceNode>(yaml);
                Assert.True(json.GetArrayLength() == sequence.Children.Count, $"{path}: {json.GetArrayLength()} items in JSON, {sequence.Children.Count} in YAML");
                var i = 0;
                foreach (var item in json.EnumerateArray())
                {
                    AssertSame(item, sequence.Children[i], $"{path}[{i}]");
                    i++;
                }

                break;
            case JsonValueKind.String:
                var s = Assert.IsType<YamlScalarNode>(yaml);
                Assert.True(json.GetString() == s.Value, $"{path}: JSON '{json.GetString()}', YAML '{s.Value}'");
                Assert.True(s.Style != ScalarStyle.Plain || ResolvesAsString(s.Value!), $"{path}: the string '{s.Value}' is written plain and reads back as a {Resolve(s.Value!)}");
                break;
            default:
                var scalar = Assert.IsType<YamlScalarNode>(yaml);
                Assert.True(scalar.Style == ScalarStyle.Plain, $"{path}: {json.ValueKind} written quoted");
                var expected = json.ValueKind switch { JsonValueKind.True => "true", JsonValueKind.False => "false", JsonValueKind.Null => "null", _ => json.GetRawText() };
                Assert.True(expected == scalar.Value, $"{path}: JSON {expected}, YAML {scalar.Value}");
                Assert.Equal(json.ValueKind switch { JsonValueKind.Number => "number", JsonValueKind.Null => "null", _ => "boolean" }, Resolve(scalar.Value!));
                break;
        }
    }

    private static bool ResolvesAsString(string plain) => Resolve(plain) == "string";

    /// <summary>
    /// What a plain scalar reads back as under the YAML 1.2 core schema, and under YAML 1.1 (still the default of many
    /// parsers: yes/no/on/off/y/n, 0b…, dates) — a string must be a string under both.
    /// </summary>
    private static string Resolve(string plain) =>
        NullPattern().IsMatch(plain) ? "null"
        : BoolPattern().IsMatch(plain) ? "boolean"
        : NumberPattern().IsMatch(plain) ? "number"
        : DatePattern().IsMatch(plain) ? "timestamp"
        : "string";

    [GeneratedRegex("^(~|null|Null|NULL|)$")]
    private static partial Regex NullPattern();

    [GeneratedRegex("^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$")]
    private static partial Regex BoolPattern();

    [GeneratedRegex(@"^([-+]?(0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?|\.[0-9_]+([eE][-+]?[0-9]+)?|\.(inf|Inf|INF))|\.(nan|NaN|NAN))$")]
    private static partial Regex NumberPattern();

    [GeneratedRegex("^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")]
    private static partial Regex DatePattern();
}
