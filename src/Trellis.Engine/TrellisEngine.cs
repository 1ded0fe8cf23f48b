using System.Text.Json;
using Trellis.Core.Governance;
using Trellis.Core.Ipam;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Core.Validation;
using Trellis.Engine.Contracts;
using Trellis.Storage;
using Allocation = Trellis.Core.Ipam.Allocation;
using Finding = Trellis.Core.Validation.Finding;
using Severity = Trellis.Core.Validation.Severity;
using UpgradeStep = Trellis.Core.Planning.UpgradeStep;

namespace Trellis.Engine;

/// <param name="Progress">Receives a line per step of a long command.</param>
/// <param name="Actor">Who asks for the change, as the front end knows them; recorded in the audit log.</param>
/// <summary>How a command is run: where progress goes, who runs it, and the plan it commits (for the audit log).</summary>
/// <param name="Actor">Who makes the change, as the front end identifies them.</param>
/// <param name="Plan">The id of the plan a front end showed and now commits (the server's POST …/plans/{id}/apply); null when planned and committed at once.</param>
public sealed record CommandOptions(IProgress<string>? Progress = null, string? Actor = null, string? Plan = null);

/// <summary>
/// The application API every front end calls. A command (<see cref="SiteCommand"/>) is planned on a snapshot of the state
/// (<see cref="PlanAsync"/>), and the plan is committed as one conditional transaction (<see cref="CommitAsync"/>) that
/// holds only while the state is still at the plan's revision; <see cref="ExecuteAsync"/> re-plans when another writer
/// got there first. A front end gets one from <see cref="EngineSession"/>.
/// </summary>
public sealed class TrellisEngine
{
    private readonly IStateStore store;
    private readonly TimeProvider time;
    private readonly Func<double>? random;

    /// <param name="random">A number in [0, 1) that spreads the retries of writers that collided.</param>
    /// <param name="origin">What identifies the state beyond this store object (a state file's full path); plans commit only where it matches.</param>
    internal TrellisEngine(IStateStore store, TimeProvider time, Func<double>? random = null, object? origin = null)
    {
        this.store = store;
        this.time = time;
        this.random = random;
        Origin = new StateOrigin(origin ?? store);
    }

    public int MaxAttempts { get; init; } = 100;

    /// <summary>The state this engine works on: a plan it makes commits only on an engine of the same origin.</summary>
    internal StateOrigin Origin { get; }

    private Retry Retry => new(time, random ?? Random.Shared.NextDouble, MaxAttempts);

    /// <summary>
    /// The state's current revision, read without the state (microseconds on a held session): what a watcher polls to notice
    /// a commit by any writer, this process or another. The revision is the one every read and result carries.
    /// </summary>
    public Task<long> ReadRevisionAsync(CancellationToken cancellationToken = default) => store.ReadRevisionAsync(cancellationToken);

    /// <summary>
    /// The state's revisions as commits by any writer make them visible: first the current one, then each later one, until
    /// cancelled (<see cref="IStateStore.WatchRevisionsAsync"/>: a watch on etcd; on SQLite a poll every <paramref name="pollInterval"/>).
    /// </summary>
    public IAsyncEnumerable<long> WatchRevisionsAsync(TimeSpan pollInterval, CancellationToken cancellationToken = default) =>
        store.WatchRevisionsAsync(pollInterval, cancellationToken);

