using System.Collections.Concurrent;
using System.Security.Cryptography;
using Trellis.Engine;
using Trellis.Engine.Contracts;
using Trellis.Server.Stores;

namespace Trellis.Server.Endpoints;

/// <summary>A plan the server holds until it is applied, discarded or expires: the Engine's plan, and what the client was shown.</summary>
internal sealed record StoredPlan(string Id, string Site, string Command, string? CreatedBy, DateTimeOffset ExpiresAt, ChangePlan Plan, CapacityReport? Capacity)
{
    /// <summary>The plan as the client sees it: the CLI's dry-run document, with the plan's id, site, command, revision and expiry.</summary>
    public PlanDocument Document() => new(Id, Site, Command, Plan.Revision, ExpiresAt, CreatedBy, Commands.Output(Plan.Outcome(), Capacity));
}

/// <summary>
/// A live plan as found: what the client was shown, the Engine's plan when this server made it (<see cref="Held"/>), and on
/// etcd the plan's record (<see cref="Shared"/>, from which another replica plans it again) and its key's revision.
/// </summary>
internal sealed record FoundPlan(PlanDocument Document, StoredPlan? Held, SharedPlan? Shared, long KeyRevision)
{
    public string Id => Document.Id;

    public string? CreatedBy => Document.CreatedBy;
}

/// <summary>
/// The plans made with <c>POST …/plans/{command}</c>. Each lives <see cref="ServerOptions.PlanLifetime"/>. In memory at most
/// <see cref="ServerOptions.MaxPlans"/> are held (the oldest is dropped first); without etcd that is all there is, and a
/// server restart forgets them, which is safe: a plan is only ever a proposal, and applying it re-checks the site's revision
/// anyway. On etcd each plan is also the key <c>&lt;root&gt;plans/&lt;id&gt;</c> (<see cref="EtcdPlans"/>), which decides
/// whether it is still there on every replica; the memory then only keeps the Engine's plan on the replica that made it.
/// </summary>
internal sealed class PlanRegistry(ServerOptions options, EtcdConnection? etcd = null)
{
    private readonly ConcurrentDictionary<string, StoredPlan> _plans = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly EtcdPlans? _shared = etcd is null ? null : new EtcdPlans(etcd);

    public int Count => _plans.Count;

    /// <summary>
    /// Keeps a new plan of <paramref name="request"/>; on etcd its record is written first, so that every replica finds it.
    /// Null when etcd refuses the record as too large: nothing is kept then.
    /// </summary>
    public async Task<StoredPlan?> AddAsync(string site, string command, string? createdBy, ChangePlan plan, CapacityReport? capacity, CommandRequest request,
        CancellationToken cancellationToken)
    {
        var now = options.Time.GetUtcNow();
        var stored = new StoredPlan(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), site, command, createdBy, now + options.PlanLifetime, plan, capacity);
        if (_shared is not null && !await _shared.PutAsync(SharedPlan.Of(stored, request), options.PlanLifetime, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        lock (_gate)
        {
            foreach (var expired in _plans.Values.Where(p => p.ExpiresAt <= now))
            {
                _plans.TryRemove(expired.Id, out _);
            }

            while (_plans.Count >= Math.Max(1, options.MaxPlans) && _plans.Values.MinBy(p => p.ExpiresAt) is { } oldest)
            {
                _plans.TryRemove(oldest.Id, out _);
            }

            _plans[stored.Id] = stored;
        }

        return stored;
    }

    /// <summary>The live plan <paramref name="id"/> of <paramref name="site"/>, or null (none, another site's, expired, applied or discarded on any replica).</summary>
    public async Task<FoundPlan?> FindAsync(string site, string id, CancellationToken cancellationToken)
    {
        var now = options.Time.GetUtcNow();
        var held = _plans.TryGetValue(id, out var plan) && plan.Site == site && plan.ExpiresAt > now ? plan : null;
        if (_shared is null)
        {
            return held is null ? null : new FoundPlan(held.Document(), held, null, 0);
        }

        var (shared, revision) = await _shared.ReadAsync(id, cancellationToken).ConfigureAwait(false);
        if (shared is null)
        {
            // Applied or discarded through another replica, or its lease ran out.
            _plans.TryRemove(id, out _);
            return null;
        }

        return shared.Site == site && shared.ExpiresAt > now ? new FoundPlan(shared.Document(), held, shared, revision) : null;
    }

    /// <summary>
    /// Takes the plan out, so that it is applied at most once; false when another request took it first (on etcd, through any
    /// replica: its key is deleted only while it is the one that was read).
    /// </summary>
    public async Task<bool> TakeAsync(FoundPlan plan, CancellationToken cancellationToken)
    {
        var held = plan.Held is { } h && _plans.TryRemove(new KeyValuePair<string, StoredPlan>(h.Id, h));
        if (_shared is null)
        {
            return held;
        }

        _plans.TryRemove(plan.Id, out _);
        return await _shared.TakeAsync(plan.Id, plan.KeyRevision, cancellationToken).ConfigureAwait(false);
    }
}
