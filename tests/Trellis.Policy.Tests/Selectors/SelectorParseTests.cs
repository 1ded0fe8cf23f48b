using Trellis.Policy.Selectors;

namespace Trellis.Policy.Tests.Selectors;

public class SelectorParseTests
{
    private static readonly Selector A = new EqualsSelector("a", "1");
    private static readonly Selector B = new EqualsSelector("b", "2");
    private static readonly Selector C = new EqualsSelector("c", "3");

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t")]
    [InlineData("all()")]
    [InlineData(" ( all( ) ) ")]
    public void Parse_EmptyOrAllIsAll(string text) => Assert.Equal(Selector.All, CalicoSelector.Parse(text));

    [Fact]
    public void Parse_BuildsEachMatchOperator()
    {
        Assert.Equal(new EqualsSelector("k", "v"), CalicoSelector.Parse("k == 'v'"));
        Assert.Equal(new NotEqualsSelector("k", "v"), CalicoSelector.Parse("k != \"v\""));
        Assert.Equal(new HasSelector("k"), CalicoSelector.Parse("has(k)"));
        Assert.Equal(new NotSelector(new HasSelector("k")), CalicoSelector.Parse("!has(k)"));
        Assert.Equal(new InSelector("k", ["a", "b"]), CalicoSelector.Parse("k in {\"a\",\"b\"}"));
        Assert.Equal(new NotInSelector("k", ["a", "b"]), CalicoSelector.Parse("k not in {'b', 'a'}"));
        Assert.Equal(new ContainsSelector("k", "s"), CalicoSelector.Parse("k contains 's'"));
        Assert.Equal(new StartsWithSelector("k", "s"), CalicoSelector.Parse("k starts with 's'"));
        Assert.Equal(new EndsWithSelector("k", "s"), CalicoSelector.Parse("k ends with 's'"));
        Assert.Equal(new GlobalSelector(), CalicoSelector.Parse("global()"));
    }

    [Fact]
    public void Parse_AndBindsTighterThanOr()
    {
        Assert.Equal(new OrSelector(A, new AndSelector(B, C)), CalicoSelector.Parse("a == '1' || b == '2' && c == '3'"));
        Assert.Equal(new OrSelector(new AndSelector(A, B), C), CalicoSelector.Parse("a == '1' && b == '2' || c == '3'"));
    }

    [Fact]
    public void Parse_NotBindsTighterThanAndButLooserThanAComparison()
    {
        Assert.Equal(new AndSelector(new NotSelector(A), B), CalicoSelector.Parse("!a == '1' && b == '2'"));
        Assert.Equal(new NotSelector(new InSelector("a", ["a"])), CalicoSelector.Parse("!a in {\"a\"}"));
        Assert.Equal(new NotSelector(new AndSelector(A, B)), CalicoSelector.Parse("!(a == '1' && b == '2')"));
    }

    [Fact]
    public void Parse_ParenthesesOverridePrecedenceAndKeepNesting()
    {
        Assert.Equal(new AndSelector(new OrSelector(A, B), C), CalicoSelector.Parse("(a == '1' || b == '2') && c == '3'"));
        Assert.Equal(new AndSelector(new AndSelector(A, B), C), CalicoSelector.Parse("(a == '1' && b == '2') && c == '3'"));
        Assert.Equal(new AndSelector(A, B, C), CalicoSelector.Parse("a == '1' && b == '2' && c == '3'"));
        Assert.Equal(A, CalicoSelector.Parse("((a == '1'))"));
    }

    [Fact]
    public void Parse_RepeatedNotsStayAsWritten()
    {
        Assert.Equal(new NotSelector(new NotSelector(new HasSelector("b"))), CalicoSelector.Parse("!!has(b)"));
        Assert.Equal(new NotSelector(new NotSelector(new NotSelector(new HasSelector("a")))), CalicoSelector.Parse("!! ! has(a)"));
    }

    [Theory]
    [InlineData("a == \"it's\"", "it's")]
    [InlineData("a == 'say \"hi\"'", "say \"hi\"")]
    [InlineData("a == ''", "")]
    [InlineData("a == ' spaced  out '", " spaced  out ")]
    [InlineData("a == '&& || ! ( ) { } , =='", "&& || ! ( ) { } , ==")]
    [InlineData("a == 'ünïcödé'", "ünïcödé")]
    public void Parse_TakesStringsVerbatimInEitherQuote(string text, string value) =>
        Assert.Equal(new EqualsSelector("a", value), CalicoSelector.Parse(text));

    [Theory]
    [InlineData("projectcalico.org/namespace == 'x'", "projectcalico.org/namespace")]
    [InlineData("app.kubernetes.io/name == 'x'", "app.kubernetes.io/name")]
    [InlineData("kubernetes.io/metadata.name == 'x'", "kubernetes.io/metadata.name")]
    [InlineData("pcns.projectcalico.org/name == 'x'", "pcns.projectcalico.org/name")]
    [InlineData("_-./09AZaz == 'x'", "_-./09AZaz")]
    [InlineData("all == 'x'", "all")]
    [InlineData("has == 'x'", "has")]
    [InlineData("global == 'x'", "global")]
    [InlineData("in == 'x'", "in")]
    [InlineData("not == 'x'", "not")]
    [InlineData("contains == 'x'", "contains")]
    public void Parse_AcceptsPrefixedKeysAndKeywordsAsLabels(string text, string label) =>
        Assert.Equal(new EqualsSelector(label, "x"), CalicoSelector.Parse(text));

