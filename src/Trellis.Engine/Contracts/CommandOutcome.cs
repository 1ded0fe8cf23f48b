namespace Trellis.Engine.Contracts;

/// <summary>
/// What a command did, or would do when <see cref="DryRun"/> (a plan that was not committed), as every front end receives
/// it: the object changes, the allocations added and released, the upgrade steps, and the findings. Nothing was written
/// when <see cref="Applied"/> is false.
/// </summary>
/// <param name="Revision">The store revision the change committed at, or the one the plan was made on.</param>
public sealed record CommandOutcome(
    bool Applied,
    bool DryRun,
    long Revision,
    IReadOnlyList<ObjectChange> Changes,
    AllocationChanges? Allocations,
    IReadOnlyList<UpgradeStep> UpgradeSteps,
    IReadOnlyList<Finding> Findings)
{
    public bool HasErrors => Findings.HasErrors();

    /// <summary>A command refused before anything was planned: only its findings.</summary>
    public static CommandOutcome Refused(IReadOnlyList<Finding> findings, long revision = 0) => new(false, false, revision, [], null, [], findings);
}

public static class CommandOutcomes
{
    /// <summary>The result in the contract types front ends see.</summary>
    public static CommandOutcome Outcome(this CommandResult result) =>
        new(result.Applied, result.DryRun, result.Revision, result.Changes, result.Plan?.ToContract(), result.UpgradeSteps.ToContract(), result.Findings.ToContract());
}
