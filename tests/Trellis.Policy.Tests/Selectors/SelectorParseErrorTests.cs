using Trellis.Policy.Selectors;

namespace Trellis.Policy.Tests.Selectors;

public class SelectorParseErrorTests
{
    /// <summary>SelectorParser.MaxDepth: how deep parentheses and '!' may nest.</summary>
    private const int SelectorParserDepth = 100;

    // Includes every entry of libcalico-go's parser_test.go `badSelectors`.
    [Theory]
    [InlineData("b == b", 6, "expected a quoted string after '=='")]
    [InlineData("b contains b", 12, "expected a quoted string after 'contains'")]
    [InlineData("b starts with b", 15, "expected a quoted string after 'starts with'")]
    [InlineData("b ends with b", 13, "expected a quoted string after 'ends with'")]
    [InlineData("'b1' == b", 1, "the label goes on the left")]
    [InlineData("b", 2, "unexpected end of selector after label 'b'")]
    [InlineData("a b", 3, "expected an operator after label 'a'")]
    [InlineData("!", 2, "unexpected end of selector")]
    [InlineData("foo == \"bar\" &", 14, "use '&&'")]
    [InlineData("foo == \"bar\" |", 14, "use '||'")]
    [InlineData("foo != ||", 8, "expected a quoted string after '!='")]
    [InlineData("foo in {\"\", ||", 13, "expected a quoted string or '}'")]
    [InlineData("foo in \"\"", 8, "expected '{'")]
    [InlineData("\"FOO", 1, "the label goes on the left")]
    [InlineData("a == \"FOO", 6, "unterminated string")]
    [InlineData("a == \"FOO'", 6, "unterminated string")]
    [InlineData("a == 'FOO", 6, "unterminated string")]
    [InlineData("(", 2, "unexpected end of selector")]
    [InlineData("(a == \"foo\"", 12, "missing ')' to close the '(' at column 1")]
    [InlineData(")", 1, "unexpected ')'")]
    [InlineData("()", 2, "unexpected ')'")]
    [InlineData("%", 1, "unexpected '%'")]
    [InlineData("a == \"b\" && %", 13, "unexpected '%'")]
    [InlineData("a == \"b\" || %", 13, "unexpected '%'")]
    [InlineData("a ", 3, "unexpected end of selector after label 'a'")]
    [InlineData("has(foo) &&", 12, "unexpected end of selector")]
    [InlineData("a = 'b'", 3, "unknown operator '='")]
    [InlineData("a === 'b'", 5, "expected a quoted string after '=='")]
    [InlineData("a >= 'b'", 3, "expected an operator after label 'a'")]
    [InlineData("has (a)", 5, "'has' must be followed directly by '('")]
    [InlineData("all (x)", 5, "'all' must be followed directly by '('")]
    [InlineData("all(x)", 5, "all() takes no arguments")]
    [InlineData("global( x )", 9, "global() takes no arguments")]
    [InlineData("has()", 5, "expected a label after has(")]
    [InlineData("has(a b)", 7, "expected ')' to close has(a")]
    [InlineData("has(a", 6, "expected ')' to close has(a")]
    [InlineData("has(a == 'b')", 7, "expected ')' to close has(a")]
    [InlineData("a in {'x' 'y'}", 11, "expected ',' or '}'")]
    [InlineData("a in {'x'", 10, "missing '}' to close the set opened at column 6")]
    [InlineData("a in {", 7, "missing '}' to close the set opened at column 6")]
    [InlineData("a in {,}", 7, "expected a quoted string or '}'")]
    [InlineData("a in {'x',,}", 11, "expected a quoted string or '}'")]
    [InlineData("a in 'x'", 6, "expected '{'")]
    [InlineData("a in {x}", 7, "expected a quoted string or '}'")]
    [InlineData("a starts 'x'", 10, "expected 'with' after 'starts'")]
    [InlineData("a ends", 7, "expected 'with' after 'ends'")]
    [InlineData("a not 'x'", 7, "expected 'in' after 'not'")]
    [InlineData("a == 'b' c == 'd'", 10, "after a complete expression")]
    [InlineData("a == 'b')", 9, "unexpected ')' after a complete expression")]
    [InlineData("(a == 'b' c", 11, "expected ')' to close the '(' at column 1")]
    [InlineData("a == 'b' & c == 'd'", 10, "use '&&'")]
    [InlineData("a == 'b' | c == 'd'", 10, "use '||'")]
    [InlineData("a == \"b\"\n", 9, "line break")]
    [InlineData("a\n== 'b'", 2, "line break")]
    [InlineData("a in {\"x\"} ||", 14, "unexpected end of selector")]
    [InlineData("!= 'b'", 1, "unexpected '!'")]
    [InlineData("a € 'b'", 3, "found '€'")]
    [InlineData("{", 1, "unexpected '{'")]
    [InlineData("a == 'b' &&& c == 'd'", 12, "unexpected '&'")]
    public void Parse_RejectsWithTheColumnOfTheProblem(string text, int column, string message)
    {
        Assert.False(CalicoSelector.TryParse(text, out _, out var error));
        Assert.Equal(column, error.Column);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);

        var thrown = Assert.Throws<SelectorParseException>(() => CalicoSelector.Parse(text));
        Assert.Equal(error, thrown.Error);
    }

    [Fact]
    public void Parse_RejectsALabelLongerThanCalicoAllows()
    {
        Assert.False(CalicoSelector.TryParse($"x == 'y' && {new string('a', 513)} == 'y'", out _, out var error));
        Assert.Equal(13, error.Column);
        Assert.Contains("513 characters", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_LimitsNestingDepth()
    {
        var deep = SelectorParserDepth;
        Assert.True(CalicoSelector.TryParse(new string('(', deep) + "all()" + new string(')', deep), out _, out _));
        Assert.True(CalicoSelector.TryParse(new string('!', deep) + "all()", out _, out _));

        Assert.False(CalicoSelector.TryParse(new string('(', deep + 1) + "all()" + new string(')', deep + 1), out _, out var error));
        Assert.Equal(deep + 1, error.Column);
        Assert.False(CalicoSelector.TryParse("has(a) && " + new string('!', 100_000) + "all()", out _, out error));
        Assert.Equal(11 + deep, error.Column);
    }

    [Fact]
    public void Exception_MessageShowsTheColumnAndACaret()
    {
        var thrown = Assert.Throws<SelectorParseException>(() => CalicoSelector.Parse("app == \"web"));
        Assert.Equal(
            "invalid selector at column 8: unterminated string: no closing \" for the one at column 8\n"
            + "  app == \"web\n"
            + "         ^",
            thrown.Message);
        Assert.Equal("app == \"web", thrown.Text);
    }

    [Fact]
    public void Exception_CaretFollowsTabsAndPointsPastTheEnd()
    {
        var thrown = Assert.Throws<SelectorParseException>(() => CalicoSelector.Parse("\thas(a) &&"));
        Assert.Equal("invalid selector at column 11: unexpected end of selector; expected a label, has(…), all(), global(), '!' or '('\n"
            + "  \thas(a) &&\n"
            + "  \t         ^",
            thrown.Message);
    }

    [Fact]
    public void Exception_WithoutTheTextStillNamesTheColumn()
    {
        var thrown = new SelectorParseException(new SelectorParseError(3, "boom"));
        Assert.Equal("invalid selector at column 3: boom\n    ^", thrown.Message);
    }
}
