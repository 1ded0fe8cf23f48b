namespace Trellis.Core.Governance.Expressions;

public enum RuleKind
{
    /// <summary>Any value; checked when the rule runs.</summary>
    Dyn,
    Null,
    Bool,
    Int,
    Double,
    String,
    List,
    Map,

    /// <summary>A map with string keys whose fields are declared: an unknown field is a compile-time finding.</summary>
    Object,
}

/// <summary>The static type of an expression, known to the checker before a rule runs.</summary>
public sealed class RuleType
{
    private RuleType(RuleKind kind, RuleType? element = null, IReadOnlyDictionary<string, RuleType>? fields = null)
    {
        Kind = kind;
        Element = element;
        Fields = fields;
    }

    public static readonly RuleType Dyn = new(RuleKind.Dyn);
    public static readonly RuleType Null = new(RuleKind.Null);
    public static readonly RuleType Bool = new(RuleKind.Bool);
    public static readonly RuleType Int = new(RuleKind.Int);
    public static readonly RuleType Double = new(RuleKind.Double);
    public static readonly RuleType String = new(RuleKind.String);

    public RuleKind Kind { get; }

    /// <summary>The element type of a list, the value type of a map.</summary>
    public RuleType? Element { get; }

    /// <summary>The declared fields of an object.</summary>
    public IReadOnlyDictionary<string, RuleType>? Fields { get; }

    public static RuleType List(RuleType element) => new(RuleKind.List, element);

    public static RuleType Map(RuleType value) => new(RuleKind.Map, value);

    public static RuleType Object(params (string Name, RuleType Type)[] fields) =>
        new(RuleKind.Object, fields: fields.ToDictionary(f => f.Name, f => f.Type, StringComparer.Ordinal));

    internal bool IsNumber => Kind is RuleKind.Int or RuleKind.Double;

    internal bool Is(RuleKind kind) => Kind == kind || Kind == RuleKind.Dyn;

    /// <summary>Whether values of these types can be compared for equality (CEL compares numbers across int and double).</summary>
    internal static bool Comparable(RuleType a, RuleType b) =>
        a.Kind is RuleKind.Dyn or RuleKind.Null || b.Kind is RuleKind.Dyn or RuleKind.Null
        || (a.IsNumber && b.IsNumber)
        || (a.Kind is RuleKind.Map or RuleKind.Object && b.Kind is RuleKind.Map or RuleKind.Object)
        || a.Kind == b.Kind;

    /// <summary>The type of a value that is either an <paramref name="a"/> or a <paramref name="b"/>.</summary>
    internal static RuleType Join(RuleType a, RuleType b) =>
        a.Kind == RuleKind.Null ? b
        : b.Kind == RuleKind.Null ? a
        : a.Kind != b.Kind ? Dyn
        : a.Kind == RuleKind.List ? List(Join(a.Element!, b.Element!))
        : a.Kind == RuleKind.Map ? Map(Join(a.Element!, b.Element!))
        : a.Kind == RuleKind.Object && !ReferenceEquals(a, b) ? Map(Dyn)
        : a;

    public override string ToString() => Kind switch
    {
        RuleKind.List => $"list({Element})",
        RuleKind.Map => $"map({Element})",
        RuleKind.Object => "object",
        _ => Kind.ToString().ToLowerInvariant(),
    };
}

/// <summary>
/// The variables a rule may read: <c>item</c> (the cluster, node pool or service judged) and <c>params</c> (the
/// assignment's parameters), each with its declared type, so that an unknown field or a wrong operand type is a
/// finding when the rule is compiled rather than when it runs.
/// </summary>
public sealed record RuleSchema(RuleType Item, RuleType Parameters)
{
    /// <summary>Both variables of any type: every field access is checked only when the rule runs.</summary>
    public static readonly RuleSchema Dynamic = new(RuleType.Dyn, RuleType.Dyn);
}