    /// <summary>The site's spec, allocations and upgrades in progress, at one revision (the audit log is not read).</summary>
    public async Task<SiteState> ReadAsync(CancellationToken cancellationToken = default) =>
        SiteState.From(await store.ReadAsync(StateKeys.StatePrefixes, cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// The stored allocations, or those of one <paramref name="cluster"/> (held by its owners, or of its own pools), as
    /// <see cref="SiteViews.Allocations"/> lists them, read without the rest of the state; NoSite or UnknownCluster instead
    /// when there is no such list. A stored allocation that cannot be read is a <see cref="StoreException"/>.
    /// </summary>
    public Task<AllocationList> ReadAllocationsAsync(string? cluster = null, CancellationToken cancellationToken = default) =>
        AllocationListing.ReadAsync(store, cluster, cancellationToken);

    /// <summary>
    /// The audit log: one entry per committed change, oldest first; with <paramref name="last"/>, only the newest that many.
    /// It outlives a deleted site, so the history of a site is readable after it is gone.
    /// </summary>
    public async Task<IReadOnlyList<AuditEntry>> ReadAuditAsync(int? last = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(last ?? 0, nameof(last));
        var audit = SiteState.Audit(await store.ReadAsync(StateKeys.AuditPrefix, cancellationToken).ConfigureAwait(false));
        return last is { } n && n < audit.Count ? [.. audit.Skip(audit.Count - n)] : audit;
    }

    /// <summary>
    /// The definitions and assignments stored in this state as its own (not those copied from a fleet): what a server that
    /// keeps its fleet's governance in a state of its own sends to its sites (<see cref="ApplyFleetGovernance"/>).
    /// </summary>
    public async Task<GovernanceDocument> ReadGovernanceAsync(CancellationToken cancellationToken = default) =>
        new((await ReadAsync(cancellationToken).ConfigureAwait(false)).Governance);

    /// <summary>The stored site judged by its assignments now (the Engine's clock: exemptions expire): <see cref="SiteViews.Compliance"/>.</summary>
    public async Task<ComplianceReport> ReadComplianceAsync(CancellationToken cancellationToken = default) =>
        SiteViews.Compliance(await ReadAsync(cancellationToken).ConfigureAwait(false), time.GetUtcNow());

    /// <summary>As <see cref="ReadComplianceAsync(CancellationToken)"/>, with Kubernetes manifests for the rules that read them.</summary>
    public async Task<ComplianceReport> ReadComplianceAsync(IEnumerable<ManifestText> manifests, CancellationToken cancellationToken = default) =>
        SiteViews.Compliance(await ReadAsync(cancellationToken).ConfigureAwait(false), time.GetUtcNow(), NetworkPolicyService.Load(manifests));

    /// <summary>Makes the stored site match <paramref name="spec"/>: <see cref="ExecuteAsync"/> of <see cref="ApplySpec"/>.</summary>
    public Task<CommandResult> ApplyAsync(SpecDocument spec, CommandOptions? options = null, CancellationToken cancellationToken = default) =>
        ExecuteAsync(new ApplySpec(spec), options, cancellationToken);

    internal Task<CommandResult> ApplyAsync(SiteSpec spec, CommandOptions? options = null, CancellationToken cancellationToken = default) =>
        ApplyAsync(new SpecDocument(spec), options, cancellationToken);

    /// <summary>Plans <paramref name="command"/> on the current state; writes nothing (a dry run, or the plan an operator confirms).</summary>
    public async Task<ChangePlan> PlanAsync(SiteCommand command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        var state = await ReadAsync(cancellationToken).ConfigureAwait(false);
        return command switch
        {
            SpecCommand change => PlanChange(change, state),
            Upgrade upgrade => PlanUpgrade(upgrade, state),
            DeleteSite delete => PlanDeleteSite(delete, state),
            ApplyGovernance or DeleteGovernance or ApplyFleetGovernance => PlanGovernance(command, state),
            _ => throw new ArgumentException($"Unknown command {command.GetType().Name}.", nameof(command)),
        };
    }

    /// <summary>
    /// Writes exactly <paramref name="plan"/> if the state is still at the plan's revision; otherwise writes nothing and
    /// answers StateChanged (re-plan). A plan with errors is not written: its findings are the answer. An upgrade rolls on
    /// after its first step, one VM per transaction; Ctrl-C after a commit reports what was written (Interrupted), and so does a
    /// store failure or a conflict after a commit (UpgradeInterrupted). A plan made by an engine on another state is refused
    /// (PlanFromOtherState) and nothing is written.
    /// </summary>
    public async Task<CommandResult> CommitAsync(ChangePlan plan, CommandOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.Origin != Origin)
        {
            return CommandResult.Rejected([FromOtherState(plan).ToContract()], plan.Revision);
        }

        return await CommitOrConflictAsync(plan, options ?? new(), cancellationToken).ConfigureAwait(false)
            ?? CommandResult.Rejected([(await StateChangedAsync(plan).ConfigureAwait(false)).ToContract()], plan.Revision);
    }

    /// <summary>Plans and commits <paramref name="command"/>, planning again when another writer committed in between.</summary>
    /// <exception cref="ConflictException">Other writers won every one of <see cref="MaxAttempts"/> attempts.</exception>
    public Task<CommandResult> ExecuteAsync(SiteCommand command, CommandOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        return Retry.RunAsync(command.CommandName, async attempt =>
        {
            var plan = await PlanAsync(command, cancellationToken).ConfigureAwait(false);
            return await CommitOrConflictAsync(plan, options ?? new(), cancellationToken).ConfigureAwait(false) is { } done ? done.WithAttempts(attempt) : null;
        }, cancellationToken);
    }

    private ChangePlan PlanChange(SpecCommand command, SiteState state)
    {
        var (changed, changeFindings) = command.Change(state.Spec);
        if (changed is null || changeFindings.HasErrors())
        {
            return Refused(command, state, changeFindings);
        }

        // A cluster's VXLAN is fixed when it is created and stored with it, so that it never changes under running pods.
        var desired = OverlayFacts.FixVxlan(state.Spec, changed);

        // A rule added after the stored spec was applied refuses only a change that breaks it anew.
        var validation = SiteValidator.ValidateChange(state.Spec, desired);
        var findings = validation.Findings.ToList();
        if (state.Spec is not null)
        {
            if (state.Spec.Name != desired.Name)
            {
                findings.Add(Finding.Error("SiteMismatch", "metadata.name",
                    $"The state holds site '{state.Spec.Name}', not '{desired.Name}'.", "Another site needs a state of its own; or delete the stored site first."));
            }

            findings.AddRange(ImmutabilityRules.Check(state.Spec, desired));
            foreach (var u in state.Upgrades)
            {
                var index = desired.Clusters.ToList().FindIndex(c => c.Name == u.Cluster);
                findings.Add(Finding.Error("UpgradeInProgress", index < 0 ? "spec.clusters" : $"spec.clusters[{index}]",
                    $"Cluster '{u.Cluster}' is being upgraded to {u.TargetVersion} ({u.Done.Count} VMs done).", $"Finish that upgrade first: upgrade cluster '{u.Cluster}' to {u.TargetVersion} again; it resumes."));
            }
        }

        if (validation.Site is null && !findings.HasErrors())
        {
            findings.Add(Unresolved(Severity.Error));
        }

        if (findings.HasErrors() || validation.Site is null)
        {
            return Refused(command, state, findings);
        }

        // Version bumps run after the commit as rolling upgrades, one VM per transaction.
        var upgrades = desired.Clusters.Where(c => state.Spec?.Clusters.FirstOrDefault(s => s.Name == c.Name) is { } s && UpgradePlanner.IsUpgrade(s, c)).ToList();
        var committed = desired with
        {
            Clusters = desired.Clusters.Select(c => upgrades.Contains(c) ? c with { KubernetesVersion = state.Spec!.Clusters.First(s => s.Name == c.Name).KubernetesVersion } : c).ToList(),
        };
        // The committed spec differs only in older versions, which resolve the same.
        var site = upgrades.Count == 0 ? validation.Site : SiteValidator.Validate(committed).Resolved ?? validation.Site;
        var plan = SitePlanner.Plan(site, state.Allocations, time.GetUtcNow());
        findings.AddRange(plan.Findings);
        // The site's Deny assignments refuse what the change brings against them; Audit ones say what it leaves non-compliant.
        var governance = GovernanceEvaluator.Check(state.EffectiveGovernance, StoredSubject(state), Subject(state.EffectiveGovernance, desired, site, plan.Result), time.GetUtcNow());
        findings.AddRange(governance);
        if (plan.Findings.HasErrors() || governance.HasErrors())
        {
            return Refused(command, state, findings);
        }

        var changes = SpecDiff.Compare(state.Spec, desired);
        List<TxnOperation> ops = [];
        if (state.Spec is null || Json(state.Spec) != Json(committed) || !plan.IsEmpty)
        {
            ops.Add(new TxnOperation.Put(StateKeys.Spec, JsonSerializer.SerializeToUtf8Bytes(committed, EngineJsonContext.Default.SiteSpec)));
            ops.AddRange(AllocationOps(plan.Removed, plan.Added));
        }

        return Planned(command, state, desired.Name, findings, changes, plan, [], new PlannedWrite(state.GenerationRevision, ops, AuditSummary.Of(changes),
            plan.Added.Count, plan.Removed.Count, [.. upgrades.Select(c => (c.Name, c.KubernetesVersion))]));
    }

    private ChangePlan PlanUpgrade(Upgrade command, SiteState state)
    {
        var version = KubernetesVersion.Normalize(command.Version);
        var (refused, site, cluster, progress) = CheckUpgrade(state, command.Cluster, version);
        if (refused.Count > 0)
        {
            return Refused(command, state, refused);
        }

        // The cluster at its new version, as the site's assignments judge it (allowed versions).
        var upgraded = state.Spec! with { Clusters = [.. state.Spec!.Clusters.Select(c => c.Name == command.Cluster ? c with { KubernetesVersion = version } : c)] };
        if (GovernanceEvaluator.Check(state.EffectiveGovernance, state.Spec, upgraded, time.GetUtcNow()) is var governance && governance.HasErrors())
        {
            return Refused(command, state, governance);
        }

        if (progress is null)
        {
            // Already at that version: nothing to do, and nothing to write.
            return Planned(command, state, state.Spec?.Name, [], [], null, [], new PlannedWrite(state.GenerationRevision, [], "", 0, 0, []));
        }

        // Every step, simulated on the allocations as each step leaves them.
        var steps = new List<UpgradeStep>();
        var allocations = state.Allocations.ToList();
        while (true)
        {
            var (step, next, error) = UpgradePlanner.Next(site!, cluster!, progress, allocations, DateTimeOffset.UnixEpoch);
            if (error is not null)
            {
                return Refused(command, state, [NeedsAddress("cluster", error)]);
            }

            if (step is null)
            {
                return Planned(command, state, state.Spec?.Name, [], [VersionChange(command.Cluster, progress.FromVersion, version)], null, steps,
                    new PlannedWrite(state.GenerationRevision, [], "", 0, 0, [(command.Cluster, version)]));
            }

            steps.Add(step);
            allocations = allocations.Except(step.Remove).Concat(step.Add).ToList();
            progress = next;
        }
    }

    private ChangePlan PlanDeleteSite(DeleteSite command, SiteState state)
    {
        if (state.Spec is null)
        {
            return Refused(command, state, [NoSite]);
        }

        if (state.Spec.Name != command.Name)
        {
            return Refused(command, state, [Finding.Error("SiteMismatch", "name",
                $"The state holds site '{state.Spec.Name}', not '{command.Name}'; nothing was deleted.", "Name the stored site to delete it, or open the state of the site you mean.")]);
        }

        var plan = new AllocationPlan([], state.Allocations, [], []);
        var changes = SpecDiff.Compare(state.Spec, state.Spec with { HostNetwork = null, ClusterNetworks = [], LogicalNetwork = null, LoadBalancerSettings = [], Clusters = [] });
        List<TxnOperation> ops = [new TxnOperation.Delete(StateKeys.Spec)];
        ops.AddRange(state.Allocations.Select(a => new TxnOperation.Delete(StateKeys.Allocation(a.Pool.ToString(), a.Address))));
        ops.AddRange(state.Upgrades.Select(u => new TxnOperation.Delete(StateKeys.Upgrade(u.Cluster))));
        return Planned(command, state, state.Spec.Name, [], changes, plan, [],
            new PlannedWrite(state.GenerationRevision, ops, $"site {state.Spec.Name} deleted: {AuditSummary.Of(changes)}", 0, state.Allocations.Count, []));
    }

    /// <summary>
    /// policy apply / policy delete: the site's governance set as the command leaves it, with what the stored site meets under
    /// it (warnings: a Deny acts on the changes made from now on; the stored site stays operable).
    /// </summary>
    private ChangePlan PlanGovernance(SiteCommand command, SiteState state)
    {
        var fleet = command is ApplyFleetGovernance;
        var (set, findings, changes) = GovernanceChanges.Of(command, fleet ? state.FleetGovernance : state.Governance);
        if (set is null)
        {
            return Refused(command, state, findings);
        }

        var after = fleet ? state with { FleetGovernance = set } : state with { Governance = set };
        var stored = StoredSubject(after);
        IReadOnlyList<Finding> all = [.. findings, .. stored is null ? [] : GovernanceEvaluator.Check(after.EffectiveGovernance, stored, stored, time.GetUtcNow())];
        var key = fleet ? StateKeys.FleetGovernance : StateKeys.Governance;
        TxnOperation write = set.Definitions.Count + set.Assignments.Count == 0
            ? new TxnOperation.Delete(key)
            : new TxnOperation.Put(key, JsonSerializer.SerializeToUtf8Bytes(set, EngineJsonContext.Default.GovernanceSet));
        return Planned(command, state, state.Spec?.Name, all, changes, null, [],
            new PlannedWrite(state.GenerationRevision, changes.Count == 0 ? [] : [write], AuditSummary.Of(changes), 0, 0, []));
    }

    /// <summary>What the site's assignments judge of <paramref name="spec"/>: with the capacity of its pools only when an assignment judges pools.</summary>
    internal static GovernanceSubject Subject(GovernanceSet governance, SiteSpec spec, ResolvedSite? site, IReadOnlyList<Core.Ipam.Allocation> allocations) =>
        new(spec, site is not null && governance.Judges(PolicyTarget.Pool) ? CapacityPlanner.Report(site, allocations) : null);

    /// <summary>The stored site as its assignments judge it; null when no site is stored.</summary>
    internal static GovernanceSubject? StoredSubject(SiteState state) =>
        state.Spec is null ? null : Subject(state.EffectiveGovernance, state.Spec, SiteViews.Resolve(state), state.Allocations);

    private ChangePlan Refused(SiteCommand command, SiteState state, IEnumerable<Finding> findings) =>
        new(Origin, command, state.Revision, state.Spec?.Name, findings.ToContract(), [], null, [], null);

    private ChangePlan Planned(SiteCommand command, SiteState state, string? site, IEnumerable<Finding> findings, IReadOnlyList<ObjectChange> changes,
        AllocationPlan? allocations, IReadOnlyList<UpgradeStep> steps, PlannedWrite write) =>
        new(Origin, command, state.Revision, site, findings.ToContract(), changes, allocations, steps, write with { AuditSequence = state.AuditSequence });

    /// <summary>The plan written, or null when the state is no longer at the plan's revision (nothing was written then).</summary>
    private async Task<CommandResult?> CommitOrConflictAsync(ChangePlan plan, CommandOptions options, CancellationToken cancellationToken)
    {
        if (plan.Write is not { } write || plan.HasErrors)
        {
            return CommandResult.Rejected(plan.Findings, plan.Revision);
        }

        var revision = plan.Revision;
        var written = false;
        if (write.Operations.Count > 0)
        {
            options.Progress?.Report($"committing {write.Added} new and {write.Removed} released allocations");
            var result = await WriteAsync(write.Generation, write.AuditSequence, plan.Revision, options, plan.Command.CommandName, write.Summary, write.Added, write.Removed,
                write.Operations, cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                return null;
            }

            (revision, written) = (result.Revision, true);
        }
        else if (write.Upgrades.Count == 0)
        {
            // Nothing to write: the plan still holds only if nobody wrote since it was made.
            return await GenerationAsync(cancellationToken).ConfigureAwait(false) == write.Generation
                ? new CommandResult(true, plan.Findings, plan.Changes, plan.AllocationPlan, [], plan.Revision)
                : null;
        }

        var findings = plan.Findings.ToList();
        var steps = new List<UpgradeStep>();
        // An upgrade's own changes are what its rolls did; an apply's are its plan's.
        var changes = plan.Command is Upgrade ? new List<ObjectChange>() : [.. plan.Changes];
        for (var i = 0; i < write.Upgrades.Count; i++)
        {
            var (cluster, version) = write.Upgrades[i];
            var target = new RollTarget(cluster, version,
                plan.Command is ApplySpec apply ? $"spec.clusters[{apply.Spec.Spec.Clusters.ToList().FindIndex(c => c.Name == cluster)}].kubernetesVersion" : "cluster",
                [.. write.Upgrades.Skip(i + 1).Select(u => u.Cluster)]);
            CommandResult? rolled;
            try
            {
                rolled = await RollAsync(target, written ? null : write.Generation, options, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (written)
            {
                // The spec is committed: report it, and how to finish, rather than lose it in an exception.
                findings.Add(Interrupted(target, revision, $"the upgrade of cluster '{cluster}' to {version} did not start.").ToContract());
                break;
            }
            catch (Exception e) when (written && EngineFailures.Classify(e) is not null)
            {
                // What came before this upgrade is committed: it stays reported, with what was not written and how to go on.
                findings.Add(UpgradeInterrupted(target, revision, 0, e).ToContract());
                break;
            }

            if (rolled is null)
            {
                return null;
            }

            findings.AddRange(rolled.Findings);
            steps.AddRange(rolled.Steps);
            changes.AddRange(plan.Command is Upgrade ? rolled.Changes : []);
            written |= rolled.Applied;
            revision = rolled.Applied ? rolled.Revision : revision;
            if (rolled.HasErrors || rolled.Findings.Any(f => f.Code is "Interrupted"))
            {
                break;
            }
        }

        return !written && findings.HasErrors()
            ? CommandResult.Rejected(findings, revision)
            : new CommandResult(written, findings, changes, plan.AllocationPlan, steps, revision);
    }

    /// <summary>
    /// Rolls the target's cluster to its version, one VM per transaction, from wherever it stands. With
    /// <paramref name="startAt"/>, the first transaction holds only on that generation (null when it moved); the later ones are
    /// retried on conflict. A store failure or a conflict that outlasts the retries after a step was written ends it with the
    /// steps written and UpgradeInterrupted.
    /// </summary>
    private async Task<CommandResult?> RollAsync(RollTarget target, long? startAt, CommandOptions options, CancellationToken cancellationToken)
    {
        var (cluster, version, _, _) = target;
        var steps = new List<UpgradeStep>();
        long committed = 0;
        while (true)
        {
            if (steps.Count > 0 && cancellationToken.IsCancellationRequested)
            {
                return new CommandResult(true, [Interrupted(target, committed, $"{steps.Count} steps of the upgrade of cluster '{cluster}' were written.").ToContract()],
                    [], null, steps, committed);
            }

            // Once a step is written, Ctrl-C no longer cuts a transaction short: it stops before the next one.
            var token = steps.Count > 0 ? CancellationToken.None : cancellationToken;
            RollStep outcome;
            try
            {
                outcome = await RollStepAsync(target, startAt, steps.Count == 0, options, token).ConfigureAwait(false);
            }
            catch (Exception e) when (steps.Count > 0 && EngineFailures.Classify(e) is not null)
            {
                return new CommandResult(true, [UpgradeInterrupted(target, committed, steps.Count, e).ToContract()], [], null, steps, committed);
            }

            if (ReferenceEquals(outcome, RollStep.Moved))
            {
                return null;
            }

            if (outcome.Refused.Count > 0)
            {
                return new CommandResult(steps.Count > 0, outcome.Refused.ToContract(), [], null, steps, steps.Count > 0 ? committed : outcome.Revision);
            }

            if (outcome.Step is null)
            {
                IReadOnlyList<ObjectChange> changes = outcome.From is { } from ? [VersionChange(cluster, from, version)] : [];
                return new CommandResult(true, [], changes, null, steps, outcome.Revision);
            }

            steps.Add(outcome.Step);
            committed = outcome.Revision;
            options.Progress?.Report($"upgrade {cluster}: {outcome.Step.Description}");
        }
    }

    /// <summary>
    /// The next transaction of a rolling upgrade, retried on conflict. As the <paramref name="first"/> of a plan's commit
    /// (<paramref name="startAt"/> set), it holds only on the plan's generation: <see cref="RollStep.Moved"/> otherwise.
    /// </summary>
    private Task<RollStep> RollStepAsync(RollTarget target, long? startAt, bool first, CommandOptions options, CancellationToken token)
    {
        var (cluster, version, path, _) = target;
        first &= startAt is not null;
        return Retry.RunAsync<RollStep>("upgrade", async _ =>
        {
            var state = await ReadAsync(token).ConfigureAwait(false);
            if (first && state.GenerationRevision != startAt)
            {
                return RollStep.Moved;
            }

            var (refused, site, resolved, progress) = CheckUpgrade(state, cluster, version);
            if (refused.Count > 0 || progress is null)
            {
                return new RollStep(refused, null, state.Revision);
            }

            var (step, next, error) = UpgradePlanner.Next(site!, resolved!, progress, state.Allocations, time.GetUtcNow());
            if (error is not null)
            {
                return new RollStep([NeedsAddress(path, error)], null, state.Revision);
            }

            List<TxnOperation> ops = step is null
                ?
                [
                    new TxnOperation.Put(StateKeys.Spec, JsonSerializer.SerializeToUtf8Bytes(state.Spec! with
                    {
                        Clusters = state.Spec.Clusters.Select(c => c.Name == cluster ? c with { KubernetesVersion = version } : c).ToList(),
                    }, EngineJsonContext.Default.SiteSpec)),
                    new TxnOperation.Delete(StateKeys.Upgrade(cluster)),
                ]
                : [.. AllocationOps(step.Remove, step.Add), new TxnOperation.Put(StateKeys.Upgrade(cluster), JsonSerializer.SerializeToUtf8Bytes(next, EngineJsonContext.Default.UpgradeProgress))];
            var result = await WriteAsync(state.GenerationRevision, state.AuditSequence, state.Revision, options, "upgrade", step?.Description ?? $"cluster {cluster} now runs {version}",
                step?.Add.Count ?? 0, step?.Remove.Count ?? 0, ops, token).ConfigureAwait(false);
            return result.Succeeded ? new RollStep([], step, result.Revision, progress.FromVersion) : first ? RollStep.Moved : null;
        }, token);
    }

    /// <summary>
    /// One cluster's rolling upgrade within a command: <paramref name="Path"/> names it in findings (the command's
    /// <c>cluster</c>, or the applied spec's version field), <paramref name="Later"/> are the clusters whose upgrades follow.
    /// </summary>
    private sealed record RollTarget(string Cluster, string Version, string Path, IReadOnlyList<string> Later);

    /// <summary>One transaction of a rolling upgrade: refused, a step written, or the last one (the version written, from <paramref name="From"/>).</summary>
    private sealed record RollStep(IReadOnlyList<Finding> Refused, UpgradeStep? Step, long Revision, string? From = null)
    {
        /// <summary>The first transaction found the state moved on from the plan's revision.</summary>
        public static readonly RollStep Moved = new([], null, 0);
    }

    /// <summary>
    /// Whether <paramref name="cluster"/> can be upgraded to <paramref name="version"/>: the findings that refuse it, or the
    /// resolved site and the upgrade's progress (a new one, or the one that was interrupted); no progress when the
    /// cluster already runs that version.
    /// </summary>
    private static (IReadOnlyList<Finding> Refused, ResolvedSite? Site, ResolvedCluster? Cluster, UpgradeProgress? Progress) CheckUpgrade(SiteState state, string cluster, string version)
    {
        var spec = state.Spec;
        if (spec is null)
        {
            return ([NoSite], null, null, null);
        }

        if (spec.Clusters.FirstOrDefault(c => c.Name == cluster) is not { } clusterSpec)
        {
            return ([UnknownCluster(cluster)], null, null, null);
        }

        var progress = state.Upgrades.FirstOrDefault(u => u.Cluster == cluster);
        if (progress is not null && KubernetesVersion.Normalize(progress.TargetVersion) != version)
        {
            return ([Finding.Error("UpgradeInProgress", "version",
                $"Cluster '{cluster}' is being upgraded to {progress.TargetVersion}.", $"Finish that upgrade first: upgrade to {progress.TargetVersion}.")], null, null, null);
        }

        if (progress is null)
        {
            if (!KubernetesVersion.TryParse(version, out _))
            {
                return ([Finding.Error("InvalidKubernetesVersion", "version",
                    $"Cannot upgrade '{cluster}' from {clusterSpec.KubernetesVersion} to '{version}'.", "Give a higher version, written like v1.30.1.")], null, null, null);
            }

            if (ImmutabilityRules.VersionChange(cluster, clusterSpec.KubernetesVersion, version, "version") is { } refused)
            {
                return ([refused], null, null, null);
            }

            if (UpgradePlanner.CompareVersions(version, clusterSpec.KubernetesVersion) == 0)
            {
                return ([], null, null, null);
            }

            progress = new UpgradeProgress(cluster, clusterSpec.KubernetesVersion, version, [], null);
        }

        return SiteValidator.ValidateStored(spec).Resolved is { } site
            ? ([], site, site.Clusters.Single(c => c.Name == cluster), progress)
            : ([Unresolved(Severity.Error)], null, null, null);
    }

    private static ObjectChange VersionChange(string cluster, string from, string to) => new(ChangeKind.Change, "cluster", cluster, $"{from} → {to}");

    private static Finding NeedsAddress(string path, string error) =>
        Finding.Error("UpgradeNeedsAddress", path, error, "Free an address of the pool, or add update addresses before deployment.");

    /// <summary>StateChanged: the plan was made at another revision than the one now stored, so it was not written.</summary>
    private async Task<Finding> StateChangedAsync(ChangePlan plan)
    {
        var now = (await store.ReadAsync(StateKeys.Generation, CancellationToken.None).ConfigureAwait(false)).Revision;
        return Finding.Error("StateChanged", "revision",
            $"The state is at revision {now}, not {plan.Revision} as when the change was planned (and shown); nothing was written.",
            "Plan the change again to see what it would do now.");
    }

    /// <summary>PlanFromOtherState: the plan was made on another state (another file or store, so another site or another copy of one).</summary>
    private static Finding FromOtherState(ChangePlan plan) => Finding.Error("PlanFromOtherState", "plan",
        $"The plan{(plan.Site is { } site ? $" for site '{site}'" : "")} was made on another state than the one it was committed to; nothing was written.",
        "Plan the change on the state it is meant for, and commit it there.");

    /// <summary>The revision of the generation key, which every change bumps (0 before the first).</summary>
    private async Task<long> GenerationAsync(CancellationToken cancellationToken) =>
        (await store.ReadAsync(StateKeys.Generation, cancellationToken).ConfigureAwait(false)).Items.FirstOrDefault(i => i.Key == StateKeys.Generation)?.Revision ?? 0;

    /// <summary>No site is stored: a change other than apply, and every view, needs one.</summary>
    internal static Finding NoSite { get; } = Finding.Error("NoSite", "site", "No site is stored in this state.", "Apply a site spec first.");

    internal static Finding UnknownCluster(string cluster) => Finding.Error("UnknownCluster", "cluster", $"No cluster '{cluster}' is stored.", "List the stored clusters.");

    /// <summary>The stored spec no longer resolves under today's rules (a network or a cluster of it fails a rule added since).</summary>
    internal static Finding Unresolved(Severity severity) => new("StoredSiteUnresolved", "spec",
        "The stored site breaks rules added after it was applied so that its networks or clusters cannot be resolved; views that need them are empty and changes cannot be planned.",
        "Apply a spec that fixes what validating it reports.", severity);

    /// <summary>
    /// UpgradeInterrupted: a store failure or a conflict that outlasted every retry stopped the target's upgrade after the
    /// commit at <paramref name="revision"/>, with <paramref name="stepsWritten"/> of its own steps written.
    /// </summary>
    private static Finding UpgradeInterrupted(RollTarget target, long revision, int stepsWritten, Exception cause)
    {
        var (cluster, version, path, later) = target;
        var stopped = EngineFailures.Classify(cause) == FailureKind.Conflict
            ? "other writers won every retry of its next transaction"
            : $"the state store failed ({cause.Message.TrimEnd('.')})";
        var laterUpgrades = later.Count == 0 ? "" : $", and the upgrades of {string.Join(", ", later.Select(c => $"'{c}'"))} after it";
        var rest = later.Count == 0 ? "" : " Then apply the same spec again for the clusters after it.";
        return Finding.Error("UpgradeInterrupted", path,
            $"The upgrade of cluster '{cluster}' to {version} stopped after the commit at revision {revision}: {stopped}. "
            + (stepsWritten > 0
                ? $"Written: {stepsWritten} of its VM steps. Not written: its remaining VM steps, the cluster's new version{laterUpgrades}."
                : $"Written: everything before it. Not written: its VM steps, the cluster's new version{laterUpgrades}."),
            stepsWritten > 0
                ? $"Upgrade cluster '{cluster}' to {version} again: it resumes after the last step written; until then other changes of the site are refused (UpgradeInProgress).{rest}"
                : $"Upgrade cluster '{cluster}' to {version}: it starts from what revision {revision} holds.{rest}");
    }

    private static Finding Interrupted(RollTarget target, long revision, string what) =>
        Finding.Warning("Interrupted", target.Path, $"Interrupted after the commit at revision {revision}: {what}",
            $"Upgrade cluster '{target.Cluster}' to {target.Version} again to finish; it resumes where it stopped.");

    private static IEnumerable<TxnOperation> AllocationOps(IEnumerable<Allocation> remove, IEnumerable<Allocation> add)
    {
        foreach (var a in remove)
        {
            yield return new TxnOperation.Delete(StateKeys.Allocation(a.Pool.ToString(), a.Address));
        }

        foreach (var a in add)
        {
            yield return new TxnOperation.Create(StateKeys.Allocation(a.Pool.ToString(), a.Address),
                JsonSerializer.SerializeToUtf8Bytes(new StoredAllocation(a.Pool.ToString(), a.Address, a.Owner.ToString(), a.Detail, a.ExpiresAt), EngineJsonContext.Default.StoredAllocation));
        }
    }

    /// <summary>
    /// One transaction with its audit entry, holding only while the generation key is still at <paramref name="generation"/>.
    /// The entry's number follows the plan's revision (<paramref name="revision"/>) and the newest entry's
    /// (<paramref name="auditSequence"/>), whichever is higher; the generation key keeps it.
    /// </summary>
    private async Task<CommitResult> WriteAsync(long generation, long auditSequence, long revision, CommandOptions options, string command, string summary, int added, int removed,
        IEnumerable<TxnOperation> operations, CancellationToken cancellationToken)
    {
        var number = Math.Max(revision, auditSequence) + 1;
        var audit = new StoredAuditEntry(time.GetUtcNow(), command, summary, added, removed) { Revision = number, Actor = options.Actor, Plan = options.Plan };
        List<TxnOperation> ops =
        [
            .. operations,
            new TxnOperation.Put(StateKeys.Generation, BitConverter.GetBytes(number)),
            new TxnOperation.Put(StateKeys.Audit(number), JsonSerializer.SerializeToUtf8Bytes(audit, EngineJsonContext.Default.StoredAuditEntry)),
        ];
        return await store.CommitAsync(new StoreTransaction([new TxnCondition.RevisionEquals(StateKeys.Generation, generation)], ops), cancellationToken).ConfigureAwait(false);
    }

    private static string Json(SiteSpec spec) => JsonSerializer.Serialize(spec, EngineJsonContext.Default.SiteSpec);

    internal static ValidationResult Validate(SiteSpec spec) => SiteValidator.Validate(spec);

    /// <summary>How a stored spec reads under today's rules: errors of rules added after it was applied are warnings.</summary>
    internal static ValidationResult ValidateStored(SiteSpec spec) => SiteValidator.ValidateStored(spec);
}
