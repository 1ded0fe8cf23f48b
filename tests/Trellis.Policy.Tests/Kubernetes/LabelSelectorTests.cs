using Trellis.Policy.Kubernetes;

namespace Trellis.Policy.Tests.Kubernetes;

public sealed class LabelSelectorTests
{
    private static readonly Dictionary<string, string> Labels = new() { ["app"] = "web", ["tier"] = "front" };

    [Fact]
    public void EmptySelector_MatchesEverything() => Assert.True(LabelSelector.Empty.Matches(new Dictionary<string, string>()));

    [Theory]
    [InlineData(LabelSelectorOperator.In, "app", new[] { "web", "api" }, true)]
    [InlineData(LabelSelectorOperator.In, "app", new[] { "api" }, false)]
    [InlineData(LabelSelectorOperator.NotIn, "app", new[] { "api" }, true)]
    [InlineData(LabelSelectorOperator.NotIn, "missing", new[] { "x" }, true)]
    [InlineData(LabelSelectorOperator.NotIn, "app", new[] { "web" }, false)]
    [InlineData(LabelSelectorOperator.Exists, "tier", new string[0], true)]
    [InlineData(LabelSelectorOperator.Exists, "missing", new string[0], false)]
    [InlineData(LabelSelectorOperator.DoesNotExist, "missing", new string[0], true)]
    [InlineData(LabelSelectorOperator.DoesNotExist, "tier", new string[0], false)]
    public void Expressions(LabelSelectorOperator op, string key, string[] values, bool expected) =>
        Assert.Equal(expected, new LabelSelector(new Dictionary<string, string>(), [new LabelSelectorRequirement(key, op, values)]).Matches(Labels));

    [Fact]
    public void MatchLabelsAndExpressions_AreAnded()
    {
        var s = new LabelSelector(new Dictionary<string, string> { ["app"] = "web" }, [new LabelSelectorRequirement("tier", LabelSelectorOperator.In, ["back"])]);
        Assert.False(s.Matches(Labels));
    }

    [Fact]
    public void CalicoText_IsWhatCalicosConversionWrites()
    {
        var s = new LabelSelector(new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" },
            [new LabelSelectorRequirement("c", LabelSelectorOperator.NotIn, ["x", "y"]), new LabelSelectorRequirement("d", LabelSelectorOperator.DoesNotExist, [])]);
        Assert.Equal("a == '1' && b == '2' && c not in { 'x', 'y' } && ! has(d)", s.ToCalicoText());
        Assert.True(Trellis.Policy.Selectors.CalicoSelector.TryParse(s.ToCalicoText(), out _, out _));
    }
}
