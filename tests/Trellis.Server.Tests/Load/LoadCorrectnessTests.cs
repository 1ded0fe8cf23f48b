using Trellis.Load;
using Trellis.TestSupport;

namespace Trellis.Server.Tests.Load;

/// <summary>
/// The load program's run, shortened (16 clients × 5 s on loopback): concurrent reads, service additions and scales through
/// the API, each write with If-Match (* or the revision decided on, retried when stale). Afterwards no address is held twice,
/// nothing answered 5xx, and every acknowledged write is in the state; with If-Match: * no write is ever stale.
/// </summary>
public sealed class LoadCorrectnessTests
{
    [Theory]
    [InlineData(WriteMode.Latest)]
    [InlineData(WriteMode.Decided)]
    public async Task Sixteen_clients_for_five_seconds_hold_no_address_twice_lose_no_acknowledged_write_and_see_no_5xx(WriteMode writes)
    {
        using var folder = new TempFolder();
        var (result, problems) = await global::Trellis.Load.Program.RunHttpAsync(folder.Path, clients: 16, TimeSpan.FromSeconds(5), writes);

        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.True(result.Failures.Count == 0, string.Join("\n", result.Failures.Take(10)));
        if (writes == WriteMode.Latest)
        {
            // The server plans each write on the state at hand and again when another commits first: nothing is stale.
            Assert.Equal((0, 0), (result.StaleAnswers, result.GaveUp));
        }

        Assert.True(result.AddedServices.Count >= 5, $"only {result.AddedServices.Count} services were added: the run did not write");
        Assert.True(result.Latencies.Keys.Count(k => k.StartsWith("read", StringComparison.Ordinal)) == 3, "every kind of read ran");
    }
}
