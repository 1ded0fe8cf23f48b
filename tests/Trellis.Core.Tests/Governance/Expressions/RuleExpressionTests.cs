using CsCheck;
using Trellis.Core.Governance.Expressions;
using Trellis.Core.Validation;

namespace Trellis.Core.Tests.Governance.Expressions;

public class RuleExpressionTests
{
    private static readonly RuleType Pool = RuleType.Object(
        ("name", RuleType.String), ("osType", RuleType.String), ("count", RuleType.Int), ("maxPodCount", RuleType.Int));

    private static readonly RuleType Service = RuleType.Object(
        ("namespace", RuleType.String), ("name", RuleType.String), ("ports", RuleType.List(RuleType.Int)), ("sharedIpKey", RuleType.String));

    private static readonly RuleSchema Schema = new(
        RuleType.Object(
            ("name", RuleType.String), ("networkPlugin", RuleType.String), ("kubernetesVersion", RuleType.String),
            ("nodePools", RuleType.List(Pool)), ("services", RuleType.List(Service)), ("numbers", RuleType.List(RuleType.Int))),
        RuleType.Object(("allowed", RuleType.List(RuleType.String)), ("max", RuleType.Int)));

    private static readonly RuleValue Cluster = RuleValue.Object(
        ("name", RuleValue.From("c1")),
        ("networkPlugin", RuleValue.From("calico")),
        ("kubernetesVersion", RuleValue.From("1.29.4")),
        ("nodePools", RuleValue.From([
            RuleValue.Object(("name", RuleValue.From("linux")), ("osType", RuleValue.From("Linux")), ("count", RuleValue.From(3)), ("maxPodCount", RuleValue.From(110))),
            RuleValue.Object(("name", RuleValue.From("win")), ("osType", RuleValue.From("Windows")), ("count", RuleValue.From(2)), ("maxPodCount", RuleValue.From(30))),
        ])),
        ("services", RuleValue.From([
            RuleValue.Object(("namespace", RuleValue.From("web")), ("name", RuleValue.From("front")), ("ports", RuleValue.From([RuleValue.From(80), RuleValue.From(443)])), ("sharedIpKey", RuleValue.From("k1"))),
            RuleValue.Object(("namespace", RuleValue.From("db")), ("name", RuleValue.From("pg")), ("ports", RuleValue.From([RuleValue.From(5432)])), ("sharedIpKey", RuleValue.Null)),
        ])),
        ("numbers", RuleValue.From(Enumerable.Range(0, 1000).Select(i => RuleValue.From(i)))));

    private static readonly RuleValue Parameters = RuleValue.FromPlain(new Dictionary<string, object?> { ["allowed"] = new[] { "calico" }, ["max"] = 80 });

    private static RuleResult Run(string text, EvaluationBudget? budget = null)
    {
        var (rule, findings) = RuleExpression.Compile(text, Schema);
        Assert.True(rule is not null, string.Join("\n", findings));
        return rule.Evaluate(Cluster, Parameters, budget);
    }

    /// <summary>The value of an expression over the cluster, as CEL would print it, or "error: …".</summary>
    private static string Value(string text)
    {
        var compiled = RuleExpression.CompileWithDiagnostics(text, Schema, requireBool: false);
        Assert.True(compiled.Rule is not null, string.Join("\n", compiled.Diagnostics));
        var (value, error) = compiled.Rule.EvaluateValue(Cluster, Parameters);
        return value?.ToString() ?? "error: " + error;
    }

    private static RuleDiagnostic CompileError(string text)
    {
        var compiled = RuleExpression.CompileWithDiagnostics(text, Schema);
        Assert.Null(compiled.Rule);
        return Assert.Single(compiled.Diagnostics);
    }

