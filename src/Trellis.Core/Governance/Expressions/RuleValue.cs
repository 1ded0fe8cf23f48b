using System.Collections;
using System.Globalization;
using System.Text;

namespace Trellis.Core.Governance.Expressions;

/// <summary>
/// A value a rule expression reads or computes: null, bool, int (64-bit, overflow is an error), double, string,
/// list, or map (an object is a map with string keys). Values are immutable; records give map keys their equality.
/// </summary>
public abstract record RuleValue
{
    public static readonly RuleValue Null = new NullValue();
    public static readonly RuleValue True = new BoolValue(true);
    public static readonly RuleValue False = new BoolValue(false);

    public static RuleValue From(bool value) => value ? True : False;

    public static RuleValue From(long value) => new IntValue(value);

    public static RuleValue From(int value) => new IntValue(value);

    public static RuleValue From(double value) => new DoubleValue(value);

    public static RuleValue From(string? value) => value is null ? Null : new StringValue(value);

    public static RuleValue From(IEnumerable<RuleValue?> items) => new ListValue(items.Select(v => v ?? Null).ToList());

    public static RuleValue From(IEnumerable<string> items) => new ListValue(items.Select(From).ToList());

    /// <summary>An object (a map with string keys), e.g. a cluster's fields.</summary>
    public static RuleValue From(IEnumerable<KeyValuePair<string, RuleValue?>> fields)
    {
        var map = new Dictionary<RuleValue, RuleValue>();
        foreach (var (key, value) in fields)
        {
            map[new StringValue(key)] = value ?? Null;
        }

        return new MapValue(map);
    }

    /// <summary>An object from its fields: <c>RuleValue.Object(("name", RuleValue.From("a")), ("count", RuleValue.From(3)))</c>.</summary>
    public static RuleValue Object(params (string Name, RuleValue? Value)[] fields) =>
        From(fields.Select(f => new KeyValuePair<string, RuleValue?>(f.Name, f.Value)));

    /// <summary>
    /// Maps plain .NET data without reflection (AOT-safe): null, bool, integers, floating point, strings, enums (by name),
    /// string-keyed dictionaries and other enumerables. Anything else is refused with an <see cref="ArgumentException"/>.
    /// </summary>
    public static RuleValue FromPlain(object? value) => value switch
    {
        null => Null,
        RuleValue v => v,
        bool b => From(b),
        string s => new StringValue(s),
        int i => new IntValue(i),
        long l => new IntValue(l),
        short s => new IntValue(s),
        byte b => new IntValue(b),
        uint u => new IntValue(u),
        double d => new DoubleValue(d),
        float f => new DoubleValue(f),
        decimal m => new DoubleValue((double)m),
        Enum e => new StringValue(e.ToString()),
        IEnumerable<KeyValuePair<string, object?>> d => From(d.Select(p => new KeyValuePair<string, RuleValue?>(p.Key, FromPlain(p.Value)))),
        IDictionary d => From(d.Keys.Cast<object>().Select(k => new KeyValuePair<string, RuleValue?>(
            k as string ?? throw new ArgumentException("map keys must be strings", nameof(value)), FromPlain(d[k])))),
        IEnumerable e => new ListValue(e.Cast<object?>().Select(FromPlain).ToList()),
        _ => throw new ArgumentException($"a {value.GetType().Name} cannot be a rule value", nameof(value)),
    };

    /// <summary>The type name used in messages: null, bool, int, double, string, list, map.</summary>
    public abstract string TypeName { get; }

    public sealed override string ToString()
    {
        var text = new StringBuilder();
        Write(text);
        return text.ToString();
    }

    internal abstract void Write(StringBuilder text);

    /// <summary>CEL equality: numbers compare across int and double, lists and maps by content, other kinds differ.</summary>
    public static bool Same(RuleValue a, RuleValue b)
    {
        switch (a, b)
        {
            case (IntValue x, DoubleValue y): return x.Value == y.Value;
            case (DoubleValue x, IntValue y): return x.Value == y.Value;
            case (DoubleValue x, DoubleValue y): return x.Value == y.Value;
            case (ListValue x, ListValue y):
                if (x.Items.Count != y.Items.Count)
                {
                    return false;
                }

                for (var i = 0; i < x.Items.Count; i++)
                {
                    if (!Same(x.Items[i], y.Items[i]))
                    {
                        return false;
                    }
                }

                return true;
            case (MapValue x, MapValue y):
                return x.Entries.Count == y.Entries.Count
                    && x.Entries.All(e => y.TryGet(e.Key, out var other) && Same(e.Value, other));
            default:
                return a.Equals(b);
        }
    }
}

public sealed record NullValue : RuleValue
{
    public override string TypeName => "null";

    internal override void Write(StringBuilder text) => text.Append("null");
}

public sealed record BoolValue(bool Value) : RuleValue
{
    public override string TypeName => "bool";

    internal override void Write(StringBuilder text) => text.Append(Value ? "true" : "false");
}

public sealed record IntValue(long Value) : RuleValue
{
    public override string TypeName => "int";

    internal override void Write(StringBuilder text) => text.Append(Value.ToString(CultureInfo.InvariantCulture));
}

public sealed record DoubleValue(double Value) : RuleValue
{
    public override string TypeName => "double";

    internal override void Write(StringBuilder text)
    {
        var s = Value.ToString("R", CultureInfo.InvariantCulture);
        text.Append(s);
        if (double.IsFinite(Value) && !s.Contains('.', StringComparison.Ordinal) && !s.Contains('E', StringComparison.Ordinal))
        {
            text.Append(".0");
        }
    }
}

public sealed record StringValue(string Value) : RuleValue
{
    public override string TypeName => "string";

    internal override void Write(StringBuilder text)
    {
        text.Append('\'');
        foreach (var c in Value)
        {
            _ = c switch
            {
                '\'' => text.Append("\\'"),
                '\\' => text.Append("\\\\"),
                '\n' => text.Append("\\n"),
                _ when char.IsControl(c) => text.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
                _ => text.Append(c),
            };
        }

        text.Append('\'');
    }
}

public sealed record ListValue(IReadOnlyList<RuleValue> Items) : RuleValue
{
    public override string TypeName => "list";

    internal override void Write(StringBuilder text)
    {
        text.Append('[');
        for (var i = 0; i < Items.Count; i++)
        {
            text.Append(i == 0 ? string.Empty : ", ");
            Items[i].Write(text);
        }

        text.Append(']');
    }
}

public sealed record MapValue(IReadOnlyDictionary<RuleValue, RuleValue> Entries) : RuleValue
{
    public override string TypeName => "map";

    /// <summary>Looks a key up; an int key also finds an equal double key and the other way round (CEL's numeric keys).</summary>
    public bool TryGet(RuleValue key, out RuleValue value)
    {
        if (Entries.TryGetValue(key, out value!))
        {
            return true;
        }

        RuleValue? alternative = key switch
        {
            DoubleValue d when d.Value == Math.Floor(d.Value) && d.Value >= long.MinValue && d.Value < 9.2233720368547758E18 => new IntValue((long)d.Value),
            _ => null,
        };
        return alternative is not null && Entries.TryGetValue(alternative, out value!);
    }

    internal override void Write(StringBuilder text)
    {
        text.Append('{');
        var first = true;
        foreach (var (key, value) in Entries)
        {
            text.Append(first ? string.Empty : ", ");
            first = false;
            key.Write(text);
            text.Append(": ");
            value.Write(text);
        }

        text.Append('}');
    }
}
