namespace Trellis.Cli;

/// <summary>The CLI's exit codes (docs/cli.md).</summary>
public static class ExitCodes
{
    /// <summary>Done; warnings alone included.</summary>
    public const int Ok = 0;
    /// <summary>The input has error findings; nothing was written.</summary>
    public const int Findings = 1;
    /// <summary>The command line is wrong.</summary>
    public const int Usage = 2;
    /// <summary>
    /// A concurrent change won every retry, the store or the file system failed, or an internal error; nothing was written,
    /// except by a rolling upgrade stopped after its first step (UpgradeInterrupted), which prints what it wrote.
    /// </summary>
    public const int ConflictOrStore = 3;
    /// <summary>Ctrl-C (or SIGTERM) stopped the command; what it had committed before is printed.</summary>
    public const int Interrupted = 130;
}

/// <summary>The command line is wrong in a way only seen when the command runs (e.g. an empty TRELLIS_STATE): exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
