using System.Text.Json;
using Trellis.Core.Ipam;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Core.Validation;
using Trellis.Storage;

namespace Trellis.Engine;

/// <param name="Progress">Receives a line per step of a long command.</param>
/// <param name="Actor">Who asks for the change, as the front end knows them; recorded in the audit log.</param>
public sealed record CommandOptions(IProgress<string>? Progress = null, string? Actor = null);

/// <summary>
/// The application API every front end calls. A command (<see cref="SiteCommand"/>) is planned on a snapshot of the state
/// (<see cref="PlanAsync"/>), and the plan is committed as one conditional transaction (<see cref="CommitAsync"/>) that
/// holds only while the state is still at the plan's revision; <see cref="ExecuteAsync"/> re-plans when another writer
/// got there first. <paramref name="random"/> (a number in [0, 1)) spreads the retries of writers that collided.
/// </summary>
public sealed class TrellisEngine(IStateStore store, TimeProvider time, Func<double>? random = null)
{
    public int MaxAttempts { get; init; } = 100;

    private Retry Retry => new(time, random ?? Random.Shared.NextDouble, MaxAttempts);

    /// <summary>The site's spec, allocations and upgrades in progress, at one revision (the audit log is not read).</summary>
    public async Task<SiteState> ReadAsync(CancellationToken cancellationToken = default) =>
        SiteState.From(await store.ReadAsync(StateKeys.StatePrefixes, cancellationToken).ConfigureAwait(false));

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