    [Theory]
    [InlineData("1 + 2 * 3", "7")]
    [InlineData("(1 + 2) * 3", "9")]
    [InlineData("7 / 2", "3")]
    [InlineData("-7 / 2", "-3")]
    [InlineData("-7 % 3", "-1")]
    [InlineData("7.0 / 2.0", "3.5")]
    [InlineData("10 - 4 - 3", "3")]
    [InlineData("-(3)", "-3")]
    [InlineData("--3", "3")]
    [InlineData("0x1F", "31")]
    [InlineData("1e3", "1000.0")]
    [InlineData("-9223372036854775808", "-9223372036854775808")]
    [InlineData("'ab' + \"cd\"", "'abcd'")]
    [InlineData("'a\\tb\\u0041'", "'a\\u0009bA'")]
    [InlineData("[1, 2] + [3]", "[1, 2, 3]")]
    [InlineData("{'a': 1, 'b': 2}['b']", "2")]
    [InlineData("{'a': 1}.a", "1")]
    [InlineData("[10, 20, 30][1]", "20")]
    [InlineData("item.nodePools[1].name", "'win'")]
    [InlineData("item['name']", "'c1'")]
    [InlineData("size('héllo')", "5")]
    [InlineData("item.nodePools.size()", "2")]
    [InlineData("size({'a': 1})", "1")]
    [InlineData("true ? 'y' : 'n'", "'y'")]
    [InlineData("1 > 2 ? 'y' : 'n'", "'n'")]
    [InlineData("!true", "false")]
    [InlineData("1 < 2", "true")]
    [InlineData("2 <= 2", "true")]
    [InlineData("3 > 2.5", "true")]
    [InlineData("'b' >= 'a'", "true")]
    [InlineData("1 == 1.0", "true")]
    [InlineData("[1, 'a'] == [1, 'a']", "true")]
    [InlineData("{'a': [1]} != {'a': [2]}", "true")]
    [InlineData("item.services[1].sharedIpKey == null", "true")]
    [InlineData("'calico' in params.allowed", "true")]
    [InlineData("'a' in {'a': 1}", "true")]
    [InlineData("3 in [1, 2]", "false")]
    [InlineData("item.kubernetesVersion.startsWith('1.29')", "true")]
    [InlineData("item.kubernetesVersion.endsWith('.4')", "true")]
    [InlineData("item.name.contains('1')", "true")]
    [InlineData("item.kubernetesVersion.matches('^1\\\\.(28|29)\\\\.')", "true")]
    [InlineData("matches('abc', 'b')", "true")]
    [InlineData("has(item.name)", "true")]
    [InlineData("has(item.services[1].sharedIpKey)", "false")]
    [InlineData("has({'a': null}.a)", "true")]
    [InlineData("item.nodePools.all(p, p.count > 1)", "true")]
    [InlineData("item.nodePools.exists(p, p.osType == 'Windows')", "true")]
    [InlineData("item.nodePools.exists_one(p, p.count > 0)", "false")]
    [InlineData("item.nodePools.filter(p, p.maxPodCount > params.max).map(p, p.name)", "['linux']")]
    [InlineData("[1, 2, 3].map(x, x * x)", "[1, 4, 9]")]
    [InlineData("{'a': 1, 'b': 2}.all(k, k.size() == 1)", "true")]
    [InlineData("[[1, 2], [3]].map(l, l.map(x, x + 1))", "[[2, 3], [4]]")]
    [InlineData("[1, 2].exists(x, [3, 4].exists(x, x == 4))", "true")]
    [InlineData("false && 1 / 0 == 1", "false")]
    [InlineData("1 / 0 == 1 && false", "false")]
    [InlineData("1 / 0 == 1 || true", "true")]
    [InlineData("[0, 1].all(x, 1 / x > 1)", "false")]
    [InlineData("1 + // a comment\n 1", "2")]
    public void Expression_GivesItsValue(string text, string expected) => Assert.Equal(expected, Value(text));

    [Theory]
    [InlineData("1 / 0", "Division by zero.")]
    [InlineData("1 % 0", "Modulus by zero.")]
    [InlineData("9223372036854775807 + 1", "Integer overflow.")]
    [InlineData("-9223372036854775808 - 1", "Integer overflow.")]
    [InlineData("-9223372036854775808 / -1", "Integer overflow.")]
    [InlineData("-(-9223372036854775808)", "Integer overflow.")]
    [InlineData("[1][1]", "Index 1 is out of range (size 1).")]
    [InlineData("{'a': 1}.b", "No such key: 'b'.")]
    [InlineData("{'a': 1, 'a': 2}", "Repeated map key 'a'.")]
    [InlineData("item.services[1].sharedIpKey.startsWith('k')", "No function startsWith() for a null and a string.")]
    [InlineData("item.services[1].sharedIpKey > 'a'", "No operator '>' for a null and a string.")]
    [InlineData("1 / 0 == 1 && true", "Division by zero.")]
    [InlineData("[0, 1].exists(x, 1 / x > 5)", "Division by zero.")]
    public void Expression_GivesAnError(string text, string message) => Assert.Equal("error: " + message, Value(text));

