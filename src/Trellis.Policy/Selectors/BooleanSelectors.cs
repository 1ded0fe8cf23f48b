using System.Collections.Immutable;

namespace Trellis.Policy.Selectors;

/// <summary><c>!operand</c>.</summary>
public sealed record NotSelector : Selector
{
    public NotSelector(Selector operand)
    {
        ArgumentNullException.ThrowIfNull(operand);
        Operand = operand;
    }

    public Selector Operand { get; }

    public override bool Matches(IReadOnlyDictionary<string, string> labels, bool isGlobal = false) => !Operand.Matches(labels, isGlobal);

    // As Calico prints it: `!` binds looser than a comparison, so `!a == "b"` is `!(a == "b")`.
    public override string ToString() => Operand is JunctionSelector ? $"!({Operand})" : $"!{Operand}";
}

/// <summary>Two or more terms joined by one boolean operator; a nested junction is kept as written (in parentheses).</summary>
public abstract record JunctionSelector : Selector
{
    protected JunctionSelector(IEnumerable<Selector> terms)
    {
        ArgumentNullException.ThrowIfNull(terms);
        Terms = [.. terms];
        if (Terms.Length < 2)
        {
            throw new ArgumentException("a junction needs at least two terms; use the single term itself", nameof(terms));
        }

        foreach (var term in Terms)
        {
            ArgumentNullException.ThrowIfNull(term, nameof(terms));
        }
    }

    public ImmutableArray<Selector> Terms { get; }

    protected string Format(string op) =>
        string.Join(op, Terms.Select(term => NeedsParentheses(term) ? $"({term})" : term.ToString()));

    /// <summary>Whether a term must be parenthesized to parse back as the same tree.</summary>
    protected abstract bool NeedsParentheses(Selector term);

    public virtual bool Equals(JunctionSelector? other) =>
        other is not null
        && EqualityContract == other.EqualityContract
        && Terms.AsSpan().SequenceEqual(other.Terms.AsSpan());

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(EqualityContract);
        foreach (var term in Terms)
        {
            hash.Add(term);
        }

        return hash.ToHashCode();
    }
}

/// <summary><c>a &amp;&amp; b &amp;&amp; …</c>: every term matches.</summary>
public sealed record AndSelector : JunctionSelector
{
    public AndSelector(IEnumerable<Selector> terms) : base(terms) { }

    public AndSelector(params Selector[] terms) : base(terms) { }

    public override bool Matches(IReadOnlyDictionary<string, string> labels, bool isGlobal = false)
    {
        foreach (var term in Terms)
        {
            if (!term.Matches(labels, isGlobal))
            {
                return false;
            }
        }

        return true;
    }

    protected override bool NeedsParentheses(Selector term) => term is JunctionSelector;

    public override string ToString() => Format(" && ");
}

/// <summary><c>a || b || …</c>: some term matches.</summary>
public sealed record OrSelector : JunctionSelector
{
    public OrSelector(IEnumerable<Selector> terms) : base(terms) { }

    public OrSelector(params Selector[] terms) : base(terms) { }

    public override bool Matches(IReadOnlyDictionary<string, string> labels, bool isGlobal = false)
    {
        foreach (var term in Terms)
        {
            if (term.Matches(labels, isGlobal))
            {
                return true;
            }
        }

        return false;
    }

    protected override bool NeedsParentheses(Selector term) => term is OrSelector;

    public override string ToString() => Format(" || ");
}
