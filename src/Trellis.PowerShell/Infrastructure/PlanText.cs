using System.Globalization;
using System.Text;
using Trellis.Engine;
using Trellis.Engine.Contracts;

namespace Trellis.PowerShell;

/// <summary>A plan in words for ShouldProcess: -WhatIf prints it ("What if: …"), -Confirm shows it before asking.</summary>
internal static class PlanText
{
    /// <summary>At most this many allocations are listed one by one; the rest are counted.</summary>
    private const int ListedAllocations = 40;

    public static string Describe(string action, string target, ChangePlan plan)
    {
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{action} \"{target}\"");
        if (plan.Changes.Count == 0 && plan.Allocations is not { Added.Count: > 0 } && plan.Allocations is not { Removed.Count: > 0 })
        {
            return text.Append(": nothing changes.").ToString();
        }

        foreach (var change in plan.Changes)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n  {Sign(change.Kind)} {change.Type} {change.Name}");
            if (change.Detail.Length > 0)
            {
                text.Append(": ").Append(change.Detail);
            }
        }

        if (plan.Allocations is { } allocations)
        {
            Allocations(text, "takes", '+', allocations.Added);
            Allocations(text, "releases", '-', allocations.Removed);
        }

        return text.ToString();
    }

    public static string Question(string action, string target) => $"{action} \"{target}\"?";

    private static void Allocations(StringBuilder text, string verb, char sign, IReadOnlyList<Allocation> list)
    {
        if (list.Count == 0)
        {
            return;
        }

        text.Append(CultureInfo.InvariantCulture, $"\n  {verb} {list.Count} allocation{(list.Count == 1 ? "" : "s")}:");
        foreach (var a in list.Take(ListedAllocations))
        {
            text.Append(CultureInfo.InvariantCulture, $"\n    {sign} {a.Pool} {a.Address} {a.Owner}");
        }

        if (list.Count > ListedAllocations)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n    … and {list.Count - ListedAllocations} more (Get-TrellisIpAllocation lists them after the change)");
        }
    }

    private static char Sign(ChangeKind kind) => kind switch { ChangeKind.Add => '+', ChangeKind.Remove => '-', _ => '~' };
}
