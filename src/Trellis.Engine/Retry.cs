namespace Trellis.Engine;

/// <summary>
/// Runs an attempt again after a concurrent writer won, waiting longer each time: exponential backoff with jitter, so
/// that writers that collided spread apart. Time comes from <paramref name="time"/> and the jitter from
/// <paramref name="random"/> (a number in [0, 1)), so that tests run it without sleeping. Jitter affects only timing,
/// never a plan.
/// </summary>
internal sealed class Retry(TimeProvider time, Func<double> random, int maxAttempts)
{
    public static readonly TimeSpan BaseDelay = TimeSpan.FromMilliseconds(2);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromMilliseconds(100);

    public int MaxAttempts { get; } = maxAttempts >= 1 ? maxAttempts : throw new ArgumentOutOfRangeException(nameof(maxAttempts), "At least one attempt.");

    /// <summary>
    /// The wait after failed attempt <paramref name="attempt"/> (1 for the first): its ceiling doubles from
    /// <see cref="BaseDelay"/> up to <see cref="MaxDelay"/>, and the wait lies in the upper half of the ceiling, in whole
    /// milliseconds (the resolution of a timer).
    /// </summary>
    public static TimeSpan Delay(int attempt, double jitter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        var half = Ceiling(attempt).TotalMilliseconds / 2;
        return TimeSpan.FromMilliseconds(Math.Round(half + half * Math.Clamp(jitter, 0, 1)));
    }

    public static TimeSpan Ceiling(int attempt) =>
        TimeSpan.FromTicks((long)Math.Min(MaxDelay.Ticks, BaseDelay.Ticks * Math.Pow(2, Math.Min(attempt - 1, 30))));

    /// <summary>
    /// Runs <paramref name="attempt"/> (given its number, from 1) until it returns a value; null means a concurrent writer won
    /// and it should run again.
    /// </summary>
    /// <exception cref="ConflictException">Every one of <see cref="MaxAttempts"/> attempts met a concurrent writer.</exception>
    public async Task<T> RunAsync<T>(string what, Func<int, Task<T?>> attempt, CancellationToken cancellationToken)
        where T : class
    {
        for (var n = 1; ; n++)
        {
            if (await attempt(n).ConfigureAwait(false) is { } done)
            {
                return done;
            }

            if (n >= MaxAttempts)
            {
                throw new ConflictException($"'{what}' met a concurrent change {n} times in a row; its last transaction was not written. Try again.");
            }

            await Task.Delay(Delay(n, random()), time, cancellationToken).ConfigureAwait(false);
        }
    }
}
