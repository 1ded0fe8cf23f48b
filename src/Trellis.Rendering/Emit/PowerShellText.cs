namespace Trellis.Rendering.Emit;

/// <summary>
/// Values in a rendered PowerShell script. A value is only ever a single-quoted string literal, in which PowerShell
/// expands nothing ($, backtick, $(…) are plain text) and which only a single-quote character can end. PowerShell's
/// tokenizer takes five characters as a single quote (' and U+2018, U+2019, U+201A, U+201B) and reads two of them in a
/// row as one literal quote, so every one of them is doubled.
/// </summary>
public static class PowerShellText
{
    /// <summary>Every character PowerShell's tokenizer accepts as a single quote (CharExtensions.IsSingleQuote).</summary>
    public static readonly IReadOnlyList<char> SingleQuotes = ['\'', '\u2018', '\u2019', '\u201A', '\u201B'];

    /// <summary>The byte order mark that makes Windows PowerShell 5.1 read a script as UTF-8 rather than the ANSI code page.</summary>
    public const char ByteOrderMark = '\uFEFF';

    /// <summary>A single-quoted string literal whose value is exactly <paramref name="value"/>.</summary>
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var quoted = new System.Text.StringBuilder(value.Length + 2).Append('\'');
        foreach (var c in value)
        {
            quoted.Append(c);
            if (SingleQuotes.Contains(c))
            {
                quoted.Append(c);
            }
        }

        return quoted.Append('\'').ToString();
    }

    /// <summary>A line comment that no value can leave.</summary>
    public static string Comment(string text) => "# " + CommentText.OneLine(text);

    /// <summary>
    /// The script as a file: Windows PowerShell 5.1 (where the DhcpServer module runs) reads a script without a byte
    /// order mark in the ANSI code page, where the UTF-8 bytes of e.g. U+0451 end in 0x91, a left single quote; so a
    /// script that holds any non-ASCII character starts with a BOM (PSScriptAnalyzer's PSUseBOMForUnicodeEncodedFile).
    /// </summary>
    public static string Script(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Any(c => c > '\x7F') ? ByteOrderMark + text : text;
    }
}
