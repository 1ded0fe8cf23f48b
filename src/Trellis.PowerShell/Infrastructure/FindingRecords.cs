using System.Management.Automation;
using Trellis.Engine.Contracts;

namespace Trellis.PowerShell;

/// <summary>A Trellis finding as PowerShell reports errors: the finding code is the error id, the field is the target.</summary>
internal static class FindingRecords
{
    public static ErrorRecord From(Finding finding) =>
        new(new FindingException(finding), finding.Code, Category(finding.Code), finding.Path)
        {
            ErrorDetails = new ErrorDetails($"{finding.Code}: {finding.Message}") { RecommendedAction = finding.Hint },
        };

    public static string WarningText(Finding finding) =>
        string.IsNullOrEmpty(finding.Hint) ? $"{finding.Code} ({finding.Path}): {finding.Message}" : $"{finding.Code} ({finding.Path}): {finding.Message} {finding.Hint}";

    /// <summary>The PowerShell error category a finding code belongs to, by what the code says went wrong.</summary>
    public static ErrorCategory Category(string code) => code switch
    {
        "NoSite" or "FileNotFound" or "ManifestNotFound" => ErrorCategory.ObjectNotFound,
        "UnknownField" => ErrorCategory.InvalidArgument,
        _ when code.StartsWith("Unknown", StringComparison.Ordinal) => ErrorCategory.ObjectNotFound,
        "DuplicateName" or "DuplicateField" or "SiteMismatch" => ErrorCategory.ResourceExists,
        "ImmutableField" or "DefinitionInUse" or "UpgradeInProgress" or "PlanFromOtherState" or "StateChanged" => ErrorCategory.InvalidOperation,
        "UpgradeInterrupted" or "Interrupted" => ErrorCategory.OperationStopped,
        _ when code.EndsWith("Exhausted", StringComparison.Ordinal) || code.EndsWith("TooSmall", StringComparison.Ordinal)
            || code.StartsWith("TooMany", StringComparison.Ordinal) || code == "ClusterTooLarge" => ErrorCategory.LimitsExceeded,
        "FileUnreadable" or "FileTooLarge" or "NotARegularFile" => ErrorCategory.ReadError,
        _ => ErrorCategory.InvalidArgument,
    };
}

/// <summary>The exception an ErrorRecord of a finding carries: its message is the finding's, and the finding itself is kept.</summary>
public sealed class FindingException : Exception
{
    public FindingException(Finding finding)
        : base(finding?.Message) => Finding = finding;

    public FindingException()
    {
    }

    public FindingException(string message)
        : base(message)
    {
    }

    public FindingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The finding reported; null only for an exception made without one.</summary>
    public Finding? Finding { get; }
}
