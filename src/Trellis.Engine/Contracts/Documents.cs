namespace Trellis.Engine.Contracts;

// The documented JSON shapes of the front ends' answers (docs/cli.md): the CLI's `-o json` and the server's responses are
// these records, serialized with camelCase names, enums as strings and nulls left out.

/// <summary>validate, netpol lint: whether the input holds, and every finding.</summary>
public sealed record ValidateOutput(bool Valid, IReadOnlyList<Finding> Findings);

/// <summary>apply and every change command (scale, upgrade, add, delete): what was (or, for a plan, would be) written.</summary>
public sealed record ApplyOutput(
    bool Applied,
    bool DryRun,
    long Revision,
    IReadOnlyList<ObjectChange> Changes,
    IReadOnlyList<Allocation> Added,
    IReadOnlyList<Allocation> Removed,
    IReadOnlyList<UpgradeStep> UpgradeSteps,
    IReadOnlyList<Finding> Findings,
    CapacityReport? Capacity);

/// <summary>netpol check: the verdict and the findings.</summary>
public sealed record CheckOutput(CheckAnswer Answer, IReadOnlyList<Finding> Findings);

/// <summary>trace: the packet's path hop by hop.</summary>
public sealed record TraceOutput(string Question, bool Delivered, IReadOnlyList<TracedHop> Hops, IReadOnlyList<string> Notes, IReadOnlyList<Finding> Findings);
