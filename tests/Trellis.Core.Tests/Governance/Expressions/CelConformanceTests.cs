using Trellis.Core.Governance.Expressions;

namespace Trellis.Core.Tests.Governance.Expressions;

public sealed record CelCase(string File, string Section, string Name, string Expr, string? Expected)
{
    public override string ToString() => $"{File}/{Section}/{Name}";
}

/// <summary>
/// The rule language against cel-spec's own conformance data (the "simple" tests of the npm package
/// @bufbuild/cel-spec 0.6.1, dist/esm/testdata/conformance.js, dumped to JSON): every case of the files basic, logic, comparisons, integer_math,
/// string, lists and macros, all their sections, that needs no bindings, type environment or container and stays in
/// the language's subset — 312 cases (basic 27, comparisons 124, integer_math 42, lists 19, logic 30, macros 39,
/// string 31), selected by make_cel_cases.py into CelConformanceCases.cs. A case expecting a value must give exactly
/// that value (int and double are different); a case expecting an error must fail to compile or give an error.
/// <see cref="Differences"/> lists, with the reason, the cases where the language deliberately differs from CEL.
/// </summary>
public class CelConformanceTests
{
    /// <summary>Where the rule language differs from CEL on purpose (a stricter checker), by case name.</summary>
    private static readonly Dictionary<string, string> Differences = new(StringComparer.Ordinal)
    {
        ["short_circuit_type_left"] = "a bool operator with a non-bool operand is a type error when the rule is compiled",
        ["short_circuit_type_right"] = "a bool operator with a non-bool operand is a type error when the rule is compiled",
        ["unbound_is_runtime_error"] = "an unknown name or function is an error when the rule is compiled, not when it runs",
    };

    public static TheoryData<string> Cases() => new(CelConformanceCases.All.Select(c => c.ToString()));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Case_GivesCelsResult(string id)
    {
        var c = CelConformanceCases.All.Single(x => x.ToString() == id);
        var compiled = RuleExpression.CompileWithDiagnostics(c.Expr, RuleSchema.Dynamic, requireBool: false);
        var (value, error) = compiled.Rule is { } rule ? rule.EvaluateValue(null, null) : (null, string.Join("; ", compiled.Diagnostics));
        var actual = value?.ToString() ?? "error: " + error;
        string expected;
        if (c.Expected is null)
        {
            expected = "an error";
            if (value is null)
            {
                actual = expected;
            }
        }
        else
        {
            var expectedValue = RuleExpression.CompileWithDiagnostics(c.Expected, RuleSchema.Dynamic, requireBool: false).Rule!.EvaluateValue(null, null).Value!;
            expected = expectedValue.ToString();
            if (value is not null && Identical(value, expectedValue))
            {
                actual = expected;
            }
        }

        if (Differences.TryGetValue(c.Name, out var reason))
        {
            Assert.True(expected != actual, $"{id} is listed as a difference ({reason}) but now gives CEL's result; remove it from the list");
            return;
        }

        Assert.True(expected == actual, $"{id}: `{c.Expr}` gave {actual}, CEL gives {expected}");
    }

    /// <summary>Equal values of the same types, element by element (NaN equals NaN here).</summary>
    private static bool Identical(RuleValue a, RuleValue b) => (a, b) switch
    {
        (DoubleValue x, DoubleValue y) => x.Value.Equals(y.Value),
        (ListValue x, ListValue y) => x.Items.Count == y.Items.Count && x.Items.Zip(y.Items).All(p => Identical(p.First, p.Second)),
        (MapValue x, MapValue y) => x.Entries.Count == y.Entries.Count
            && x.Entries.All(e => y.Entries.TryGetValue(e.Key, out var other) && Identical(e.Value, other)),
        _ => a.Equals(b),
    };
}
