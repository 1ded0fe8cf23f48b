using Trellis.Core.Model;
using Trellis.Core.Planning;
using Trellis.Core.Validation;
using Trellis.Engine.Contracts;
using CapacityReport = Trellis.Engine.Contracts.CapacityReport;
using Finding = Trellis.Engine.Contracts.Finding;

namespace Trellis.Engine;

/// <summary>
/// A site spec read from text: what a front end validates, sizes, asks what-if questions of, or applies. Opaque on
/// purpose, so that every front end goes through the same reader and rules.
/// </summary>
public sealed class SpecDocument
{
    internal SpecDocument(SiteSpec spec) => Spec = spec;

    internal SiteSpec Spec { get; }

    /// <summary>The site's name (<c>metadata.name</c>).</summary>
    public string SiteName => Spec.Name;
}

/// <summary>A spec as far as it could be read: the document when its text is a site spec, and what the reader found.</summary>
public sealed record SpecRead(SpecDocument? Document, IReadOnlyList<Finding> Findings);

/// <summary>Capacity of a site: the report when the site resolves, and the findings of its rules (the report's errors when it does not).</summary>
public sealed record CapacityAnswer(CapacityReport? Report, IReadOnlyList<Finding> Findings);

/// <summary>
/// What every front end does with a spec before it is stored: read it from text or a file (size-checked, every problem a
/// finding), validate it, size it, and ask what-if questions of it.
/// </summary>
public static class SiteSpecs
{
    /// <summary>Specs larger than this are refused before parsing.</summary>
    public const int MaxBytes = SiteSpecReader.MaxSpecBytes;

    /// <summary>
    /// Reads a spec from YAML or JSON text. When the text is not a spec, the findings are every problem at once: those of
    /// the reader and those the rules find in what could be read.
    /// </summary>
    public static SpecRead Parse(string text)
    {
        var read = SiteSpecReader.Read(text);
        return read.Spec is not null
            ? new SpecRead(new SpecDocument(read.Spec), read.Findings.ToContract())
            : new SpecRead(null, SiteValidator.ValidateText(text).Findings.ToContract());
    }

    /// <summary>Reads a spec file: only a regular file of at most <see cref="MaxBytes"/>; <paramref name="field"/> names it in findings.</summary>
    public static SpecRead ReadFile(string path, string field = "file")
    {
        var file = InputFiles.Read(path, field, MaxBytes);
        return file.Text is { } text ? Parse(text) : new SpecRead(null, [file.Problem!.ToContract()]);
    }

    /// <summary>Every finding of today's rules for a spec that is to be applied.</summary>
    public static IReadOnlyList<Finding> Validate(SpecDocument spec) => SiteValidator.Validate(spec.Spec).Findings.ToContract();

    /// <summary>What an unapplied spec needs of each pool, planned from empty pools, beside what each pool holds.</summary>
    public static CapacityAnswer Capacity(SpecDocument spec)
    {
        var validation = SiteValidator.Validate(spec.Spec);
        return validation.Site is { } site
            ? new CapacityAnswer(CapacityPlanner.Report(site, SitePlanner.Plan(site, [], DateTimeOffset.UnixEpoch).Result).ToContract(), validation.Findings.ToContract())
            : new CapacityAnswer(null, validation.Findings.ToContract());
    }

    /// <summary>Capacity of the site as a planned change of <paramref name="spec"/> would leave it (a dry run): the plan's allocations.</summary>
    public static CapacityReport? CapacityAfter(SpecDocument spec, ChangePlan planned) =>
        planned.AllocationPlan is { } plan && SiteValidator.Validate(spec.Spec).Site is { } site ? CapacityPlanner.Report(site, plan.Result).ToContract() : null;

    /// <summary>Could the site of this spec take these changes? Null with findings when a change is not a valid question.</summary>
    public static (WhatIfAnswer? Answer, IReadOnlyList<Finding> Findings) WhatIf(SpecDocument spec, string question, IReadOnlyList<WhatIfChange> changes) =>
        WhatIfQuestions.Answer(question, spec.Spec, [], changes);
}
