using BenchmarkDotNet.Attributes;
using Trellis.Core.Ipam;

namespace Trellis.Benchmarks;

/// <summary>
/// AllocationLedger on a /16 (65,536 numbers, 10.0.0.0–10.0.255.255), filled to 50%. One operation is one
/// TryAllocateLowest followed by one Release of the number it returned (an allocate+release pair), so the fill
/// stays at 50% and every operation does the same work. Each invocation runs <see cref="OpsPerInvoke"/>
/// operations; BenchmarkDotNet divides by it, so "Mean" is per pair and "Op/s" is pairs per second on one core.
/// </summary>
[Config(typeof(BenchConfig))]
public class LedgerBenchmarks
{
    public const int OpsPerInvoke = 4096;
    private const uint Base = 0x0A000000; // 10.0.0.0

    private AllocationLedger ledger = null!;

    public enum FillPattern
    {
        /// <summary>The lower half taken (how lowest-first allocation fills a pool): the lowest free number is 10.0.128.0.</summary>
        LowerHalf,
        /// <summary>A seeded random half taken (a pool after churn): the lowest free numbers are scattered near the start.</summary>
        RandomHalf,
    }

    [Params(FillPattern.LowerHalf, FillPattern.RandomHalf)]
    public FillPattern Fill { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        ledger = new AllocationLedger(Base, Base + 0xFFFFu);
        if (Fill == FillPattern.LowerHalf)
        {
            for (var i = 0; i < 32768; i++)
            {
                ledger.TryAllocateLowest(out _);
            }
        }
        else
        {
            var numbers = Enumerable.Range(0, 65536).ToArray();
            new Random(42).Shuffle(numbers);
            foreach (var n in numbers.AsSpan(0, 32768))
            {
                ledger.TryAllocate(Base + (uint)n);
            }
        }

        if (ledger.Taken != 32768)
        {
            throw new InvalidOperationException($"Expected 32768 taken, got {ledger.Taken}.");
        }
    }

    [Benchmark(OperationsPerInvoke = OpsPerInvoke, Description = "AllocateLowest+Release pair, /16 at 50%")]
    public UInt128 AllocateLowestThenRelease()
    {
        UInt128 last = 0;
        for (var i = 0; i < OpsPerInvoke; i++)
        {
            if (!ledger.TryAllocateLowest(out last) || !ledger.Release(last))
            {
                throw new InvalidOperationException("The ledger is exhausted or did not release.");
            }
        }

        return last;
    }
}
