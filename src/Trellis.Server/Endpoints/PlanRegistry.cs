using System.Collections.Concurrent;
using System.Security.Cryptography;
using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.Server.Endpoints;

/// <summary>A plan the server holds until it is applied, discarded or expires: the Engine's plan, and what the client was shown.</summary>
internal sealed record StoredPlan(string Id, string Site, string Command, string? CreatedBy, DateTimeOffset ExpiresAt, ChangePlan Plan, CapacityReport? Capacity)
{
    /// <summary>The plan as the client sees it: the CLI's dry-run document, with the plan's id, site, command, revision and expiry.</summary>
    public PlanDocument Document() => new(Id, Site, Command, Plan.Revision, ExpiresAt, CreatedBy, Commands.Output(Plan.Outcome(), Capacity));
}

/// <summary>
/// The plans made with <c>POST …/plans/{command}</c>, in memory: each lives <see cref="ServerOptions.PlanLifetime"/> and at most
/// <see cref="ServerOptions.MaxPlans"/> are held (the oldest is dropped first). A server restart forgets them all, which is safe:
/// a plan is only ever a proposal, and applying it re-checks the site's revision anyway.
/// </summary>
internal sealed class PlanRegistry(ServerOptions options)
{
    private readonly ConcurrentDictionary<string, StoredPlan> _plans = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public int Count => _plans.Count;

    public StoredPlan Add(string site, string command, string? createdBy, ChangePlan plan, CapacityReport? capacity)
    {
        var now = options.Time.GetUtcNow();
        var stored = new StoredPlan(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), site, command, createdBy, now + options.PlanLifetime, plan, capacity);
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

    /// <summary>The live plan <paramref name="id"/> of <paramref name="site"/>, or null (none, another site's, expired).</summary>
    public StoredPlan? Find(string site, string id) =>
        _plans.TryGetValue(id, out var plan) && plan.Site == site && plan.ExpiresAt > options.Time.GetUtcNow() ? plan : null;

    /// <summary>Takes the plan out, so that it is applied at most once; false when another request took it first.</summary>
    public bool Remove(StoredPlan plan) => _plans.TryRemove(new KeyValuePair<string, StoredPlan>(plan.Id, plan));
}
