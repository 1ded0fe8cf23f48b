using Trellis.Engine.Contracts;

namespace Trellis.Engine;

/// <summary>A plan in one line for the audit log: how many objects it adds, changes and removes, and the first of them by name.</summary>
internal static class AuditSummary
{
    /// <summary>Objects named in a summary; the rest are counted ("and 12 more").</summary>
    public const int NamedObjects = 5;

    public static string Of(IReadOnlyList<ObjectChange> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (changes.Count == 0)
        {
            return "no object changes";
        }

        var counts = string.Join(", ", new[] { (ChangeKind.Add, "added"), (ChangeKind.Change, "changed"), (ChangeKind.Remove, "removed") }
            .Select(k => (Count: changes.Count(c => c.Kind == k.Item1), Word: k.Item2))
            .Where(k => k.Count > 0)
            .Select(k => $"{k.Count} {k.Word}"));
        var named = changes.Take(NamedObjects).Select(c => $"{Sign(c.Kind)}{c.Type} {c.Name}");
        var more = changes.Count > NamedObjects ? $" and {changes.Count - NamedObjects} more" : "";
        return $"{counts}: {string.Join(", ", named)}{more}";
    }

    private static char Sign(ChangeKind kind) => kind switch
    {
        ChangeKind.Add => '+',
        ChangeKind.Remove => '-',
        _ => '~',
    };
}
