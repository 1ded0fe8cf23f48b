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
    /// <summary>The result as the one document every front end formats, whether it was committed or only planned.</summary>
    public static CommandOutcome Outcome(this CommandResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new(result.Applied, false, result.Revision, result.Changes, result.Allocations, result.UpgradeSteps, result.Findings);
    }

    /// <summary>
    /// A plan as the outcome of a dry run. A plan that errors refuse reads as a refused command: not a dry run, nothing planned.
    /// </summary>
    public static CommandOutcome Outcome(this ChangePlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return new(false, !plan.HasErrors, plan.Revision, plan.Changes, plan.Allocations, plan.UpgradeSteps, plan.Findings);
    }
}
