using System.Text;

namespace Trellis.Policy.Selectors;

/// <summary>A selector that does not parse; the message names the column and, given the input, points at it with a caret.</summary>
public sealed class SelectorParseException : Exception
{
    public SelectorParseException(SelectorParseError error)
        : this(error, text: null)
    {
    }

    public SelectorParseException(SelectorParseError error, string? text)
        : base(Describe(error, text))
    {
        Error = error;
        Text = text;
    }

    public SelectorParseError Error { get; }

    /// <summary>The selector that failed to parse, when known.</summary>
    public string? Text { get; }

    private static string Describe(SelectorParseError error, string? text)
    {
        ArgumentNullException.ThrowIfNull(error);
        var message = new StringBuilder()
            .Append("invalid selector at column ").Append(error.Column).Append(": ").Append(error.Message).Append('\n');
        var caret = new StringBuilder();
        if (text is not null)
        {
            // Tabs are kept so that the caret lines up; other control characters would break the two lines apart.
            var shown = new StringBuilder(text.Length);
            foreach (var c in text)
            {
                shown.Append(c == '\t' || !char.IsControl(c) ? c : ' ');
            }

            message.Append("  ").Append(shown).Append('\n');
            for (var i = 0; i < error.Column - 1 && i < text.Length; i++)
            {
                caret.Append(text[i] == '\t' ? '\t' : ' ');
            }
        }

        caret.Append(' ', Math.Max(0, error.Column - 1 - caret.Length));
        return message.Append("  ").Append(caret).Append('^').ToString();
    }
}
