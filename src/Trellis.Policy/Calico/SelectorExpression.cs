using Trellis.Policy.Selectors;

namespace Trellis.Policy.Calico;

/// <summary>A Calico selector with the text it was written as (for messages) and its parse.</summary>
public sealed record SelectorExpression(string Text, Selector Selector)
{
    public static SelectorExpression All { get; } = new("all()", Selectors.Selector.All);

    public static SelectorExpression Parse(string text) => new(text, string.IsNullOrWhiteSpace(text) ? Selectors.Selector.All : CalicoSelector.Parse(text));

    public override string ToString() => Text;
}
