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

/// <summary>
/// Copies the fleet's definitions and assignments (<paramref name="Document"/>, all of them: it replaces the copy there was)
/// into the site, where every plan from every front end judges by them as assignments named <c>fleet/&lt;name&gt;</c>. The
/// server sends it to each site it manages when the fleet's governance changes, and before it changes a site whose copy is
/// older; the site's own commands cannot change the copy.
/// </summary>
public sealed record ApplyFleetGovernance(GovernanceDocument Document) : SiteCommand
{
    public override string CommandName => "fleet policy";
}

/// <summary>The governance set a command leaves, with what it changed, or the findings that refuse it.</summary>
internal static class GovernanceChanges
{
    public static (GovernanceSet? Set, IReadOnlyList<Finding> Findings, IReadOnlyList<ObjectChange> Changes) Of(SiteCommand command, GovernanceSet stored) => command switch
    {
        ApplyGovernance apply => Merge(stored, apply.Document.Set),
        DeleteGovernance delete => Remove(stored, delete.Kind, delete.Name),
        ApplyFleetGovernance fleet => Replace(stored, fleet.Document.Set),
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
        var result = stored.ToList();
        foreach (var item in given)
        {
            var at = result.FindIndex(s => name(s) == name(item));
            if (at < 0)
            {
                result.Add(item);
                changes.Add(new ObjectChange(ChangeKind.Add, type, name(item), ""));
            }
            else if (Json(alone(result[at])) != Json(alone(item)))
            {
                result[at] = item;
                changes.Add(new ObjectChange(ChangeKind.Change, type, name(item), ""));
            }
        }

        return [.. result.OrderBy(name, StringComparer.Ordinal)];
    }

    /// <summary>The fleet's set in place of the copy <paramref name="stored"/>; what changed is named as the site sees it (fleet/…).</summary>
    private static (GovernanceSet?, IReadOnlyList<Finding>, IReadOnlyList<ObjectChange>) Replace(GovernanceSet stored, GovernanceSet given)
    {
        var findings = GovernanceValidator.Validate(given);
        if (findings.HasErrors())
        {
            return (null, findings, []);
        }

        // What Upsert finds added or changed, and what the new set no longer has; named as the site sees them.
        var changes = new List<ObjectChange>();
        var definitions = Upsert(stored.Definitions, given.Definitions, d => d.Name, d => new GovernanceSet([d], []), "fleet policy definition", changes);
        var assignments = Upsert(stored.Assignments, given.Assignments, a => a.Name, a => new GovernanceSet([], [a]), "fleet policy assignment", changes);
        changes.AddRange(definitions.Where(d => !given.Definitions.Any(g => g.Name == d.Name)).Select(d => new ObjectChange(ChangeKind.Remove, "fleet policy definition", d.Name, "")));
        changes.AddRange(assignments.Where(a => !given.Assignments.Any(g => g.Name == a.Name)).Select(a => new ObjectChange(ChangeKind.Remove, "fleet policy assignment", a.Name, "")));
        var ordered = new GovernanceSet([.. given.Definitions.OrderBy(d => d.Name, StringComparer.Ordinal)], [.. given.Assignments.OrderBy(a => a.Name, StringComparer.Ordinal)]);
        return (ordered, findings, [.. changes.Select(c => c with { Name = GovernanceSet.FleetPrefix + c.Name })]);
    }

    private static string Json(GovernanceSet set) => System.Text.Json.JsonSerializer.Serialize(set, EngineJsonContext.Default.GovernanceSet);

    private static (GovernanceSet?, IReadOnlyList<Finding>, IReadOnlyList<ObjectChange>) Remove(GovernanceSet stored, string kind, string name)
    {
        if (GovernanceSet.IsInherited(name))
        {
            return (null, [Finding.Error("FleetPolicy", "name", $"'{name}' is the fleet's: the server that manages the site copies it into the site, and only there can it change.",
                $"Delete it from the fleet (DELETE /api/v1/governance/{kind.ToLowerInvariant()}s/{name[GovernanceSet.FleetPrefix.Length..]} on the server), or exempt the site's items in the fleet's assignment.")], []);
        }

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

