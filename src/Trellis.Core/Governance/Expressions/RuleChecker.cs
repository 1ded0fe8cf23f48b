using System.Text.RegularExpressions;

namespace Trellis.Core.Governance.Expressions;

/// <summary>
/// The type checker: resolves names against the <see cref="RuleSchema"/> and macro variables, gives every node its
/// type, and reports unknown names and fields, wrong operand types and invalid patterns as diagnostics with positions.
/// Where a type is <see cref="RuleKind.Dyn"/> the check is left to the evaluator.
/// </summary>
internal sealed class RuleChecker(string text, RuleSchema schema)
{
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    private readonly List<(string Name, RuleType Type)> scope = [];

    public List<RuleDiagnostic> Diagnostics { get; } = [];

    /// <summary>The most macro variables in scope at once: the evaluator's slot count.</summary>
    public int Slots { get; private set; }

    private void Report(string code, Node node, string message, string hint) =>
        Diagnostics.Add(code != "RuleUnknownField" ? RuleDiagnostic.At(text, code, message, hint, node.Offset, node.Length) : node switch
        {
            Select s => RuleDiagnostic.At(text, code, message, hint, s.FieldOffset, s.Field.Length),
            Call c => RuleDiagnostic.At(text, code, message, hint, c.NameOffset, c.Name.Length),
            _ => RuleDiagnostic.At(text, code, message, hint, node.Offset, node.Length),
        });

    private void Mismatch(Node node, string message, string hint = "Compare values of one type; the types are in docs/governance.md.") =>
        Report("RuleTypeMismatch", node, message, hint);

    public RuleType Check(Node node)
    {
        node.Type = node switch
        {
            Literal l => TypeOf(l.Value),
            Ident i => CheckIdent(i),
            Select s => CheckSelect(s),
            IndexNode x => CheckIndex(x),
            Unary u => CheckUnary(u),
            Binary b => CheckBinary(b),
            Conditional c => CheckConditional(c),
            ListNode l => RuleType.List(l.Items.Select(Check).DefaultIfEmpty(RuleType.Dyn).Aggregate(RuleType.Join)),
            MapNode m => CheckMap(m),
            Has h => CheckHas(h),
            Macro m => CheckMacro(m),
            Call c => CheckCall(c),
            _ => RuleType.Dyn,
        };
        return node.Type;
    }

    private static RuleType TypeOf(RuleValue value) => value switch
    {
        NullValue => RuleType.Null,
        BoolValue => RuleType.Bool,
        IntValue => RuleType.Int,
        DoubleValue => RuleType.Double,
        StringValue => RuleType.String,
        _ => RuleType.Dyn,
    };

    private RuleType CheckIdent(Ident node)
    {
        for (var i = scope.Count - 1; i >= 0; i--)
        {
            if (scope[i].Name == node.Name)
            {
                node.Slot = i;
                return scope[i].Type;
            }
        }

        switch (node.Name)
        {
            case "item":
                node.Slot = -1;
                return schema.Item;
            case "params":
                node.Slot = -2;
                return schema.Parameters;
        }

        var names = scope.Select(s => s.Name).Concat(["item", "params"]);
        Report("RuleUnknownField", node, $"Unknown name '{node.Name}'", Suggest(node.Name, names, "A rule reads item, params and the variables of its macros."));
        return RuleType.Dyn;
    }

