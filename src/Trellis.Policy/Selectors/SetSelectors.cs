using System.Collections.Immutable;

namespace Trellis.Policy.Selectors;

/// <summary>A test of one label's value against a set of string literals.</summary>
public abstract record LabelSetSelector : Selector
{
    protected LabelSetSelector(string label, IEnumerable<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        Label = SelectorText.RequireLabel(label);
        // Sorted and de-duplicated, as Calico canonicalises sets: equal sets compare and print equal.
        var set = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            set.Add(SelectorText.RequireQuotable(value));
        }

        Values = [.. set];
    }

    public string Label { get; }

    /// <summary>The distinct values in ordinal order.</summary>
    public ImmutableArray<string> Values { get; }

    /// <summary>Whether the label is present with one of the values.</summary>
    protected bool HasValueInSet(IReadOnlyDictionary<string, string> labels) =>
        labels.TryGetValue(Label, out var actual) && Contains(actual);

    private bool Contains(string value)
    {
        var low = 0;
        var high = Values.Length - 1;
        while (low <= high)
        {
            var middle = low + ((high - low) >> 1);
            var order = string.CompareOrdinal(Values[middle], value);
            if (order == 0)
            {
                return true;
            }

            if (order < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return false;
    }

    protected string Format(string op) => $"{Label} {op} {{{string.Join(", ", Values.Select(SelectorText.Quote))}}}";

    public virtual bool Equals(LabelSetSelector? other) =>
        other is not null
        && EqualityContract == other.EqualityContract
        && string.Equals(Label, other.Label, StringComparison.Ordinal)
        && Values.AsSpan().SequenceEqual(other.Values.AsSpan());

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(EqualityContract);
        hash.Add(Label, StringComparer.Ordinal);
        foreach (var value in Values)
        {
            hash.Add(value, StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }
}

/// <summary><c>label in {"a", "b"}</c>: false when the label is absent; an empty set matches nothing.</summary>
public sealed record InSelector : LabelSetSelector
{
    public InSelector(string label, IEnumerable<string> values) : base(label, values) { }

    public override bool Matches(IReadOnlyDictionary<string, string> labels, bool isGlobal = false) => HasValueInSet(labels);

    public override string ToString() => Format("in");
}

/// <summary><c>label not in {"a", "b"}</c>: true when the label is absent (Calico semantics).</summary>
public sealed record NotInSelector : LabelSetSelector
{
    public NotInSelector(string label, IEnumerable<string> values) : base(label, values) { }

    public override bool Matches(IReadOnlyDictionary<string, string> labels, bool isGlobal = false) => !HasValueInSet(labels);

    public override string ToString() => Format("not in");
}
