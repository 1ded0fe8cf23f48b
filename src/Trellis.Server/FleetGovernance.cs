using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.Server;

/// <summary>What copying the fleet's governance into one site did: the changes written, or the findings that stopped it.</summary>
public sealed record SiteSync(string Site, bool Applied, long Revision, IReadOnlyList<ObjectChange> Changes, IReadOnlyList<Finding> Findings);

/// <summary>
/// The fleet's own policy definitions and assignments, which apply to every site (the role of Azure Policy assigned at a
/// management group). They are kept in a state of their own (<see cref="Fleet.OpenFleetState"/>: <c>&lt;data&gt;/fleet.db</c>, or
/// <c>&lt;root&gt;fleet/</c> on etcd, shared by every server of the store; written, audited and checked as a site's are), and copied into each site's state (<see cref="ApplyFleetGovernance"/>), where the Engine of every front end
/// that opens the site — this server, the CLI, the PowerShell module — judges each plan by them as <c>fleet/&lt;name&gt;</c>.
/// A copy is made when the fleet's set changes (every site, in turn), when a site is created, at start, and before a change
/// to a site whose copy this server has not made since the fleet's last change (a site made by another process, or one a
/// crash left behind). Copies are made one at a time, so that an older set never overwrites a newer one.
/// </summary>
public sealed class FleetGovernance(Fleet fleet) : IDisposable
{
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly ConcurrentDictionary<string, long> _copied = new(StringComparer.Ordinal);

    public void Dispose() => _turn.Dispose();

    /// <summary>A session on the fleet's own state (made on first use).</summary>
    public EngineSession Open(bool write) => fleet.OpenFleetState(write);

    /// <summary>
    /// Runs <paramref name="command"/> (policy apply or delete) on the fleet's set and, when it wrote, copies the new set into
    /// every site; returns the fleet's result and each site's copy.
    /// </summary>
    public async Task<(CommandResult Fleet, IReadOnlyList<SiteSync> Sites)> ChangeAsync(SiteCommand command, CommandOptions commandOptions, CancellationToken ct)
    {
        await _turn.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await using var session = Open(write: true);
            var result = await session.Engine.ExecuteAsync(command, commandOptions, ct).ConfigureAwait(false);
            if (!result.Applied)
            {
                return (result, []);
            }

            // Written: every site gets it, even when the client has gone.
            return (result, await CopyAllLockedAsync(commandOptions, CancellationToken.None).ConfigureAwait(false));
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>Copies the fleet's set into every site (at start: what a crash between a change and its copies left behind).</summary>
    public async Task<IReadOnlyList<SiteSync>> CopyAllAsync(CancellationToken ct)
    {
        await _turn.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return await CopyAllLockedAsync(new CommandOptions(Actor: "trellis-server"), ct).ConfigureAwait(false);
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>
    /// Makes sure site <paramref name="site"/> holds the fleet's current set before a change to it is planned; costs one read
    /// of the fleet's revision when this server has copied that revision there already.
    /// </summary>
    public async Task EnsureAsync(string site, CancellationToken ct)
    {
        if (_copied.TryGetValue(site, out var copied) && copied == await FleetRevisionAsync(ct).ConfigureAwait(false))
        {
            return;
        }

        await _turn.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await using var session = Open(write: false);
            var revision = await session.Engine.ReadRevisionAsync(ct).ConfigureAwait(false);
            if (!(_copied.TryGetValue(site, out copied) && copied == revision))
            {
                var document = await session.Engine.ReadGovernanceAsync(ct).ConfigureAwait(false);
                await CopyAsync(site, document, revision, new CommandOptions(Actor: "trellis-server"), ct).ConfigureAwait(false);
            }
        }
        finally
        {
            _turn.Release();
        }
    }

    private async Task<long> FleetRevisionAsync(CancellationToken ct)
    {
        await using var session = Open(write: false);
        return await session.Engine.ReadRevisionAsync(ct).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<SiteSync>> CopyAllLockedAsync(CommandOptions commandOptions, CancellationToken ct)
    {
        await using var session = Open(write: false);
        var revision = await session.Engine.ReadRevisionAsync(ct).ConfigureAwait(false);
        var document = await session.Engine.ReadGovernanceAsync(ct).ConfigureAwait(false);
        var copies = new List<SiteSync>();
        foreach (var site in await fleet.NamesAsync(ct).ConfigureAwait(false))
        {
            copies.Add(await CopyAsync(site, document, revision, commandOptions, ct).ConfigureAwait(false));
        }

        return copies;
    }

    private async Task<SiteSync> CopyAsync(string site, GovernanceDocument document, long revision, CommandOptions commandOptions, CancellationToken ct)
    {
        CommandResult result;
        try
        {
            await using var session = fleet.Open(site, write: true);
            using var turn = await fleet.WriteTurnAsync(site, ct).ConfigureAwait(false);
            result = await session.Engine.ExecuteAsync(new ApplyFleetGovernance(document), commandOptions, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (EngineFailures.Classify(e) == FailureKind.Store)
        {
            // One unreadable site does not keep the fleet's set from the others; its copy is tried again before its next change.
            _copied.TryRemove(site, out _);
            return new SiteSync(site, false, 0, [], [Finding.Error("FleetCopyFailed", "site", $"The fleet's policies were not copied into site '{site}': {e.Message}", "Restore the site's state file (or free the disk); the fleet's policies are copied into it before its next change.")]);
        }

        if (!result.HasErrors)
        {
            _copied[site] = revision;
        }
        else
        {
            // Not copied: tried again before the site's next change.
            _copied.TryRemove(site, out _);
        }

        return new SiteSync(site, result.Applied && result.Changes.Count > 0, result.Revision, result.Changes, result.Findings);
    }
}

/// <summary>
/// Copies the fleet's governance into every site once the server has started (what a crash between a change and its copies
/// left behind), in the background so that a large fleet does not delay serving; stopping the server waits for it, so that
/// nothing writes into the fleet's folder after the server has stopped.
/// </summary>
internal sealed partial class FleetGovernanceAtStart(FleetGovernance governance, ILogger<FleetGovernanceAtStart> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Let the server start listening first.
        await Task.Yield();
        try
        {
            foreach (var site in await governance.CopyAllAsync(stoppingToken).ConfigureAwait(false))
            {
                foreach (var finding in site.Findings.Where(f => f.Severity == Severity.Error))
                {
                    NotCopied(logger, site.Site, finding.Code, finding.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e) when (EngineFailures.Classify(e) == FailureKind.Store)
        {
            // Each site still gets the copy before its next change.
            NotCopied(logger, "(fleet)", "FleetCopyFailed", e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fleet policies not copied into site {Site}: {Code} {Message}")]
    private static partial void NotCopied(ILogger logger, string site, string code, string message);
}