    [Fact]
    public void Rule_PassesFailsOrErrs()
    {
        Assert.Equal(RuleResult.Pass, Run("item.networkPlugin in params.allowed"));
        Assert.Equal(RuleResult.Fail, Run("item.nodePools.all(p, p.maxPodCount <= params.max)"));
        Assert.Equal(RuleResult.Pass, Run("item.services.filter(s, has(s.sharedIpKey)).all(s, s.namespace == 'web')"));
        var error = Run("item.nodePools[5].count > 0");
        Assert.Equal(RuleOutcome.Error, error.Outcome);
        Assert.Equal("Index 5 is out of range (size 2).", error.Message);
    }

    [Fact]
    public void Rule_OverDynamicValues_ErrsWhenTheResultIsNoBool()
    {
        var (rule, _) = RuleExpression.Compile("item.whatever", RuleSchema.Dynamic);

        var result = rule!.Evaluate(RuleValue.Object(("whatever", RuleValue.From(3))), null);

        Assert.Equal(RuleResult.Error("The rule gave 3, not a bool."), result);
    }

    [Fact]
    public void Evaluate_WithNullInputs_GivesAnErrorNotAnException()
    {
        var (rule, _) = RuleExpression.Compile("item.name == 'a'", Schema);

        var result = rule!.Evaluate(null, null, null);

        Assert.Equal(RuleResult.Error("Cannot read field 'name' of a null."), result);
    }

    [Fact]
    public void Compile_UnknownField_IsAFindingWithPositionAndSuggestion()
    {
        var (rule, findings) = RuleExpression.Compile("item.nodePool.size() > 0", Schema);

        Assert.Null(rule);
        var finding = Assert.Single(findings);
        Assert.Equal(Finding.Error("RuleUnknownField", "rule.expression", "Unknown field 'nodePool' at line 1, column 6.", "Did you mean 'nodePools'?"), finding);
    }

    [Theory]
    [InlineData("item.nodePools.all(p, p.maxPods < 3)", "RuleUnknownField", 25, "Unknown field 'maxPods'", "Did you mean 'maxPodCount'?")]
    [InlineData("itme.name == 'a'", "RuleUnknownField", 1, "Unknown name 'itme'", "Did you mean 'item'?")]
    [InlineData("item.name.startWith('a')", "RuleUnknownField", 11, "Unknown function 'startWith'", "Did you mean 'startsWith'?")]
    [InlineData("item.name > 3", "RuleTypeMismatch", 1, "'>' cannot order a string and a int", null)]
    [InlineData("item.name == 3", "RuleTypeMismatch", 1, "A string is never equal to a int", null)]
    [InlineData("item.name", "RuleTypeMismatch", 1, "The rule gives a string, not a bool", null)]
    [InlineData("item.nodePools.map(p, p.count)", "RuleTypeMismatch", 1, "The rule gives a list(int), not a bool", null)]
    [InlineData("item.nodePools.all(p, p.count)", "RuleTypeMismatch", 23, "The predicate of all must be a bool, not a int", null)]
    [InlineData("1 + 1.0 > 0", "RuleTypeMismatch", 1, "'+' cannot combine a int and a double", null)]
    [InlineData("!item.name", "RuleTypeMismatch", 1, "'!' needs a bool, not a string", null)]
    [InlineData("item.count.size() == 0", "RuleUnknownField", 6, "Unknown field 'count'", null)]
    [InlineData("item.name.matches(params.allowed[0])", "RuleTypeMismatch", 19, "The pattern of matches() must be a string literal", null)]
    [InlineData("1 +", "RuleSyntax", 4, "Expected a value but found the end of the expression", null)]
    [InlineData("item.name == 'abc", "RuleSyntax", 14, "The string is not closed.", null)]
    [InlineData("item.name # 'a'", "RuleSyntax", 11, "Unexpected character '#'.", null)]
    [InlineData("(true", "RuleSyntax", 6, "Expected ')' but found the end of the expression", null)]
    [InlineData("1u == 1u", "RuleSyntax", 1, "Unsigned integers are not supported.", null)]
    [InlineData("9223372036854775808 > 0", "RuleSyntax", 1, "The integer 9223372036854775808 is out of range.", null)]
    [InlineData("[1].all(1, true)", "RuleSyntax", 9, "The first argument of all must be a new variable name.", null)]
    [InlineData("while(true)", "RuleSyntax", 1, "'while' is a reserved word.", null)]
    public void Compile_Error_IsCodedWithItsColumn(string text, string code, int column, string message, string? hint)
    {
        var diagnostic = CompileError(text);

        Assert.Equal((code, message, 1, column), (diagnostic.Code, diagnostic.Message, diagnostic.Line, diagnostic.Column));
        Assert.Equal(column - 1, diagnostic.Offset);
        if (hint is not null)
        {
            Assert.Equal(hint, diagnostic.Hint);
        }
    }

