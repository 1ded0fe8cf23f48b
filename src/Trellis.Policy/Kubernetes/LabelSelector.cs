namespace Trellis.Policy.Kubernetes;

public enum LabelSelectorOperator
{
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

public sealed record LabelSelectorRequirement(string Key, LabelSelectorOperator Operator, IReadOnlyList<string> Values)
{
    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        switch (Operator)
        {
            case LabelSelectorOperator.Exists:
                return labels.ContainsKey(Key);
            case LabelSelectorOperator.DoesNotExist:
                return !labels.ContainsKey(Key);
            case LabelSelectorOperator.In:
                return labels.TryGetValue(Key, out var v) && Contains(v);
            default:
                // NotIn also matches objects that lack the key (and Calico's `not in` keeps that).
                return !labels.TryGetValue(Key, out var w) || !Contains(w);
        }
    }

    private bool Contains(string value)
    {
        for (var i = 0; i < Values.Count; i++)
        {
            if (string.Equals(Values[i], value, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// A Kubernetes label selector: matchLabels and matchExpressions, all ANDed. An empty selector matches everything;
/// a null one (a field left out) matches nothing — callers keep that distinction by holding a nullable.
/// </summary>
public sealed record LabelSelector(IReadOnlyDictionary<string, string> MatchLabels, IReadOnlyList<LabelSelectorRequirement> MatchExpressions)
{
    public static LabelSelector Empty { get; } = new(new Dictionary<string, string>(StringComparer.Ordinal), []);

    public bool IsEmpty => MatchLabels.Count == 0 && MatchExpressions.Count == 0;

    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        foreach (var (key, value) in MatchLabels)
        {
            if (!labels.TryGetValue(key, out var actual) || !string.Equals(actual, value, StringComparison.Ordinal))
            {
                return false;
            }
        }

        for (var i = 0; i < MatchExpressions.Count; i++)
        {
            if (!MatchExpressions[i].Matches(labels))
            {
                return false;
            }
        }

        return true;
    }

    public static LabelSelector Of(params (string Key, string Value)[] labels) =>
        new(labels.ToDictionary(l => l.Key, l => l.Value, StringComparer.Ordinal), []);

    /// <summary>The Calico selector text Calico's conversion produces (matchLabels sorted, then the expressions in order).</summary>
    public string ToCalicoText()
    {
        if (IsEmpty)
        {
            return "all()";
        }

        var parts = new List<string>();
        foreach (var key in MatchLabels.Keys.Order(StringComparer.Ordinal))
        {
            parts.Add($"{key} == '{MatchLabels[key]}'");
        }

        foreach (var e in MatchExpressions)
        {
            var values = string.Join(", ", e.Values.Select(v => $"'{v}'"));
            parts.Add(e.Operator switch
            {
                LabelSelectorOperator.In => $"{e.Key} in {{ {values} }}",
                LabelSelectorOperator.NotIn => $"{e.Key} not in {{ {values} }}",
                LabelSelectorOperator.Exists => $"has({e.Key})",
                _ => $"! has({e.Key})",
            });
        }

        return string.Join(" && ", parts);
    }

    public override string ToString() => ToCalicoText();
}
