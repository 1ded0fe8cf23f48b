using System.Globalization;
using System.Text.RegularExpressions;

namespace Trellis.Core.Governance.Expressions;

/// <summary>An error of one evaluation (a missing key, an overflow, a wrong runtime type); && and || can absorb it.</summary>
internal class EvaluationException(string message) : Exception(message);

/// <summary>The budget ran out: never absorbed, it ends the evaluation.</summary>
internal sealed class BudgetException(string message) : EvaluationException(message);

/// <summary>
/// The tree-walking evaluator of one run. Recursion is bounded by the tree's height (at most 64); every node visited and
/// every macro iteration costs a step, and created list elements and string characters are counted against the budget.
/// <c>&amp;&amp;</c> and <c>||</c> follow CEL: false (true) on either side wins over an error on the other side.
/// </summary>
internal sealed class RuleEvaluator(RuleValue item, RuleValue parameters, EvaluationBudget budget, int slotCount)
{
    private readonly RuleValue[] slots = new RuleValue[slotCount];
    private long steps;
    private long elements;
    private long chars;

    private static EvaluationException Fail(string message) => new(message);

    private static EvaluationException NoOverload(string op, RuleValue a, RuleValue? b = null) =>
        Fail(b is null ? $"No operator '{op}' for a {a.TypeName}." : $"No operator '{op}' for a {a.TypeName} and a {b.TypeName}.");

    private void Step()
    {
        if (++steps > budget.MaxSteps)
        {
            throw new BudgetException($"The rule exceeded its budget of {budget.MaxSteps} steps.");
        }
    }

    /// <summary>Charges work proportional to a value's size: comparing lists or maps, scanning strings.</summary>
    private void Charge(RuleValue value)
    {
        steps += value switch
        {
            ListValue l => l.Items.Count,
            MapValue m => m.Entries.Count,
            StringValue s => s.Value.Length / 64,
            _ => 0,
        };
        Step();
    }

    private void Allocate(long count)
    {
        elements += count;
        if (elements > budget.MaxElements)
        {
            throw new BudgetException($"The rule exceeded its budget of {budget.MaxElements} list elements created.");
        }
    }

    private void AllocateChars(long count)
    {
        chars += count;
        if (chars > budget.MaxStringChars)
        {
            throw new BudgetException($"The rule exceeded its budget of {budget.MaxStringChars} string characters created.");
        }
    }

    public RuleValue Eval(Node node)
    {
        Step();
        return node switch
        {
            Literal l => l.Value,
            Ident i => i.Slot switch { -1 => item, -2 => parameters, var s => slots[s] },
            Select s => Field(Eval(s.Target), s.Field),
            IndexNode x => Index(Eval(x.Target), Eval(x.Index)),
            Unary u => EvalUnary(u),
            Binary b => EvalBinary(b),
            Conditional c => Bool(Eval(c.Test), "?:") ? Eval(c.Then) : Eval(c.Otherwise),
            ListNode l => EvalList(l),
            MapNode m => EvalMap(m),
            Has h => EvalHas(h),
            Macro m => EvalMacro(m),
            Call c => EvalCall(c),
            _ => throw Fail("Unknown expression."),
        };
    }

    private static bool Bool(RuleValue value, string op) =>
        value is BoolValue b ? b.Value : throw Fail($"'{op}' needs a bool, not a {value.TypeName}.");

    private static RuleValue Field(RuleValue target, string field) => target switch
    {
        MapValue m => m.TryGet(new StringValue(field), out var value) ? value : throw Fail($"No such key: '{field}'."),
        _ => throw Fail($"Cannot read field '{field}' of a {target.TypeName}."),
    };

    private static RuleValue Index(RuleValue target, RuleValue index)
    {
        switch (target, index)
        {
            case (ListValue list, IntValue i):
                return i.Value >= 0 && i.Value < list.Items.Count ? list.Items[(int)i.Value] : throw Fail($"Index {i.Value} is out of range (size {list.Items.Count}).");
            case (ListValue list, DoubleValue d) when d.Value == Math.Floor(d.Value):
                return Index(list, new IntValue(d.Value >= 0 && d.Value < int.MaxValue ? (long)d.Value : -1));
            case (MapValue map, _):
                return map.TryGet(index, out var value) ? value : throw Fail($"No such key: {RuleExpression.Shorten(index)}.");
            default:
                throw NoOverload("[]", target, index);
        }
    }