    private static string Suggest(string name, IEnumerable<string> candidates, string otherwise)
    {
        var best = candidates
            .Select(c => (Name: c, Distance: Distance(name.ToLowerInvariant(), c.ToLowerInvariant())))
            .Where(c => c.Distance <= Math.Max(2, name.Length / 3)
                || CommonPrefix(name, c.Name) >= Math.Max(3, name.Length - 2))
            .OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.Ordinal)
            .FirstOrDefault();
        return best.Name is null ? otherwise : $"Did you mean '{best.Name}'?";
    }

    private static int CommonPrefix(string a, string b)
    {
        var i = 0;
        while (i < a.Length && i < b.Length && char.ToLowerInvariant(a[i]) == char.ToLowerInvariant(b[i]))
        {
            i++;
        }

        return i;
    }

    private static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var previous = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var current = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), previous + (a[i - 1] == b[j - 1] ? 0 : 1));
                previous = current;
            }
        }

        return row[b.Length];
    }

    private RuleType Field(Node node, RuleType target, string field)
    {
        switch (target.Kind)
        {
            case RuleKind.Object when target.Fields!.TryGetValue(field, out var type):
                return type;
            case RuleKind.Object:
                Report("RuleUnknownField", node, $"Unknown field '{field}'",
                    Suggest(field, target.Fields!.Keys, $"The fields are {string.Join(", ", target.Fields!.Keys.Order(StringComparer.Ordinal))}."));
                return RuleType.Dyn;
            case RuleKind.Map or RuleKind.Dyn:
                return target.Element ?? RuleType.Dyn;
            default:
                Mismatch(node, $"A {target} has no field '{field}'", "Only objects and maps have fields.");
                return RuleType.Dyn;
        }
    }

    private RuleType CheckSelect(Select node) => Field(node, Check(node.Target), node.Field);

    private RuleType CheckHas(Has node)
    {
        Field(node.Field, Check(node.Field.Target), node.Field.Field);
        return RuleType.Bool;
    }

    private RuleType CheckIndex(IndexNode node)
    {
        var target = Check(node.Target);
        var index = Check(node.Index);
        switch (target.Kind)
        {
            case RuleKind.List:
                if (!index.Is(RuleKind.Int) && !index.Is(RuleKind.Double))
                {
                    Mismatch(node.Index, $"A list index must be an int, not a {index}");
                }

                return target.Element!;
            case RuleKind.Object when node.Index is Literal { Value: StringValue field }:
                return Field(node.Index, target, field.Value);
            case RuleKind.Map or RuleKind.Object or RuleKind.Dyn:
                return target.Element ?? RuleType.Dyn;
            default:
                Mismatch(node, $"A {target} cannot be indexed", "Only lists and maps can be indexed.");
                return RuleType.Dyn;
        }
    }

    private RuleType CheckUnary(Unary node)
    {
        var operand = Check(node.Operand);
        if (node.Op == "!")
        {
            if (!operand.Is(RuleKind.Bool))
            {
                Mismatch(node, $"'!' needs a bool, not a {operand}");
            }

            return RuleType.Bool;
        }

        if (!operand.IsNumber && operand.Kind != RuleKind.Dyn)
        {
            Mismatch(node, $"'-' needs a number, not a {operand}");
        }

        return operand.IsNumber ? operand : RuleType.Dyn;
    }

    private RuleType CheckBinary(Binary node)
    {
        var left = Check(node.Left);
        var right = Check(node.Right);
        var dyn = left.Kind == RuleKind.Dyn || right.Kind == RuleKind.Dyn;
        switch (node.Op)
        {
            case "&&" or "||":
                if (!left.Is(RuleKind.Bool) || !right.Is(RuleKind.Bool))
                {
                    Mismatch(node, $"'{node.Op}' needs two bools, not a {left} and a {right}");
                }

                return RuleType.Bool;
            case "==" or "!=":
                if (!RuleType.Comparable(left, right))
                {
                    Mismatch(node, $"A {left} is never equal to a {right}");
                }

                return RuleType.Bool;
            case "<" or "<=" or ">" or ">=":
                if (!dyn && !(left.IsNumber && right.IsNumber) && !(left.Kind == right.Kind && left.Kind is RuleKind.String or RuleKind.Bool))
                {
                    Mismatch(node, $"'{node.Op}' cannot order a {left} and a {right}", "Order numbers, strings or bools, each against its own kind.");
                }

                return RuleType.Bool;
            case "in":
                if (right.Kind is RuleKind.List && !RuleType.Comparable(left, right.Element!))
                {
                    Mismatch(node, $"A {left} is never in a {right}");
                }
                else if (right.Kind is not (RuleKind.List or RuleKind.Map or RuleKind.Object or RuleKind.Dyn))
                {
                    Mismatch(node, $"'in' needs a list or a map on its right, not a {right}");
                }

                return RuleType.Bool;
            case "+" when left.Kind == right.Kind && left.Kind is RuleKind.Int or RuleKind.Double or RuleKind.String:
                return left;
            case "+" when left.Kind == right.Kind && left.Kind is RuleKind.List:
                return RuleType.Join(left, right);
            case "-" or "*" or "/" when left.Kind == right.Kind && left.IsNumber:
                return left;
            case "%" when left.Kind == right.Kind && left.Kind == RuleKind.Int:
                return left;
            default:
                if (!dyn)
                {
                    Mismatch(node, $"'{node.Op}' cannot combine a {left} and a {right}",
                        "Arithmetic needs two ints or two doubles (% two ints); + also joins two strings or two lists.");
                }

                return left.Kind == RuleKind.Dyn ? right : left;
        }
    }

    private RuleType CheckConditional(Conditional node)
    {
        var test = Check(node.Test);
        if (!test.Is(RuleKind.Bool))
        {
            Mismatch(node.Test, $"The condition of '?:' must be a bool, not a {test}");
        }

        return RuleType.Join(Check(node.Then), Check(node.Otherwise));
    }

    private RuleType CheckMap(MapNode node)
    {
        foreach (var key in node.Keys)
        {
            var type = Check(key);
            if (type.Kind is not (RuleKind.String or RuleKind.Int or RuleKind.Bool or RuleKind.Dyn))
            {
                Mismatch(key, $"A map key must be a string, int or bool, not a {type}");
            }
        }

        return RuleType.Map(node.Values.Select(Check).DefaultIfEmpty(RuleType.Dyn).Aggregate(RuleType.Join));
    }

    private RuleType CheckMacro(Macro node)
    {
        var range = Check(node.Range);
        var variable = range.Kind switch
        {
            RuleKind.List => range.Element!,
            RuleKind.Map or RuleKind.Object or RuleKind.Dyn => RuleType.Dyn,
            _ => null,
        };
        if (variable is null)
        {
            Mismatch(node.Range, $"{node.Name} needs a list or a map, not a {range}");
            variable = RuleType.Dyn;
        }

        node.Slot = scope.Count;
        scope.Add((node.Variable, variable));
        Slots = Math.Max(Slots, scope.Count);
        var body = Check(node.Body);
        scope.RemoveAt(scope.Count - 1);
        if (node.Name != "map" && !body.Is(RuleKind.Bool))
        {
            Mismatch(node.Body, $"The predicate of {node.Name} must be a bool, not a {body}");
        }

        return node.Name switch
        {
            "filter" => RuleType.List(variable),
            "map" => RuleType.List(body),
            _ => RuleType.Bool,
        };
    }

    private RuleType CheckCall(Call node)
    {
        // Functions are methods of their first argument: size(x) is x.size().
        var receiver = node.Target ?? node.Args.FirstOrDefault();
        var args = node.Target is null ? node.Args.Skip(1).ToArray() : node.Args;
        var receiverType = receiver is null ? RuleType.Dyn : Check(receiver);
        var argTypes = args.Select(Check).ToArray();
        switch (node.Name)
        {
            case "size":
                Arity(node, args, 0);
                if (receiverType.Kind is not (RuleKind.String or RuleKind.List or RuleKind.Map or RuleKind.Object or RuleKind.Dyn))
                {
                    Mismatch(node, $"size() needs a string, list or map, not a {receiverType}");
                }

                return RuleType.Int;
            case "startsWith" or "endsWith" or "contains" or "matches":
                Arity(node, args, 1);
                if (!receiverType.Is(RuleKind.String) || argTypes.Any(t => !t.Is(RuleKind.String)))
                {
                    Mismatch(node, $"{node.Name}() needs strings, not a {receiverType} and {string.Join(", ", argTypes.Select(t => t.ToString()))}");
                }

                if (node.Name == "matches" && args.Length == 1)
                {
                    CompilePattern(node, args[0]);
                }

                return RuleType.Bool;
            default:
                Report("RuleUnknownField", node, $"Unknown function '{node.Name}'",
                    Suggest(node.Name, ["size", "startsWith", "endsWith", "contains", "matches", "has", "all", "exists", "exists_one", "filter", "map"],
                        "The functions are size, startsWith, endsWith, contains, matches, has and the macros all, exists, exists_one, filter, map."));
                return RuleType.Dyn;
        }
    }

    private void Arity(Call node, Node[] args, int count)
    {
        if (args.Length != count || (node.Target is null && node.Args.Length == 0))
        {
            Mismatch(node, $"{node.Name}() takes {count + 1} value{(count == 0 ? string.Empty : "s")} counting its receiver, not {node.Args.Length + (node.Target is null ? 0 : 1)}",
                $"Write it as x.{node.Name}({(count == 0 ? string.Empty : "y")}).");
        }
    }

    private void CompilePattern(Call node, Node pattern)
    {
        if (pattern is not Literal { Value: StringValue literal })
        {
            Mismatch(pattern, "The pattern of matches() must be a string literal", "Write the regular expression in quotes; it is compiled once, with the rule.");
            return;
        }

        try
        {
            node.Pattern = new Regex(literal.Value, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, MatchTimeout);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            Report("RuleSyntax", pattern, $"The pattern is not a regular expression the rule language accepts: {e.Message}",
                "Patterns have no backreferences or lookarounds (RE2 syntax).");
        }
    }
}
