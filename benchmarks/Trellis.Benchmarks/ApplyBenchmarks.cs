using BenchmarkDotNet.Attributes;
using Trellis.Core.Model;
using Trellis.Engine;
using Trellis.Storage.Sqlite;

namespace Trellis.Benchmarks;

/// <summary>
/// TrellisEngine.ApplyAsync of a 32-cluster × 200-node site (<see cref="Sites.BigClusters"/>) onto a fresh
/// SQLite state file: read the empty state, validate, plan ~13,000 allocations, commit them in one transaction.
/// The store is created (file and schema) before each measured invocation and deleted after it, so neither
/// is measured.
/// </summary>
[Config(typeof(BenchConfig))]
public class ApplyBenchmarks
{
    public const int Clusters = 32;

    private SiteSpec spec = null!;
    private string directory = null!;
    private SqliteStateStore? store;
    private TrellisEngine? engine;
    private SqliteStateStore? appliedStore;
    private TrellisEngine? appliedEngine;
    private int iteration;

    [GlobalSetup]
    public void Setup()
    {
        spec = Sites.BigClusters(Clusters);
        directory = Path.Combine(Path.GetTempPath(), $"trellis-bench-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);

        // A store that already holds the site, for the re-apply (no change) benchmark; also checks the spec applies cleanly.
        appliedStore = SqliteStateStore.Open(Path.Combine(directory, "applied.db"));
        appliedEngine = new TrellisEngine(appliedStore, TimeProvider.System);
        var result = appliedEngine.ApplyAsync(spec).GetAwaiter().GetResult();
        if (!result.Applied || result.HasErrors)
        {
            throw new InvalidOperationException("The benchmark site does not apply: " + string.Join("; ", result.Findings.Select(f => $"{f.Code} {f.Path}: {f.Message}")));
        }

        Console.WriteLine($"// ApplyBenchmarks: {Clusters} clusters, {result.Plan!.Added.Count} allocations committed per apply.");
    }

    [IterationSetup(Target = nameof(ApplyFresh))]
    public void CreateStore()
    {
        store = SqliteStateStore.Open(Path.Combine(directory, $"state-{iteration++}.db"));
        engine = new TrellisEngine(store, TimeProvider.System);
    }

    [IterationCleanup(Target = nameof(ApplyFresh))]
    public void DeleteStore()
    {
        var path = store!.FilePath;
        store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        store = null;
        engine = null;
        DeleteDatabase(path);
    }

    [Benchmark(Baseline = true, Description = "ApplyAsync 32x200 onto a fresh SQLite file")]
    public async Task<CommandResult> ApplyFresh()
    {
        var result = await engine!.ApplyAsync(spec).ConfigureAwait(false);
        return result.Applied ? result : throw new InvalidOperationException("Apply failed.");
    }

    /// <summary>Re-applying the stored spec: read ~13,000 allocations, validate, plan, find nothing to write.</summary>
    [Benchmark(Description = "ApplyAsync 32x200 again (no change)")]
    public async Task<CommandResult> ReapplyUnchanged()
    {
        var result = await appliedEngine!.ApplyAsync(spec).ConfigureAwait(false);
        return result.Applied && result.Plan!.IsEmpty ? result : throw new InvalidOperationException("Re-apply changed something.");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (store is not null)
        {
            store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        if (appliedStore is not null)
        {
            appliedStore.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static void DeleteDatabase(string path)
    {
        foreach (var file in new[] { path, path + "-wal", path + "-shm", path + "-journal" })
        {
            File.Delete(file);
        }
    }
}
