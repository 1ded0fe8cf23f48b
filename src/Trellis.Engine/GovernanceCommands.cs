using Trellis.Core.Governance;
using Trellis.Core.Validation;
using Trellis.Engine.Contracts;
using Finding = Trellis.Core.Validation.Finding;

namespace Trellis.Engine;

/// <summary>
/// Policy definitions and assignments read from text (<see cref="GovernanceFiles"/>): what a front end applies. Opaque on
/// purpose, like <see cref="SpecDocument"/>, so that every front end goes through the same reader and checks.
/// </summary>
public sealed class GovernanceDocument
{
    internal GovernanceDocument(GovernanceSet set) => Set = set;

    internal GovernanceSet Set { get; }

    /// <summary>The names of the assignments the document holds.</summary>
    public IReadOnlyList<string> Assignments => [.. Set.Assignments.Select(a => a.Name)];

    /// <summary>The names of the definitions the document holds.</summary>
    public IReadOnlyList<string> Definitions => [.. Set.Definitions.Select(d => d.Name)];
}

/// <summary>
/// trellis policy apply -f: stores the definitions and assignments of <paramref name="Document"/> with the site, each
/// replacing the stored one of its kind and name (others are kept), after checking that every assignment can be evaluated.
/// </summary>
public sealed record ApplyGovernance(GovernanceDocument Document) : SiteCommand
{
    internal ApplyGovernance(GovernanceSet set)
        : this(new GovernanceDocument(set))
    {
    }

    public override string CommandName => "policy apply";
}

/// <summary>trellis policy delete: removes one stored definition (<paramref name="Kind"/> "definition") or assignment ("assignment").</summary>
public sealed record DeleteGovernance(string Kind, string Name) : SiteCommand
{
    public override string CommandName => "policy delete";
}

/// <summary>The governance set a command leaves, with what it changed, or the findings that refuse it.</summary>
internal static class GovernanceChanges
{
    public static (GovernanceSet? Set, IReadOnlyList<Finding> Findings, IReadOnlyList<ObjectChange> Changes) Of(SiteCommand command, GovernanceSet stored) => command switch
    {
        ApplyGovernance apply => Merge(stored, apply.Document.Set),
        DeleteGovernance delete => Remove(stored, delete.Kind, delete.Name),
        _ => throw new ArgumentException(command.GetType().Name, nameof(command)),
    };

    private static (GovernanceSet?, IReadOnlyList<Finding>, IReadOnlyList<ObjectChange>) Merge(GovernanceSet stored, GovernanceSet given)
    {
        var changes = new List<ObjectChange>();
        var definitions = Upsert(stored.Definitions, given.Definitions, d => d.Name, d => new GovernanceSet([d], []), "policy definition", changes);
        var assignments = Upsert(stored.Assignments, given.Assignments, a => a.Name, a => new GovernanceSet([], [a]), "policy assignment", changes);
        var merged = new GovernanceSet(definitions, assignments);
        var findings = GovernanceValidator.Validate(merged);
        return findings.HasErrors() ? (null, findings, []) : (merged, findings, changes);
    }

    /// <summary>
    /// <paramref name="stored"/> with each of <paramref name="given"/> added or put in place of the one of its name, in name
    /// order; an item counts as changed when its stored JSON differs (records holding lists do not compare by value).
    /// </summary>
    private static List<T> Upsert<T>(IReadOnlyList<T> stored, IReadOnlyList<T> given, Func<T, string> name, Func<T, GovernanceSet> alone, string type, List<ObjectChange> changes)
    {
        string Json(T item) => System.Text.Json.JsonSerializer.Serialize(alone(item), EngineJsonContext.Default.GovernanceSet);
        var result = stored.ToList();
        foreach (var item in given)
        {
            var at = result.FindIndex(s => name(s) == name(item));
            if (at < 0)
            {
                result.Add(item);
                changes.Add(new ObjectChange(ChangeKind.Add, type, name(item), ""));
            }
            else if (Json(result[at]) != Json(item))
            {
                result[at] = item;
                changes.Add(new ObjectChange(ChangeKind.Change, type, name(item), ""));
            }
        }

        return [.. result.OrderBy(name, StringComparer.Ordinal)];
    }

    private static (GovernanceSet?, IReadOnlyList<Finding>, IReadOnlyList<ObjectChange>) Remove(GovernanceSet stored, string kind, string name)
    {
        switch (kind.ToLowerInvariant())
        {
            case "assignment" when stored.Assignments.Any(a => a.Name == name):
                return (stored with { Assignments = [.. stored.Assignments.Where(a => a.Name != name)] }, [], [new ObjectChange(ChangeKind.Remove, "policy assignment", name, "")]);
            case "definition" when stored.Definitions.Any(d => d.Name == name):
                var users = stored.Assignments.Where(a => a.Definition == name).Select(a => a.Name).ToList();
                return users.Count > 0
                    ? (null, [Finding.Error("DefinitionInUse", "name", $"Definition '{name}' is assigned by {string.Join(", ", users.Select(u => $"'{u}'"))}.",
                        "Delete those assignments first (trellis policy delete assignment NAME).")], [])
                    : (stored with { Definitions = [.. stored.Definitions.Where(d => d.Name != name)] }, [], [new ObjectChange(ChangeKind.Remove, "policy definition", name, "")]);
            case "assignment" or "definition":
                return (null, [Finding.Error("UnknownPolicy", "name", $"The site stores no {kind.ToLowerInvariant()} '{name}'.", "trellis policy get lists what is stored.")], []);
            default:
                return (null, [Finding.Error("InvalidValue", "kind", $"'{kind}' is not a kind of policy document.", "Delete an 'assignment' or a 'definition'.")], []);
        }
    }
}

/// <summary>Governance documents from a file, as the CLI's <c>policy apply -f</c> reads them.</summary>
public static class GovernanceFiles
{
    /// <summary>The file's definitions and assignments, or the findings (a missing or unreadable file too) that say why there are none.</summary>
    public static (GovernanceDocument? Document, IReadOnlyList<Contracts.Finding> Findings) ReadFile(string path, string field = "file")
    {
        var file = InputFiles.Read(path, field, GovernanceReader.MaxBytes);
        return file.Text is { } text ? Parse(text) : (null, [file.Problem!.ToContract()]);
    }

    /// <summary>Definitions and assignments from YAML text (a request body, a file's text).</summary>
    public static (GovernanceDocument? Document, IReadOnlyList<Contracts.Finding> Findings) Parse(string yaml)
    {
        var read = GovernanceReader.Read(yaml);
        return (read.Set is { } set ? new GovernanceDocument(set) : null, read.Findings.ToContract());
    }
}