    private RuleValue EvalUnary(Unary node)
    {
        var operand = Eval(node.Operand);
        return (node.Op, operand) switch
        {
            ("!", BoolValue b) => RuleValue.From(!b.Value),
            ("-", IntValue i) => i.Value == long.MinValue ? throw Fail("Integer overflow.") : new IntValue(-i.Value),
            ("-", DoubleValue d) => new DoubleValue(-d.Value),
            _ => throw NoOverload(node.Op, operand),
        };
    }

    private (RuleValue? Value, EvaluationException? Error) Try(Node node)
    {
        try
        {
            return (Eval(node), null);
        }
        catch (EvaluationException e) when (e is not BudgetException)
        {
            return (null, e);
        }
    }

    /// <summary>CEL's commutative && and ||: the deciding value on either side wins over an error on the other.</summary>
    private RuleValue Logical(Binary node, bool decisive)
    {
        var (left, leftError) = Try(node.Left);
        if (left is BoolValue l && l.Value == decisive)
        {
            return left;
        }

        var (right, rightError) = Try(node.Right);
        if (right is BoolValue r && r.Value == decisive)
        {
            return right;
        }

        if (leftError is not null || rightError is not null)
        {
            throw leftError ?? rightError!;
        }

        return left is BoolValue && right is BoolValue ? RuleValue.From(!decisive) : throw NoOverload(node.Op, left!, right);
    }

    private RuleValue EvalBinary(Binary node)
    {
        switch (node.Op)
        {
            case "&&": return Logical(node, decisive: false);
            case "||": return Logical(node, decisive: true);
        }

        var left = Eval(node.Left);
        var right = Eval(node.Right);
        if (node.Op is "==" or "!=")
        {
            Charge(left);
        }

        return node.Op switch
        {
            "==" => RuleValue.From(RuleValue.Same(left, right)),
            "!=" => RuleValue.From(!RuleValue.Same(left, right)),
            "<" or "<=" or ">" or ">=" => RuleValue.From(Order(node.Op, left, right)),
            "in" => RuleValue.From(In(left, right)),
            _ => Arithmetic(node.Op, left, right),
        };
    }

    private static bool Order(string op, RuleValue left, RuleValue right)
    {
        int compared;
        switch (left, right)
        {
            case (IntValue a, IntValue b): compared = a.Value.CompareTo(b.Value); break;
            case (IntValue or DoubleValue, IntValue or DoubleValue):
                var x = left is IntValue i ? i.Value : ((DoubleValue)left).Value;
                var y = right is IntValue j ? j.Value : ((DoubleValue)right).Value;
                if (double.IsNaN(x) || double.IsNaN(y))
                {
                    return false;
                }

                compared = x.CompareTo(y);
                break;
            case (StringValue a, StringValue b): compared = string.CompareOrdinal(a.Value, b.Value); break;
            case (BoolValue a, BoolValue b): compared = a.Value.CompareTo(b.Value); break;
            default: throw NoOverload(op, left, right);
        }

        return op switch { "<" => compared < 0, "<=" => compared <= 0, ">" => compared > 0, _ => compared >= 0 };
    }

    private bool In(RuleValue value, RuleValue container)
    {
        switch (container)
        {
            case ListValue list:
                foreach (var element in list.Items)
                {
                    Step();
                    if (RuleValue.Same(value, element))
                    {
                        return true;
                    }
                }

                return false;
            case MapValue map:
                return map.TryGet(value, out _);
            default:
                throw NoOverload("in", value, container);
        }
    }

    private RuleValue Arithmetic(string op, RuleValue left, RuleValue right)
    {
        try
        {
            switch (left, right)
            {
                case (IntValue a, IntValue b):
                    return new IntValue(op switch
                    {
                        "+" => checked(a.Value + b.Value),
                        "-" => checked(a.Value - b.Value),
                        "*" => checked(a.Value * b.Value),
                        "/" when b.Value == 0 => throw Fail("Division by zero."),
                        "/" => checked(a.Value / b.Value),
                        "%" when b.Value == 0 => throw Fail("Modulus by zero."),
                        "%" => a.Value == long.MinValue && b.Value == -1 ? throw Fail("Integer overflow.") : a.Value % b.Value,
                        _ => throw NoOverload(op, left, right),
                    });
                case (DoubleValue a, DoubleValue b) when op != "%":
                    return new DoubleValue(op switch { "+" => a.Value + b.Value, "-" => a.Value - b.Value, "*" => a.Value * b.Value, _ => a.Value / b.Value });
                case (StringValue a, StringValue b) when op == "+":
                    AllocateChars(a.Value.Length + b.Value.Length);
                    return new StringValue(a.Value + b.Value);
                case (ListValue a, ListValue b) when op == "+":
                    Allocate(a.Items.Count + b.Items.Count);
                    return new ListValue([.. a.Items, .. b.Items]);
                default:
                    throw NoOverload(op, left, right);
            }
        }
        catch (OverflowException)
        {
            throw Fail("Integer overflow.");
        }
    }

