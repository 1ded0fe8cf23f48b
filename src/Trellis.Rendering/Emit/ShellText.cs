namespace Trellis.Rendering.Emit;

/// <summary>
/// Values in a rendered POSIX shell script. A value is only ever one single-quoted word, in which the shell expands
/// nothing ($, backticks, \, ", newlines are plain text) and which only a single quote can end; a single quote in the
/// value is written as '\'' (end the quoted part, an escaped quote, start a new quoted part). Only NUL, which no shell
/// word can hold, is refused.
/// </summary>
public static class ShellText
{
    /// <summary>A single-quoted shell word whose value is exactly <paramref name="value"/>.</summary>
    /// <exception cref="UnrenderableValueException">The value holds a NUL character.</exception>
    public static string Quote(string value, string file, string what)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw UnrenderableValueException.For(file, what, value, "a shell word cannot hold a NUL character");
        }

        return "'" + value.Replace("'", @"'\''", StringComparison.Ordinal) + "'";
    }

    /// <summary>A line comment that no value can leave.</summary>
    public static string Comment(string text) => "# " + CommentText.OneLine(text);
}
