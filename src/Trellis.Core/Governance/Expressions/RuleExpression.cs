using Trellis.Core.Validation;

namespace Trellis.Core.Governance.Expressions;

/// <summary>
/// A compiled governance rule written in a small, safe subset of CEL (the language of Kubernetes
/// ValidatingAdmissionPolicy): <c>item.nodePools.all(p, p.maxPodCount &lt;= params.max)</c>. The language has no
/// loops, no recursion and no user functions; the source is at most 4 KB and nests at most 64 levels; every run is
/// bounded by an <see cref="EvaluationBudget"/>; patterns are compiled once, without backtracking, with a timeout.
/// Compile once, evaluate many times (also concurrently): evaluation never throws.
/// </summary>
public sealed class RuleExpression
{
    /// <summary>The path of every finding a rule's text gets.</summary>
    public const string FindingPath = "rule.expression";

    private readonly Node root;
    private readonly int slots;

    private RuleExpression(string text, Node root, int slots)
    {
        Text = text;
        this.root = root;
        this.slots = slots;
    }

    public string Text { get; }

    /// <summary>Compiles a rule, which must give a bool; problems are findings at <see cref="FindingPath"/> with their position.</summary>
    public static (RuleExpression? Rule, IReadOnlyList<Finding> Findings) Compile(string text, RuleSchema schema)
    {
        var compilation = CompileWithDiagnostics(text, schema);
        return (compilation.Rule, compilation.Findings);
    }

    /// <summary>Like <see cref="Compile"/>, with each problem's offset and length in the text.</summary>
    public static RuleCompilation CompileWithDiagnostics(string text, RuleSchema schema, bool requireBool = true)
    {
        text ??= string.Empty;
        Node root;
        try
        {
            root = RuleParser.Parse(text);
        }
        catch (SyntaxException e)
        {
            return new RuleCompilation(null, [RuleDiagnostic.At(text, e.Code, e.Message, e.Hint, e.Offset, e.Length)]);
        }

        var checker = new RuleChecker(text, schema ?? RuleSchema.Dynamic);
        var type = checker.Check(root);
        if (requireBool && checker.Diagnostics.Count == 0 && !type.Is(RuleKind.Bool))
        {
            checker.Diagnostics.Add(RuleDiagnostic.At(text, "RuleTypeMismatch", $"The rule gives a {type}, not a bool",
                "A rule is a condition: compare the value, e.g. size(x) > 0.", root.Offset, root.Length));
        }

        return checker.Diagnostics.Count > 0
            ? new RuleCompilation(null, checker.Diagnostics)
            : new RuleCompilation(new RuleExpression(text, root, checker.Slots), []);
    }

    /// <summary>Runs the rule: <see cref="RuleOutcome.Pass"/> when it gives true, Fail when false, Error otherwise.</summary>
    public RuleResult Evaluate(RuleValue? item, RuleValue? parameters, EvaluationBudget? budget = null)
    {
        var (value, error) = EvaluateValue(item, parameters, budget);
        return value switch
        {
            BoolValue { Value: true } => RuleResult.Pass,
            BoolValue => RuleResult.Fail,
            null => RuleResult.Error(error!),
            _ => RuleResult.Error($"The rule gave {Shorten(value)}, not a bool."),
        };
    }

    /// <summary>Runs the expression for its value (a rule compiled without requireBool); the value is null on an error.</summary>
    public (RuleValue? Value, string? Error) EvaluateValue(RuleValue? item, RuleValue? parameters, EvaluationBudget? budget = null)
    {
        var evaluator = new RuleEvaluator(item ?? RuleValue.Null, parameters ?? RuleValue.Null, budget ?? EvaluationBudget.Default, slots);
        try
        {
            return (evaluator.Eval(root), null);
        }
        catch (EvaluationException e)
        {
            return (null, e.Message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return (null, $"The rule failed: {e.Message}");
        }
    }

    internal static string Shorten(RuleValue value)
    {
        var text = value.ToString();
        return text.Length > 60 ? text[..57] + "..." : text;
    }

    public override string ToString() => Text;
}

/// <summary>The outcome of compiling: the rule, or the diagnostics (never both).</summary>
public sealed record RuleCompilation(RuleExpression? Rule, IReadOnlyList<RuleDiagnostic> Diagnostics)
{
    public IReadOnlyList<Finding> Findings => Diagnostics.Select(d => d.ToFinding()).ToList();
}

/// <summary>A problem in a rule's text: code, message and hint, where it starts (0-based offset, 1-based line and column) and how long it is.</summary>
public sealed record RuleDiagnostic(string Code, string Message, string Hint, int Offset, int Length, int Line, int Column)
{
    internal static RuleDiagnostic At(string text, string code, string message, string hint, int offset, int length)
    {
        offset = Math.Clamp(offset, 0, text.Length);
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < offset; i++)
        {
            if (text[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        }

        return new RuleDiagnostic(code, message, hint, offset, length, line, offset - lineStart + 1);
    }

    public Finding ToFinding() => new(Code, RuleExpression.FindingPath, $"{Message} at line {Line}, column {Column}.", Hint);
}

public enum RuleOutcome
{
    Pass,
    Fail,
    Error,
}

/// <summary>What a rule said about an item: pass, fail, or an error with its message (a missing key, an overflow, the budget).</summary>
public sealed record RuleResult(RuleOutcome Outcome, string? Message)
{
    public static readonly RuleResult Pass = new(RuleOutcome.Pass, null);
    public static readonly RuleResult Fail = new(RuleOutcome.Fail, null);

    public static RuleResult Error(string message) => new(RuleOutcome.Error, message);
}

/// <summary>
/// What one evaluation may spend: steps (one per node visited and per macro iteration), list elements and map entries
/// created, and characters of strings built. Going over any is an error naming the budget.
/// </summary>
public sealed record EvaluationBudget(long MaxSteps = 100_000, long MaxElements = 100_000, long MaxStringChars = 1_000_000)
{
    public static readonly EvaluationBudget Default = new();
}
