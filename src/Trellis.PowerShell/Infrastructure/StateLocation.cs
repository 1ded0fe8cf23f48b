namespace Trellis.PowerShell;

/// <summary>Where the state file is, as the CLI finds it: -StatePath, else $env:TRELLIS_STATE, else .trellis/state.db.</summary>
internal static class StateLocation
{
    public static readonly string Default = Path.Combine(".trellis", "state.db");

    /// <summary>The path as given (still relative to PowerShell's location), or null when TRELLIS_STATE is set but empty.</summary>
    public static string? Given(string? statePath) =>
        statePath ?? (Environment.GetEnvironmentVariable("TRELLIS_STATE") is { } variable ? variable.Length == 0 ? null : variable : Default);
}
