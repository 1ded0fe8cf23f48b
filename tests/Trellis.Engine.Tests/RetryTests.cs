using System.Threading.Channels;
using CsCheck;
using Microsoft.Extensions.Time.Testing;

namespace Trellis.Engine.Tests;

/// <summary>The one retry helper: backoff with jitter through an injected clock and random source, no real sleeping.</summary>
public sealed class RetryTests
{
    /// <summary>A fake clock that also tells when a delay starts waiting on it, and for how long.</summary>
    private sealed class WatchedTime : FakeTimeProvider
    {
        public Channel<TimeSpan> Waits { get; } = Channel.CreateUnbounded<TimeSpan>();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            Waits.Writer.TryWrite(dueTime);
            return timer;
        }

        public async Task<TimeSpan> NextWaitAsync() => await Waits.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>An attempt that meets a concurrent writer <paramref name="conflicts"/> times, then succeeds; it counts its calls.</summary>
    private sealed class Attempts(int conflicts)
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public Task<string?> Run(int attempt)
        {
            Assert.Equal(Interlocked.Increment(ref _calls), attempt);
            return Task.FromResult(attempt > conflicts ? $"done at {attempt}" : null);
        }
    }

    [Fact]
    public async Task Delays_GrowExponentially_ThroughTheInjectedClock_UntilTheCap()
    {
        var time = new WatchedTime();
        var attempts = new Attempts(conflicts: 9);
        var run = new Retry(time, () => 0.5, maxAttempts: 20).RunAsync("scale", attempts.Run, CancellationToken.None);

        var waits = new List<TimeSpan>();
        for (var i = 1; i <= 9; i++)
        {
            var wait = await time.NextWaitAsync();
            waits.Add(wait);
            // Nothing runs again before the clock has moved by the whole wait.
            time.Advance(wait - TimeSpan.FromTicks(1));
            Assert.Equal(i, attempts.Calls);
            time.Advance(TimeSpan.FromTicks(1));
        }

        Assert.Equal("done at 10", await run.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(10, attempts.Calls);
        Assert.Equal([.. waits.Select((_, i) => Retry.Delay(i + 1, 0.5))], waits);
        // The ceilings 2, 4, 8, … 64 ms, then the cap of 100 ms: each wait longer than the one before until the cap.
        for (var i = 1; i < 7; i++)
        {
            Assert.True(waits[i] > waits[i - 1], $"wait {i + 1} ({waits[i]}) is not longer than wait {i} ({waits[i - 1]})");
        }

        Assert.Equal([TimeSpan.FromMilliseconds(75)], waits.Skip(6).Distinct());
    }

    [Fact]
    public void Jitter_StaysWithinTheUpperHalfOfTheCeiling()
    {
        Gen.Select(Gen.Int[1, 1000], Gen.Double[0, 1]).Sample((attempt, jitter) =>
        {
            var delay = Retry.Delay(attempt, jitter);
            var ceiling = Retry.Ceiling(attempt);
            return delay >= ceiling / 2 && delay <= ceiling && ceiling <= Retry.MaxDelay && ceiling >= Retry.BaseDelay;
        });
        Assert.Equal(Retry.BaseDelay / 2, Retry.Delay(1, 0));
        Assert.Equal(Retry.MaxDelay, Retry.Delay(100, 1));
        Assert.NotEqual(Retry.Delay(3, 0), Retry.Delay(3, 0.99));
    }

    [Fact]
    public async Task GivesUp_AfterMaxAttempts_WithAConflict()
    {
        var time = new WatchedTime();
        var attempts = new Attempts(conflicts: int.MaxValue);
        var run = new Retry(time, () => 0, maxAttempts: 3).RunAsync("delete site", attempts.Run, CancellationToken.None);

        time.Advance(await time.NextWaitAsync());
        time.Advance(await time.NextWaitAsync());

        var error = await Assert.ThrowsAsync<ConflictException>(() => run.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(3, attempts.Calls);
        Assert.Contains("'delete site' met a concurrent change 3 times", error.Message, StringComparison.Ordinal);
        Assert.False(time.Waits.Reader.TryRead(out _), "no wait after the last attempt");
    }

    [Fact]
    public async Task Cancellation_StopsTheWait_AndNoAttemptFollows()
    {
        var time = new WatchedTime();
        var attempts = new Attempts(conflicts: int.MaxValue);
        using var ctrlC = new CancellationTokenSource();
        var run = new Retry(time, () => 0.5, maxAttempts: 100).RunAsync("apply", attempts.Run, ctrlC.Token);

        await time.NextWaitAsync();
        await ctrlC.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromSeconds(10)));
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, attempts.Calls);
    }

    [Fact]
    public async Task ASuccessfulFirstAttempt_NeverWaits()
    {
        var time = new WatchedTime();
        var attempts = new Attempts(conflicts: 0);

        Assert.Equal("done at 1", await new Retry(time, () => 0.5, maxAttempts: 1).RunAsync("apply", attempts.Run, CancellationToken.None));
        Assert.False(time.Waits.Reader.TryRead(out _));
    }
}
