namespace Trellis.Core.Validation;

public enum Severity
{
    Info,
    Warning,
    Error,
}

/// <summary>
/// One problem with a site or a command: a stable <see cref="Code"/>, the <see cref="Path"/> of the offending
/// field (<c>clusters[1].nodePools[0].count</c>), a sentence, and a hint how to fix it.
/// </summary>
public sealed record Finding(string Code, string Path, string Message, string Hint, Severity Severity = Severity.Error)
{
    public static Finding Error(string code, string path, string message, string hint) => new(code, path, message, hint);

    public static Finding Warning(string code, string path, string message, string hint) =>
        new(code, path, message, hint, Severity.Warning);

    public override string ToString() => $"{Severity.ToString().ToLowerInvariant()} {Code} at {Path}: {Message} {Hint}";
}

public static class FindingExtensions
{
    public static bool HasErrors(this IEnumerable<Finding> findings) => findings.Any(f => f.Severity == Severity.Error);
}
