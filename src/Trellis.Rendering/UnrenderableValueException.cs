using Trellis.Core.Validation;

namespace Trellis.Rendering;

/// <summary>
/// A value that the format of a rendered file cannot hold (a space in an HAProxy name, a newline in a keepalived
/// comment): the file is refused rather than written with the value cut, escaped wrongly or read as syntax.
/// Front ends report <see cref="Finding"/> like any other finding.
/// </summary>
public sealed class UnrenderableValueException(Finding finding) : Exception(finding.Message)
{
    public const string Code = "UnrenderableValue";

    public Finding Finding { get; } = finding;

    internal static UnrenderableValueException For(string file, string what, string value, string reason) =>
        new(Finding.Error(Code, $"{file}: {what}",
            $"{file} cannot hold {what} {Printable(value)}: {reason}.",
            "Rename it with letters, digits, '-', '_' and '.' only (the site spec's validation rules say which names each product accepts), then render again."));

    /// <summary>The value with control and separator characters shown as \uXXXX, so the message itself stays one safe line.</summary>
    private static string Printable(string value)
    {
        var text = new System.Text.StringBuilder("'");
        foreach (var ch in value.Length > 80 ? value[..80] + "…" : value)
        {
            if (ConfigFileWriter.IsControlOrSeparator(ch))
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\u{(int)ch:X4}");
            }
            else
            {
                text.Append(ch);
            }
        }

        return text.Append('\'').ToString();
    }
}