    private ListValue EvalList(ListNode node)
    {
        Allocate(node.Items.Length);
        return new ListValue(node.Items.Select(Eval).ToArray());
    }

    private MapValue EvalMap(MapNode node)
    {
        Allocate(node.Keys.Length);
        var map = new Dictionary<RuleValue, RuleValue>();
        for (var i = 0; i < node.Keys.Length; i++)
        {
            var key = Eval(node.Keys[i]);
            if (key is not (StringValue or IntValue or BoolValue))
            {
                throw Fail($"A map key must be a string, int or bool, not a {key.TypeName}.");
            }

            if (!map.TryAdd(key, Eval(node.Values[i])))
            {
                throw Fail($"Repeated map key {RuleExpression.Shorten(key)}.");
            }
        }

        return new MapValue(map);
    }

    private RuleValue EvalHas(Has node)
    {
        var target = Eval(node.Field.Target);
        if (target is not MapValue map)
        {
            throw Fail($"has() cannot test field '{node.Field.Field}' of a {target.TypeName}.");
        }

        var present = map.TryGet(new StringValue(node.Field.Field), out var value);
        return RuleValue.From(present && (node.Field.Target.Type.Kind != RuleKind.Object || value is not NullValue));
    }

    private RuleValue EvalMacro(Macro node)
    {
        var range = Eval(node.Range) switch
        {
            ListValue list => list.Items,
            MapValue map => map.Entries.Keys.ToList(),
            var other => throw Fail($"{node.Name} needs a list or a map, not a {other.TypeName}."),
        };
        var results = new List<RuleValue>();
        var count = 0;
        EvaluationException? error = null;
        foreach (var element in range)
        {
            Step();
            slots[node.Slot] = element;
            if (node.Name == "map")
            {
                Allocate(1);
                results.Add(Eval(node.Body));
                continue;
            }

            // all and exists decide on the first false (true) even when another element errs, as CEL's && and || do.
            var (value, failure) = node.Name is "all" or "exists" ? Try(node.Body) : (Eval(node.Body), null);
            if (failure is not null)
            {
                error ??= failure;
                continue;
            }

            var holds = Bool(value!, node.Name);
            switch (node.Name)
            {
                case "all" when !holds: return RuleValue.False;
                case "exists" when holds: return RuleValue.True;
                case "exists_one" when holds: count++; break;
                case "filter" when holds:
                    Allocate(1);
                    results.Add(element);
                    break;
            }
        }

        if (error is not null)
        {
            throw error;
        }

        return node.Name switch
        {
            "all" => RuleValue.True,
            "exists" => RuleValue.False,
            "exists_one" => RuleValue.From(count == 1),
            _ => new ListValue(results),
        };
    }

    private RuleValue EvalCall(Call node)
    {
        var receiver = Eval(node.Target ?? node.Args[0]);
        var args = (node.Target is null ? node.Args.Skip(1) : node.Args).Select(Eval).ToArray();
        switch (node.Name, receiver)
        {
            case ("size", StringValue s): return new IntValue(s.Value.EnumerateRunes().Count());
            case ("size", ListValue l): return new IntValue(l.Items.Count);
            case ("size", MapValue m): return new IntValue(m.Entries.Count);
            case (_, StringValue s) when args is [StringValue arg]:
                Charge(s);
                return RuleValue.From(node.Name switch
                {
                    "startsWith" => s.Value.StartsWith(arg.Value, StringComparison.Ordinal),
                    "endsWith" => s.Value.EndsWith(arg.Value, StringComparison.Ordinal),
                    "contains" => s.Value.Contains(arg.Value, StringComparison.Ordinal),
                    "matches" => Matches(node.Pattern!, s.Value),
                    _ => throw NoOverload(node.Name, receiver),
                });
            default:
                throw Fail($"No function {node.Name}() for a {receiver.TypeName}{string.Concat(args.Select(a => " and a " + a.TypeName))}.");
        }
    }

    private static bool Matches(Regex pattern, string value)
    {
        try
        {
            return pattern.IsMatch(value);
        }
        catch (RegexMatchTimeoutException)
        {
            throw Fail(string.Create(CultureInfo.InvariantCulture, $"The pattern took longer than {RuleChecker.MatchTimeout.TotalMilliseconds} ms."));
        }
    }
}
