using System.Text.Json;
using Trellis.Core.Ipam;
using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Core.Validation;
using Trellis.Storage;

namespace Trellis.Engine;

/// <param name="DryRun">Plan only; nothing is written.</param>
/// <param name="Progress">Receives a line per step of a long command.</param>
/// <param name="ExpectedRevision">
/// The store revision the operator saw the plan at (e.g. when confirming a delete): when the state has moved on since,
/// the command writes nothing and says so, instead of doing something other than what was confirmed.
/// </param>
/// <param name="Actor">Who asks for the change, as the front end knows them; recorded in the audit log.</param>
public sealed record CommandOptions(bool DryRun = false, IProgress<string>? Progress = null, long? ExpectedRevision = null, string? Actor = null);

/// <summary>
/// The application API every front end calls. Each change reads a snapshot, validates, plans, and commits one
/// conditional transaction; when another writer got there first it re-reads and re-plans.
/// </summary>
public sealed class TrellisEngine(IStateStore store, TimeProvider time)
{
    public int MaxAttempts { get; init; } = 100;

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

    /// <summary>Makes the stored site match <paramref name="spec"/>: the plan as a diff, then one transaction (or none with a dry run).</summary>
    public Task<CommandResult> ApplyAsync(SiteSpec spec, CommandOptions? options = null, CancellationToken cancellationToken = default) =>
        ChangeAsync("apply", _ => (spec, []), options ?? new(), cancellationToken);

