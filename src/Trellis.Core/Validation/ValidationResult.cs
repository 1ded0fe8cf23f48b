using Trellis.Core.Planning;

namespace Trellis.Core.Validation;

/// <summary>Every finding at once; <see cref="Site"/> is set only when there is no error.</summary>
public sealed record ValidationResult(IReadOnlyList<Finding> Findings, ResolvedSite? Site)
{
    public bool IsValid => Site is not null;

    /// <summary>
    /// The site as resolved even when rules failed, provided every part of it resolved (no placeholder stands in for a
    /// network, a cluster or a count): what a stored site that breaks a rule added after it was applied is read and planned with.
    /// </summary>
    public ResolvedSite? Resolved { get; init; }

    /// <summary>For a change of a stored spec: the errors the stored spec already had, reported as warnings (also in <see cref="Findings"/>).</summary>
    public IReadOnlyList<Finding> Inherited { get; init; } = [];
}