    [Fact]
    public void Compile_ErrorOnALaterLine_GivesLineAndColumn()
    {
        var (_, findings) = RuleExpression.Compile("item.name == 'a' &&\n  item.plugin == 'b'", Schema);

        var finding = Assert.Single(findings);
        Assert.Equal("Unknown field 'plugin' at line 2, column 8.", finding.Message);
        Assert.Equal("rule.expression", finding.Path);
    }

    [Fact]
    public void Compile_ReportsEveryTypeErrorAtOnce()
    {
        var compiled = RuleExpression.CompileWithDiagnostics("item.nam == 'a' && item.count > 1", Schema);

        Assert.Equal(["RuleUnknownField", "RuleUnknownField"], compiled.Diagnostics.Select(d => d.Code));
        Assert.Equal([6, 25], compiled.Diagnostics.Select(d => d.Column));
    }

    [Fact]
    public void Compile_BacktrackingPattern_IsRefused()
    {
        var diagnostic = CompileError("item.name.matches('(a)\\\\1')");

        Assert.Equal("RuleSyntax", diagnostic.Code);
        Assert.Equal(19, diagnostic.Column);
        Assert.StartsWith("The pattern is not a regular expression the rule language accepts", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_TenThousandNestedParentheses_IsAFindingNotACrash()
    {
        var text = new string('(', 10_000) + "true" + new string(')', 10_000);

        var diagnostic = CompileError(text);

        Assert.Equal("RuleTooComplex", diagnostic.Code);
        Assert.Equal("The expression is 20004 characters long; at most 4096 are allowed.", diagnostic.Message);
    }

    [Theory]
    [InlineData("(", ")", 2000)]
    [InlineData("[", "]", 2000)]
    [InlineData("!", "", 4000)]
    [InlineData("-", "", 4000)]
    [InlineData("{'a':", "}", 600)]
    [InlineData("size(", ")", 600)]
    [InlineData("[1].all(x,", ")", 300)]
    public void Compile_DeepNestingWithinTheLengthLimit_IsTooComplex(string open, string close, int times)
    {
        var text = string.Concat(Enumerable.Repeat(open, times)) + "true" + string.Concat(Enumerable.Repeat(close, times));

        var diagnostic = CompileError(text);

        Assert.Equal("RuleTooComplex", diagnostic.Code);
        Assert.Equal("The expression nests deeper than 64 levels.", diagnostic.Message);
    }

    [Fact]
    public void Compile_LongFlatChain_IsTooComplexToo()
    {
        var text = string.Join(" + ", Enumerable.Repeat("1", 1000)) + " > 0";
        Assert.Equal("RuleTooComplex", CompileError(text).Code);

        var fields = "item" + string.Concat(Enumerable.Repeat(".a", 1000)) + " == 1";
        Assert.Equal("RuleTooComplex", CompileError(fields).Code);

        var fine = string.Join(" && ", Enumerable.Repeat("true", 60));
        Assert.Equal(RuleResult.Pass, Run(fine));
    }

    [Fact]
    public void Evaluate_NestedMapOverLargeLists_StopsAtTheStepBudget()
    {
        var result = Run("item.numbers.map(a, item.numbers.map(b, a + b)).size() > 0");

        Assert.Equal(RuleResult.Error("The rule exceeded its budget of 100000 steps."), result);
    }

    [Fact]
    public void Evaluate_BudgetErrors_AreNotAbsorbedByOr()
    {
        var result = Run("item.numbers.all(a, item.numbers.all(b, a + b >= 0)) || true");

        Assert.Equal(RuleResult.Error("The rule exceeded its budget of 100000 steps."), result);
    }

    [Fact]
    public void Evaluate_CreatingTooManyElements_StopsAtTheElementBudget()
    {
        var budget = new EvaluationBudget(MaxSteps: 10_000_000, MaxElements: 50_000);

        var result = Run("item.numbers.map(a, item.numbers.map(b, b)).size() > 0", budget);

        Assert.Equal(RuleResult.Error("The rule exceeded its budget of 50000 list elements created."), result);
    }

    [Fact]
    public void Evaluate_BuildingLongStrings_StopsAtTheStringBudget()
    {
        var budget = new EvaluationBudget(MaxStringChars: 1000);

        var result = Run("item.numbers.map(a, item.kubernetesVersion + item.name).size() > 0", budget);

        Assert.Equal(RuleResult.Error("The rule exceeded its budget of 1000 string characters created."), result);
    }

    [Fact]
    public void Evaluate_ListConcatenationDoubling_StopsAtTheElementBudget()
    {
        var doubling = "item.numbers" + string.Concat(Enumerable.Repeat(" + item.numbers", 60)) + " == []";

        var result = Run(doubling);

        Assert.Equal(RuleResult.Error("The rule exceeded its budget of 100000 list elements created."), result);
    }

    [Fact]
    public void Evaluate_ComparingLargeLists_CostsStepsByTheirSize()
    {
        var result = Run("item.numbers.all(a, item.numbers == item.numbers)");

        Assert.Equal(RuleResult.Error("The rule exceeded its budget of 100000 steps."), result);
    }

    [Fact]
    public void Evaluate_WithinBudget_CountsEveryIteration()
    {
        Assert.Equal(RuleResult.Pass, Run("item.numbers.all(a, a < 1000)", new EvaluationBudget(MaxSteps: 6_000)));
        Assert.Equal(RuleOutcome.Error, Run("item.numbers.all(a, a < 1000)", new EvaluationBudget(MaxSteps: 3_000)).Outcome);
    }

    [Fact]
    public void RuleValue_FromPlain_MapsDictionariesListsAndScalars()
    {
        var value = RuleValue.FromPlain(new Dictionary<string, object?>
        {
            ["name"] = "c1", ["count"] = 3L, ["ratio"] = 0.5, ["on"] = true, ["none"] = null, ["tags"] = new List<string> { "a" },
        });

        Assert.Equal("{'name': 'c1', 'count': 3, 'ratio': 0.5, 'on': true, 'none': null, 'tags': ['a']}", value.ToString());
        Assert.Throws<ArgumentException>(() => RuleValue.FromPlain(new object()));
    }

    [Fact]
    public void AnyText_CompilesAndEvaluatesWithoutThrowing()
    {
        var tokens = Gen.OneOfConst("item", ".", "name", "nodePools", "numbers", "(", ")", "[", "]", "{", "}", ",", ":", "?", "!", "-", "+", "*", "/", "%",
            "<", "==", "&&", "||", " in ", "1", "0", "2.5", "'a'", "\"", "'", "\\", "true", "null", "size", ".all(x,", ".map(x,", ".exists_one(x,",
            "x", "has(", ".matches('a+')", "params", ".max", "9223372036854775807", " ");
        tokens.Array[0, 40].Sample(parts =>
        {
            var text = string.Concat(parts);
            var compiled = RuleExpression.CompileWithDiagnostics(text, Schema, requireBool: false);
            Assert.True((compiled.Rule is null) != (compiled.Diagnostics.Count == 0), text);
            if (compiled.Rule is { } rule)
            {
                var (value, error) = rule.EvaluateValue(Cluster, Parameters, new EvaluationBudget(MaxSteps: 20_000));
                Assert.True((value is null) != (error is null), text);
            }

            var dynamic = RuleExpression.CompileWithDiagnostics(text, RuleSchema.Dynamic);
            Assert.NotNull(dynamic.Rule?.Evaluate(Cluster, Parameters) ?? RuleResult.Fail);
        }, iter: 3000);
    }
}