    /// <summary>Makes the stored site match <paramref name="spec"/>: <see cref="ExecuteAsync"/> of <see cref="ApplySpec"/>.</summary>
    public Task<CommandResult> ApplyAsync(SiteSpec spec, CommandOptions? options = null, CancellationToken cancellationToken = default) =>
        ExecuteAsync(new ApplySpec(new SpecDocument(spec)), options, cancellationToken);

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
            _ => throw new ArgumentException($"Unknown command {command.GetType().Name}.", nameof(command)),
        };
    }

    /// <summary>
    /// Writes exactly <paramref name="plan"/> if the state is still at the plan's revision; otherwise writes nothing and
    /// answers StateChanged (re-plan). A plan with errors is not written: its findings are the answer. An upgrade rolls on
    /// after its first step, one VM per transaction; Ctrl-C after a commit reports what was written (Interrupted).
    /// </summary>
    public async Task<CommandResult> CommitAsync(ChangePlan plan, CommandOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return await CommitOrConflictAsync(plan, options ?? new(), cancellationToken).ConfigureAwait(false)
            ?? CommandResult.Rejected([await StateChangedAsync(plan).ConfigureAwait(false)], plan.Revision);
    }

    /// <summary>Plans and commits <paramref name="command"/>, planning again when another writer committed in between.</summary>
    /// <exception cref="ConflictException">Other writers won every one of <see cref="MaxAttempts"/> attempts.</exception>
    public Task<CommandResult> ExecuteAsync(SiteCommand command, CommandOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        return Retry.RunAsync(command.CommandName, async attempt =>
        {
            var plan = await PlanAsync(command, cancellationToken).ConfigureAwait(false);
            return await CommitOrConflictAsync(plan, options ?? new(), cancellationToken).ConfigureAwait(false) is { } done ? done with { Attempts = attempt } : null;
        }, cancellationToken);
    }

    private ChangePlan PlanChange(SpecCommand command, SiteState state)
    {
        var (changed, changeFindings) = command.Change(state.Spec);
        if (changed is null || changeFindings.HasErrors())
        {
            return ChangePlan.Refused(command, state.Revision, changeFindings);
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
                findings.Add(Finding.Error("UpgradeInProgress", $"cluster {u.Cluster}",
                    $"Cluster '{u.Cluster}' is being upgraded to {u.TargetVersion} ({u.Done.Count} VMs done).", $"Finish that upgrade first: upgrade cluster '{u.Cluster}' to {u.TargetVersion} again; it resumes."));
            }
        }

        if (validation.Site is null && !findings.HasErrors())
        {
            findings.Add(Unresolved(Severity.Error));
        }

        if (findings.HasErrors() || validation.Site is null)
        {
            return ChangePlan.Refused(command, state.Revision, findings);
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
        if (plan.Findings.HasErrors())
        {
            return ChangePlan.Refused(command, state.Revision, findings);
        }

        var changes = SpecDiff.Compare(state.Spec, desired);
        List<TxnOperation> ops = [];
        if (state.Spec is null || Json(state.Spec) != Json(committed) || !plan.IsEmpty)
        {
            ops.Add(new TxnOperation.Put(StateKeys.Spec, JsonSerializer.SerializeToUtf8Bytes(committed, EngineJsonContext.Default.SiteSpec)));
            ops.AddRange(AllocationOps(plan.Removed, plan.Added));
        }

        return new ChangePlan(command, state.Revision, findings, changes, plan, [], new PlannedWrite(state.GenerationRevision, ops, AuditSummary.Of(changes),
            plan.Added.Count, plan.Removed.Count, [.. upgrades.Select(c => (c.Name, c.KubernetesVersion))]));
    }

    private static ChangePlan PlanUpgrade(Upgrade command, SiteState state)
    {
        var version = KubernetesVersion.Normalize(command.Version);
        var (refused, site, cluster, progress) = CheckUpgrade(state, command.Cluster, version);
        if (refused.Count > 0)
        {
            return ChangePlan.Refused(command, state.Revision, refused);
        }

        if (progress is null)
        {
            // Already at that version: nothing to do, and nothing to write.
            return new ChangePlan(command, state.Revision, [], [], null, [], new PlannedWrite(state.GenerationRevision, [], "", 0, 0, []));
        }

        // Every step, simulated on the allocations as each step leaves them.
        var steps = new List<UpgradeStep>();
        var allocations = state.Allocations.ToList();
        while (true)
        {
            var (step, next, error) = UpgradePlanner.Next(site!, cluster!, progress, allocations, DateTimeOffset.UnixEpoch);
            if (error is not null)
            {
                return ChangePlan.Refused(command, state.Revision, [NeedsAddress(command.Cluster, error)]);
            }

            if (step is null)
            {
                return new ChangePlan(command, state.Revision, [], [VersionChange(command.Cluster, progress.FromVersion, version)], null, steps,
                    new PlannedWrite(state.GenerationRevision, [], "", 0, 0, [(command.Cluster, version)]));
            }

            steps.Add(step);
            allocations = allocations.Except(step.Remove).Concat(step.Add).ToList();
            progress = next;
        }
    }

    private static ChangePlan PlanDeleteSite(DeleteSite command, SiteState state)
    {
        if (state.Spec is null)
        {
            return ChangePlan.Refused(command, state.Revision, [NoSite]);
        }

        if (state.Spec.Name != command.Name)
        {
            return ChangePlan.Refused(command, state.Revision, [Finding.Error("SiteMismatch", "name",
                $"The state holds site '{state.Spec.Name}', not '{command.Name}'; nothing was deleted.", "Name the stored site to delete it, or open the state of the site you mean.")]);
        }

        var plan = new AllocationPlan([], state.Allocations, [], []);
        var changes = SpecDiff.Compare(state.Spec, state.Spec with { HostNetwork = null, ClusterNetworks = [], LogicalNetwork = null, LoadBalancerSettings = [], Clusters = [] });
        List<TxnOperation> ops = [new TxnOperation.Delete(StateKeys.Spec)];
        ops.AddRange(state.Allocations.Select(a => new TxnOperation.Delete(StateKeys.Allocation(a.Pool.ToString(), a.Address))));
        ops.AddRange(state.Upgrades.Select(u => new TxnOperation.Delete(StateKeys.Upgrade(u.Cluster))));
        return new ChangePlan(command, state.Revision, [], changes, plan, [],
            new PlannedWrite(state.GenerationRevision, ops, $"site {state.Spec.Name} deleted: {AuditSummary.Of(changes)}", 0, state.Allocations.Count, []));
    }

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
            var result = await WriteAsync(write.Generation, plan.Revision, options, plan.Command.CommandName, write.Summary, write.Added, write.Removed,
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
                ? new CommandResult(true, plan.Findings, plan.Changes, plan.Allocations, [], plan.Revision, 1)
                : null;
        }

        var findings = plan.Findings.ToList();
        var steps = new List<UpgradeStep>();
        // An upgrade's own changes are what its rolls did; an apply's are its plan's.
        var changes = plan.Command is Upgrade ? new List<ObjectChange>() : [.. plan.Changes];
        foreach (var (cluster, version) in write.Upgrades)
        {
            CommandResult? rolled;
            try
            {
                rolled = await RollAsync(cluster, version, written ? null : write.Generation, options, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (written)
            {
                // The spec is committed: report it, and how to finish, rather than lose it in an exception.
                findings.Add(Interrupted(revision, $"the upgrade of cluster '{cluster}' to {version} did not start.", cluster, version));
                break;
            }

            if (rolled is null)
            {
                return null;
            }

            findings.AddRange(rolled.Findings);
            steps.AddRange(rolled.UpgradeSteps);
            changes.AddRange(plan.Command is Upgrade ? rolled.Changes : []);
            written |= rolled.Applied;
            revision = rolled.Applied ? rolled.Revision : revision;
            if (rolled.HasErrors || rolled.Findings.Any(f => f.Code == "Interrupted"))
            {
                break;
            }
        }

        return !written && findings.HasErrors()
            ? CommandResult.Rejected(findings, revision)
            : new CommandResult(written, findings, changes, plan.Allocations, steps, revision, 1);
    }

    /// <summary>
    /// Rolls cluster <paramref name="cluster"/> to <paramref name="version"/>, one VM per transaction, from wherever it stands.
    /// With <paramref name="startAt"/>, the first transaction holds only on that generation (null when it moved); the later
    /// ones are retried on conflict.
    /// </summary>
    private async Task<CommandResult?> RollAsync(string cluster, string version, long? startAt, CommandOptions options, CancellationToken cancellationToken)
    {
        var steps = new List<UpgradeStep>();
        long committed = 0;
        while (true)
        {
            if (steps.Count > 0 && cancellationToken.IsCancellationRequested)
            {
                return new CommandResult(true, [Interrupted(committed, $"{steps.Count} steps of the upgrade of cluster '{cluster}' were written.", cluster, version)],
                    [], null, steps, committed, 1);
            }

            // Once a step is written, Ctrl-C no longer cuts a transaction short: it stops before the next one.
            var token = steps.Count > 0 ? CancellationToken.None : cancellationToken;
            var first = steps.Count == 0 && startAt is not null;
            var outcome = await Retry.RunAsync<RollStep>("upgrade", async _ =>
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
                    return new RollStep([NeedsAddress(cluster, error)], null, state.Revision);
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
                var result = await WriteAsync(state.GenerationRevision, state.Revision, options, "upgrade", step?.Description ?? $"cluster {cluster} now runs {version}",
                    step?.Add.Count ?? 0, step?.Remove.Count ?? 0, ops, token).ConfigureAwait(false);
                return result.Succeeded ? new RollStep([], step, result.Revision, progress.FromVersion) : first ? RollStep.Moved : null;
            }, token).ConfigureAwait(false);

            if (ReferenceEquals(outcome, RollStep.Moved))
            {
                return null;
            }

            if (outcome.Refused.Count > 0)
            {
                return new CommandResult(steps.Count > 0, outcome.Refused, [], null, steps, steps.Count > 0 ? committed : outcome.Revision, 1);
            }

            if (outcome.Step is null)
            {
                IReadOnlyList<ObjectChange> changes = outcome.From is { } from ? [VersionChange(cluster, from, version)] : [];
                return new CommandResult(true, [], changes, null, steps, outcome.Revision, 1);
            }

            steps.Add(outcome.Step);
            committed = outcome.Revision;
            options.Progress?.Report($"upgrade {cluster}: {outcome.Step.Description}");
        }
    }

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

    private static Finding NeedsAddress(string cluster, string error) =>
        Finding.Error("UpgradeNeedsAddress", $"cluster {cluster}", error, "Free an address of the pool, or add update addresses before deployment.");

    /// <summary>StateChanged: the plan was made at another revision than the one now stored, so it was not written.</summary>
    private async Task<Finding> StateChangedAsync(ChangePlan plan)
    {
        var now = (await store.ReadAsync(StateKeys.Generation, CancellationToken.None).ConfigureAwait(false)).Revision;
        return Finding.Error("StateChanged", "revision",
            $"The state is at revision {now}, not {plan.Revision} as when the change was planned (and shown); nothing was written.",
            "Plan the change again to see what it would do now.");
    }

    /// <summary>The revision of the generation key, which every change bumps (0 before the first).</summary>
    private async Task<long> GenerationAsync(CancellationToken cancellationToken) =>
        (await store.ReadAsync(StateKeys.Generation, cancellationToken).ConfigureAwait(false)).Items.FirstOrDefault(i => i.Key == StateKeys.Generation)?.Revision ?? 0;

    /// <summary>No site is stored: a change other than apply, and every view, needs one.</summary>
    public static Finding NoSite { get; } = Finding.Error("NoSite", "site", "No site is stored in this state.", "Apply a site spec first.");

    public static Finding UnknownCluster(string cluster) => Finding.Error("UnknownCluster", "cluster", $"No cluster '{cluster}' is stored.", "List the stored clusters.");

    /// <summary>The stored spec no longer resolves under today's rules (a network or a cluster of it fails a rule added since).</summary>
    public static Finding Unresolved(Severity severity) => new("StoredSiteUnresolved", "spec",
        "The stored site breaks rules added after it was applied so that its networks or clusters cannot be resolved; views that need them are empty and changes cannot be planned.",
        "Apply a spec that fixes what validating it reports.", severity);

    private static Finding Interrupted(long revision, string what, string cluster, string version) =>
        Finding.Warning("Interrupted", $"cluster {cluster}", $"Interrupted after the commit at revision {revision}: {what}",
            $"Upgrade cluster '{cluster}' to {version} again to finish; it resumes where it stopped.");

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

    /// <summary>One transaction with its audit entry, holding only while the generation key is still at <paramref name="generation"/>.</summary>
    private async Task<CommitResult> WriteAsync(long generation, long revision, CommandOptions options, string command, string summary, int added, int removed,
        IEnumerable<TxnOperation> operations, CancellationToken cancellationToken)
    {
        var audit = new AuditEntry(time.GetUtcNow(), command, summary, added, removed) { Revision = revision + 1, Actor = options.Actor };
        List<TxnOperation> ops =
        [
            .. operations,
            new TxnOperation.Put(StateKeys.Generation, BitConverter.GetBytes(revision + 1)),
            new TxnOperation.Put(StateKeys.Audit(revision + 1), JsonSerializer.SerializeToUtf8Bytes(audit, EngineJsonContext.Default.AuditEntry)),
        ];
        return await store.CommitAsync(new StoreTransaction([new TxnCondition.RevisionEquals(StateKeys.Generation, generation)], ops), cancellationToken).ConfigureAwait(false);
    }

    private static string Json(SiteSpec spec) => JsonSerializer.Serialize(spec, EngineJsonContext.Default.SiteSpec);

    public static ValidationResult Validate(SiteSpec spec) => SiteValidator.Validate(spec);

    /// <summary>How a stored spec reads under today's rules: errors of rules added after it was applied are warnings.</summary>
    public static ValidationResult ValidateStored(SiteSpec spec) => SiteValidator.ValidateStored(spec);
}
