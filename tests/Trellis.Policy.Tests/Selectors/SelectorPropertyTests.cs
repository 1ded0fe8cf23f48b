using CsCheck;
using Trellis.Policy.Selectors;

namespace Trellis.Policy.Tests.Selectors;

public class SelectorPropertyTests
{
    private const string LabelChars = "abcxyzAZ0189_./-";
    private const string Noise = "ab=!&|(){},'\" \tinotaslgbhcew_./-%\n";

    // Few distinct labels, so that random selectors and random label maps meet often; keywords are labels too.
    private static readonly Gen<string> Label = Gen.OneOf(
        Gen.OneOfConst("a", "b", "app", "projectcalico.org/namespace", "has", "all", "global", "in", "not", "contains", "starts", "ends", "with"),
        Gen.String[Gen.Char[LabelChars], 1, 8]);

    private static readonly Gen<string> Value = Gen.OneOf(
        Gen.OneOfConst("", "x", "y", "web", "it's", "say \"hi\"", "&& || !", "x y"),
        Gen.String[Gen.Char["xy '\"(){},!&|=\t"], 0, 5].Where(v => !(v.Contains('"', StringComparison.Ordinal) && v.Contains('\'', StringComparison.Ordinal))));

    private static readonly Gen<Selector> Leaf = Gen.OneOf(
        Label.Select(l => (Selector)new HasSelector(l)),
        Gen.Select(Label, Value, (l, v) => (Selector)new EqualsSelector(l, v)),
        Gen.Select(Label, Value, (l, v) => (Selector)new NotEqualsSelector(l, v)),
        Gen.Select(Label, Value, (l, v) => (Selector)new ContainsSelector(l, v)),
        Gen.Select(Label, Value, (l, v) => (Selector)new StartsWithSelector(l, v)),
        Gen.Select(Label, Value, (l, v) => (Selector)new EndsWithSelector(l, v)),
        Gen.Select(Label, Value.Array[0, 12], (l, v) => (Selector)new InSelector(l, v)),
        Gen.Select(Label, Value.Array[0, 12], (l, v) => (Selector)new NotInSelector(l, v)),
        Gen.Const(Selector.All),
        Gen.Const((Selector)new GlobalSelector()));

    private static readonly Gen<Selector> Selectors = Gen.Recursive<Selector>((depth, self) => depth >= 5
        ? Leaf
        : Gen.Frequency(
            (4, Leaf),
            (1, self.Select(s => (Selector)new NotSelector(s))),
            (1, self.Array[2, 4].Select(terms => (Selector)new AndSelector(terms))),
            (1, self.Array[2, 4].Select(terms => (Selector)new OrSelector(terms)))));

    private static readonly Gen<Dictionary<string, string>> LabelMaps =
        Gen.Select(Label, Value).Array[0, 6].Select(pairs =>
        {
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (label, value) in pairs)
            {
                labels[label] = value;
            }

            return labels;
        });

    /// <summary>Calico's semantics written out independently of Matches, from reference §1.2.</summary>
    private static bool Expected(Selector selector, Dictionary<string, string> labels, bool isGlobal)
    {
        string? Value(string label) => labels.TryGetValue(label, out var v) ? v : null;
        return selector switch
        {
            AllSelector => true,
            GlobalSelector => isGlobal,
            HasSelector s => labels.ContainsKey(s.Label),
            EqualsSelector s => Value(s.Label) == s.Value,
            NotEqualsSelector s => Value(s.Label) != s.Value,
            ContainsSelector s => Value(s.Label)?.Contains(s.Value, StringComparison.Ordinal) == true,
            StartsWithSelector s => Value(s.Label)?.StartsWith(s.Value, StringComparison.Ordinal) == true,
            EndsWithSelector s => Value(s.Label)?.EndsWith(s.Value, StringComparison.Ordinal) == true,
            InSelector s => Value(s.Label) is { } v && s.Values.Contains(v),
            NotInSelector s => Value(s.Label) is not { } w || !s.Values.Contains(w),
            NotSelector s => !Expected(s.Operand, labels, isGlobal),
            AndSelector s => s.Terms.All(t => Expected(t, labels, isGlobal)),
            OrSelector s => s.Terms.Any(t => Expected(t, labels, isGlobal)),
            _ => throw new InvalidOperationException($"unknown selector {selector.GetType()}"),
        };
    }

    [Fact]
    public void ToString_ParsesBackToAnEqualSelector() =>
        Selectors.Sample(selector =>
        {
            var text = selector.ToString();
            var parsed = CalicoSelector.Parse(text);
            Assert.Equal(selector, parsed);
            Assert.Equal(selector.GetHashCode(), parsed.GetHashCode());
            Assert.Equal(text, parsed.ToString());
        }, iter: 5_000, print: s => s.ToString());

    [Fact]
    public void Matches_AgreesWithCalicoSemanticsAndAfterARoundTrip() =>
        Gen.Select(Selectors, LabelMaps, Gen.Bool).Sample((selector, labels, isGlobal) =>
        {
            var expected = Expected(selector, labels, isGlobal);
            Assert.Equal(expected, selector.Matches(labels, isGlobal));
            Assert.Equal(expected, CalicoSelector.Parse(selector.ToString()).Matches(labels, isGlobal));
        }, iter: 5_000, print: t => $"{t.Item1} on {{{string.Join(", ", t.Item2.Select(kv => $"{kv.Key}={kv.Value}"))}}} global={t.Item3}");

    [Fact]
    public void Parse_OfRandomTextFailsOnlyWithAColumnInsideTheInput() =>
        Gen.OneOf(Gen.String[Gen.Char[Noise], 0, 40], Gen.String).Sample(AssertParsesOrFailsCleanly, iter: 20_000);

    [Fact]
    public void Parse_OfDamagedSelectorsFailsOnlyWithAColumnInsideTheInput()
    {
        var edit = Gen.Select(Gen.Int[0, int.MaxValue], Gen.Int[0, 2], Gen.Char[Noise]);
        Gen.Select(Selectors, edit.Array[1, 4]).Sample((selector, edits) =>
        {
            var text = selector.ToString();
            foreach (var (at, kind, c) in edits)
            {
                var i = at % (text.Length + 1);
                text = kind switch
                {
                    0 when i < text.Length => text.Remove(i, 1),
                    1 when i < text.Length => text[..i] + c + text[(i + 1)..],
                    _ => text.Insert(i, c.ToString()),
                };
            }

            AssertParsesOrFailsCleanly(text);
        }, iter: 10_000);
    }

    private static void AssertParsesOrFailsCleanly(string text)
    {
        try
        {
            var selector = CalicoSelector.Parse(text);
            Assert.Equal(selector, CalicoSelector.Parse(selector.ToString()));
        }
        catch (SelectorParseException e)
        {
            Assert.InRange(e.Error.Column, 1, text.Length + 1);
            Assert.False(string.IsNullOrWhiteSpace(e.Error.Message));
            Assert.False(CalicoSelector.TryParse(text, out _, out var error));
            Assert.Equal(e.Error, error);
        }
    }
}
