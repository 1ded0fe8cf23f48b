using Trellis.Engine;

namespace Trellis.PowerShell;

/// <summary>
/// Where the state is, as the CLI finds it: -Store or -StatePath (not both), else $env:TRELLIS_STORE, else
/// $env:TRELLIS_STATE, else .trellis/state.db. A state file's relative path is relative to PowerShell's location.
/// </summary>
internal static class StateLocation
{
    public static readonly string Default = Path.Combine(".trellis", "state.db");

    /// <summary>The state file's path as given (still relative to PowerShell's location), or null when TRELLIS_STATE is set but empty.</summary>
    public static string? Given(string? statePath) =>
        statePath ?? (Environment.GetEnvironmentVariable("TRELLIS_STATE") is { } variable ? variable.Length == 0 ? null : variable : Default);

    /// <summary>The store, with a state file's path resolved by <paramref name="resolve"/> (PowerShell's location).</summary>
    /// <exception cref="StoreLocationException">Both -Store and -StatePath, a location that cannot be read, or an etcd store without a site.</exception>
    /// <exception cref="StoreChoiceException">TRELLIS_STATE is set but empty.</exception>
    public static StoreLocation Resolve(string? store, string? statePath, Func<string, string> resolve)
    {
        if (store is not null && statePath is not null)
        {
            throw new StoreLocationException("-Store and -StatePath both say where the state is; give one of them.");
        }

        var (text, source) = store is not null ? (store, "-Store")
            : statePath is not null ? ("sqlite:" + statePath, "-StatePath")
            : Environment.GetEnvironmentVariable("TRELLIS_STORE") is { } variable ? (variable, "TRELLIS_STORE")
            : Given(null) is { } path ? ("sqlite:" + path, "TRELLIS_STATE")
            : throw new StoreChoiceException("EmptyStatePath", "TRELLIS_STATE is set but empty; set it to the path of a state file, or remove it to use .trellis/state.db.");
        return StoreLocation.Parse(text, source, Environment.GetEnvironmentVariable) switch
        {
            SqliteLocation sqlite => new SqliteLocation(resolve(sqlite.Path)),
            EtcdLocation { Site: null } etcd => throw new StoreLocationException($"{source}: the etcd store {etcd} names no site; write it after the members (etcd://HOST:PORT/SITE)."),
            var location => location,
        };
    }
}

/// <summary>A store that cannot be chosen, with the error id PowerShell reports it under.</summary>
internal sealed class StoreChoiceException(string errorId, string message) : Exception(message)
{
    public string ErrorId { get; } = errorId;
}
