using System.Text.Json.Serialization;
using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.Cli;

/// <summary>The documented JSON shapes of the CLI's output (docs/cli.md).</summary>
public sealed record ValidateOutput(bool Valid, IReadOnlyList<Finding> Findings);

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

public sealed record CheckOutput(CheckAnswer Answer, IReadOnlyList<Finding> Findings);

public sealed record TraceOutput(string Question, bool Delivered, IReadOnlyList<TracedHop> Hops, IReadOnlyList<string> Notes, IReadOnlyList<Finding> Findings);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ValidateOutput))]
[JsonSerializable(typeof(ApplyOutput))]
[JsonSerializable(typeof(CapacityReport))]
[JsonSerializable(typeof(WhatIfAnswer))]
[JsonSerializable(typeof(IReadOnlyList<NetworkRow>))]
[JsonSerializable(typeof(IReadOnlyList<ClusterRow>))]
[JsonSerializable(typeof(IReadOnlyList<NodePoolRow>))]
[JsonSerializable(typeof(IReadOnlyList<ServiceRow>))]
[JsonSerializable(typeof(IReadOnlyList<PoolRow>))]
[JsonSerializable(typeof(IReadOnlyList<Allocation>))]
[JsonSerializable(typeof(IReadOnlyList<AuditEntry>))]
[JsonSerializable(typeof(CheckOutput))]
[JsonSerializable(typeof(TraceOutput))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
