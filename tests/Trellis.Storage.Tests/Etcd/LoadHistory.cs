using System.Text;
using Trellis.StoreLoad;

namespace Trellis.Storage.Tests.Etcd;

/// <summary>What the logs of the load processes and the store's final state say together.</summary>
/// <param name="Violations">Every breach of the store's promises found; empty when it kept them.</param>
/// <param name="UnknownTakesApplied">Takes of unknown outcome that the final state shows applied.</param>
/// <param name="UnknownReleasesApplied">Releases of unknown outcome that the final state shows applied.</param>
/// <param name="Held">Addresses held at the end.</param>
internal sealed record LoadVerdict(IReadOnlyList<string> Violations, int UnknownTakesApplied, int UnknownReleasesApplied, int Held);

/// <summary>
/// Checks a history of takes and releases of addresses against the final state: ordered by revision, each address's
/// acknowledged takes and releases alternate (a take only while nobody holds it, a release only of the take that holds it),
/// no two acknowledged commits share a revision, and the final state is exactly the takes not released, with their values
/// and revisions. An operation of unknown outcome is decided by the final state: a take is applied if its value is there
/// (nobody else can remove it: a release compares the revision of the releaser's own take), a release if its take is not.
/// </summary>
internal static class LoadHistory
{
    public static LoadVerdict Check(IEnumerable<LoadEvent> history, IEnumerable<StoredItem> finalItems)
    {
        var events = history.ToList();
        var violations = new List<string>();
        var final = finalItems.ToDictionary(i => i.Key, i => (Value: Encoding.UTF8.GetString(i.Value), i.Revision), StringComparer.Ordinal);

        violations.AddRange(events.Where(e => e.Kind == LoadEventKind.ReleaseConflict)
            .Select(e => $"{e.Key}: the release of {e.Value}'s take at {e.HeldRevision} conflicted: another writer changed an address it held."));

        var acknowledged = events.Where(e => e.Kind is LoadEventKind.Take or LoadEventKind.Release).ToList();
        violations.AddRange(acknowledged.GroupBy(e => e.Revision).Where(g => g.Count() > 1)
            .Select(g => $"Two commits were acknowledged at revision {g.Key}: {string.Join(", ", g.Select(e => $"{e.Kind} {e.Key} by {e.Value}"))}."));

        var takes = new List<LoadEvent>(acknowledged);
        var unknownTakesApplied = 0;
        foreach (var unknown in events.Where(e => e.Kind == LoadEventKind.UnknownTake))
        {
            if (final.TryGetValue(unknown.Key, out var item) && item.Value == unknown.Value)
            {
                takes.Add(unknown with { Kind = LoadEventKind.Take, Revision = item.Revision });
                unknownTakesApplied++;
            }
        }

        var releasedUnseen = events.Where(e => e.Kind == LoadEventKind.UnknownRelease)
            .Where(e => !(final.TryGetValue(e.Key, out var item) && item == (e.Value, e.HeldRevision)))
            .Select(e => (e.Key, e.HeldRevision))
            .ToHashSet();

        var held = 0;
        foreach (var address in takes.GroupBy(e => e.Key, StringComparer.Ordinal))
        {
            (string Value, long Revision)? holder = null;
            foreach (var e in address.OrderBy(e => e.Revision))
            {
                if (holder is { } h && releasedUnseen.Contains((address.Key, h.Revision)))
                {
                    holder = null;
                }

                if (e.Kind == LoadEventKind.Take)
                {
                    if (holder is { } other)
                    {
                        violations.Add($"{address.Key} was held twice: by {other.Value} since {other.Revision} and by {e.Value} since {e.Revision}.");
                    }

                    holder = (e.Value, e.Revision);
                }
                else if (holder != (e.Value, e.HeldRevision))
                {
                    violations.Add($"{address.Key}: {e.Value} released its take at {e.HeldRevision} at {e.Revision}, but the holder then was {Describe(holder)}.");
                }
                else
                {
                    holder = null;
                }
            }

            if (holder is { } last && releasedUnseen.Contains((address.Key, last.Revision)))
            {
                holder = null;
            }

            var stored = final.TryGetValue(address.Key, out var item) ? item : ((string, long)?)null;
            if (stored != holder)
            {
                violations.Add($"{address.Key}: the acknowledged operations leave it {Describe(holder)}, but the store holds {Describe(stored)}.");
            }

            held += holder is null ? 0 : 1;
        }

        var explained = takes.Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
        violations.AddRange(final.Where(f => !explained.Contains(f.Key))
            .Select(f => $"{f.Key} is held by {f.Value.Value} since {f.Value.Revision}, which no take explains."));

        return new LoadVerdict(violations, unknownTakesApplied, releasedUnseen.Count, held);
    }

    private static string Describe((string Value, long Revision)? holder) => holder is { } h ? $"{h.Value} since {h.Revision}" : "free";
}
