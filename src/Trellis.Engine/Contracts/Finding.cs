namespace Trellis.Engine.Contracts;

/// <summary>How much a finding matters: an error stops a change; a warning and an info never do.</summary>
public enum Severity
{
    Info,
    Warning,
    Error,
}

/// <summary>
/// One problem with a site, a command or its input, as every front end receives it: a stable <see cref="Code"/>
/// (docs/validation.md), the <see cref="Path"/> of the field in the model's words (<c>clusters[1].nodePools[0].count</c>,
/// <c>cluster</c>, <c>nodePool</c>, <c>version</c>; a front end maps these to its own flags or parameters), a sentence,
/// and a hint how to fix it.
/// </summary>
public sealed record Finding(string Code, string Path, string Message, string Hint, Severity Severity = Severity.Error)
{
    public static Finding Error(string code, string path, string message, string hint) => new(code, path, message, hint);

    public static Finding Warning(string code, string path, string message, string hint) => new(code, path, message, hint, Severity.Warning);

    public override string ToString() => $"{Severity.ToString().ToLowerInvariant()} {Code} at {Path}: {Message} {Hint}";
}

public static class Findings
{
    public static bool HasErrors(this IEnumerable<Finding> findings) => findings.Any(f => f.Severity == Severity.Error);
}
