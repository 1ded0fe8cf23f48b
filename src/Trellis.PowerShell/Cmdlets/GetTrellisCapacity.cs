using System.Management.Automation;
using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.PowerShell;

/// <summary>
/// Get-TrellisCapacity: what each pool must hold beside what it holds (the CLI's capacity), of the stored site or of a spec
/// file; with -WhatIfChange, whether the site could take those changes (capacity --what-if, the same words).
/// </summary>
[Cmdlet(VerbsCommon.Get, "TrellisCapacity", DefaultParameterSetName = Stored)]
[OutputType(typeof(TrellisCapacityReport), typeof(TrellisWhatIfAnswer))]
public sealed class GetTrellisCapacityCommand : TrellisCmdlet
{
    private const string Stored = "Stored";
    private const string File = "Path";

    /// <summary>A site spec file, judged by today's rules, instead of the stored site.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = File, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Changes to test, in the CLI's words: "add-nodepool cluster=b name=win osType=Windows count=10", scale-nodepool, add-service, add-cluster.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] WhatIfChange { get; set; } = [];

    protected override void ProcessRecord()
    {
        var parsed = WhatIfChange.Select(WhatIfParser.Parse).ToList();
        if (parsed.Where(q => q.Problem is not null).Select(q => q.Problem!).ToList() is { Count: > 0 } problems)
        {
            WriteFindings(Named(problems));
            return;
        }

        var question = string.Join("; ", WhatIfChange);
        var changes = parsed.Select(q => q.Change!).ToList();
        if (ParameterSetName == File)
        {
            // A file is judged by today's rules.
            var read = SpecInput.FromFile(this, Path);
            if (read.Document is not { } spec)
            {
                WriteFindings(read.Findings);
                return;
            }

            if (changes.Count > 0)
            {
                Answer(SiteSpecs.WhatIf(spec, question, changes));
            }
            else
            {
                Report(SiteSpecs.Capacity(spec), read.Findings);
            }

            return;
        }

        // A stored site stays readable under rules added after it was applied.
        var state = WithEngine(write: false, (engine, token) => engine.ReadAsync(token));
        if (changes.Count > 0)
        {
            Answer(SiteViews.WhatIf(state, question, changes));
        }
        else
        {
            Report(SiteViews.StoredCapacity(state), []);
        }
    }

    private void Report(CapacityAnswer answer, IReadOnlyList<Finding> read)
    {
        if (answer.Report is not { } report)
        {
            WriteFindings(Named([.. read, .. answer.Findings]));
            return;
        }

        WriteFindings(Named(answer.Findings));
        WriteObject(TrellisCapacityReport.From(report));
    }

    private void Answer((WhatIfAnswer? Answer, IReadOnlyList<Finding> Findings) asked)
    {
        if (asked.Answer is not { } answer)
        {
            WriteFindings(Named(asked.Findings));
            return;
        }

        // An answered question: why it does not fit is the answer, said as warnings, not an error of the command.
        foreach (var f in answer.Findings.Where(f => f.Severity != Severity.Info))
        {
            WriteWarning(FindingRecords.WarningText(f));
        }

        WriteObject(TrellisWhatIfAnswer.From(answer));
    }

    /// <summary>A question's findings name it by its place among -WhatIfChange's values, as the CLI names --what-if's.</summary>
    private static IEnumerable<Finding> Named(IEnumerable<Finding> findings) =>
        ParameterWords.In(findings, ParameterWords.Read).Select(f => f.Path.StartsWith("whatIf[", StringComparison.Ordinal) ? f with { Path = "-WhatIfChange" + f.Path[6..] } : f);
}
