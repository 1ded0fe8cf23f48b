using Trellis.Core.Planning;
using Trellis.Core.Validation;
using Trellis.Storage;

namespace Trellis.Engine;

/// <summary>
/// What a command would do, planned on the state at store revision <see cref="Revision"/>: the findings, the object
/// changes, the allocation changes and, for an upgrade, every step of it simulated. Nothing is written by planning;
/// <see cref="TrellisEngine.CommitAsync"/> writes exactly this plan while the state is still at <see cref="Revision"/>.
/// A plan with errors cannot be committed.
/// </summary>
public sealed record ChangePlan
{
    internal ChangePlan(SiteCommand command, long revision, IReadOnlyList<Finding> findings, IReadOnlyList<ObjectChange> changes,
        AllocationPlan? allocations, IReadOnlyList<UpgradeStep> upgradeSteps, PlannedWrite? write)
    {
        Command = command;
        Revision = revision;
        Findings = findings;
        Changes = changes;
        Allocations = allocations;
        UpgradeSteps = upgradeSteps;
        Write = write;
    }

    public SiteCommand Command { get; }
    public long Revision { get; }
    public IReadOnlyList<Finding> Findings { get; }
    public IReadOnlyList<ObjectChange> Changes { get; }
    public AllocationPlan? Allocations { get; }
    public IReadOnlyList<UpgradeStep> UpgradeSteps { get; }
    public bool HasErrors => Findings.HasErrors();

    /// <summary>What a commit writes; null when errors refuse the command.</summary>
    internal PlannedWrite? Write { get; }

    internal static ChangePlan Refused(SiteCommand command, long revision, IReadOnlyList<Finding> findings) => new(command, revision, findings, [], null, [], null);
}

/// <summary>
/// The writes of a plan: one transaction (none when nothing changes), made on the state whose generation key was at
/// <paramref name="Generation"/>, then the rolling upgrades of <paramref name="Upgrades"/>, one VM per transaction.
/// </summary>
internal sealed record PlannedWrite(long Generation, IReadOnlyList<TxnOperation> Operations, string Summary, int Added, int Removed,
    IReadOnlyList<(string Cluster, string Version)> Upgrades);

/// <summary>
/// What a committed command did: the object changes, the allocation changes, the upgrade steps written, and the
/// findings. <see cref="Applied"/> is false when errors or a moved state stopped it; nothing was written then.
/// </summary>
public sealed record CommandResult(
    bool Applied,
    IReadOnlyList<Finding> Findings,
    IReadOnlyList<ObjectChange> Changes,
    AllocationPlan? Plan,
    IReadOnlyList<UpgradeStep> UpgradeSteps,
    long Revision,
    int Attempts)
{
    public bool HasErrors => Findings.HasErrors();

    public static CommandResult Rejected(IReadOnlyList<Finding> findings, long revision) => new(false, findings, [], null, [], revision, 1);
}

/// <summary>Every retry of a change met a concurrent writer; its last transaction was not written.</summary>
public sealed class ConflictException(string message) : Exception(message);
