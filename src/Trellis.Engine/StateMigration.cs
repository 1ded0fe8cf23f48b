using Trellis.Engine.Contracts;
using Trellis.Storage;

namespace Trellis.Engine;

/// <summary>What a migration copied and how it was checked: every item, and the views an operator exports, read back from both stores.</summary>
/// <param name="Items">How many stored items were copied (spec, allocations, upgrades, governance, audit log).</param>
/// <param name="SourceRevision">The source's revision the copy was read at.</param>
/// <param name="TargetRevision">The target's revision after the copy.</param>
/// <param name="Checks">Each comparison made after the copy, all of which held.</param>
public sealed record MigrationResult(int Items, long SourceRevision, long TargetRevision, IReadOnlyList<string> Checks);

/// <summary>
/// <c>trellis migrate</c>: copies a site's whole state from one store to another (SQLite to etcd, etcd to SQLite, or between
/// two keyspaces), all or nothing, then checks the copy by reading both back. The target must hold nothing; the source is
/// only read. Revisions are the target's own after the copy (a store numbers its own commits); the audit log keeps its
/// numbers and its order (<see cref="SiteState.AuditSequence"/>).
/// </summary>
public static class StateMigration
{
    /// <exception cref="MigrationException">The source holds nothing, the target holds something, the source changed during the copy, or the copy differs.</exception>
    /// <exception cref="StoreException">A store failed; nothing is left half-copied (the copy is one commit).</exception>
    public static async Task<MigrationResult> MigrateAsync(EngineSession source, EngineSession target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        var from = await source.Store.ReadAsync("", cancellationToken).ConfigureAwait(false);
        if (from.Items.Count == 0)
        {
            throw new MigrationException(Finding.Error("MigrateSourceEmpty", "from", "The source holds no state; nothing was copied.", "Name the store the site is kept in now."));
        }

        var existing = await target.Store.ReadAsync("", cancellationToken).ConfigureAwait(false);
        if (existing.Items.Count > 0)
        {
            throw new MigrationException(Finding.Error("MigrateTargetNotEmpty", "to",
                $"The target already holds {existing.Items.Count} items (revision {existing.Revision}); nothing was copied, so that no state is overwritten.",
                "Migrate into a store that holds nothing: a new state file, or an etcd site name not in use."));
        }

        // One commit of creates: all of it or nothing, and nothing if another writer took a key in the meantime.
        var copy = await target.Store.CommitAsync(new StoreTransaction([], [.. from.Items.Select(i => new TxnOperation.Create(i.Key, i.Value))]), cancellationToken).ConfigureAwait(false);
        if (!copy.Succeeded)
        {
            throw new MigrationException(Finding.Error("MigrateTargetNotEmpty", "to", $"Another writer wrote '{copy.ConflictKey}' into the target during the copy; nothing was copied.",
                "Stop every writer of the target and run the migration again."));
        }

        if (await source.Store.ReadRevisionAsync(cancellationToken).ConfigureAwait(false) != from.Revision)
        {
            await UndoAsync(target.Store, cancellationToken).ConfigureAwait(false);
            throw new MigrationException(Finding.Error("MigrateSourceChanged", "from",
                $"The source changed during the copy (it was read at revision {from.Revision}); the copy was removed from the target again.",
                "Stop every writer of the site (servers, CLI, PowerShell) while it migrates, then run the migration again."));
        }

        try
        {
            var checks = await VerifyAsync(source, target, from, cancellationToken).ConfigureAwait(false);
            return new MigrationResult(from.Items.Count, from.Revision, copy.Revision, checks);
        }
        catch (MigrationException)
        {
            await UndoAsync(target.Store, cancellationToken).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Reads both stores back: the same items byte for byte, and the same spec, allocations, audit log and governance through the Engine.</summary>
    private static async Task<IReadOnlyList<string>> VerifyAsync(EngineSession source, EngineSession target, StoreSnapshot from, CancellationToken cancellationToken)
    {
        var to = await target.Store.ReadAsync("", cancellationToken).ConfigureAwait(false);
        var difference = from.Items.Count != to.Items.Count
            ? $"{from.Items.Count} items were copied but the target holds {to.Items.Count}"
            : from.Items.Zip(to.Items).FirstOrDefault(p => p.First.Key != p.Second.Key || !p.First.Value.AsSpan().SequenceEqual(p.Second.Value)) is var (a, b) && a is not null
                ? $"item '{a.Key}' differs from the target's '{b.Key}'"
                : null;
        Differs(difference);

        var (sourceState, targetState) = (await source.Engine.ReadAsync(cancellationToken).ConfigureAwait(false), await target.Engine.ReadAsync(cancellationToken).ConfigureAwait(false));
        Differs(SpecExport.Yaml(sourceState).Yaml != SpecExport.Yaml(targetState).Yaml ? "the exported spec differs" : null);
        var allocations = (await source.Engine.ReadAllocationsAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Allocations;
        Differs(!allocations.SequenceEqual((await target.Engine.ReadAllocationsAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Allocations) ? "the allocations differ" : null);
        var audit = await source.Engine.ReadAuditAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        Differs(!audit.SequenceEqual(await target.Engine.ReadAuditAsync(cancellationToken: cancellationToken).ConfigureAwait(false)) ? "the audit log differs" : null);
        var (sourcePolicies, targetPolicies) = (await source.Engine.ReadGovernanceAsync(cancellationToken).ConfigureAwait(false), await target.Engine.ReadGovernanceAsync(cancellationToken).ConfigureAwait(false));
        Differs(!sourcePolicies.Definitions.SequenceEqual(targetPolicies.Definitions) || !sourcePolicies.Assignments.SequenceEqual(targetPolicies.Assignments) ? "the policy definitions and assignments differ" : null);
        return
        [
            $"{to.Items.Count} items, byte for byte",
            $"spec export ({(sourceState.SiteName is { } name ? $"site {name}" : "no site")})",
            $"{allocations.Count} allocations",
            $"{audit.Count} audit entries",
            $"{sourcePolicies.Definitions.Count} policy definitions and {sourcePolicies.Assignments.Count} assignments",
        ];

        static void Differs(string? difference)
        {
            if (difference is not null)
            {
                throw new MigrationException(Finding.Error("MigrateVerifyFailed", "to", $"The copy does not match the source: {difference}; it was removed from the target again.",
                    "Keep using the source; report this with both stores' exports (get allocations -o json, get audit -o json)."));
            }
        }
    }

    /// <summary>Removes the copy again: every item the target holds (it held nothing before the copy), all or nothing.</summary>
    private static async Task UndoAsync(IStateStore target, CancellationToken cancellationToken)
    {
        var copied = await target.ReadAsync("", CancellationToken.None).ConfigureAwait(false);
        await target.CommitAsync(new StoreTransaction([.. copied.Items.Select(i => new TxnCondition.RevisionEquals(i.Key, i.Revision))],
            [.. copied.Items.Select(i => new TxnOperation.Delete(i.Key))]), cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>A migration that did not happen or did not check out, as a finding (docs/validation.md).</summary>
public sealed class MigrationException(Finding finding) : Exception(finding.Message)
{
    public Finding Finding { get; } = finding;
}