    [Fact]
    public void Parse_AcceptsTheLongestLabel()
    {
        var label = new string('a', 512);
        Assert.Equal(new HasSelector(label), CalicoSelector.Parse($"has({label})"));
    }

    [Theory]
    [InlineData("a==\"b\"&&c!='d'||!has(e)")]
    [InlineData("  a  ==  \"b\"  &&  c  !=  'd'  ||  !  has(  e  )  ")]
    [InlineData("\ta\t==\t\"b\"\t&&\tc\t!=\t'd'\t||\t!has(e)")]
    [InlineData("(a == \"b\" && (c != 'd')) || (!(has(e)))")]
    public void Parse_IgnoresSpacesAndTabsBetweenTokens(string text) =>
        Assert.Equal(
            new OrSelector(new AndSelector(new EqualsSelector("a", "b"), new NotEqualsSelector("c", "d")), new NotSelector(new HasSelector("e"))),
            CalicoSelector.Parse(text));

    [Theory]
    [InlineData("a in {}", "a in {}")]
    [InlineData("a in { }", "a in {}")]
    [InlineData("a in {'x',}", "a in {\"x\"}")]
    [InlineData("a in{'x'}", "a in {\"x\"}")]
    [InlineData("a not in {'x' , 'y' ,}", "a not in {\"x\", \"y\"}")]
    [InlineData("a notin {'x'}", "a not in {\"x\"}")]
    [InlineData("a startswith '\"'", "a starts with '\"'")]
    [InlineData("a endswith \"'\"", "a ends with \"'\"")]
    [InlineData("a contains'x'", "a contains \"x\"")]
    [InlineData("a!='\"'", "a != '\"'")]
    public void Parse_AcceptsWhatCalicoAccepts(string text, string canonical) =>
        Assert.Equal(canonical, CalicoSelector.Parse(text).ToString());

    // libcalico-go's parser_test.go `canonicalisationTests`.
    [Theory]
    [InlineData("", "all()")]
    [InlineData(" all() ", "all()")]
    [InlineData(" (all() )", "all()")]
    [InlineData("! (has( b)||! has(a ))", "!(has(b) || !has(a))")]
    [InlineData("! (a == \"b\"&&! c != \"d\")", "!(a == \"b\" && !c != \"d\")")]
    [InlineData("a == \"'\"", "a == \"'\"")]
    [InlineData("a == '\"'", "a == '\"'")]
    [InlineData("a contains '\"'", "a contains '\"'")]
    [InlineData("a in {\"d\", \"a\", \"b\"}", "a in {\"a\", \"b\", \"d\"}")]
    [InlineData("a in {\"z\", \"z\", \"x\", \"y\", \"x\", \"a\"}", "a in {\"a\", \"x\", \"y\", \"z\"}")]
    [InlineData("global()", "global()")]
    [InlineData("(a == 'x' || b == 'y') && c == 'z'", "(a == \"x\" || b == \"y\") && c == \"z\"")]
    [InlineData("a == 'x' || (b == 'y' && c == 'z')", "a == \"x\" || b == \"y\" && c == \"z\"")]
    [InlineData("(a == 'x' || b == 'y') || c == 'z'", "(a == \"x\" || b == \"y\") || c == \"z\"")]
    [InlineData("!!has(a)", "!!has(a)")]
    public void ToString_IsCanonicalAndParsesBackEqual(string text, string canonical)
    {
        var selector = CalicoSelector.Parse(text);
        Assert.Equal(canonical, selector.ToString());
        Assert.Equal(selector, CalicoSelector.Parse(canonical));
    }

    [Fact]
    public void Sets_CompareAsSets()
    {
        Assert.Equal(new InSelector("a", ["x", "y", "x"]), new InSelector("a", ["y", "x"]));
        Assert.Equal(new InSelector("a", ["x", "y", "x"]).GetHashCode(), new InSelector("a", ["y", "x"]).GetHashCode());
        Assert.NotEqual<Selector>(new InSelector("a", ["x"]), new NotInSelector("a", ["x"]));
        Assert.NotEqual<Selector>(new EqualsSelector("a", "x"), new NotEqualsSelector("a", "x"));
        Assert.NotEqual<Selector>(new AndSelector(A, B), new OrSelector(A, B));
        Assert.Equal(new AndSelector(A, B).GetHashCode(), new AndSelector(new EqualsSelector("a", "1"), B).GetHashCode());
    }

    [Fact]
    public void Constructors_RejectWhatCannotBeWrittenAsASelector()
    {
        Assert.Throws<ArgumentException>(() => new HasSelector(""));
        Assert.Throws<ArgumentException>(() => new HasSelector("a b"));
        Assert.Throws<ArgumentException>(() => new HasSelector(new string('a', 513)));
        Assert.Throws<ArgumentException>(() => new EqualsSelector("a", "both ' and \""));
        Assert.Throws<ArgumentException>(() => new InSelector("a", ["ok", "both ' and \""]));
        Assert.Throws<ArgumentException>(() => new AndSelector(A));
        Assert.Throws<ArgumentException>(() => new OrSelector([]));
    }

    [Fact]
    public void TryParse_ReturnsTheSelectorOrTheError()
    {
        Assert.True(CalicoSelector.TryParse("has(a)", out var selector, out var error));
        Assert.Equal(new HasSelector("a"), selector);
        Assert.Null(error);

        Assert.False(CalicoSelector.TryParse("has(a", out selector, out error));
        Assert.Null(selector);
        Assert.Equal(6, error.Column);
    }
}
