using BenchmarkDotNet.Attributes;
using dotnet_etcd;
using Trellis.Core.Model;
using Trellis.Engine;
using Trellis.Storage.Etcd;
using Trellis.Storage.Sqlite;
using Trellis.TestSupport.Etcd;

namespace Trellis.Benchmarks;

/// <summary>
/// TrellisEngine.ApplyAsync of the 32-cluster × 200-node site (<see cref="Sites.BigClusters"/>, ~13,000 allocations in one
/// commit) onto an empty etcd keyspace of a real 3-member loopback cluster (a large commit: chunks under the write lock, made
/// visible by one last transaction), beside the same onto a fresh SQLite file, in the same run; and the re-apply that
/// changes nothing (a read of ~13,000 allocations). Each fresh apply gets its own keyspace (or file), made before the
/// measured invocation and removed after it. docs/benchmarks.md, section 9.
/// </summary>
[Config(typeof(BenchConfig))]
public class EtcdApplyBenchmarks : IDisposable
{
    private SiteSpec spec = null!;
    private string directory = null!;
    private EtcdCluster cluster = null!;
    private EtcdClient raw = null!;
    private EngineSession? fresh;
    private string? freshPrefix;
    private string? freshFile;
    private EngineSession? applied;
    private int iteration;

    [GlobalSetup]
    public void Setup()
    {
        spec = Sites.BigClusters(ApplyBenchmarks.Clusters);
        directory = Path.Combine(Path.GetTempPath(), $"trellis-bench-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        cluster = EtcdCluster.StartAsync().GetAwaiter().GetResult();
        raw = new EtcdClient(cluster.Endpoints);

        applied = EngineSession.Over(Open("/bench/applied/"));
        var result = applied.Engine.ApplyAsync(spec).GetAwaiter().GetResult();
        if (!result.Applied || result.HasErrors)
        {
            throw new InvalidOperationException("The benchmark site does not apply on etcd: " + string.Join("; ", result.Findings.Select(f => $"{f.Code} {f.Path}: {f.Message}")));
        }

        Console.WriteLine($"// EtcdApplyBenchmarks: {ApplyBenchmarks.Clusters} clusters, {result.Plan!.Added.Count} allocations committed per apply.");
    }

    [IterationSetup(Target = nameof(ApplyFreshEtcd))]
    public void CreateKeyspace()
    {
        freshPrefix = $"/bench/fresh-{iteration++}/";
        fresh = EngineSession.Over(Open(freshPrefix));
    }

    [IterationCleanup(Target = nameof(ApplyFreshEtcd))]
    public void DeleteKeyspace()
    {
        fresh!.DisposeAsync().AsTask().GetAwaiter().GetResult();
        raw.DeleteRange(freshPrefix!);
        fresh = null;
    }

    [IterationSetup(Target = nameof(ApplyFreshSqlite))]
    public void CreateFile()
    {
        freshFile = Path.Combine(directory, $"state-{iteration++}.db");
        fresh = EngineSession.OpenSqlite(freshFile, write: true);
    }

    [IterationCleanup(Target = nameof(ApplyFreshSqlite))]
    public void DeleteFile()
    {
        fresh!.DisposeAsync().AsTask().GetAwaiter().GetResult();
        fresh = null;
        foreach (var file in new[] { freshFile!, freshFile + "-wal", freshFile + "-shm", freshFile + "-journal" })
        {
            File.Delete(file);
        }
    }

    [Benchmark(Baseline = true, Description = "ApplyAsync 32x200 onto a fresh SQLite file")]
    public Task<CommandResult> ApplyFreshSqlite() => ApplyAsync(fresh!);

    [Benchmark(Description = "ApplyAsync 32x200 onto an empty etcd keyspace")]
    public Task<CommandResult> ApplyFreshEtcd() => ApplyAsync(fresh!);

    [Benchmark(Description = "ApplyAsync 32x200 again on etcd (no change)")]
    public async Task<CommandResult> ReapplyUnchangedEtcd()
    {
        var result = await applied!.Engine.ApplyAsync(spec).ConfigureAwait(false);
        return result.Applied && result.Plan!.IsEmpty ? result : throw new InvalidOperationException("Re-apply changed something.");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        fresh?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        applied?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Dispose();
        cluster.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    public void Dispose()
    {
        raw?.Dispose();
        GC.SuppressFinalize(this);
    }

    private EtcdStateStore Open(string prefix) => EtcdStateStore.Open(new EtcdStoreOptions { Endpoints = cluster.Endpoints, KeyPrefix = prefix });

    private async Task<CommandResult> ApplyAsync(EngineSession session)
    {
        var result = await session.Engine.ApplyAsync(spec).ConfigureAwait(false);
        return result.Applied && !result.Plan!.IsEmpty ? result : throw new InvalidOperationException("Apply failed or found nothing to do.");
    }
}
