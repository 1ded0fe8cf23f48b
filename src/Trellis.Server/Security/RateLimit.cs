namespace Trellis.Server.Security;

/// <summary>A fixed window: at most <see cref="Permits"/> requests per token in each <see cref="Window"/>, then 429 with Retry-After.</summary>
public sealed record RateLimit(int Permits, TimeSpan Window)
{
    /// <summary>20 requests a second on average, in bursts up to 200: far above a person at the dashboard, a cap on a runaway script.</summary>
    public static readonly RateLimit Default = new(200, TimeSpan.FromSeconds(10));

    public static readonly RateLimit Off = new(0, TimeSpan.FromSeconds(1));
}
