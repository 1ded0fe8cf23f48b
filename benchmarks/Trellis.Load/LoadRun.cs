using System.Diagnostics;

namespace Trellis.Load;

/// <summary>What one run measured: latencies per kind of operation (ms), counts, and every acknowledged write.</summary>
public sealed class LoadResult
{
    public Dictionary<string, List<double>> Latencies { get; } = new(StringComparer.Ordinal);

    public List<(AddServiceWrite Write, long Revision)> AddedServices { get; } = [];

    public List<(ScaleWrite Write, long Revision)> Scales { get; } = [];

    public List<string> Failures { get; } = [];

    public long Requests { get; set; }

    public long StaleAnswers { get; set; }

    public long Refused { get; set; }

    public long GaveUp { get; set; }

    public TimeSpan Elapsed { get; set; }

    public long Operations => Latencies.Values.Sum(l => (long)l.Count);

    public void Merge(LoadResult other)
    {
        foreach (var (kind, list) in other.Latencies)
        {
            Sample(kind).AddRange(list);
        }

        AddedServices.AddRange(other.AddedServices);
        Scales.AddRange(other.Scales);
        Failures.AddRange(other.Failures);
        Requests += other.Requests;
        StaleAnswers += other.StaleAnswers;
        Refused += other.Refused;
        GaveUp += other.GaveUp;
    }

    public List<double> Sample(string kind) => Latencies.TryGetValue(kind, out var l) ? l : Latencies[kind] = [];

    /// <summary>The value below which <paramref name="p"/> of the sorted sample lies (nearest rank).</summary>
    public static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}

/// <summary>
/// The load: <c>clients</c> concurrent clients, each in a loop until the time is up, mixing reads (a cluster's allocations,
/// the pools, the site's revision) with writes that allocate (a new LoadBalancer service: VIP, ClusterIP, NodePort) and
/// scale node pools (node IPs taken and released). A write sends the revision its client last saw (If-Match); when the site
/// moved on (412) the client takes the new revision, waits a little and retries, as a careful client does: exponential
/// backoff with jitter (2 ms doubling to 100 ms, the wait in the upper half), the Engine's own schedule for its retries.
/// </summary>
public static class LoadRun
{
    public static readonly string[] Clusters = ["a", "b", "c", "d"];
    private const int MaxAttempts = 100;

    public static async Task<LoadResult> RunAsync(Func<int, ILoadTarget> targetOf, int clients, TimeSpan duration, int seed = 13)
    {
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource(duration);
        var results = await Task.WhenAll(Enumerable.Range(0, clients).Select(i => Task.Run(() => ClientAsync(targetOf(i), i, seed + i, stop.Token)))).ConfigureAwait(false);
        var total = new LoadResult { Elapsed = clock.Elapsed };
        foreach (var r in results)
        {
            total.Merge(r);
        }

        foreach (var list in total.Latencies.Values)
        {
            list.Sort();
        }

        return total;
    }

    private static async Task<LoadResult> ClientAsync(ILoadTarget target, int client, int seed, CancellationToken stop)
    {
        var result = new LoadResult();
        var random = new Random(seed);
        var services = 0;
        await using (target.ConfigureAwait(false))
        {
            try
            {
                var revision = await target.RevisionAsync(CancellationToken.None).ConfigureAwait(false);
                while (!stop.IsCancellationRequested)
                {
                    var cluster = Clusters[random.Next(Clusters.Length)];
                    var pick = random.Next(100);
                    var started = Stopwatch.GetTimestamp();
                    if (pick < 75)
                    {
                        var kind = pick < 35 ? ReadKind.Allocations : pick < 60 ? ReadKind.Pools : ReadKind.Revision;
                        var (ok, detail) = await target.ReadAsync(kind, cluster, CancellationToken.None).ConfigureAwait(false);
                        result.Requests++;
                        if (!ok)
                        {
                            result.Failures.Add(detail);
                        }

                        result.Sample("read " + kind.ToString().ToLowerInvariant()).Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        continue;
                    }

                    LoadWrite write = pick < 93
                        ? new AddServiceWrite(cluster, "load", $"c{client}-s{services++}")
                        : new ScaleWrite(cluster, "linuxpool", 1 + random.Next(4));
                    revision = await WriteAsync(target, write, revision, result, random).ConfigureAwait(false);
                    result.Sample(write is AddServiceWrite ? "write add-service" : "write scale").Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TaskCanceledException)
            {
                result.Failures.Add($"client {client}: {e.GetType().Name}: {e.Message}");
            }
        }

        return result;
    }

    /// <summary>One write until it is committed or refused: on a stale revision, take the new one, back off and retry.</summary>
    private static async Task<long> WriteAsync(ILoadTarget target, LoadWrite write, long revision, LoadResult result, Random random)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var outcome = await target.WriteAsync(write, revision, CancellationToken.None).ConfigureAwait(false);
            result.Requests++;
            switch (outcome.Status)
            {
                case WriteStatus.Committed:
                    if (write is AddServiceWrite add)
                    {
                        result.AddedServices.Add((add, outcome.Revision!.Value));
                    }
                    else
                    {
                        result.Scales.Add(((ScaleWrite)write, outcome.Revision!.Value));
                    }

                    return outcome.Revision!.Value;
                case WriteStatus.Stale:
                    result.StaleAnswers++;
                    revision = outcome.Revision ?? await target.RevisionAsync(CancellationToken.None).ConfigureAwait(false);
                    if (outcome.Revision is null)
                    {
                        result.Requests++;
                    }

                    await Task.Delay(Backoff(attempt + 1, random.NextDouble())).ConfigureAwait(false);
                    continue;
                case WriteStatus.Refused:
                    result.Refused++;
                    result.Failures.Add($"refused {write}: {outcome.Detail}");
                    return revision;
                default:
                    result.Failures.Add($"{write}: {outcome.Detail}");
                    return revision;
            }
        }

        result.GaveUp++;
        return revision;
    }

    /// <summary>The wait after stale attempt <paramref name="attempt"/> (from 1): a ceiling of 2 ms doubling up to 100 ms, the wait in its upper half.</summary>
    private static TimeSpan Backoff(int attempt, double jitter)
    {
        var half = Math.Min(100, 2 * Math.Pow(2, Math.Min(attempt - 1, 30))) / 2;
        return TimeSpan.FromMilliseconds(Math.Round(half + half * jitter));
    }
}
