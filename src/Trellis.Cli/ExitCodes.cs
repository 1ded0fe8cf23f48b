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
    /// <summary>A concurrent change won every retry, or the store failed; nothing was written.</summary>
    public const int ConflictOrStore = 3;
}
