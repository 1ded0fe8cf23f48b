using System.Diagnostics.CodeAnalysis;

namespace Trellis.Policy.Selectors;

/// <summary>
/// The Calico selector grammar (projectcalico.org/v3 `selector`, `namespaceSelector`, …), as libcalico-go's
/// tokenizer and parser accept it: an empty selector is all(); `!` binds tighter than `&amp;&amp;`, which binds tighter than `||`.
/// </summary>
public static class CalicoSelector
{
    /// <summary>Parses a selector; throws <see cref="SelectorParseException"/> when it is not valid.</summary>
    public static Selector Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return SelectorParser.Parse(text, out var error) ?? throw new SelectorParseException(error!, text);
    }

    public static bool TryParse(string text, [MaybeNullWhen(false)] out Selector selector, [NotNullWhen(false)] out SelectorParseError? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        selector = SelectorParser.Parse(text, out error);
        return selector is not null;
    }
}
