using System.Globalization;
using System.Text;

namespace Trellis.Rendering.Emit;

/// <summary>
/// Text for a one-line comment in any rendered format (#-comments in YAML, PowerShell, HAProxy, keepalived): every
/// character that could end the line or hide in it (controls, NEL, the Unicode line and paragraph separators, format
/// characters such as a BOM or a bidirectional override) is written as \uXXXX, so a value can never leave the comment.
/// </summary>
public static class CommentText
{
    public static string OneLine(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        StringBuilder? escaped = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (IsSafe(c))
            {
                escaped?.Append(c);
                continue;
            }

            escaped ??= new StringBuilder(text, 0, i, text.Length + 16);
            escaped.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
        }

        return escaped?.ToString() ?? text;
    }

    private static bool IsSafe(char c) => CharUnicodeInfo.GetUnicodeCategory(c) switch
    {
        UnicodeCategory.Control or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Format
            or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned => false,
        _ => true,
    };
}
