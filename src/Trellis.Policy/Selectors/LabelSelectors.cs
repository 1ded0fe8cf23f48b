namespace Trellis.Policy.Selectors;

/// <summary><c>has(label)</c>: the label is present, whatever its value.</summary>
public sealed record HasSelector : Selector
{
    public HasSelector(string label) => Label = SelectorText.RequireLabel(label);

    public string Label { get; }

    public override bool Matches(IReadOnlyDictionary<string, string> labels, bool isGlobal = false) => labels.ContainsKey(Label);

    public override string ToString() => $"has({Label})";
}

/// <summary>A comparison of one label's value with a string literal.</summary>
public abstract record LabelValueSelector : Selector
{
    protected LabelValueSelector(string label, string value)
    {
        Label = SelectorText.RequireLabel(label);
        Value = SelectorText.RequireQuotable(value);
    }

    public string Label { get; }

    public string Value { get; }
}

/// <summary><c>label == "value"</c>: false when the label is absent.</summary>
public sealed record EqualsSelector : LabelValueSelector
{
    public EqualsSelector(string label, string value) : base(label, value) { }

    public override bool Matches(IReadOnlyDictionary<string, string> labels, bool isGlobal = false) =>
        labels.TryGetValue(Label, out var actual) && string.Equals(actual, Value, StringComparison.Ordinal);

    public override string ToString() => $"{Label} == {SelectorText.Quote(Value)}";
}

/// <summary><c>label != "value"</c>: true when the label is absent (Calico semantics).</summary>
public sealed record NotEqualsSelector : LabelValueSelector
{
    public NotEqualsSelector(string label, string value) : base(label, value) { }

    public override bool Matches(IReadOnlyDictionary<string, string> labels, bool isGlobal = false) =>
        !labels.TryGetValue(Label, out var actual) || !string.Equals(actual, Value, StringComparison.Ordinal);

    public override string ToString() => $"{Label} != {SelectorText.Quote(Value)}";
}

/// <summary><c>label contains "s"</c>: false when the label is absent.</summary>
public sealed record ContainsSelector : LabelValueSelector
{
    public ContainsSelector(string label, string value) : base(label, value) { }

    public override bool Matches(IReadOnlyDictionary<string, string> labels, bool isGlobal = false) =>
        labels.TryGetValue(Label, out var actual) && actual.Contains(Value, StringComparison.Ordinal);

    public override string ToString() => $"{Label} contains {SelectorText.Quote(Value)}";
}

/// <summary><c>label starts with "s"</c>: false when the label is absent.</summary>
public sealed record StartsWithSelector : LabelValueSelector
{
    public StartsWithSelector(string label, string value) : base(label, value) { }

    public override bool Matches(IReadOnlyDictionary<string, string> labels, bool isGlobal = false) =>
        labels.TryGetValue(Label, out var actual) && actual.StartsWith(Value, StringComparison.Ordinal);

    public override string ToString() => $"{Label} starts with {SelectorText.Quote(Value)}";
}

/// <summary><c>label ends with "s"</c>: false when the label is absent.</summary>
public sealed record EndsWithSelector : LabelValueSelector
{
    public EndsWithSelector(string label, string value) : base(label, value) { }

    public override bool Matches(IReadOnlyDictionary<string, string> labels, bool isGlobal = false) =>
        labels.TryGetValue(Label, out var actual) && actual.EndsWith(Value, StringComparison.Ordinal);

    public override string ToString() => $"{Label} ends with {SelectorText.Quote(Value)}";
}
