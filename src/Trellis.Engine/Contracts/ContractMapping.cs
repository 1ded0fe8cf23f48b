using Validation = Trellis.Core.Validation;

namespace Trellis.Engine.Contracts;

/// <summary>
/// From the layers' own types to the contract types front ends see. The contract is a copy on purpose: its JSON shape is
/// what the CLI, the PowerShell module and the REST API promise, and it must not change when an internal type does.
/// </summary>
internal static class ContractMapping
{
    public static Finding ToContract(this Validation.Finding f) => new(f.Code, f.Path, f.Message, f.Hint, (Severity)(int)f.Severity);

    public static IReadOnlyList<Finding> ToContract(this IEnumerable<Validation.Finding> findings) => [.. findings.Select(ToContract)];
}
