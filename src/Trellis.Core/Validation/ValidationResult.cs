using Trellis.Core.Planning;

namespace Trellis.Core.Validation;

/// <summary>Every finding at once; <see cref="Site"/> is set only when there is no error.</summary>
public sealed record ValidationResult(IReadOnlyList<Finding> Findings, ResolvedSite? Site)
{
    public bool IsValid => Site is not null;
}
