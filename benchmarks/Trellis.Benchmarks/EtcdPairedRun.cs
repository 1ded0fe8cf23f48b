using System.Diagnostics;
using System.Globalization;

namespace Trellis.Benchmarks;

/// <summary>
/// The allocations of <see cref="EtcdAllocationBenchmarks"/> measured interleaved, for a machine whose load drifts during a
/// BenchmarkDotNet run (which measures one method after the other): each round times <c>perRound</c> allocations of every
/// variant, in an order rotated each round, and the ratio Trellis / raw is taken within each round. Run with
/// <c>dotnet run -c Release --project benchmarks/Trellis.Benchmarks -- etcd-paired [rounds] [perRound]</c>.
/// </summary>
public static class EtcdPairedRun
{
    public static async Task RunAsync(int rounds, int perRound)
    {
        var bench = new EtcdAllocationBenchmarks();
        bench.Setup();
        try
        {
            (string Name, Func<Task> Allocate)[] variants =
            [
                ("raw: range read + txn", bench.Raw),
                ("raw: the store's read (head, pending and the range in one txn) + txn", bench.RawReadAsTheStore),
                ("Trellis: ReadAsync + CommitAsync", bench.Trellis),
                ("raw, 8 at once", bench.RawConcurrent),
                ("Trellis, 8 at once", bench.TrellisConcurrent),
            ];
            var perInvoke = new[] { 1, 1, 1, EtcdAllocationBenchmarks.Allocators * EtcdAllocationBenchmarks.PerAllocator, EtcdAllocationBenchmarks.Allocators * EtcdAllocationBenchmarks.PerAllocator };
            var rates = variants.Select(_ => new List<double>()).ToArray();
            for (var warm = 0; warm < variants.Length; warm++)
            {
                await Time(variants[warm].Allocate, Math.Max(1, perRound / perInvoke[warm] / 4)).ConfigureAwait(false);
            }

            for (var round = 0; round < rounds; round++)
            {
                for (var k = 0; k < variants.Length; k++)
                {
                    var v = (k + round) % variants.Length;
                    var invocations = Math.Max(1, perRound / perInvoke[v]);
                    var seconds = await Time(variants[v].Allocate, invocations).ConfigureAwait(false);
                    rates[v].Add(invocations * perInvoke[v] / seconds);
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round + 1}: {string.Join(", ", rates.Select(r => $"{r[^1]:0}/s"))}"));
            }

            for (var v = 0; v < variants.Length; v++)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{variants[v].Name}: median {Median(rates[v]):0.0} allocations/s (min {rates[v].Min():0.0}, max {rates[v].Max():0.0})"));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Trellis / raw, one allocator: median of the rounds' ratios {Median(rates[2].Zip(rates[0], (t, r) => t / r).ToList()):P1}; "
                + $"the store's read / raw {Median(rates[1].Zip(rates[0], (t, r) => t / r).ToList()):P1}; "
                + $"8 at once: {Median(rates[4].Zip(rates[3], (t, r) => t / r).ToList()):P1}."));
        }
        finally
        {
            bench.Cleanup();
        }
    }

    private static async Task<double> Time(Func<Task> allocate, int invocations)
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < invocations; i++)
        {
            await allocate().ConfigureAwait(false);
        }

        return clock.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
