using Trellis.Core.Planning;
using Trellis.Core.Validation;

namespace Trellis.Engine;

/// <summary>
/// What a command did, or would do with <see cref="DryRun"/>: the object changes, the allocation changes, and the
/// findings. <see cref="Applied"/> is false when errors stopped it; nothing was written then.
/// </summary>
public sealed record CommandResult(
    bool Applied,
    bool DryRun,
    IReadOnlyList<Finding> Findings,
    IReadOnlyList<ObjectChange> Changes,
    AllocationPlan? Plan,
    IReadOnlyList<UpgradeStep> UpgradeSteps,
    long Revision,
    int Attempts)
{
    public bool HasErrors => Findings.HasErrors();

    public static CommandResult Rejected(IReadOnlyList<Finding> findings, long revision) => new(false, false, findings, [], null, [], revision, 1);
}

/// <summary>Every retry of a change met a concurrent writer; nothing of this command was written.</summary>
public sealed class ConflictException(string message) : Exception(message);
