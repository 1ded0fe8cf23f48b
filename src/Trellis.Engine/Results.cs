using Trellis.Core.Planning;
using Trellis.Engine.Contracts;
using Trellis.Storage;
using CoreStep = Trellis.Core.Planning.UpgradeStep;
using UpgradeStep = Trellis.Engine.Contracts.UpgradeStep;

namespace Trellis.Engine;

/// <summary>
/// What a command would do, planned on the state at store revision <see cref="Revision"/>: the findings, the object
/// changes, the allocation changes and, for an upgrade, every step of it simulated. Nothing is written by planning;
/// <see cref="TrellisEngine.CommitAsync"/> writes exactly this plan while the state is still at <see cref="Revision"/>, and
/// only on the state it was made on (<c>PlanFromOtherState</c> elsewhere). A plan with errors cannot be committed.
/// </summary>
public sealed class ChangePlan
{
    private AllocationChanges? _allocations;
    private IReadOnlyList<UpgradeStep>? _upgradeSteps;

    internal ChangePlan(StateOrigin origin, SiteCommand command, long revision, string? site, IReadOnlyList<Finding> findings, IReadOnlyList<ObjectChange> changes,
        AllocationPlan? allocations, IReadOnlyList<CoreStep> upgradeSteps, PlannedWrite? write)
    {
        Origin = origin;
        Command = command;
        Revision = revision;
        Site = site;
        Findings = findings;
        Changes = changes;
        AllocationPlan = allocations;
        Steps = upgradeSteps;
        Write = write;
    }

    public SiteCommand Command { get; }

    /// <summary>The store revision the plan was made on; a commit holds only while the state is still there.</summary>
    public long Revision { get; }

    /// <summary>The site the plan changes: the stored site's name, or the applied spec's on an empty state; null when neither.</summary>
    public string? Site { get; }

    public IReadOnlyList<Finding> Findings { get; }

    public IReadOnlyList<ObjectChange> Changes { get; }

    /// <summary>The allocations the plan adds and releases, and every allocation of the site after it; null when nothing was planned.</summary>
    public AllocationChanges? Allocations => AllocationPlan is null ? null : _allocations ??= AllocationPlan.ToContract();

    /// <summary>An upgrade's steps, each simulated on the allocations as the steps before it leave them.</summary>
    public IReadOnlyList<UpgradeStep> UpgradeSteps => _upgradeSteps ??= Steps.ToContract();

    public bool HasErrors => Findings.HasErrors();

    internal StateOrigin Origin { get; }

    internal AllocationPlan? AllocationPlan { get; }

    internal IReadOnlyList<CoreStep> Steps { get; }

    /// <summary>What a commit writes; null when errors refuse the command.</summary>
    internal PlannedWrite? Write { get; }
}

/// <summary>
/// The writes of a plan: one transaction (none when nothing changes), made on the state whose generation key was at
/// <paramref name="Generation"/>, then the rolling upgrades of <paramref name="Upgrades"/>, one VM per transaction.
/// </summary>
internal sealed record PlannedWrite(long Generation, IReadOnlyList<TxnOperation> Operations, string Summary, int Added, int Removed,
    IReadOnlyList<(string Cluster, string Version)> Upgrades)
{
    /// <summary>The number of the state's newest audit entry (<see cref="SiteState.AuditSequence"/>).</summary>
    public long AuditSequence { get; init; }
}

/// <summary>
/// Which state an engine works on, so that a plan is committed only there: the state file's full path for an engine a
/// session opened on SQLite (two sessions on one file are one state), else the store itself.
/// </summary>
internal sealed record StateOrigin(object Identity);

/// <summary>
/// What a committed command did: the object changes, the allocation changes, the upgrade steps written, and the findings.
/// <see cref="Applied"/> is false when errors or a moved state stopped it; nothing was written then. A command of several
/// transactions that stopped after one of them was written is <see cref="Applied"/> with an error finding
/// (<c>UpgradeInterrupted</c>): what it wrote is here, and running it again finishes it.
/// </summary>
public sealed class CommandResult
{
    private AllocationChanges? _allocations;
    private IReadOnlyList<UpgradeStep>? _upgradeSteps;

    internal CommandResult(bool applied, IReadOnlyList<Finding> findings, IReadOnlyList<ObjectChange> changes, AllocationPlan? plan,
        IReadOnlyList<CoreStep> upgradeSteps, long revision, int attempts = 1)
    {
        Applied = applied;
        Findings = findings;
        Changes = changes;
        Plan = plan;
        Steps = upgradeSteps;
        Revision = revision;
        Attempts = attempts;
    }

    /// <summary>Whether anything was written; with errors too, when a command of several transactions stopped after one of them.</summary>
    public bool Applied { get; }

    public IReadOnlyList<Finding> Findings { get; }

    public IReadOnlyList<ObjectChange> Changes { get; }

    /// <summary>The allocations added and released, and every allocation of the site after them; null when nothing was planned.</summary>
    public AllocationChanges? Allocations => Plan is null ? null : _allocations ??= Plan.ToContract();

    /// <summary>The upgrade steps written, in order.</summary>
    public IReadOnlyList<UpgradeStep> UpgradeSteps => _upgradeSteps ??= Steps.ToContract();

    /// <summary>The store revision of the last transaction written, or the one the command was refused at.</summary>
    public long Revision { get; }

    /// <summary>How many times the command was planned: more than one when another writer committed in between.</summary>
    public int Attempts { get; }

    public bool HasErrors => Findings.HasErrors();

    internal AllocationPlan? Plan { get; }

    internal IReadOnlyList<CoreStep> Steps { get; }

    internal CommandResult WithAttempts(int attempts) => new(Applied, Findings, Changes, Plan, Steps, Revision, attempts);

    internal static CommandResult Rejected(IReadOnlyList<Finding> findings, long revision) => new(false, findings, [], null, [], revision);
}

/// <summary>Every retry of a change met a concurrent writer; its last transaction was not written.</summary>
public sealed class ConflictException(string message) : Exception(message);
