using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Trellis.Storage;
using Trellis.Storage.Etcd;

namespace Trellis.StoreLoad;

/// <summary>
/// One load process: <c>--threads</c> workers share one <see cref="EtcdStateStore"/> of the keyspace <c>--prefix</c> and, in
/// <c>--operations</c> attempts in all, take addresses of the small pool <c>alloc/&lt;pool&gt;/…</c> (a create, which fails
/// while another holds the address) and release those they hold (a delete conditioned on the revision of their take). Every
/// acknowledged operation and every operation of unknown outcome goes to the log (<see cref="LoadEvent"/>); the last line
/// of output is a <see cref="LoadSummary"/>. Exit code 0 unless something other than a conflict or a store failure happened.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var options = LoadOptions.Parse(args);
        await using var store = EtcdStateStore.Open(new EtcdStoreOptions { Endpoints = options.Endpoints, KeyPrefix = options.Prefix });
        await using var log = new StreamWriter(options.LogPath, append: false);
        var addresses = Enumerable.Range(1, options.Addresses).Select(i => $"alloc/{options.Pool}/10.0.{i / 256}.{i % 256}").ToArray();
        var workers = Enumerable.Range(0, options.Threads)
            .Select(t => new LoadWorker(store, addresses, $"{options.Owner}.t{t}", options.Operations / options.Threads + (t < options.Operations % options.Threads ? 1 : 0), log, options.Seed + t))
            .ToArray();

        var clock = Stopwatch.StartNew();
        Exception? failure = null;
        var threads = workers.Select(w => new Thread(() =>
        {
            try
            {
                w.RunAsync().GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref failure, e, null);
            }
        }) { Name = w.Owner }).ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        clock.Stop();
        await log.FlushAsync();
        var summary = new LoadSummary(
            options.Owner, options.Threads, workers.Sum(w => w.Attempted), workers.Sum(w => w.Takes), workers.Sum(w => w.Releases),
            workers.Sum(w => w.TakeConflicts), workers.Sum(w => w.ReleaseConflicts), workers.Sum(w => w.Unknown), clock.Elapsed.TotalSeconds);
        Console.WriteLine(JsonSerializer.Serialize(summary));
        if (failure is not null)
        {
            await Console.Error.WriteLineAsync(failure.ToString());
            return 1;
        }

        return 0;
    }
}

/// <summary>The command line: <c>--endpoints E --prefix P --owner O --log FILE [--threads 8] [--operations N] [--pool vip] [--addresses 64] [--seed S]</c>.</summary>
internal sealed record LoadOptions(string Endpoints, string Prefix, string Owner, string LogPath, int Threads, int Operations, string Pool, int Addresses, int Seed)
{
    public static LoadOptions Parse(string[] args)
    {
        var named = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            named[args[i].TrimStart('-')] = args[i + 1];
        }

        string Required(string name) => named.TryGetValue(name, out var value) ? value : throw new ArgumentException($"--{name} is required.");
        int Number(string name, int fallback) => named.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;
        return new LoadOptions(
            Required("endpoints"), Required("prefix"), Required("owner"), Required("log"),
            Number("threads", 8), Number("operations", 10_000), named.GetValueOrDefault("pool", "vip"), Number("addresses", 64), Number("seed", 1));
    }
}
