using System.Collections;
using System.Reflection;
using System.Text.Json;
using Trellis.Core.Model;
using Trellis.Core.Validation;
using static Trellis.Core.Tests.SpecEdits;

namespace Trellis.Core.Tests.Validation;

/// <summary>No string field of a site spec may hold a control character: each one, found by walking the model itself.</summary>
public class ControlCharacterTests
{
    /// <summary>Every string field of the model (and every item of a string list) in the example specs, with its finding path.</summary>
    private static IEnumerable<(string Path, PropertyInfo Property, int? Index, object Owner)> StringFields(object node, string path)
    {
        foreach (var p in node.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var field = node is SiteSpec
                ? p.Name switch { "Name" => "metadata.name", "ApiVersion" => "apiVersion", "Kind" => "kind", _ => $"spec.{Camel(p.Name)}" }
                : $"{path}.{Camel(p.Name)}";
            var value = p.GetValue(node);
            if (p.PropertyType == typeof(string))
            {
                yield return (field, p, null, node);
            }
            else if (p.PropertyType == typeof(IReadOnlyList<string>))
            {
                var list = (IReadOnlyList<string>)value!;
                for (var i = 0; i < Math.Max(1, list.Count); i++)
                {
                    yield return ($"{field}[{i}]", p, i, node);
                }
            }
            else if (value is IEnumerable items and not string)
            {
                var i = 0;
                foreach (var item in items)
                {
                    foreach (var inner in StringFields(item, $"{field}[{i++}]"))
                    {
                        yield return inner;
                    }
                }
            }
            else if (value is not null && p.PropertyType.Namespace == typeof(SiteSpec).Namespace && p.PropertyType.IsClass)
            {
                foreach (var inner in StringFields(value, field))
                {
                    yield return inner;
                }
            }
        }
    }

    private static string Camel(string name) => name == "VlanId" ? "vlanID" : char.ToLowerInvariant(name[0]) + name[1..];

    private static SiteSpec Copy(SiteSpec spec) => JsonSerializer.Deserialize<SiteSpec>(JsonSerializer.Serialize(spec))!;

    /// <summary>The same spec with one string field (or list item) replaced.</summary>
    private static SiteSpec With(SiteSpec spec, int fieldNumber, string value)
    {
        var copy = Copy(spec);
        var (_, property, index, owner) = StringFields(copy, "").ElementAt(fieldNumber);
        if (index is { } i)
        {
            var list = ((IReadOnlyList<string>)property.GetValue(owner)!).ToList();
            if (list.Count <= i)
            {
                list.Add(value);
            }
            else
            {
                list[i] = value;
            }

            property.SetValue(owner, list);
        }
        else
        {
            property.SetValue(owner, value);
        }

        return copy;
    }

    private static readonly string[] ExampleFiles = ["worked-example.yaml", "contoso-multicluster.yaml", "dhcp-site.yaml", "aksarc-site.yaml"];

    public static TheoryData<string> Examples => new(ExampleFiles);

    [Theory]
    [MemberData(nameof(Examples))]
    public void EveryStringField_RefusesAControlCharacter_WithAFindingAtItsPath(string example)
    {
        var spec = ExampleSites.Spec(example);
        var fields = StringFields(spec, "").Select(f => f.Path).ToList();
        Assert.True(fields.Count > 20, $"only {fields.Count} string fields found");

        var missed = new List<string>();
        for (var n = 0; n < fields.Count; n++)
        {
            var findings = SiteValidator.Validate(With(spec, n, "a\u2028b")).Findings;
            if (!findings.Any(f => f.Code == "ControlCharacter" && f.Path == fields[n] && f.Severity == Severity.Error && f.Hint.Length > 0))
            {
                missed.Add(fields[n]);
            }
        }

        Assert.Empty(missed);
    }

    /// <summary>The examples together hold every string field of every type of the model, so a new field cannot escape the rule.</summary>
    [Fact]
    public void TheExamples_CoverEveryStringFieldOfTheModel()
    {
        var covered = ExampleFiles.SelectMany(e => StringFields(ExampleSites.Spec(e), "")).Select(f => (f.Property.DeclaringType, f.Property.Name)).ToHashSet();
        var model = typeof(SiteSpec).Assembly.GetTypes()
            .Where(t => t.Namespace == typeof(SiteSpec).Namespace && t.IsClass && t.IsPublic && t.Name.EndsWith("Spec", StringComparison.Ordinal))
            .SelectMany(t => t.GetProperties().Where(p => p.CanWrite && (p.PropertyType == typeof(string) || p.PropertyType == typeof(IReadOnlyList<string>))))
            .Select(p => (p.DeclaringType, p.Name));

        Assert.Empty(model.Where(m => !covered.Contains(m)).Select(m => $"{m.DeclaringType!.Name}.{m.Name}"));
    }

    [Theory]
    [InlineData("\0", "U+0000")]
    [InlineData("\r", "U+000D")]
    [InlineData("\n", "U+000A")]
    [InlineData("\t", "U+0009")]
    [InlineData("\u2028", "U+2028")]
    [InlineData("\u2029", "U+2029")]
    [InlineData("\u0085", "U+0085")]
    [InlineData("\u001b", "U+001B")]
    [InlineData("\u007f", "U+007F")]
    [InlineData("\u202e", "U+202E")]
    [InlineData("\u200b", "U+200B")]
    [InlineData("lone high surrogate", "unpaired surrogate")]
    public void Validate_RefusesEveryKindOfControlCharacter_AndNamesIt(string character, string named)
    {
        // Theory data does not carry a lone surrogate intact, so that one is made here.
        character = character == "lone high surrogate" ? "\ud800" : character;
        var finding = Worked.Host(n => n with { VswitchName = $"External{character}Switch" }).AssertFinding("ControlCharacter", "spec.hostNetwork.vswitchName");

        Assert.Contains(named, finding.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(character, finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_AcceptsPrintableText()
    {
        Worked.Host(n => n with { VswitchName = "ConvergedSwitch(compute_management)" }).AssertClean("ControlCharacter");
    }
}
