using Trellis.Engine;

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

    /// <summary>Opens the state at a location, for writing or for reading only (tests wrap the store to inject failures or cancellations).</summary>
    public Func<StoreLocation, bool, EngineSession> Open { get; init; } = (location, write) => EngineSession.Open(location, write);

    /// <summary>Writes one rendered file (tests inject a full disk here).</summary>
    public Func<string, string, CancellationToken, Task>? WriteFile { get; init; }

    /// <summary>
    /// The byte stream behind standard output, when its text writer encodes UTF-8: JSON documents are written to it as the
    /// UTF-8 bytes the serializer makes, without a string and a second encoding in between (a large document is megabytes).
    /// Everything else still goes through the text writer, which is flushed first. Null: documents go through the writer too.
    /// </summary>
    public Stream? Utf8Stdout { get; init; }
}
