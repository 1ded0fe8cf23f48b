using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.Load;

/// <summary>
/// The same work through the Engine in-process, as the server does it for each request: a session opened on the state file
/// per operation (read-only for reads); a write either planned and committed by the Engine with its own retries
/// (<see cref="WriteMode.Latest"/>, the server's If-Match: *) or planned, compared with the revision the client decided on,
/// and committed (<see cref="WriteMode.Decided"/>).
/// </summary>
public sealed class EngineTarget(string statePath, WriteMode writes) : ILoadTarget
{
    public async Task<(bool Ok, string Detail)> ReadAsync(ReadKind kind, string cluster, CancellationToken ct)
    {
        await using var session = EngineSession.OpenSqlite(statePath, write: false);
        switch (kind)
        {
            case ReadKind.Allocations:
                var list = await session.Engine.ReadAllocationsAsync(cluster, ct).ConfigureAwait(false);
                return (list.Findings.Count == 0 && list.Allocations.Count > 0, "allocations");
            case ReadKind.Pools:
                return (SiteViews.Pools(await session.Engine.ReadAsync(ct).ConfigureAwait(false)).Count > 0, "pools");
            default:
                return (await session.Engine.ReadRevisionAsync(ct).ConfigureAwait(false) > 0, "revision");
        }
    }

    public async Task<long> RevisionAsync(CancellationToken ct)
    {
        await using var session = EngineSession.OpenSqlite(statePath, write: false);
        return await session.Engine.ReadRevisionAsync(ct).ConfigureAwait(false);
    }

    public async Task<WriteOutcome> WriteAsync(LoadWrite write, long expectedRevision, CancellationToken ct)
    {
        SiteCommand command = write switch
        {
            AddServiceWrite s => new AddService(s.Cluster, s.Namespace, s.Name, [443]),
            ScaleWrite s => new ScaleNodePool(s.Cluster, s.NodePool, s.Count),
            _ => throw new ArgumentException(write.ToString(), nameof(write)),
        };
        await using var session = EngineSession.OpenSqlite(statePath, write: true);
        if (writes == WriteMode.Latest)
        {
            var done = await session.Engine.ExecuteAsync(command, new CommandOptions(Actor: "load"), ct).ConfigureAwait(false);
            return done.Applied ? new WriteOutcome(WriteStatus.Committed, done.Revision)
                : new WriteOutcome(WriteStatus.Refused, done.Revision, string.Join("; ", done.Findings));
        }

        var plan = await session.Engine.PlanAsync(command, ct).ConfigureAwait(false);
        if (plan.Revision != expectedRevision)
        {
            return new WriteOutcome(WriteStatus.Stale, plan.Revision);
        }

        if (plan.HasErrors)
        {
            return new WriteOutcome(WriteStatus.Refused, plan.Revision, string.Join("; ", plan.Findings));
        }

        var result = await session.Engine.CommitAsync(plan, new CommandOptions(Actor: "load"), ct).ConfigureAwait(false);
        return result.Applied ? new WriteOutcome(WriteStatus.Committed, result.Revision)
            : result.Findings.Any(f => f.Code == "StateChanged") ? new WriteOutcome(WriteStatus.Stale, null)
            : new WriteOutcome(WriteStatus.Refused, result.Revision, string.Join("; ", result.Findings));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
