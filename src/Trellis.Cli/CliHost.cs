using Trellis.Storage;

namespace Trellis.Cli;

/// <summary>
/// What the command line takes from the process beyond its arguments: environment, the terminal, and seams that tests
/// use to run the CLI in-process (a wrapped store, a failing file writer).
/// </summary>
public sealed record CliHost
{
    public static CliHost Process { get; } = new();

    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>Whether standard input is a terminal a person can answer a confirmation on.</summary>
    public Func<bool> InputIsTerminal { get; init; } = () => !Console.IsInputRedirected;

    /// <summary>Reads one answer line (null at the end of input).</summary>
    public Func<string?> ReadLine { get; init; } = () => Console.In.ReadLine();

    /// <summary>Wraps every opened store (tests inject failures or cancellations here).</summary>
    public Func<IStateStore, IStateStore> Store { get; init; } = store => store;

    /// <summary>Writes one rendered file (tests inject a full disk here).</summary>
    public Func<string, string, CancellationToken, Task>? WriteFile { get; init; }
}
