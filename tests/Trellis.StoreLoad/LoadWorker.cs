using System.Text;
using Trellis.Storage;

namespace Trellis.StoreLoad;

/// <summary>
/// One worker of a load process: a loop of <see cref="operations"/> attempts, each a take of a random address it does not hold
/// or, about every other time while it holds some, a release of one of them. It logs what was acknowledged and what is unknown.
/// </summary>
internal sealed class LoadWorker(IStateStore store, string[] addresses, string owner, int operations, StreamWriter log, int seed)
{
    /// <summary>A worker holds at most this many addresses, so that the pool stays contended but not full.</summary>
    private const int MaxHeld = 3;

    private readonly Random random = new(HashCode.Combine(seed, owner));
    private readonly Dictionary<string, (string Value, long Revision)> held = new(StringComparer.Ordinal);

    public string Owner => owner;

    public long Attempted { get; private set; }

    public long Takes { get; private set; }

    public long Releases { get; private set; }

    public long TakeConflicts { get; private set; }

    public long ReleaseConflicts { get; private set; }

    public long Unknown { get; private set; }

    public async Task RunAsync()
    {
        for (var sequence = 0; sequence < operations; sequence++)
        {
            Attempted++;
            if (held.Count > 0 && (held.Count >= MaxHeld || random.Next(2) == 0))
            {
                await ReleaseAsync(held.Keys.ElementAt(random.Next(held.Count))).ConfigureAwait(false);
            }
            else
            {
                var free = addresses.Where(a => !held.ContainsKey(a)).ToArray();
                await TakeAsync(free[random.Next(free.Length)], $"{owner}#{sequence}").ConfigureAwait(false);
            }
        }
    }

    private async Task TakeAsync(string key, string value)
    {
        try
        {
            var result = await store.CommitAsync(new StoreTransaction([], [new TxnOperation.Create(key, Encoding.UTF8.GetBytes(value))])).ConfigureAwait(false);
            if (result.Succeeded)
            {
                held[key] = (value, result.Revision);
                Takes++;
                Write(new LoadEvent(LoadEventKind.Take, key, value, result.Revision, 0));
            }
            else
            {
                TakeConflicts++;
            }
        }
        catch (StoreException)
        {
            Unknown++;
            Write(new LoadEvent(LoadEventKind.UnknownTake, key, value, 0, 0));
        }
    }

    private async Task ReleaseAsync(string key)
    {
        var (value, revision) = held[key];
        held.Remove(key);
        try
        {
            var result = await store.CommitAsync(new StoreTransaction([new TxnCondition.RevisionEquals(key, revision)], [new TxnOperation.Delete(key)])).ConfigureAwait(false);
            if (result.Succeeded)
            {
                Releases++;
                Write(new LoadEvent(LoadEventKind.Release, key, value, result.Revision, revision));
            }
            else
            {
                ReleaseConflicts++;
                Write(new LoadEvent(LoadEventKind.ReleaseConflict, key, value, result.Revision, revision));
            }
        }
        catch (StoreException)
        {
            Unknown++;
            Write(new LoadEvent(LoadEventKind.UnknownRelease, key, value, 0, revision));
        }
    }

    private void Write(LoadEvent e)
    {
        lock (log)
        {
            log.WriteLine(e.Format());
        }
    }
}
