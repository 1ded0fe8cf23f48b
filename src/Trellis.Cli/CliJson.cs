using System.Text.Json.Serialization;
using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.Cli;

/// <summary>The CLI's JSON output: the documented shapes (<see cref="ValidateOutput"/> and the others in Trellis.Engine.Contracts).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ValidateOutput))]
[JsonSerializable(typeof(GovernanceView))]
[JsonSerializable(typeof(ComplianceReport))]
[JsonSerializable(typeof(IReadOnlyList<DefinitionRow>))]
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
[JsonSerializable(typeof(MigrationResult))]
[JsonSerializable(typeof(LabOutput))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