    /// <summary>Changes the stored spec with <paramref name="change"/> (re-run on every retry) and applies the result.</summary>
    public async Task<CommandResult> ChangeAsync(string command, Func<SiteSpec?, (SiteSpec? Spec, IReadOnlyList<Finding> Findings)> change,
        CommandOptions options, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            var state = await ReadAsync(cancellationToken).ConfigureAwait(false);
            if (StateChanged(state, options) is { } moved)
            {
                return moved;
            }

            var (changed, changeFindings) = change(state.Spec);
            if (changed is null || changeFindings.HasErrors())
            {
                return CommandResult.Rejected(changeFindings, state.Revision);
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
                        $"The state holds site '{state.Spec.Name}', not '{desired.Name}'.", "Use another --state file for another site, or delete the stored site first."));
                }

                findings.AddRange(ImmutabilityRules.Check(state.Spec, desired));
                foreach (var u in state.Upgrades)
                {
                    findings.Add(Finding.Error("UpgradeInProgress", $"cluster {u.Cluster}",
                        $"Cluster '{u.Cluster}' is being upgraded to {u.TargetVersion} ({u.Done.Count} VMs done).", $"Finish it first: trellis upgrade --cluster {u.Cluster} --version {u.TargetVersion}."));
                }
            }

            if (validation.Site is null && !findings.HasErrors())
            {
                findings.Add(Unresolved(Severity.Error));
            }

            if (findings.HasErrors() || validation.Site is null)
            {
                return CommandResult.Rejected(findings, state.Revision);
            }

            // Version bumps run afterwards as rolling upgrades, one VM per transaction.
            var upgrades = desired.Clusters.Where(c => state.Spec?.Clusters.FirstOrDefault(s => s.Name == c.Name) is { } s && UpgradePlanner.IsUpgrade(s, c)).ToList();
            var committed = desired with
            {
                Clusters = desired.Clusters.Select(c => upgrades.Contains(c) ? c with { KubernetesVersion = state.Spec!.Clusters.First(s => s.Name == c.Name).KubernetesVersion } : c).ToList(),
            };
            // The committed spec differs only in older versions, which resolve the same.
            var site = upgrades.Count == 0 ? validation.Site : SiteValidator.Validate(committed).Resolved ?? validation.Site;
            var now = time.GetUtcNow();
            var plan = SitePlanner.Plan(site, state.Allocations, now);
            findings.AddRange(plan.Findings);
            var changes = SpecDiff.Compare(state.Spec, desired);
            if (plan.Findings.HasErrors())
            {
                return CommandResult.Rejected(findings, state.Revision);
            }

            if (options.DryRun)
            {
                return new CommandResult(false, true, findings, changes, plan, [], state.Revision, attempt);
            }

            var specChanged = state.Spec is null || Json(state.Spec) != Json(committed);
            var revision = state.Revision;
            if (specChanged || !plan.IsEmpty)
            {
                options.Progress?.Report($"committing {plan.Added.Count} new and {plan.Removed.Count} released allocations");
                var ops = new List<TxnOperation> { new TxnOperation.Put(StateKeys.Spec, JsonSerializer.SerializeToUtf8Bytes(committed, EngineJsonContext.Default.SiteSpec)) };
                ops.AddRange(AllocationOps(plan.Removed, plan.Added));
                var result = await CommitAsync(state, options, command, AuditSummary.Of(changes), plan.Added.Count, plan.Removed.Count, ops, cancellationToken).ConfigureAwait(false);
                if (!result.Succeeded)
                {
                    await BackoffAsync(attempt, command, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                revision = result.Revision;
            }

            var steps = new List<UpgradeStep>();
            foreach (var c in upgrades)
            {
                CommandResult upgrade;
                try
                {
                    upgrade = await UpgradeAsync(c.Name, c.KubernetesVersion, options with { ExpectedRevision = null }, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // The spec is committed: report it, and how to finish, rather than lose it in an exception.
                    findings.Add(Interrupted(revision, $"the upgrade of cluster '{c.Name}' to {c.KubernetesVersion} did not start.", c.Name, c.KubernetesVersion));
                    return new CommandResult(true, false, findings, changes, plan, steps, revision, attempt);
                }

                findings.AddRange(upgrade.Findings);
                steps.AddRange(upgrade.UpgradeSteps);
                revision = upgrade.Revision;
                if (upgrade.HasErrors)
                {
                    return new CommandResult(true, false, findings, changes, plan, steps, revision, attempt);
                }
            }

            return new CommandResult(true, false, findings, changes, plan, steps, revision, attempt);
        }
    }

    /// <summary>Rolling upgrade of one cluster to <paramref name="version"/>; resumes an interrupted one.</summary>
    public async Task<CommandResult> UpgradeAsync(string cluster, string version, CommandOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new();
        version = KubernetesVersion.Normalize(version);
        var steps = new List<UpgradeStep>();
        long committed = 0;
        for (var attempt = 1; ;)
        {
            if (steps.Count > 0 && cancellationToken.IsCancellationRequested)
            {
                return new CommandResult(true, false, [Interrupted(committed, $"{steps.Count} steps of the upgrade of cluster '{cluster}' were written.", cluster, version)],
                    [], null, steps, committed, attempt);
            }

            var state = await ReadAsync(steps.Count > 0 ? CancellationToken.None : cancellationToken).ConfigureAwait(false);
            if (StateChanged(state, options) is { } moved)
            {
                return moved;
            }

            var spec = state.Spec;
            var clusterSpec = spec?.Clusters.FirstOrDefault(c => c.Name == cluster);
            if (spec is null || clusterSpec is null)
            {
                return CommandResult.Rejected([Finding.Error("UnknownCluster", "--cluster", $"No cluster '{cluster}' is stored.", "Run trellis get clusters to see the stored clusters.")], state.Revision);
            }

            var progress = state.Upgrades.FirstOrDefault(u => u.Cluster == cluster);
            if (progress is not null && KubernetesVersion.Normalize(progress.TargetVersion) != version)
            {
                return CommandResult.Rejected([Finding.Error("UpgradeInProgress", "--version",
                    $"Cluster '{cluster}' is being upgraded to {progress.TargetVersion}.", $"Finish that upgrade first with --version {progress.TargetVersion}.")], state.Revision);
            }

            if (progress is null)
            {
                if (!KubernetesVersion.TryParse(version, out _))
                {
                    return CommandResult.Rejected([Finding.Error("InvalidKubernetesVersion", "--version",
                        $"Cannot upgrade '{cluster}' from {clusterSpec.KubernetesVersion} to '{version}'.", "Give a higher version, written like v1.30.1.")], state.Revision);
                }

                if (ImmutabilityRules.VersionChange(cluster, clusterSpec.KubernetesVersion, version, "--version") is { } refused)
                {
                    return CommandResult.Rejected([refused], state.Revision);
                }

                if (UpgradePlanner.CompareVersions(version, clusterSpec.KubernetesVersion) == 0)
                {
                    return new CommandResult(true, options.DryRun, [], [], null, steps, state.Revision, attempt);
                }

                progress = new UpgradeProgress(cluster, clusterSpec.KubernetesVersion, version, [], null);
            }

            if (SiteValidator.ValidateStored(spec).Resolved is not { } site)
            {
                return CommandResult.Rejected([Unresolved(Severity.Error)], state.Revision);
            }

            var resolved = site.Clusters.Single(c => c.Name == cluster);
            if (options.DryRun)
            {
                return Simulate(site, resolved, progress, state, steps);
            }

            var (step, next, error) = UpgradePlanner.Next(site, resolved, progress, state.Allocations, time.GetUtcNow());
            if (error is not null)
            {
                return CommandResult.Rejected([Finding.Error("UpgradeNeedsAddress", $"cluster {cluster}", error, "Free an address of the pool, or add update addresses before deployment.")], state.Revision);
            }

            List<TxnOperation> ops;
            if (step is null)
            {
                var upgraded = spec with { Clusters = spec.Clusters.Select(c => c.Name == cluster ? c with { KubernetesVersion = version } : c).ToList() };
                ops = [new TxnOperation.Put(StateKeys.Spec, JsonSerializer.SerializeToUtf8Bytes(upgraded, EngineJsonContext.Default.SiteSpec)), new TxnOperation.Delete(StateKeys.Upgrade(cluster))];
            }
            else
            {
                ops = [.. AllocationOps(step.Remove, step.Add), new TxnOperation.Put(StateKeys.Upgrade(cluster), JsonSerializer.SerializeToUtf8Bytes(next, EngineJsonContext.Default.UpgradeProgress))];
            }

            var result = await CommitAsync(state, options, "upgrade", step?.Description ?? $"cluster {cluster} now runs {version}", step?.Add.Count ?? 0, step?.Remove.Count ?? 0, ops,
                steps.Count > 0 ? CancellationToken.None : cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                await BackoffAsync(attempt++, "upgrade", cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (step is null)
            {
                return new CommandResult(true, false, [], [new ObjectChange(ChangeKind.Change, "cluster", cluster, $"{progress.FromVersion} → {version}")], null, steps, result.Revision, attempt);
            }

            steps.Add(step);
            committed = result.Revision;
            options = options with { ExpectedRevision = null };
            options.Progress?.Report($"upgrade {cluster}: {step.Description}");
        }
    }

    private static CommandResult Simulate(ResolvedSite site, ResolvedCluster cluster, UpgradeProgress progress, SiteState state, List<UpgradeStep> steps)
    {
        var allocations = state.Allocations.ToList();
        while (true)
        {
            var (step, next, error) = UpgradePlanner.Next(site, cluster, progress, allocations, DateTimeOffset.UnixEpoch);
            if (error is not null)
            {
                return CommandResult.Rejected([Finding.Error("UpgradeNeedsAddress", $"cluster {cluster.Name}", error, "Free an address of the pool.")], state.Revision);
            }

            if (step is null)
            {
                return new CommandResult(false, true, [], [new ObjectChange(ChangeKind.Change, "cluster", cluster.Name, $"{progress.FromVersion} → {progress.TargetVersion}")], null, steps, state.Revision, 1);
            }

            steps.Add(step);
            allocations = allocations.Except(step.Remove).Concat(step.Add).ToList();
            progress = next;
        }
    }

    /// <summary>
    /// Removes the site named <paramref name="name"/> and releases every address it holds, in one transaction. Any other
    /// name is refused: the name is the operator's proof of which site they mean to destroy.
    /// </summary>
    public async Task<CommandResult> DeleteSiteAsync(string name, CommandOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new();
        for (var attempt = 1; ; attempt++)
        {
            var state = await ReadAsync(cancellationToken).ConfigureAwait(false);
            if (state.Spec is null)
            {
                return CommandResult.Rejected([Finding.Error("NoSite", "--state", "No site is stored here.", "Check --state.")], state.Revision);
            }

            if (state.Spec.Name != name)
            {
                return CommandResult.Rejected([Finding.Error("SiteMismatch", "name",
                    $"The state holds site '{state.Spec.Name}', not '{name}'; nothing was deleted.", "Name the stored site to delete it, or use the --state file of the site you mean.")], state.Revision);
            }

            if (StateChanged(state, options) is { } moved)
            {
                return moved;
            }

            var plan = new AllocationPlan([], state.Allocations, [], []);
            var changes = SpecDiff.Compare(state.Spec, state.Spec with { HostNetwork = null, ClusterNetworks = [], LogicalNetwork = null, LoadBalancerSettings = [], Clusters = [] });
            if (options.DryRun)
            {
                return new CommandResult(false, true, [], changes, plan, [], state.Revision, attempt);
            }

            var ops = new List<TxnOperation> { new TxnOperation.Delete(StateKeys.Spec) };
            ops.AddRange(state.Allocations.Select(a => new TxnOperation.Delete(StateKeys.Allocation(a.Pool.ToString(), a.Address))));
            ops.AddRange(state.Upgrades.Select(u => new TxnOperation.Delete(StateKeys.Upgrade(u.Cluster))));
            var result = await CommitAsync(state, options, "delete site", $"site {state.Spec.Name} deleted: {AuditSummary.Of(changes)}", 0, state.Allocations.Count, ops, cancellationToken).ConfigureAwait(false);
            if (result.Succeeded)
            {
                return new CommandResult(true, false, [], changes, plan, [], result.Revision, attempt);
            }

            await BackoffAsync(attempt, "delete", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>StateChanged when the operator confirmed a plan made at another revision than the one now stored.</summary>
    private static CommandResult? StateChanged(SiteState state, CommandOptions options) =>
        options.ExpectedRevision is { } expected && expected != state.Revision
            ? CommandResult.Rejected([Finding.Error("StateChanged", "revision",
                $"The state is at revision {state.Revision}, not {expected} as when the change was shown and confirmed; nothing was written.",
                "Run the command again to see what it would do now.")], state.Revision)
            : null;

    /// <summary>The stored spec no longer resolves under today's rules (a network or a cluster of it fails a rule added since).</summary>
    public static Finding Unresolved(Severity severity) => new("StoredSiteUnresolved", "spec",
        "The stored site breaks rules added after it was applied so that its networks or clusters cannot be resolved; views that need them are empty and changes cannot be planned.",
        "Apply a spec that fixes what 'trellis validate' reports for it.", severity);

    private static Finding Interrupted(long revision, string what, string cluster, string version) =>
        Finding.Warning("Interrupted", $"cluster {cluster}", $"Interrupted after the commit at revision {revision}: {what}",
            $"Finish it with: trellis upgrade --cluster {cluster} --version {version}.");

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

    private async Task<CommitResult> CommitAsync(SiteState state, CommandOptions options, string command, string summary, int added, int removed, List<TxnOperation> ops,
        CancellationToken cancellationToken)
    {
        var audit = new AuditEntry(time.GetUtcNow(), command, summary, added, removed) { Revision = state.Revision + 1, Actor = options.Actor };
        ops.Add(new TxnOperation.Put(StateKeys.Generation, BitConverter.GetBytes(state.Revision + 1)));
        ops.Add(new TxnOperation.Put(StateKeys.Audit(state.Revision + 1), JsonSerializer.SerializeToUtf8Bytes(audit, EngineJsonContext.Default.AuditEntry)));
        var conditions = new List<TxnCondition> { new TxnCondition.RevisionEquals(StateKeys.Generation, state.GenerationRevision) };
        return await store.CommitAsync(new StoreTransaction(conditions, ops), cancellationToken).ConfigureAwait(false);
    }

    private async Task BackoffAsync(int attempt, string command, CancellationToken cancellationToken)
    {
        if (attempt >= MaxAttempts)
        {
            throw new ConflictException($"'{command}' met a concurrent change {attempt} times in a row; nothing of it was written. Try again.");
        }

        // Jitter spreads writers that collided; it affects only timing, never the plan.
        await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 5 + Math.Min(attempt, 20) * 5)), time, cancellationToken).ConfigureAwait(false);
    }

    private static string Json(SiteSpec spec) => JsonSerializer.Serialize(spec, EngineJsonContext.Default.SiteSpec);

    public static ValidationResult Validate(SiteSpec spec) => SiteValidator.Validate(spec);

    /// <summary>How a stored spec reads under today's rules: errors of rules added after it was applied are warnings.</summary>
    public static ValidationResult ValidateStored(SiteSpec spec) => SiteValidator.ValidateStored(spec);
}
