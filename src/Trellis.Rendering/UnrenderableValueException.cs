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

    /// <summary>The value (its first 80 characters) with control and separator characters as \uXXXX, so the message stays one line.</summary>
    private static string Printable(string value) => $"'{Emit.CommentText.OneLine(value.Length > 80 ? value[..80] + "…" : value)}'";
}
